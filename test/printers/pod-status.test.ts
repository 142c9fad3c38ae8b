// kubectl's STATUS column (printPod), rule by rule, as /work/shared/reference/kubernetes-semantics.md §5
// states them, plus the cases of upstream's TestPrintPodWithRestartableInitContainer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { podReadyCount, podStatusReason, printPodRow } from '../../src/printers/pod.js';
import {
  ago,
  app,
  condition,
  init,
  lastTerminated,
  NOW,
  pod,
  running,
  sidecar,
  terminated,
  waiting,
} from './pod-fixtures.js';

const twoInits = [init('init-a'), init('init-b')];

describe('STATUS starts from the phase', () => {
  test('a pod with no container statuses yet shows its phase', () => {
    assert.equal(podStatusReason(pod({ phase: 'Pending' })), 'Pending');
  });

  test('status.reason replaces the phase', () => {
    assert.equal(podStatusReason(pod({ phase: 'Failed', reason: 'Evicted' })), 'Evicted');
    assert.equal(podStatusReason(pod({ phase: 'Failed', reason: 'DeadlineExceeded' })), 'DeadlineExceeded');
  });

  test('a PodScheduled condition with reason SchedulingGated shows SchedulingGated', () => {
    const p = pod({ phase: 'Pending', conditions: [condition('PodScheduled', 'False', 'SchedulingGated')] });
    assert.equal(podStatusReason(p), 'SchedulingGated');
  });
});

describe('the init loop', () => {
  test('an init container waiting in PodInitializing shows Init:i/N', () => {
    const p = pod({
      phase: 'Pending',
      initContainers: twoInits,
      initStatuses: [waiting('init-a', 'PodInitializing'), waiting('init-b', 'PodInitializing')],
      statuses: [waiting('app', 'PodInitializing')],
    });
    assert.equal(podStatusReason(p), 'Init:0/2');
  });

  test('init containers that exited 0 count as done: Init:1/2 while the second runs', () => {
    const p = pod({
      phase: 'Pending',
      initContainers: twoInits,
      initStatuses: [terminated('init-a', 0, 'Completed'), running('init-b', { ready: false })],
      statuses: [waiting('app', 'PodInitializing')],
    });
    assert.equal(podStatusReason(p), 'Init:1/2');
  });

  test('a failed init container shows Init:<terminated reason>', () => {
    const p = pod({
      phase: 'Pending',
      initContainers: twoInits,
      initStatuses: [terminated('init-a', 1, 'Error'), waiting('init-b', 'PodInitializing')],
    });
    assert.equal(podStatusReason(p), 'Init:Error');
  });

  test('a failed init container without a reason shows Init:Signal:N, or else Init:ExitCode:N', () => {
    const signalled = pod({
      initContainers: twoInits,
      initStatuses: [terminated('init-a', 137, undefined, { signal: 9 }), waiting('init-b')],
    });
    assert.equal(podStatusReason(signalled), 'Init:Signal:9');
    const exited = pod({
      initContainers: twoInits,
      initStatuses: [terminated('init-a', 3), waiting('init-b')],
    });
    assert.equal(podStatusReason(exited), 'Init:ExitCode:3');
  });

  test('an init container waiting with another reason shows Init:<waiting reason>', () => {
    for (const reason of [
      'CrashLoopBackOff',
      'ImagePullBackOff',
      'ErrImagePull',
      'CreateContainerConfigError',
    ]) {
      const p = pod({
        phase: 'Pending',
        initContainers: twoInits,
        initStatuses: [waiting('init-a', reason, { restartCount: 2 }), waiting('init-b', 'PodInitializing')],
      });
      assert.equal(podStatusReason(p), `Init:${reason}`);
    }
  });

  test('a started sidecar is passed over and counts in the Init:i/N denominator', () => {
    const p = pod({
      phase: 'Pending',
      initContainers: [sidecar('proxy'), init('migrate')],
      initStatuses: [running('proxy'), running('migrate', { ready: false })],
      statuses: [waiting('app', 'PodInitializing')],
    });
    assert.equal(podStatusReason(p), 'Init:1/2');
  });

  test('a sidecar that runs but has not started (startup probe) stops the loop at Init:0/N', () => {
    const p = pod({
      phase: 'Pending',
      initContainers: [sidecar('proxy'), init('migrate')],
      initStatuses: [
        running('proxy', { started: false, ready: false }),
        waiting('migrate', 'PodInitializing'),
      ],
    });
    assert.equal(podStatusReason(p), 'Init:0/2');
  });

  test('statuses naming no init container still break the loop, as upstream test4 shows', () => {
    const p = pod({
      name: 'test4',
      phase: 'Running',
      initContainers: [init('init1'), sidecar('sidecar1')],
      containers: [app('container1')],
      initStatuses: [{ name: 'initinvalid', image: '', imageID: '', ready: false, restartCount: 0 }],
      statuses: [{ name: 'containerinvalid', image: '', imageID: '', ready: false, restartCount: 0 }],
    });
    assert.deepEqual(printPodRow(p, NOW).slice(1, 4), ['0/2', 'Init:0/2', '0']);
  });
});

describe('the main loop', () => {
  test('an app container waiting with a reason shows that reason', () => {
    assert.equal(
      podStatusReason(pod({ phase: 'Pending', statuses: [waiting('app', 'ContainerCreating')] })),
      'ContainerCreating',
    );
    const afterInit = pod({
      phase: 'Pending',
      initContainers: twoInits,
      initStatuses: [terminated('init-a', 0, 'Completed'), terminated('init-b', 0, 'Completed')],
      statuses: [waiting('app', 'PodInitializing')],
    });
    assert.equal(podStatusReason(afterInit), 'PodInitializing');
  });

  test('a running, ready app container leaves the phase as STATUS', () => {
    assert.equal(podStatusReason(pod({ phase: 'Running', statuses: [running('app')] })), 'Running');
  });

  test('a terminated app container shows its reason, or Signal:N / ExitCode:N without one', () => {
    assert.equal(
      podStatusReason(pod({ phase: 'Succeeded', statuses: [terminated('app', 0, 'Completed')] })),
      'Completed',
    );
    assert.equal(
      podStatusReason(pod({ phase: 'Failed', statuses: [terminated('app', 137, 'OOMKilled')] })),
      'OOMKilled',
    );
    assert.equal(
      podStatusReason(
        pod({ phase: 'Failed', statuses: [terminated('app', 143, undefined, { signal: 15 })] }),
      ),
      'Signal:15',
    );
    assert.equal(podStatusReason(pod({ phase: 'Failed', statuses: [terminated('app', 2)] })), 'ExitCode:2');
  });

  test('containers are read last to first, so the lowest index with a reason wins', () => {
    const p = pod({
      phase: 'Running',
      containers: [app('a'), app('b')],
      statuses: [waiting('a', 'CrashLoopBackOff', { restartCount: 1 }), terminated('b', 1, 'Error')],
    });
    assert.equal(podStatusReason(p), 'CrashLoopBackOff');
  });

  test('Completed with another container still running shows Running if the pod is Ready, else NotReady', () => {
    const base = {
      phase: 'Running',
      containers: [app('job'), app('helper')],
      statuses: [terminated('job', 0, 'Completed'), running('helper')],
    };
    assert.equal(podStatusReason(pod({ ...base, conditions: [condition('Ready', 'True')] })), 'Running');
    assert.equal(podStatusReason(pod({ ...base, conditions: [condition('Ready', 'False')] })), 'NotReady');
  });
});

describe('deletion', () => {
  test('a pod being deleted shows Terminating unless its phase is terminal', () => {
    const deleting = ago(1);
    assert.equal(
      podStatusReason(pod({ phase: 'Running', statuses: [running('app')], deletionTimestamp: deleting })),
      'Terminating',
    );
    assert.equal(podStatusReason(pod({ phase: 'Pending', deletionTimestamp: deleting })), 'Terminating');
    assert.equal(
      podStatusReason(
        pod({
          phase: 'Succeeded',
          statuses: [terminated('app', 0, 'Completed')],
          deletionTimestamp: deleting,
        }),
      ),
      'Completed',
    );
  });

  test('a pod being deleted on a lost node shows Unknown', () => {
    const p = pod({
      phase: 'Running',
      reason: 'NodeLost',
      statuses: [running('app')],
      deletionTimestamp: ago(1),
    });
    assert.equal(podStatusReason(p), 'Unknown');
  });
});

describe('consequences of the algorithm', () => {
  test('a Running, initialized pod whose sidecar crash-loops shows Init:CrashLoopBackOff', () => {
    const p = pod({
      phase: 'Running',
      initContainers: [sidecar('proxy')],
      conditions: [condition('Initialized', 'True'), condition('Ready', 'False')],
      initStatuses: [
        waiting('proxy', 'CrashLoopBackOff', { started: false, restartCount: 3, ...lastTerminated(10) }),
      ],
      statuses: [running('app')],
    });
    assert.deepEqual(printPodRow(p, NOW).slice(1, 4), ['1/2', 'Init:CrashLoopBackOff', '3 (10s ago)']);
  });

  test('a Succeeded Job pod whose sidecar was killed (137) shows Completed', () => {
    const p = pod({
      phase: 'Succeeded',
      initContainers: [sidecar('proxy')],
      conditions: [condition('Initialized', 'True', 'PodCompleted')],
      initStatuses: [terminated('proxy', 137, 'Error')],
      statuses: [terminated('app', 0, 'Completed')],
    });
    assert.equal(podStatusReason(p), 'Completed');
  });

  test('a pod with two init containers goes Pending, Init:0/2, Init:1/2, PodInitializing, Running, Completed', () => {
    const initialized = condition('Initialized', 'True');
    const steps = [
      pod({ phase: 'Pending', initContainers: twoInits }),
      pod({
        phase: 'Pending',
        initContainers: twoInits,
        initStatuses: [running('init-a', { ready: false }), waiting('init-b', 'PodInitializing')],
        statuses: [waiting('app', 'PodInitializing')],
      }),
      pod({
        phase: 'Pending',
        initContainers: twoInits,
        initStatuses: [terminated('init-a', 0, 'Completed'), running('init-b', { ready: false })],
        statuses: [waiting('app', 'PodInitializing')],
      }),
      pod({
        phase: 'Pending',
        initContainers: twoInits,
        conditions: [initialized],
        initStatuses: [terminated('init-a', 0, 'Completed'), terminated('init-b', 0, 'Completed')],
        statuses: [waiting('app', 'PodInitializing')],
      }),
      pod({
        phase: 'Running',
        initContainers: twoInits,
        conditions: [initialized, condition('Ready', 'True')],
        initStatuses: [terminated('init-a', 0, 'Completed'), terminated('init-b', 0, 'Completed')],
        statuses: [running('app')],
      }),
      pod({
        phase: 'Succeeded',
        initContainers: twoInits,
        conditions: [condition('Initialized', 'True', 'PodCompleted')],
        initStatuses: [terminated('init-a', 0, 'Completed'), terminated('init-b', 0, 'Completed')],
        statuses: [terminated('app', 0, 'Completed')],
      }),
    ];
    assert.deepEqual(steps.map(podStatusReason), [
      'Pending',
      'Init:0/2',
      'Init:1/2',
      'PodInitializing',
      'Running',
      'Completed',
    ]);
  });
});

describe('READY', () => {
  test('READY counts sidecars in the total and started, ready sidecars as ready', () => {
    const p = pod({
      phase: 'Running',
      initContainers: [sidecar('proxy'), init('migrate'), sidecar('logs')],
      containers: [app('app'), app('worker')],
      conditions: [condition('Initialized', 'True')],
      initStatuses: [
        running('proxy'),
        terminated('migrate', 0, 'Completed'),
        running('logs', { ready: false }),
      ],
      statuses: [running('app'), running('worker', { ready: false })],
    });
    assert.deepEqual(podReadyCount(p), { ready: 2, total: 4 });
  });

  test('a sidecar after the point where the init loop stops is not counted ready', () => {
    const p = pod({
      phase: 'Pending',
      initContainers: [init('migrate'), sidecar('proxy')],
      initStatuses: [running('migrate', { ready: false }), running('proxy')],
      statuses: [waiting('app', 'PodInitializing')],
    });
    assert.deepEqual(podReadyCount(p), { ready: 0, total: 2 });
    assert.equal(podStatusReason(p), 'Init:0/2');
  });

  test('upstream: two started sidecars (one ready=false) and a running app show 1/3 Running 7 (10s ago)', () => {
    const p = pod({
      name: 'test2',
      phase: 'Running',
      initContainers: [sidecar('restartable-init-1'), sidecar('restartable-init-2')],
      containers: [app('app')],
      conditions: [condition('Initialized', 'True')],
      initStatuses: [
        running('restartable-init-1', { ready: false, restartCount: 3, ...lastTerminated(10) }),
        running('restartable-init-2', { ready: false }),
      ],
      statuses: [running('app', { restartCount: 4, ...lastTerminated(20) })],
    });
    assert.deepEqual(printPodRow(p, NOW).slice(0, 4), ['test2', '1/3', 'Running', '7 (10s ago)']);
  });
});
