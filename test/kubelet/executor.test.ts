// executePlan on its own: SyncPod's order and its rules for start failures, against the fake runtime.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { type ExecutorDeps, executePlan } from '../../src/kubelet/executor.js';
import { EMPTY_IMAGE_PULL_STATE, type ImageStep } from '../../src/kubelet/image-plan.js';
import { emptyPlan, type PodPlan } from '../../src/kubelet/planner.js';
import { DEFAULT_IMAGE_BACKOFF } from '../../src/kubelet/types.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import { FakeClock } from '../../src/util/clock.js';
import { basePod, container, sidecar, T0 } from './fixtures.js';
import { inertCollaborators } from './harness.js';

function setup(scripts: ConstructorParameters<typeof FakeRuntime>[0]['scripts'] = {}) {
  const clock = new FakeClock(T0);
  const runtime = new FakeRuntime({ clock, scripts, images: ['busybox:1.36'] });
  const events: string[] = [];
  const collaborators = inertCollaborators();
  const deps: ExecutorDeps = {
    runtime,
    clock,
    events: {
      event: (ref, type, reason, message) =>
        events.push(`${type} ${reason} ${ref.fieldPath ?? ''}: ${message}`),
    },
    objects: {
      getConfigMap: async () => undefined,
      getSecret: async () => undefined,
      listServices: async () => [],
    },
    config: { hostIP: '192.168.1.10', rootDir: '/nonexistent', imagePullBackOff: DEFAULT_IMAGE_BACKOFF },
    collaborators,
  };
  return { clock, runtime, events, deps };
}

/** Image steps for containers that run on the host's filesystem (no image work). */
function onHost(...names: string[]): Record<string, ImageStep> {
  return Object.fromEntries(names.map((n) => [n, { action: 'host' } as const]));
}

function plan(extra: Partial<PodPlan>): PodPlan {
  return { ...emptyPlan(), killPod: true, createSandbox: true, ...extra };
}

describe('executePlan', () => {
  it('a sidecar that fails to start is skipped; the first regular init container that fails ends the init starts', async () => {
    const { runtime, deps } = setup({
      s0: { failCreate: 'no space left' },
      i1: { failStart: 'exec format error' },
    });
    const pod: Pod = basePod({ spec: { initContainers: [sidecar('s0'), container('i1'), container('i2')] } });
    const out = await executePlan(deps, {
      pod,
      plan: plan({
        initContainersToStart: [0, 1, 2],
        containersToStart: [0],
        images: onHost('s0', 'i1', 'i2', 'app'),
      }),
      observed: { sandboxes: [], containers: [] },
      imagePulls: EMPTY_IMAGE_PULL_STATE,
    });
    assert.deepEqual(out.results, [
      { action: 'CreatePodSandbox', target: 'web_default(uid-1)' },
      { action: 'StartContainer', target: 's0', error: 'CreateContainerError', message: 'no space left' },
      { action: 'StartContainer', target: 'i1', error: 'RunContainerError', message: 'exec format error' },
    ]);
    assert.deepEqual(runtime.callLog(['runPodSandbox', 'createContainer', 'startContainer']), [
      'runPodSandbox web',
      'createContainer s0',
      'createContainer i1',
      'startContainer i1',
    ]);
  });

  it('containers in crash-loop backoff are reported with a BackOff event and a CrashLoopBackOff result', async () => {
    const { deps, events } = setup();
    const out = await executePlan(deps, {
      pod: basePod(),
      plan: plan({
        killPod: false,
        createSandbox: false,
        waiting: [
          {
            name: 'init1',
            reason: 'CrashLoopBackOff',
            message: 'back-off 10s restarting failed container=init1 pod=web_default(uid-1)',
            until: T0 + 10_000,
          },
        ],
      }),
      observed: { sandboxes: [], containers: [] },
      imagePulls: EMPTY_IMAGE_PULL_STATE,
    });
    assert.deepEqual(out.results, [
      {
        action: 'StartContainer',
        target: 'init1',
        error: 'CrashLoopBackOff',
        message: 'back-off 10s restarting failed container=init1 pod=web_default(uid-1)',
      },
    ]);
    assert.deepEqual(events, [
      'Warning BackOff spec.initContainers{init1}: Back-off restarting failed container init1 in pod web_default(uid-1)',
    ]);
  });

  it('containers are created with the labels and annotations a restarted kubelet reads back', async () => {
    const { runtime, deps } = setup();
    await executePlan(deps, {
      pod: basePod({
        spec: { initContainers: [], containers: [container('app', { command: ['echo', '$(GREETING)'] })] },
      }),
      plan: plan({ containersToStart: [0], images: onHost('app') }),
      observed: { sandboxes: [], containers: [] },
      imagePulls: EMPTY_IMAGE_PULL_STATE,
    });
    const [c] = runtime.instances();
    const config = runtime.configOf(c!.id);
    assert.deepEqual(config.labels, {
      'io.kubernetes.pod.name': 'web',
      'io.kubernetes.pod.namespace': 'default',
      'io.kubernetes.pod.uid': 'uid-1',
      'io.kubernetes.container.name': 'app',
    });
    assert.equal(config.annotations['io.kubernetes.container.restartCount'], '0');
    assert.equal(config.annotations['podrun.io/container-kind'], 'app');
    assert.equal(config.annotations['io.kubernetes.pod.terminationGracePeriod'], '30');
    assert.equal(config.logPath, 'app/0.log');
    assert.deepEqual(config.command, ['echo', '$(GREETING)']);
  });
});
