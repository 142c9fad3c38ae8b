// Ephemeral containers in the kubelet: the planner's rules (start once in the running sandbox, even before
// initialization; never restarted whatever their exit; nothing in a new or killed sandbox) and, on the fake
// runtime, the whole path: the PID namespace target passed to the runtime, ephemeralContainerStatuses (never
// ready), no effect on the pod's phase, and the event's field path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { EMPTY_IMAGE_PULL_STATE } from '../../src/kubelet/image-plan.js';
import { planPod } from '../../src/kubelet/planner.js';
import { DEFAULT_CRASHLOOP_BACKOFF } from '../../src/kubelet/types.js';
import type { ContainerStatus, PodSandboxStatus } from '../../src/runtime/types.js';
import { basePod, container, inst, probes, sandbox, T0, UID } from './fixtures.js';
import { Harness } from './harness.js';

function withDebug(pod: Pod, target?: string): Pod {
  pod.spec!.ephemeralContainers = [
    {
      name: 'dbg',
      image: 'busybox:1.36',
      command: ['sh'],
      ...(target ? { targetContainerName: target } : {}),
    },
  ];
  return pod;
}

function plan(pod: Pod, containers: ContainerStatus[], sandboxes: PodSandboxStatus[] = [sandbox()]) {
  return planPod({
    pod,
    sandboxes,
    containers,
    probes: probes(),
    backoff: {},
    images: new Map(),
    imagePulls: EMPTY_IMAGE_PULL_STATE,
    now: T0 + 60_000,
    config: { crashLoopBackOff: DEFAULT_CRASHLOOP_BACKOFF },
  });
}

describe('ephemeral containers: the plan', () => {
  it('one with no instance starts in the running sandbox, even while init containers still run', () => {
    const p = plan(withDebug(basePod()), [inst('init1', 'running')]);
    assert.deepEqual(p.ephemeralContainersToStart, [0]);
    assert.deepEqual(p.initContainersToStart, []);
  });

  it('one that ran is never restarted, whatever its exit or the restart policy', () => {
    for (const exitCode of [0, 1, 137]) {
      const p = plan(withDebug(basePod()), [
        inst('init1', 'exited'),
        inst('init2', 'exited'),
        inst('app', 'running'),
        inst('dbg', 'exited', { exitCode }),
      ]);
      assert.deepEqual(p.ephemeralContainersToStart, [], `exit ${exitCode}`);
      assert.deepEqual(p.pruneContainerIds, [], 'its exited instance is kept: it is its status');
    }
    const running = plan(withDebug(basePod()), [inst('app', 'running'), inst('dbg', 'running')]);
    assert.deepEqual(running.ephemeralContainersToStart, []);
  });

  it('nothing starts in a sandbox being created, nor in a pod being killed', () => {
    const fresh = plan(withDebug(basePod()), [], []);
    assert.equal(fresh.createSandbox, true);
    assert.deepEqual(fresh.ephemeralContainersToStart, []);
    const pod = withDebug(basePod());
    const deleted = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date(T0).toISOString() } };
    assert.deepEqual(plan(deleted, [inst('app', 'running')]).ephemeralContainersToStart, []);
  });
});

describe('ephemeral containers: the kubelet on the fake runtime', () => {
  const pod = (): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: UID },
    spec: { restartPolicy: 'Always', containers: [container('app')] },
    status: { phase: 'Pending' },
  });

  it('starts once with the target PID namespace, reports ephemeralContainerStatuses, and is never restarted', async () => {
    const h = new Harness({ scripts: { dbg: { exitAfterMs: 2000, exitCode: 3 } } });
    await h.run(pod());
    await h.until(UID, (s) => s.phase === 'Running');
    h.kubelet.upsertPod(withDebug(pod(), 'app'));
    h.kubelet.wakePod(UID);
    const running = await h.until(UID, (s) => !!s.ephemeralContainerStatuses?.[0]?.state?.running);
    const dbg = running.ephemeralContainerStatuses![0]!;
    assert.equal(dbg.name, 'dbg');
    assert.equal(dbg.ready, false);
    assert.equal(dbg.started, undefined);
    const appId = h.runtime.instances().find((c) => c.metadata.name === 'app')!.id;
    const dbgId = h.runtime.instances().find((c) => c.metadata.name === 'dbg')!.id;
    assert.equal(h.runtime.configOf(dbgId).linux?.pidNamespaceTargetId, appId);
    assert.equal(h.runtime.configOf(dbgId).annotations['podrun.io/container-kind'], 'ephemeral');

    const done = await h.until(UID, (s) => !!s.ephemeralContainerStatuses?.[0]?.state?.terminated);
    assert.equal(done.ephemeralContainerStatuses![0]!.state!.terminated!.exitCode, 3);
    assert.equal(done.phase, 'Running');
    assert.ok(done.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    await h.advance(60_000);
    assert.deepEqual(
      h.calls('startContainer').filter((c) => c.endsWith(' dbg')),
      ['startContainer dbg'],
    );
    const started = h.eventsOf('Started').find((e) => e.message.includes('dbg'));
    assert.equal(started?.fieldPath, 'spec.ephemeralContainers{dbg}');
    await h.stop();
  });

  it('a target that is not running fails the start with CreateContainerConfigError, and nothing is created', async () => {
    const h = new Harness({ scripts: { app: { exitAfterMs: 1000, exitCode: 0 } } });
    const p = pod();
    // `keep` runs on, so the pod stays Running with its target exited for good.
    p.spec!.restartPolicy = 'Never';
    p.spec!.containers.push(container('keep'));
    await h.run(p);
    await h.until(UID, (s) => !!s.containerStatuses?.find((c) => c.name === 'app')?.state?.terminated);
    const debug = withDebug(structuredClone(p), 'app');
    h.kubelet.upsertPod(debug);
    h.kubelet.wakePod(UID);
    await h.advance(5000);
    assert.deepEqual(
      h.calls('createContainer').filter((c) => c.endsWith(' dbg')),
      [],
    );
    assert.deepEqual(h.latest(UID)?.ephemeralContainerStatuses?.[0]?.state?.waiting, {
      reason: 'CreateContainerConfigError',
      message: 'unable to find target container app',
    });
    await h.stop();
  });
});
