// The planner as a table, like kuberuntime_manager_test.go's TestComputePodActions: a base pod and runtime
// state, a mutation per case, and the one plan expected.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import type { BackoffState } from '../../src/kubelet/backoff.js';
import { EMPTY_IMAGE_PULL_STATE } from '../../src/kubelet/image-plan.js';
import { emptyPlan, type PlanInput, type PodPlan, planPod } from '../../src/kubelet/planner.js';
import { backoffKey } from '../../src/kubelet/pod-util.js';
import { DEFAULT_CRASHLOOP_BACKOFF } from '../../src/kubelet/types.js';
import type { ContainerStatus, PodSandboxStatus } from '../../src/runtime/types.js';
import { basePod, container, inst, probes, sandbox, sidecar, T0 } from './fixtures.js';

const NOW = T0 + 60_000;

interface Case {
  name: string;
  pod?: (pod: Pod) => void;
  sandboxes?: PodSandboxStatus[];
  containers: ContainerStatus[];
  probes?: Record<string, 'success' | 'failure' | 'unknown'>;
  backoff?: BackoffState;
  now?: number;
  expect: Partial<PodPlan>;
}

function plan(expect: Partial<PodPlan>): PodPlan {
  return { ...emptyPlan(), sandboxId: 'sb1', ...expect };
}

function input(c: Case): PlanInput {
  const pod = basePod();
  c.pod?.(pod);
  return {
    pod,
    sandboxes: c.sandboxes ?? [sandbox()],
    containers: c.containers,
    probes: probes(c.probes),
    backoff: c.backoff ?? {},
    images: new Map(),
    imagePulls: EMPTY_IMAGE_PULL_STATE,
    now: c.now ?? NOW,
    config: { crashLoopBackOff: DEFAULT_CRASHLOOP_BACKOFF },
  };
}

const key = (name: string, image = 'busybox:1.36') => backoffKey(basePod(), { name, image });
const firstRestart = { backoffMs: 10_000, lastUpdateMs: NOW };
const withSidecars = (pod: Pod) => {
  pod.spec!.initContainers = [container('init1'), sidecar('s1'), container('init2')];
};

const cases: Case[] = [
  {
    name: 'a new pod gets a sandbox and starts its first init container',
    sandboxes: [],
    containers: [],
    expect: { killPod: true, createSandbox: true, sandboxId: '', initContainersToStart: [0] },
  },
  {
    name: 'a pod without init containers starts every app container in its new sandbox',
    pod: (p) => {
      p.spec!.initContainers = [];
      p.spec!.containers = [container('app'), container('log')];
    },
    sandboxes: [],
    containers: [],
    expect: { killPod: true, createSandbox: true, sandboxId: '', containersToStart: [0, 1] },
  },
  {
    name: 'init containers run one at a time: a running init container is waited for',
    containers: [inst('init1', 'running')],
    expect: {},
  },
  {
    name: 'a completed init container lets the next one start',
    containers: [inst('init1', 'exited', { exitCode: 0 })],
    expect: { initContainersToStart: [1] },
  },
  {
    name: 'an init container stuck in created is started again',
    containers: [inst('init1', 'exited'), inst('init2', 'created')],
    expect: { initContainersToStart: [1] },
  },
  {
    name: 'the last init container completing starts the app containers',
    containers: [inst('init1', 'exited'), inst('init2', 'exited')],
    expect: { containersToStart: [0] },
  },
  {
    name: 'a failed init container is restarted alone under OnFailure, the first restart immediately',
    pod: (p) => {
      p.spec!.restartPolicy = 'OnFailure';
    },
    containers: [inst('init1', 'exited'), inst('init2', 'exited', { exitCode: 1 })],
    expect: { initContainersToStart: [1], backoffUpdates: { [key('init2')]: firstRestart } },
  },
  {
    name: 'a failed init container is restarted alone under Always (Always acts as OnFailure for init)',
    containers: [inst('init1', 'exited', { exitCode: 2 })],
    expect: { initContainersToStart: [0], backoffUpdates: { [key('init1')]: firstRestart } },
  },
  {
    name: 'a failed init container kills the pod under Never and nothing more starts',
    pod: (p) => {
      p.spec!.restartPolicy = 'Never';
    },
    containers: [inst('init1', 'exited'), inst('init2', 'exited', { exitCode: 1 })],
    expect: { killPod: true },
  },
  {
    name: 'an OOMKilled init container counts as failed even with exit code 0',
    pod: (p) => {
      p.spec!.restartPolicy = 'Never';
    },
    containers: [inst('init1', 'exited', { exitCode: 0, reason: 'OOMKilled' })],
    expect: { killPod: true },
  },
  {
    name: 'an init container in unknown state is killed before it is restarted',
    containers: [inst('init1', 'unknown', { id: 'u1' })],
    expect: {
      initContainersToStart: [0],
      containersToKill: [
        {
          containerId: 'u1',
          name: 'init1',
          reason: 'Unknown',
          message: 'Init container is in "unknown" state, try killing it before restart',
        },
      ],
    },
  },
  {
    name: 'a failed init container in backoff waits with CrashLoopBackOff until the delay ends',
    containers: [inst('init1', 'exited', { exitCode: 1, finishedAt: NOW - 5_000, restartCount: 2 })],
    backoff: { [key('init1')]: { backoffMs: 20_000, lastUpdateMs: NOW - 30_000 } },
    expect: {
      waiting: [
        {
          name: 'init1',
          reason: 'CrashLoopBackOff',
          message: 'back-off 20s restarting failed container=init1 pod=web_default(uid-1)',
          until: NOW + 15_000,
        },
      ],
      wakeAt: NOW + 15_000,
    },
  },
  {
    name: 'an initialized pod never re-runs regular init containers, even when their records are gone',
    containers: [inst('app', 'running')],
    expect: {},
  },
  {
    name: 'an exited app container does not count as initialized: init containers run again from index 0',
    pod: (p) => {
      p.spec!.restartPolicy = 'Always';
    },
    containers: [inst('app', 'exited', { exitCode: 0 })],
    expect: { initContainersToStart: [0] },
  },
  {
    name: 'a missing sandbox kills the pod, creates a new one and re-runs every init container from index 0',
    sandboxes: [sandbox('notready', 0)],
    containers: [
      inst('init1', 'exited', { id: 'i1' }),
      inst('init2', 'exited', { id: 'i2' }),
      inst('app', 'exited', { id: 'a1', exitCode: 137 }),
    ],
    expect: {
      killPod: true,
      createSandbox: true,
      sandboxId: '',
      sandboxAttempt: 1,
      initContainersToStart: [0],
      pruneContainerIds: ['i1', 'i2'],
      backoffUpdates: { [key('init1')]: firstRestart },
    },
  },
  {
    name: 'a Never pod whose sandbox died after its containers ran ends without a new sandbox',
    pod: (p) => {
      p.spec!.restartPolicy = 'Never';
    },
    sandboxes: [sandbox('notready', 0)],
    containers: [inst('init1', 'exited'), inst('init2', 'exited'), inst('app', 'exited', { exitCode: 137 })],
    expect: { killPod: true, sandboxId: '', sandboxAttempt: 1 },
  },
  {
    name: 'an OnFailure pod whose app containers all succeeded gets no new sandbox',
    pod: (p) => {
      p.spec!.restartPolicy = 'OnFailure';
    },
    sandboxes: [sandbox('notready', 0)],
    containers: [inst('init1', 'exited'), inst('init2', 'exited'), inst('app', 'exited', { exitCode: 0 })],
    expect: { killPod: true, sandboxId: '', sandboxAttempt: 1 },
  },
  {
    name: 'an app container under Always is restarted after it exits 0, the first time immediately',
    containers: [inst('init1', 'exited'), inst('init2', 'exited'), inst('app', 'exited', { exitCode: 0 })],
    expect: { containersToStart: [0], backoffUpdates: { [key('app')]: firstRestart } },
  },
  {
    name: 'a crashed app container is restarted under Always while another keeps running',
    pod: (p) => {
      p.spec!.containers = [container('app'), container('log')];
    },
    containers: [
      inst('init1', 'exited'),
      inst('init2', 'exited'),
      inst('log', 'running'),
      inst('app', 'exited', { exitCode: 1 }),
    ],
    expect: { containersToStart: [0], backoffUpdates: { [key('app')]: firstRestart } },
  },
  {
    name: 'an app container that succeeded is not restarted under OnFailure: the pod is done and killed',
    pod: (p) => {
      p.spec!.restartPolicy = 'OnFailure';
    },
    containers: [inst('init1', 'exited'), inst('init2', 'exited'), inst('app', 'exited')],
    expect: { killPod: true },
  },
  {
    name: 'a failed app container is not restarted under Never while another keeps the pod running',
    pod: (p) => {
      p.spec!.restartPolicy = 'Never';
      p.spec!.containers = [container('app'), container('log')];
    },
    containers: [
      inst('init1', 'exited'),
      inst('init2', 'exited'),
      inst('log', 'running'),
      inst('app', 'exited', { exitCode: 1 }),
    ],
    expect: {},
  },
  {
    name: 'an app container whose image changed is killed with "definition changed, will be restarted"',
    pod: (p) => {
      p.spec!.restartPolicy = 'Never';
      p.spec!.containers = [container('app', { image: 'busybox:1.37' })];
    },
    containers: [inst('init1', 'exited'), inst('init2', 'exited'), inst('app', 'running', { id: 'a1' })],
    expect: {
      containersToStart: [0],
      containersToKill: [
        {
          containerId: 'a1',
          name: 'app',
          reason: 'DefinitionChanged',
          message: 'Container app definition changed, will be restarted',
        },
      ],
    },
  },
  {
    name: 'a regular init container whose image changed is ignored while it runs',
    pod: (p) => {
      p.spec!.initContainers = [container('init1', { image: 'busybox:1.37' }), container('init2')];
    },
    containers: [inst('init1', 'running')],
    expect: {},
  },
  {
    name: 'a completed regular init container whose image changed is not re-run',
    pod: (p) => {
      p.spec!.initContainers = [container('init1', { image: 'busybox:1.37' }), container('init2')];
    },
    containers: [inst('init1', 'exited'), inst('init2', 'exited'), inst('app', 'running')],
    expect: {},
  },
  {
    name: 'a running sidecar whose image changed is killed and restarted',
    pod: (p) => {
      p.spec!.initContainers = [
        container('init1'),
        sidecar('s1', { image: 'busybox:1.37' }),
        container('init2'),
      ];
    },
    containers: [
      inst('init1', 'exited'),
      inst('s1', 'running', { id: 's1-0' }),
      inst('init2', 'exited'),
      inst('app', 'running'),
    ],
    expect: {
      initContainersToStart: [1],
      containersToKill: [
        {
          containerId: 's1-0',
          name: 's1',
          reason: 'DefinitionChanged',
          message: 'Init container s1 definition changed',
        },
      ],
    },
  },
  {
    name: 'a sidecar starts after the init container before it, and the next waits for the sidecar to start',
    pod: withSidecars,
    containers: [inst('init1', 'exited')],
    expect: { initContainersToStart: [1] },
  },
  {
    name: 'a running sidecar without a startup probe is started: the next init container starts',
    pod: withSidecars,
    containers: [inst('init1', 'exited'), inst('s1', 'running')],
    expect: { initContainersToStart: [2] },
  },
  {
    name: 'a sidecar with a startup probe gates the next init container until the probe succeeds',
    pod: (p) => {
      p.spec!.initContainers = [
        container('init1'),
        sidecar('s1', { startupProbe: { exec: { command: ['true'] } } }),
        container('init2'),
      ];
    },
    containers: [inst('init1', 'exited'), inst('s1', 'running', { id: 's1-0' })],
    probes: { 's1-0/startup': 'unknown' },
    expect: {},
  },
  {
    name: 'a sidecar whose startup probe succeeded lets the next init container start',
    pod: (p) => {
      p.spec!.initContainers = [
        container('init1'),
        sidecar('s1', { startupProbe: { exec: { command: ['true'] } } }),
        container('init2'),
      ];
    },
    containers: [inst('init1', 'exited'), inst('s1', 'running', { id: 's1-0' })],
    probes: { 's1-0/startup': 'success' },
    expect: { initContainersToStart: [2] },
  },
  {
    name: 'a sidecar that failed its startup probe is killed and restarted and the next init container does not start',
    pod: (p) => {
      p.spec!.initContainers = [
        container('init1'),
        sidecar('s1', { startupProbe: { exec: { command: ['false'] } } }),
        container('init2'),
      ];
    },
    containers: [inst('init1', 'exited'), inst('s1', 'running', { id: 's1-0' })],
    probes: { 's1-0/startup': 'failure' },
    expect: {
      initContainersToStart: [1],
      containersToKill: [
        {
          containerId: 's1-0',
          name: 's1',
          reason: 'StartupProbe',
          message: 'Init container s1 failed startup probe',
        },
      ],
    },
  },
  {
    name: 'a sidecar that failed liveness is killed and restarted while initialization proceeds',
    pod: (p) => {
      p.spec!.initContainers = [
        container('init1'),
        sidecar('s1', { livenessProbe: { exec: { command: ['false'] } } }),
        container('init2'),
      ];
    },
    containers: [inst('init1', 'exited'), inst('s1', 'running', { id: 's1-0' })],
    probes: { 's1-0/liveness': 'failure' },
    expect: {
      initContainersToStart: [1, 2],
      containersToKill: [
        {
          containerId: 's1-0',
          name: 's1',
          reason: 'LivenessProbe',
          message: 'Init container s1 failed liveness probe',
        },
      ],
    },
  },
  {
    name: 'an exited sidecar is restarted under Never, with crash-loop backoff',
    pod: (p) => {
      withSidecars(p);
      p.spec!.restartPolicy = 'Never';
    },
    containers: [
      inst('init1', 'exited'),
      inst('s1', 'exited', { exitCode: 0 }),
      inst('init2', 'exited'),
      inst('app', 'running'),
    ],
    expect: { initContainersToStart: [1], backoffUpdates: { [key('s1')]: firstRestart } },
  },
  {
    name: 'when every app container is done and none will restart, the pod is killed and sidecars are not restarted',
    pod: (p) => {
      withSidecars(p);
      p.spec!.restartPolicy = 'Never';
    },
    containers: [
      inst('init1', 'exited'),
      inst('s1', 'exited', { exitCode: 1 }),
      inst('init2', 'exited'),
      inst('app', 'exited'),
    ],
    expect: { killPod: true },
  },
  {
    name: 'an app container that failed liveness is killed and restarted under Always',
    pod: (p) => {
      p.spec!.containers = [container('app', { livenessProbe: { exec: { command: ['false'] } } })];
    },
    containers: [inst('init1', 'exited'), inst('init2', 'exited'), inst('app', 'running', { id: 'a1' })],
    probes: { 'a1/liveness': 'failure' },
    expect: {
      containersToStart: [0],
      containersToKill: [
        {
          containerId: 'a1',
          name: 'app',
          reason: 'LivenessProbe',
          message: 'Container app failed liveness probe, will be restarted',
        },
      ],
    },
  },
  {
    name: 'an app container that failed its startup probe under Never is killed without restart',
    pod: (p) => {
      p.spec!.restartPolicy = 'Never';
      p.spec!.containers = [container('app', { startupProbe: { exec: { command: ['false'] } } })];
    },
    containers: [inst('init1', 'exited'), inst('init2', 'exited'), inst('app', 'running', { id: 'a1' })],
    probes: { 'a1/startup': 'failure' },
    expect: {
      killPod: true,
      containersToKill: [
        {
          containerId: 'a1',
          name: 'app',
          reason: 'StartupProbe',
          message: 'Container app failed startup probe',
        },
      ],
    },
  },
  {
    name: 'an app container in unknown state is killed before it is restarted',
    containers: [inst('init1', 'exited'), inst('init2', 'exited'), inst('app', 'unknown', { id: 'a1' })],
    expect: {
      containersToStart: [0],
      containersToKill: [
        {
          containerId: 'a1',
          name: 'app',
          reason: 'Unknown',
          message: 'Container is in "unknown" state, try killing it before restart',
        },
      ],
    },
  },
  {
    name: 'a deleted pod is killed and nothing is restarted while it terminates',
    pod: (p) => {
      Object.assign(p.metadata!, { deletionTimestamp: new Date(NOW).toISOString() });
    },
    containers: [inst('init1', 'exited'), inst('init2', 'exited'), inst('app', 'exited', { exitCode: 1 })],
    expect: { killPod: true },
  },
  {
    name: 'a terminal pod never restarts anything',
    pod: (p) => {
      p.status!.phase = 'Failed';
    },
    sandboxes: [sandbox('notready')],
    containers: [inst('init1', 'exited'), inst('init2', 'exited'), inst('app', 'exited', { exitCode: 1 })],
    expect: { killPod: true, sandboxId: '', sandboxAttempt: 1 },
  },
  {
    name: 'a pod past activeDeadlineSeconds fails with DeadlineExceeded and is killed',
    pod: (p) => {
      p.spec!.activeDeadlineSeconds = 60;
    },
    containers: [inst('init1', 'running')],
    expect: {
      killPod: true,
      podFailed: {
        reason: 'DeadlineExceeded',
        message: 'Pod was active on the node longer than the specified deadline',
      },
    },
  },
  {
    name: 'activeDeadlineSeconds wakes the planner at the deadline',
    pod: (p) => {
      p.spec!.activeDeadlineSeconds = 90;
    },
    containers: [inst('init1', 'running')],
    expect: { wakeAt: T0 + 90_000 },
  },
  {
    name: 'only the newest stopped instance of each init container is kept',
    containers: [
      inst('init1', 'exited', { id: 'old', exitCode: 1, createdAt: T0 + 1 }),
      inst('init1', 'exited', {
        id: 'new',
        exitCode: 1,
        createdAt: T0 + 2,
        restartCount: 1,
        finishedAt: NOW - 1000,
      }),
    ],
    backoff: { [key('init1')]: { backoffMs: 10_000, lastUpdateMs: NOW - 2000 } },
    expect: {
      pruneContainerIds: ['old'],
      waiting: [
        {
          name: 'init1',
          reason: 'CrashLoopBackOff',
          message: 'back-off 10s restarting failed container=init1 pod=web_default(uid-1)',
          until: NOW + 9000,
        },
      ],
      wakeAt: NOW + 9000,
    },
  },
  {
    name: 'a new image resets the crash-loop backoff: the backoff key includes the image',
    pod: (p) => {
      p.spec!.containers = [container('app', { image: 'busybox:1.37' })];
    },
    containers: [
      inst('init1', 'exited'),
      inst('init2', 'exited'),
      inst('app', 'exited', { exitCode: 1, finishedAt: NOW - 1000, restartCount: 5 }),
    ],
    backoff: { [key('app')]: { backoffMs: 160_000, lastUpdateMs: NOW - 2000 } },
    expect: {
      containersToStart: [0],
      backoffUpdates: { [key('app', 'busybox:1.37')]: firstRestart },
    },
  },
  {
    name: 'the same container with the old image stays in backoff',
    containers: [
      inst('init1', 'exited'),
      inst('init2', 'exited'),
      inst('app', 'exited', { exitCode: 1, finishedAt: NOW - 1000, restartCount: 5 }),
    ],
    backoff: { [key('app')]: { backoffMs: 160_000, lastUpdateMs: NOW - 2000 } },
    expect: {
      waiting: [
        {
          name: 'app',
          reason: 'CrashLoopBackOff',
          message: 'back-off 2m40s restarting failed container=app pod=web_default(uid-1)',
          until: NOW + 159_000,
        },
      ],
      wakeAt: NOW + 159_000,
    },
  },
  // Init container timeouts (kubelet/init-timeout.ts): a podrun annotation, off unless set.
  {
    name: 'init timeout: a running init container inside its timeout is waited for, with a wake-up at its end',
    pod: (p) => {
      p.metadata!.annotations = { 'podrun.dev/init-timeout': '30s' };
    },
    containers: [inst('init1', 'running', { startedAt: NOW - 10_000 })],
    expect: { wakeAt: NOW + 20_000 },
  },
  {
    name: 'init timeout: a running init container past its timeout is killed, reason InitTimeout',
    pod: (p) => {
      p.metadata!.annotations = { 'podrun.dev/init-timeout': '30s' };
    },
    containers: [inst('init1', 'exited'), inst('init2', 'running', { id: 'i2', startedAt: NOW - 30_000 })],
    expect: {
      containersToKill: [
        {
          containerId: 'i2',
          name: 'init2',
          reason: 'InitTimeout',
          message: 'Init container init2 exceeded its timeout of 30s (annotation podrun.dev/init-timeout)',
        },
      ],
    },
  },
  {
    name: "init timeout: a container's own annotation wins over the pod-wide one",
    pod: (p) => {
      p.metadata!.annotations = {
        'podrun.dev/init-timeout': '10s',
        'podrun.dev/init-timeout.init1': '2m',
      };
    },
    containers: [inst('init1', 'running', { startedAt: NOW - 30_000 })],
    expect: { wakeAt: NOW + 90_000 },
  },
  {
    name: 'init timeout: an annotation for another container does not apply',
    pod: (p) => {
      p.metadata!.annotations = { 'podrun.dev/init-timeout.init2': '1s' };
    },
    containers: [inst('init1', 'running', { startedAt: NOW - 30_000 })],
    expect: {},
  },
  {
    name: 'init timeout: a sidecar runs for the pod’s life, the pod-wide timeout does not apply to it',
    pod: (p) => {
      withSidecars(p);
      p.metadata!.annotations = { 'podrun.dev/init-timeout': '1s' };
    },
    containers: [inst('init1', 'exited'), inst('s1', 'running', { startedAt: NOW - 30_000 })],
    expect: { initContainersToStart: [2] },
  },
  {
    name: 'init timeout: the killed run is a failure, restarted alone under Always with backoff',
    pod: (p) => {
      p.metadata!.annotations = { 'podrun.dev/init-timeout': '30s' };
    },
    containers: [inst('init1', 'exited', { exitCode: 137, startedAt: NOW - 40_000, finishedAt: NOW - 8000 })],
    expect: { initContainersToStart: [0], backoffUpdates: { [key('init1')]: firstRestart } },
  },
  {
    name: 'init timeout: the killed run fails the pod under Never',
    pod: (p) => {
      p.spec!.restartPolicy = 'Never';
      p.metadata!.annotations = { 'podrun.dev/init-timeout': '30s' };
    },
    containers: [inst('init1', 'exited', { exitCode: 143, startedAt: NOW - 40_000, finishedAt: NOW - 8000 })],
    expect: { killPod: true },
  },
  {
    name: 'init timeout: a second crash-looping timeout waits out its backoff',
    pod: (p) => {
      p.metadata!.annotations = { 'podrun.dev/init-timeout': '5s' };
    },
    containers: [
      inst('init1', 'exited', {
        exitCode: 137,
        startedAt: NOW - 7000,
        finishedAt: NOW - 1000,
        restartCount: 1,
      }),
    ],
    backoff: { [key('init1')]: { backoffMs: 10_000, lastUpdateMs: NOW - 2000 } },
    expect: {
      waiting: [
        {
          name: 'init1',
          reason: 'CrashLoopBackOff',
          message: 'back-off 10s restarting failed container=init1 pod=web_default(uid-1)',
          until: NOW + 9000,
        },
      ],
      wakeAt: NOW + 9000,
    },
  },
];

describe('planPod', () => {
  for (const c of cases) {
    it(c.name, () => {
      // Image decisions have their own table (image-plan.test.ts); this one is about what starts and stops.
      assert.deepEqual({ ...planPod(input(c)), images: {} }, plan(c.expect));
    });
  }
});
