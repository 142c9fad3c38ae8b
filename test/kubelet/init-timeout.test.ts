// Init container timeouts (kubelet/init-timeout.ts) outside the planner's table: how a timed-out run reads in
// the pod status, which runs count as timed out, and the annotations validation refuses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { validateObject } from '../../src/api/validation/index.js';
import { initTimedOut, initTimeoutOf } from '../../src/kubelet/init-timeout.js';
import { generatePodStatus } from '../../src/kubelet/status.js';
import { basePod, container, inst, probes, sandbox, sidecar, T0 } from './fixtures.js';

const NOW = T0 + 60_000;

function annotated(annotations: Record<string, string>, mutate?: (p: Pod) => void): Pod {
  const pod = basePod();
  pod.metadata!.annotations = annotations;
  mutate?.(pod);
  return pod;
}

describe('init container timeouts', () => {
  it('a run killed for its timeout is reported as terminated with reason InitTimeout', () => {
    const pod = annotated({ 'podrun.dev/init-timeout.init1': '30s' });
    const status = generatePodStatus({
      pod,
      sandboxes: [sandbox()],
      containers: [inst('init1', 'exited', { exitCode: 137, startedAt: T0, finishedAt: T0 + 32_000 })],
      probes: probes(),
      reasonCache: new Map(),
      runtimeName: 'fake',
      hostIP: '192.168.1.10',
      now: NOW,
      podIsTerminal: false,
      podFailed: null,
    });
    const init1 = status.initContainerStatuses?.find((s) => s.name === 'init1');
    assert.equal(init1?.state?.terminated?.exitCode, 137);
    assert.equal(init1?.state?.terminated?.reason, 'InitTimeout');
    assert.equal(
      init1?.state?.terminated?.message,
      'Init container init1 exceeded its timeout of 30s (annotation podrun.dev/init-timeout.init1)',
    );
  });

  for (const [name, o, expected] of [
    ['failed after the timeout', { exitCode: 137, startedAt: T0, finishedAt: T0 + 30_000 }, true],
    [
      'failed before the timeout (its own failure)',
      { exitCode: 1, startedAt: T0, finishedAt: T0 + 29_999 },
      false,
    ],
    [
      'exited 0 after the timeout (it finished cleanly: done)',
      { exitCode: 0, startedAt: T0, finishedAt: T0 + 31_000 },
      false,
    ],
  ] as const) {
    it(`a run that ${name} ${expected ? 'timed out' : 'did not time out'}`, () => {
      const pod = annotated({ 'podrun.dev/init-timeout': '30s' });
      assert.equal(initTimedOut(pod, container('init1'), inst('init1', 'exited', o)), expected);
    });
  }

  it('sidecars and app containers take no timeout; values are Go durations', () => {
    const pod = annotated({ 'podrun.dev/init-timeout': '1m30s' }, (p) => {
      p.spec!.initContainers!.push(sidecar('proxy'));
    });
    assert.equal(initTimeoutOf(pod, pod.spec!.initContainers![0]!), 90_000);
    assert.equal(initTimeoutOf(pod, pod.spec!.initContainers![2]!), undefined);
    assert.equal(initTimeoutOf(pod, pod.spec!.containers[0]!), undefined);
  });

  it('validation refuses a bad duration, an unknown container and a sidecar, on pods and templates', () => {
    const pod = annotated(
      {
        'podrun.dev/init-timeout': 'soon',
        'podrun.dev/init-timeout.nope': '10s',
        'podrun.dev/init-timeout.proxy': '10s',
      },
      (p) => {
        p.spec!.initContainers!.push(sidecar('proxy'));
      },
    );
    const errs = validateObject(pod as never).map((e) => [e.field, e.detail]);
    assert.deepEqual(errs, [
      [
        'metadata.annotations[podrun.dev/init-timeout]',
        'must be a positive duration such as 30s, 2m or 1m30s',
      ],
      [
        'metadata.annotations[podrun.dev/init-timeout.nope]',
        'names no init container of this pod; its init containers are init1, init2',
      ],
      [
        'metadata.annotations[podrun.dev/init-timeout.proxy]',
        "proxy is a sidecar (restartPolicy: Always), which runs for the pod's life; only regular init containers take a timeout",
      ],
    ]);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' }, annotations: { 'podrun.dev/init-timeout.init1': '0s' } },
          spec: { initContainers: [container('init1')], containers: [container('app')] },
        },
      },
    };
    assert.deepEqual(
      validateObject(deployment as never).map((e) => e.field),
      ['spec.template.annotations[podrun.dev/init-timeout.init1]'],
    );
  });
});
