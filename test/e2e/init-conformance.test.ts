// The four init-container conformance tests of upstream's test/e2e/common/node/init_container.go
// ([sig-node] InitContainer [NodeConformance], kubernetes-semantics.md §8a), run through real kubectl against
// `podrun serve` with the host runtime. Busybox's /bin/true and /bin/false are the host's; `sleep` stands in
// for the pause image. Every version of the pod the watch delivers is checked against containerInitInvariant.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { e2eCluster } from './support/cluster.js';
import { containerInitInvariant } from './support/init-invariants.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { RUN_SLEEP_SECONDS } from './support/run-id.js';
import { condition, watchPod } from './support/watch.js';

// Unique to this test run, so the leftover check can look for it in command lines.
const PAUSE = ['sleep', RUN_SLEEP_SECONDS];
const cluster = e2eCluster({ backoffInitial: '1s', backoffMax: '4s', commandMarkers: [PAUSE.join(' ')] });
before(cluster.start);
afterEach(cluster.record);
after(cluster.stopAndCheck);

const podName = () => `pod-init-${randomBytes(4).toString('hex')}`;

interface Spec {
  name: string;
  restartPolicy?: 'Never';
  init: [string, string];
  run1: string[];
  cpuLimit?: boolean;
}

function manifest(s: Spec): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: s.name, labels: { name: 'foo', time: String(process.hrtime()[1]) } },
    spec: {
      ...(s.restartPolicy ? { restartPolicy: s.restartPolicy } : {}),
      initContainers: [
        { name: 'init1', image: 'busybox', command: [s.init[0]] },
        { name: 'init2', image: 'busybox', command: [s.init[1]] },
      ],
      containers: [
        {
          name: 'run1',
          image: 'busybox',
          command: s.run1,
          ...(s.cpuLimit ? { resources: { limits: { cpu: '100m' } } } : {}),
        },
      ],
    },
  });
}

/** conditions.PodCompleted: phase Succeeded or Failed. */
const completed = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** conditions.PodRunning: Running; Succeeded or Failed end the wait with an error. */
function running(p: Pod): boolean {
  if (completed(p)) throw new Error(`pod ran to completion (${p.status?.phase}) instead of Running`);
  return p.status?.phase === 'Running';
}

function expectInitContainersDone(pod: Pod): void {
  const init = pod.status?.initContainerStatuses ?? [];
  assert.equal(init.length, 2);
  for (const s of init) {
    assert.equal(s.ready, true, `init container ${s.name} should be in Ready status`);
    assert.ok(
      s.state?.terminated,
      `init container ${s.name} should be terminated: ${JSON.stringify(s.state)}`,
    );
    assert.equal(s.state.terminated.exitCode, 0);
  }
}

describe('[sig-node] InitContainer [NodeConformance] through kubectl and podrun serve', {
  skip: E2E_SKIP,
}, () => {
  test('should invoke init containers on a RestartNever pod', { timeout: 60_000 }, async () => {
    const created = await cluster.kubectl.create<Pod>(
      manifest({
        name: podName(),
        restartPolicy: 'Never',
        init: ['/bin/true', '/bin/true'],
        run1: ['/bin/true'],
      }),
    );
    const watch = watchPod(cluster.kubectl, created, containerInitInvariant);
    try {
      const end = await watch.until(completed, 45_000, 'the pod to complete');
      assert.equal(end.status?.phase, 'Succeeded');
      assert.equal(condition(end, 'Initialized')?.status, 'True');
      expectInitContainersDone(end);
      // The watch saw the pod go through its states, not just the end.
      assert.ok(watch.seen.length >= 3, `only ${watch.seen.length} versions observed`);
    } finally {
      watch.stop();
    }
  });

  test('should invoke init containers on a RestartAlways pod', { timeout: 60_000 }, async () => {
    const created = await cluster.kubectl.create<Pod>(
      manifest({ name: podName(), init: ['/bin/true', '/bin/true'], run1: PAUSE, cpuLimit: true }),
    );
    assert.equal(created.spec?.restartPolicy, 'Always', 'the default restartPolicy');
    const watch = watchPod(cluster.kubectl, created, containerInitInvariant);
    try {
      const end = await watch.until(running, 45_000, 'the pod to run');
      assert.equal(end.status?.phase, 'Running');
      assert.equal(condition(end, 'Initialized')?.status, 'True');
      expectInitContainersDone(end);
    } finally {
      watch.stop();
    }
  });

  test('should not start app containers if init containers fail on a RestartAlways pod', {
    timeout: 90_000,
  }, async () => {
    const created = await cluster.kubectl.create<Pod>(
      manifest({ name: podName(), init: ['/bin/false', '/bin/true'], run1: PAUSE, cpuLimit: true }),
    );
    const watch = watchPod(cluster.kubectl, created, (pod, previous) => {
      containerInitInvariant(pod, previous);
      // The first condition function of the upstream test, on every version.
      for (const s of pod.status?.containerStatuses ?? []) {
        assert.ok(s.state?.waiting, `container ${s.name} should not be out of waiting: ${JSON.stringify(s)}`);
        assert.equal(
          s.state.waiting.reason,
          'PodInitializing',
          `container ${s.name} should have reason PodInitializing`,
        );
      }
      const init = pod.status?.initContainerStatuses ?? [];
      if (init.length !== 2) return;
      assert.ok(
        init[1]?.state?.waiting,
        `second init container should not be out of waiting: ${JSON.stringify(init[1])}`,
      );
      assert.equal(
        init[1].state.waiting.reason,
        'PodInitializing',
        'second init container should have reason PodInitializing',
      );
      assert.ok(
        init[0]?.state?.terminated?.exitCode !== 0,
        `first init container should have exitCode != 0: ${JSON.stringify(init[0])}`,
      );
    });
    try {
      await watch.until(
        (p) => p.status?.initContainerStatuses?.[0]?.lastState?.terminated !== undefined,
        30_000,
        'init1 to be restarted once (lastState.terminated)',
      );
      const end = await watch.until(
        (p) => (p.status?.initContainerStatuses?.[0]?.restartCount ?? 0) >= 3,
        60_000,
        'init1 restartCount >= 3',
      );
      assert.equal(end.status?.phase, 'Pending');
      const init = condition(end, 'Initialized');
      assert.equal(init?.status, 'False');
      assert.equal(init?.reason, 'ContainersNotInitialized');
      assert.equal(init?.message, 'containers with incomplete status: [init1 init2]');
      assert.equal(end.status?.initContainerStatuses?.length, 2);
    } finally {
      watch.stop();
    }
  });

  test('should not start app containers and fail the pod if init containers fail on a RestartNever pod', {
    timeout: 60_000,
  }, async () => {
    const created = await cluster.kubectl.create<Pod>(
      manifest({
        name: podName(),
        restartPolicy: 'Never',
        init: ['/bin/true', '/bin/false'],
        run1: ['/bin/true'],
        cpuLimit: true,
      }),
    );
    const watch = watchPod(cluster.kubectl, created, (pod, previous) => {
      containerInitInvariant(pod, previous);
      for (const s of pod.status?.containerStatuses ?? []) {
        assert.ok(s.state?.waiting, `container ${s.name} should not be out of waiting: ${JSON.stringify(s)}`);
        assert.equal(
          s.state.waiting.reason,
          'PodInitializing',
          `container ${s.name} should have reason PodInitializing`,
        );
      }
      const init = pod.status?.initContainerStatuses ?? [];
      if (init.length !== 2) return;
      const first = init[0]!;
      if (!first.state?.terminated) {
        if (first.state?.waiting) {
          assert.equal(
            first.state.waiting.reason,
            'PodInitializing',
            `init1 waiting: ${JSON.stringify(first)}`,
          );
        }
        return;
      }
      assert.equal(
        first.state.terminated.exitCode,
        0,
        `first init container should have exitCode 0: ${JSON.stringify(first)}`,
      );
      const second = init[1]!;
      if (second.state?.terminated) {
        assert.notEqual(
          second.state.terminated.exitCode,
          0,
          `second init container should have failed: ${JSON.stringify(second)}`,
        );
      }
    });
    try {
      await watch.until(
        (p) => p.status?.initContainerStatuses?.[1]?.state?.terminated !== undefined,
        30_000,
        'init2 to fail',
      );
      const end = await watch.until(completed, 30_000, 'the pod to complete');
      assert.equal(end.status?.phase, 'Failed');
      const init = condition(end, 'Initialized');
      assert.equal(init?.status, 'False');
      assert.equal(init?.reason, 'ContainersNotInitialized');
      assert.equal(init?.message, 'containers with incomplete status: [init2]');
      assert.equal(end.status?.initContainerStatuses?.length, 2);
      assert.ok(end.status?.containerStatuses?.[0]?.state?.waiting, 'run1 is still Waiting');
    } finally {
      watch.stop();
    }
  });
});

describe('native sidecars through kubectl and podrun serve (kubernetes-semantics.md §2)', {
  skip: E2E_SKIP,
}, () => {
  test('a Job-style pod reports its finished app container while the sidecar is still being stopped, then succeeds', {
    timeout: 60_000,
  }, async () => {
    // The kubelet writes the status it observed before it acts (kubelet.go SyncPod: SetPodStatus, then
    // containerRuntime.SyncPod), so a sidecar's long stop does not hide that the app container has ended.
    const created = await cluster.kubectl.create<Pod>(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: podName() },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 8,
          initContainers: [
            {
              name: 'sidecar',
              image: 'busybox',
              restartPolicy: 'Always',
              command: ['sh', '-c', `trap "" TERM; while :; do ${PAUSE.join(' ')} & wait; done`],
            },
          ],
          containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'sleep 1; echo done'] }],
        },
      }),
    );
    const watch = watchPod(cluster.kubectl, created);
    try {
      const end = await watch.until(completed, 30_000, 'the pod to complete');
      assert.equal(end.status?.phase, 'Succeeded');
      const during = watch.seen.find(
        (p) =>
          p.status?.containerStatuses?.[0]?.state?.terminated !== undefined &&
          p.status.initContainerStatuses?.[0]?.state?.running !== undefined,
      );
      const states = watch.seen.map(
        (p) =>
          `${p.status?.phase} main=${JSON.stringify(p.status?.containerStatuses?.[0]?.state)} sidecar=${JSON.stringify(p.status?.initContainerStatuses?.[0]?.state)}`,
      );
      assert.ok(
        during,
        `no version showed main terminated while the sidecar ran (its stop took the 8 s grace); seen:\n${states.join('\n')}`,
      );
      assert.equal(during.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
      // The sidecar ignored SIGTERM: killed after the grace period, which does not fail the pod.
      assert.equal(end.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 137);
    } finally {
      watch.stop();
    }
  });
});
