// Pure helpers behind describe node / deployment, logs TYPE/NAME and restart: quantities as Quantity.String()
// prints them, kubectl's ByLogging order, the new and old ReplicaSets, and the pod restart creates again.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Deployment, Pod, ReplicaSet } from '../../src/api/types.js';
import { recreatedPod } from '../../src/cli/commands/restart.js';
import { splitReplicaSets } from '../../src/cli/describe/deployment.js';
import { quantityString } from '../../src/cli/describe/node.js';
import { byLogging } from '../../src/cli/kubectl/log-target.js';

describe('kubectl-style helpers', () => {
  test('quantityString: canonical decimal and binary forms', () => {
    const q = (milli: number, binary = false) => quantityString({ milli, binary });
    assert.equal(q(0), '0');
    assert.equal(q(50), '50m');
    assert.equal(q(2000), '2');
    assert.equal(q(1500), '1500m');
    assert.equal(q(48 * 2 ** 20 * 1000, true), '48Mi');
    assert.equal(q(2 ** 30 * 1000, true), '1Gi');
    assert.equal(q(1536 * 2 ** 20 * 1000, true), '1536Mi');
    // BinarySI under 1024 is written as DecimalSI.
    assert.equal(q(512 * 1000, true), '512');
    assert.equal(q(128e6 * 1000), '128M');
    assert.equal(quantityString(undefined), '0');
  });

  test('byLogging: scheduled, Running, ready, ready longest, most restarts, oldest first', () => {
    const pod = (
      name: string,
      o: { node?: string; phase?: string; readySince?: string; restarts?: number; created?: string },
    ): Pod => ({
      metadata: { name, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z' },
      spec: { nodeName: o.node ?? 'podrun', containers: [{ name: 'app' }] },
      status: {
        phase: o.phase ?? 'Running',
        conditions: o.readySince ? [{ type: 'Ready', status: 'True', lastTransitionTime: o.readySince }] : [],
        containerStatuses: [
          { name: 'app', restartCount: o.restarts ?? 0, ready: !!o.readySince, image: '', imageID: '' },
        ],
      },
    });
    const names = (pods: Pod[]) => [...pods].sort(byLogging).map((p) => p.metadata?.name);
    assert.deepEqual(names([pod('unscheduled', { node: '' }), pod('scheduled', {})]), [
      'scheduled',
      'unscheduled',
    ]);
    assert.deepEqual(names([pod('pending', { phase: 'Pending' }), pod('running', {})]), [
      'running',
      'pending',
    ]);
    assert.deepEqual(
      names([
        pod('not-ready', {}),
        pod('recent', { readySince: '2026-01-02T00:00:00Z' }),
        pod('long', { readySince: '2026-01-01T00:00:00Z' }),
      ]),
      ['long', 'recent', 'not-ready'],
    );
    assert.deepEqual(names([pod('calm', {}), pod('crashy', { restarts: 3 })]), ['crashy', 'calm']);
    assert.deepEqual(
      names([
        pod('young', { created: '2026-01-03T00:00:00Z' }),
        pod('old', { created: '2026-01-02T00:00:00Z' }),
      ]),
      ['old', 'young'],
    );
  });

  test('splitReplicaSets: the new one has the template (hash aside), the old ones in creation order', () => {
    const template = {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'a:2' }] },
    };
    const d = { metadata: { uid: 'd1' }, spec: { selector: {}, template } } as unknown as Deployment;
    const rs = (name: string, created: string, image: string, owner = 'd1'): ReplicaSet =>
      ({
        metadata: {
          name,
          creationTimestamp: created,
          ownerReferences: [
            { controller: true, uid: owner, kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' },
          ],
        },
        spec: {
          selector: {},
          template: {
            metadata: { labels: { app: 'web', 'pod-template-hash': name } },
            spec: { containers: [{ name: 'app', image }] },
          },
        },
      }) as ReplicaSet;
    const split = splitReplicaSets(d, [
      rs('web-c', '2026-01-03T00:00:00Z', 'a:1'),
      rs('web-b', '2026-01-02T00:00:00Z', 'a:2'),
      rs('web-a', '2026-01-01T00:00:00Z', 'a:0'),
      rs('other', '2026-01-01T00:00:00Z', 'a:2', 'd2'),
    ]);
    assert.deepEqual(
      split.new.map((r) => r.metadata?.name),
      ['web-b'],
    );
    assert.deepEqual(
      split.old.map((r) => r.metadata?.name),
      ['web-a', 'web-c'],
    );
  });

  test('recreatedPod keeps what was written and defaulted, drops what the server and scheduler own', () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'solo',
        namespace: 'dev',
        uid: 'u1',
        resourceVersion: '42',
        creationTimestamp: '2026-01-01T00:00:00Z',
        labels: { app: 'solo' },
        annotations: { 'podrun.dev/init-timeout': '30s' },
        managedFields: [],
      },
      spec: {
        nodeName: 'podrun',
        containers: [{ name: 'app', image: 'busybox:1.36' }],
        ephemeralContainers: [{ name: 'debug', image: 'busybox:1.36' }],
        restartPolicy: 'Always',
      },
      status: { phase: 'Running' },
    };
    assert.deepEqual(recreatedPod(pod), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'solo',
        namespace: 'dev',
        labels: { app: 'solo' },
        annotations: { 'podrun.dev/init-timeout': '30s' },
      },
      spec: { containers: [{ name: 'app', image: 'busybox:1.36' }], restartPolicy: 'Always' },
    });
  });
});
