import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podQOSClass } from '../../src/api/qos.js';
import type { Pod, PodStatus } from '../../src/api/types.js';
import {
  CONTAINER_STATUS_UNKNOWN_MESSAGE,
  generatePodStatus,
  type StatusInput,
} from '../../src/kubelet/status.js';
import type { ContainerStatus, PodSandboxStatus } from '../../src/runtime/types.js';
import { basePod, container, inst, probes, sandbox, sidecar, T0 } from './fixtures.js';

const NOW = T0 + 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function status(
  containers: ContainerStatus[],
  o: Partial<StatusInput> & { mutate?: (p: Pod) => void; sandboxes?: PodSandboxStatus[] } = {},
): PodStatus {
  const pod = o.pod ?? basePod();
  o.mutate?.(pod);
  return generatePodStatus({
    pod,
    sandboxes: o.sandboxes ?? [sandbox()],
    containers,
    probes: o.probes ?? probes(),
    reasonCache: o.reasonCache ?? new Map(),
    runtimeName: 'fake',
    hostIP: '192.168.1.10',
    now: o.now ?? NOW,
    podIsTerminal: o.podIsTerminal ?? false,
    podFailed: o.podFailed ?? null,
  });
}

const cond = (s: PodStatus, type: string) => s.conditions?.find((c) => c.type === type);

describe('generatePodStatus', () => {
  it('conditions come in the kubelet order and Initialized lists every incomplete init container', () => {
    const s = status([inst('init1', 'exited', { exitCode: 1 })], {
      reasonCache: new Map([
        [
          'init1',
          {
            reason: 'CrashLoopBackOff',
            message: 'back-off 10s restarting failed container=init1 pod=web_default(uid-1)',
          },
        ],
      ]),
    });
    assert.deepEqual(
      s.conditions?.map((c) => c.type),
      ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'],
    );
    assert.deepEqual(cond(s, 'Initialized'), {
      type: 'Initialized',
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [init1 init2]',
      lastTransitionTime: iso(NOW),
    });
    assert.equal(cond(s, 'ContainersReady')?.message, 'containers with unready status: [app]');
    assert.equal(s.phase, 'Pending');
  });

  it('a container in backoff waits with CrashLoopBackOff and shows its last run in lastState', () => {
    const s = status([inst('init1', 'exited', { exitCode: 1, restartCount: 3 })], {
      reasonCache: new Map([
        [
          'init1',
          {
            reason: 'CrashLoopBackOff',
            message: 'back-off 40s restarting failed container=init1 pod=web_default(uid-1)',
          },
        ],
      ]),
    });
    const init1 = s.initContainerStatuses?.[0];
    assert.deepEqual(init1?.state, {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: 'back-off 40s restarting failed container=init1 pod=web_default(uid-1)',
      },
    });
    assert.equal(init1?.lastState?.terminated?.exitCode, 1);
    assert.equal(init1?.restartCount, 3);
    assert.equal(init1?.containerID, 'fake://init1-3');
  });

  it('containers without a runtime record wait with PodInitializing when the pod has init containers', () => {
    const s = status([]);
    assert.deepEqual(
      s.initContainerStatuses?.map((c) => c.state),
      [{ waiting: { reason: 'PodInitializing' } }, { waiting: { reason: 'PodInitializing' } }],
    );
    assert.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
  });

  it('containers without a runtime record wait with ContainerCreating when the pod has no init containers', () => {
    const s = status([], {
      mutate: (p) => {
        p.spec!.initContainers = [];
      },
    });
    assert.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'ContainerCreating' } });
    assert.equal(s.initContainerStatuses, undefined);
  });

  it('a completed regular init container is ready; a running app without probes is started and ready', () => {
    const s = status([inst('init1', 'exited'), inst('init2', 'exited'), inst('app', 'running')]);
    assert.equal(
      s.initContainerStatuses?.every((c) => c.ready),
      true,
    );
    assert.equal(s.containerStatuses?.[0]?.ready, true);
    assert.equal(s.containerStatuses?.[0]?.started, true);
    assert.equal(s.phase, 'Running');
    assert.equal(cond(s, 'Ready')?.status, 'True');
    assert.equal(s.podIP, '10.88.0.5');
    assert.deepEqual(s.hostIPs, [{ ip: '192.168.1.10' }]);
  });

  it('a sidecar is started only after its startup probe succeeds, and is ready without a readiness probe', () => {
    const mutate = (p: Pod) => {
      p.spec!.initContainers = [sidecar('s1', { startupProbe: { exec: { command: ['true'] } } })];
    };
    const before = status([inst('s1', 'running', { id: 's' })], { mutate });
    assert.equal(before.initContainerStatuses?.[0]?.started, false);
    assert.equal(cond(before, 'Initialized')?.message, 'containers with incomplete status: [s1]');
    const after = status([inst('s1', 'running', { id: 's' })], {
      mutate,
      probes: probes({ 's/startup': 'success' }),
    });
    assert.equal(after.initContainerStatuses?.[0]?.started, true);
    assert.equal(after.initContainerStatuses?.[0]?.ready, true);
    assert.equal(cond(after, 'Initialized')?.status, 'True');
  });

  it('a container that vanished while running shows ContainerStatusUnknown (137) in lastState', () => {
    const pod = basePod({ spec: { initContainers: [] } });
    Object.assign(pod, {
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            image: 'busybox:1.36',
            imageID: '',
            ready: true,
            restartCount: 0,
            state: { running: { startedAt: iso(T0) } },
          },
        ],
      },
    });
    const s = status([], { pod });
    const app = s.containerStatuses?.[0];
    assert.deepEqual(app?.lastState, {
      terminated: {
        exitCode: 137,
        reason: 'ContainerStatusUnknown',
        message: CONTAINER_STATUS_UNKNOWN_MESSAGE,
      },
    });
    assert.equal(app?.restartCount, 1);
    assert.equal(s.phase, 'Running');
  });

  it('lastTransitionTime is kept while a condition keeps its status', () => {
    const first = status([inst('init1', 'running')], { now: NOW });
    const pod = basePod();
    Object.assign(pod, { status: first });
    const second = status([inst('init1', 'exited')], { pod, now: NOW + 5000 });
    assert.equal(cond(second, 'Initialized')?.lastTransitionTime, iso(NOW));
    const third = status([inst('init1', 'exited'), inst('init2', 'exited'), inst('app', 'running')], {
      pod: { ...pod, status: second },
      now: NOW + 9000,
    });
    assert.equal(cond(third, 'Initialized')?.lastTransitionTime, iso(NOW + 9000));
    assert.equal(third.startTime, first.startTime);
  });

  it('a terminal phase is never left', () => {
    const pod = basePod();
    Object.assign(pod, {
      status: {
        phase: 'Failed',
        reason: 'DeadlineExceeded',
        message: 'Pod was active on the node longer than the specified deadline',
      },
    });
    const s = status([inst('init1', 'exited'), inst('init2', 'exited'), inst('app', 'running')], { pod });
    assert.equal(s.phase, 'Failed');
    assert.equal(s.reason, 'DeadlineExceeded');
  });

  it('a pod past its deadline is Failed with DeadlineExceeded and ContainersReady PodFailed', () => {
    const s = status([inst('init1', 'running')], {
      podFailed: {
        reason: 'DeadlineExceeded',
        message: 'Pod was active on the node longer than the specified deadline',
      },
    });
    assert.equal(s.phase, 'Failed');
    assert.equal(s.reason, 'DeadlineExceeded');
    assert.equal(s.message, 'Pod was active on the node longer than the specified deadline');
    assert.equal(cond(s, 'ContainersReady')?.reason, 'PodFailed');
  });

  it('a Never pod with a failed regular init container is Failed and its app container still waits', () => {
    const s = status([inst('init1', 'exited'), inst('init2', 'exited', { exitCode: 1 })], {
      mutate: (p) => {
        p.spec!.restartPolicy = 'Never';
      },
    });
    assert.equal(s.phase, 'Failed');
    assert.equal(cond(s, 'Initialized')?.message, 'containers with incomplete status: [init2]');
    assert.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
  });

  it('a Job-style pod whose sidecar ended non-zero still Succeeded, Initialized PodCompleted', () => {
    const s = status([inst('s1', 'exited', { exitCode: 137 }), inst('app', 'exited')], {
      mutate: (p) => {
        p.spec!.restartPolicy = 'Never';
        p.spec!.initContainers = [sidecar('s1')];
      },
      sandboxes: [sandbox('notready')],
    });
    assert.equal(s.phase, 'Succeeded');
    assert.deepEqual(
      [
        cond(s, 'Initialized')?.reason,
        cond(s, 'ContainersReady')?.reason,
        cond(s, 'PodReadyToStartContainers')?.status,
      ],
      ['PodCompleted', 'PodCompleted', 'False'],
    );
  });

  it('image and imageID are what the runtime reports (repo tag and repo digest), the spec image before any record', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const running = {
      ...inst('app', 'running'),
      image: 'docker.io/library/busybox:1.36',
      imageRef: `docker.io/library/busybox@${digest}`,
    };
    const pod = basePod({ spec: { initContainers: [], containers: [container('app'), container('web')] } });
    pod.spec!.containers[1]!.image = 'web:2';
    const s = status([running], {
      pod,
      reasonCache: new Map([
        ['web', { reason: 'ImagePullBackOff', message: 'Back-off pulling image "web:2"' }],
      ]),
    });
    const [app, web] = s.containerStatuses ?? [];
    assert.equal(app?.image, 'docker.io/library/busybox:1.36');
    assert.equal(app?.imageID, `docker.io/library/busybox@${digest}`);
    assert.equal(web?.image, 'web:2');
    assert.equal(web?.imageID, '');
    assert.deepEqual(web?.state, {
      waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "web:2"' },
    });
  });

  it('app container statuses are sorted by name, init statuses by spec order', () => {
    const s = status([], {
      mutate: (p) => {
        p.spec!.containers = [container('zeta'), container('alpha')];
        p.spec!.initContainers = [container('b'), container('a')];
      },
    });
    assert.deepEqual(
      s.containerStatuses?.map((c) => c.name),
      ['alpha', 'zeta'],
    );
    assert.deepEqual(
      s.initContainerStatuses?.map((c) => c.name),
      ['b', 'a'],
    );
  });
});

describe('podQOSClass', () => {
  it('BestEffort without requests or limits, Guaranteed with equal cpu and memory limits, else Burstable', () => {
    const pod = (resources: object[]) =>
      ({ spec: { containers: resources.map((r, i) => ({ name: `c${i}`, resources: r })) } }) as Pod;
    assert.equal(podQOSClass(pod([{}])), 'BestEffort');
    assert.equal(podQOSClass(pod([{ limits: { cpu: '100m', memory: '64Mi' } }])), 'Guaranteed');
    assert.equal(
      podQOSClass(
        pod([{ limits: { cpu: '100m', memory: '64Mi' }, requests: { cpu: '0.1', memory: '67108864' } }]),
      ),
      'Guaranteed',
    );
    assert.equal(podQOSClass(pod([{ limits: { cpu: '100m' } }])), 'Burstable');
    assert.equal(podQOSClass(pod([{ requests: { memory: '1Gi' } }])), 'Burstable');
    assert.equal(podQOSClass(pod([{ limits: { cpu: '1', memory: '1Gi' } }, {}])), 'Burstable');
  });
});
