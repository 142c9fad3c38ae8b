// Strategic merge patches of the DaemonSet, ReplicationController and CronJob pod templates: containers merge
// by name (kubectl set env/image, apply), and a ControllerRevision's `$patch: replace` template (rollout undo)
// replaces the DaemonSet's template whole.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { strategicMergePatch } from '../../../src/api/patch/strategic-merge-patch.js';

const containers = () => [
  { name: 'a', image: 'busybox', env: [{ name: 'X', value: '1' }] },
  { name: 'b', image: 'nginx' },
];

describe('strategic merge of the new workload kinds', () => {
  test('DaemonSet and ReplicationController: containers and env merge by name', () => {
    for (const kind of ['DaemonSet', 'ReplicationController']) {
      const obj = { kind, spec: { template: { spec: { containers: containers() } } } };
      const out = strategicMergePatch(
        obj,
        { spec: { template: { spec: { containers: [{ name: 'a', env: [{ name: 'Y', value: '2' }] }] } } } },
        kind,
      ) as typeof obj;
      assert.deepEqual(out.spec.template.spec.containers, [
        {
          name: 'a',
          image: 'busybox',
          env: [
            { name: 'Y', value: '2' },
            { name: 'X', value: '1' },
          ],
        },
        { name: 'b', image: 'nginx' },
      ]);
    }
  });

  test('CronJob: the job template pod spec merges by name too', () => {
    const obj = {
      kind: 'CronJob',
      spec: { jobTemplate: { spec: { template: { spec: { containers: containers() } } } } },
    };
    const out = strategicMergePatch(
      obj,
      {
        spec: {
          jobTemplate: { spec: { template: { spec: { containers: [{ name: 'b', image: 'nginx:2' }] } } } },
        },
      },
      'CronJob',
    ) as typeof obj;
    assert.deepEqual(
      out.spec.jobTemplate.spec.template.spec.containers.map((c) => `${c.name}=${c.image}`),
      ['a=busybox', 'b=nginx:2'],
    );
  });

  test('a revision patch replaces the DaemonSet template', () => {
    const obj = {
      kind: 'DaemonSet',
      spec: {
        template: { metadata: { labels: { app: 'x', extra: 'y' } }, spec: { containers: containers() } },
      },
    };
    const revision = {
      spec: {
        template: {
          $patch: 'replace',
          metadata: { labels: { app: 'x' } },
          spec: { containers: [{ name: 'a', image: 'busybox' }] },
        },
      },
    };
    const out = strategicMergePatch(obj, revision, 'DaemonSet') as typeof obj;
    assert.deepEqual(out.spec.template, {
      metadata: { labels: { app: 'x' } },
      spec: { containers: [{ name: 'a', image: 'busybox' }] },
    });
  });
});
