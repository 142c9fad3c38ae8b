import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject, Pod } from '../../src/api/types.js';
import { formatTransition, podTransitions } from '../../src/cli/progress/transitions.js';
import { evaluate } from '../../src/cli/up/readiness.js';

const spec: Pod['spec'] = {
  initContainers: [
    { name: 'wait', image: 'busybox' },
    { name: 'proxy', image: 'busybox', restartPolicy: 'Always' },
  ],
  containers: [{ name: 'app', image: 'busybox' }],
};

function pod(status: Pod['status']): Pod {
  return { metadata: { name: 'web', namespace: 'default' }, spec, status };
}

const waiting = (name: string, reason = 'PodInitializing') => ({
  name,
  image: 'busybox',
  imageID: '',
  ready: false,
  restartCount: 0,
  state: { waiting: { reason } },
});

test('a first sight reports the pod status as new', () => {
  const lines = podTransitions(undefined, pod({ phase: 'Pending' }));
  assert.deepEqual(lines, [{ pod: 'web', subject: 'pod', from: '(new)', to: 'Pending' }]);
});

test('an init container that completes reports its exit code and run time', () => {
  const before = pod({
    phase: 'Pending',
    initContainerStatuses: [
      { ...waiting('wait'), state: { running: { startedAt: '2026-01-01T00:00:00Z' } } },
      waiting('proxy'),
    ],
    containerStatuses: [waiting('app')],
  });
  const after = pod({
    phase: 'Pending',
    initContainerStatuses: [
      {
        ...waiting('wait'),
        ready: true,
        state: {
          terminated: {
            exitCode: 0,
            reason: 'Completed',
            startedAt: '2026-01-01T00:00:00Z',
            finishedAt: '2026-01-01T00:00:01Z',
          },
        },
      },
      waiting('proxy'),
    ],
    containerStatuses: [waiting('app')],
  });
  const lines = podTransitions(before, after).map((t) => formatTransition(t, { pod: 3, subject: 10 }));
  // Causal order: the container's change, then the pod status it moved.
  assert.deepEqual(lines, [
    'web  init/wait   Running → Completed (exit 0, 1s)',
    'web  pod         Init:0/2 → Init:1/2',
  ]);
});

test('a crash loop shows the waiting reason with its message, and sidecars are labelled', () => {
  const before = pod({ phase: 'Pending', initContainerStatuses: [waiting('wait'), waiting('proxy')] });
  assert.deepEqual(
    podTransitions(pod({ phase: 'Pending' }), before).map((x) => x.subject),
    ['pod'],
    'containers first seen waiting for their turn get no line of their own',
  );
  const after = pod({
    phase: 'Pending',
    initContainerStatuses: [
      {
        ...waiting('wait', 'CrashLoopBackOff'),
        restartCount: 1,
        state: {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: 'back-off 10s restarting failed container=wait pod=web_default(u)',
          },
        },
      },
      { ...waiting('proxy'), state: { running: { startedAt: '2026-01-01T00:00:00Z' } }, ready: true },
    ],
  });
  const t = podTransitions(before, after);
  assert.deepEqual(
    t.map((x) => `${x.subject}: ${x.from} → ${x.to}${x.detail ? ` (${x.detail})` : ''}`),
    [
      'init/wait: PodInitializing → CrashLoopBackOff (back-off 10s restarting failed container=wait pod=web_default(u))',
      'sidecar/proxy: PodInitializing → Running (ready)',
      'pod: Init:0/2 → Init:CrashLoopBackOff',
    ],
  );
});

test('a container that never started shows its exit code without a run time, and the failure says why', () => {
  const terminated = {
    exitCode: 128,
    reason: 'StartError',
    message: 'exec: "no-such-binary": executable file not found in $PATH',
    // As the kubelet reports a container the runtime could not start.
    startedAt: '1970-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:00:01Z',
  };
  const before = pod({ phase: 'Pending', containerStatuses: [waiting('app')] });
  const after: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    ...pod({
      phase: 'Failed',
      containerStatuses: [{ ...waiting('app'), state: { terminated } }],
    }),
    spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox' }] },
  };
  const lines = podTransitions(before, after).map((t) => formatTransition(t, { pod: 3, subject: 3 }));
  assert.ok(lines.includes('web  app  PodInitializing → StartError (exit 128)'), lines.join('\n'));
  const verdict = evaluate([after as unknown as KubeObject], () => [after]);
  assert.equal(verdict.state, 'failed');
  assert.equal(
    verdict.state === 'failed' ? verdict.failure.message : '',
    'exec: "no-such-binary": executable file not found in $PATH (exit code 128)',
  );
});
