// `up --wait`'s verdicts: a crash loop fails at once, `--wait-retries N` tolerates N failed runs, `complete`
// waits for bare pods to succeed; and the failure report names the step, its exit code, its log tail and the
// next retry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerStatus, KubeObject, Pod } from '../../src/api/types.js';
import type { UpClient } from '../../src/cli/client/types.js';
import { formatDuration, parseDuration } from '../../src/cli/options.js';
import { failureReport, nextRetry } from '../../src/cli/up/failure-report.js';
import { evaluate, type Failure } from '../../src/cli/up/readiness.js';
import { failedRuns } from '../../src/cli/up/steps.js';
import { failingLogTails, timeoutLines } from '../../src/cli/up/wait.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:00:01Z';
const T2 = '2026-01-01T00:00:02Z';

function status(name: string, extra: Partial<ContainerStatus>): ContainerStatus {
  return { name, image: 'busybox', imageID: '', ready: false, restartCount: 0, state: {}, ...extra };
}

const failedRun = { exitCode: 3, reason: 'Error', startedAt: T0, finishedAt: T1 };

function pod(init: ContainerStatus, opts: { restartPolicy?: string; phase?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    spec: {
      restartPolicy: (opts.restartPolicy ?? 'Always') as 'Always',
      initContainers: [{ name: 'migrate', image: 'busybox' }],
      containers: [{ name: 'app', image: 'busybox' }],
    },
    status: {
      phase: (opts.phase ?? 'Pending') as 'Pending',
      initContainerStatuses: [init],
      containerStatuses: [status('app', { state: { waiting: { reason: 'PodInitializing' } } })],
    },
  };
}

const verdict = (p: Pod, retries = 0, mode: 'ready' | 'complete' = 'ready') =>
  evaluate([p as unknown as KubeObject], () => [p], { mode, retries });

test('failed runs count the current failure, the last one while waiting, and the restarts', () => {
  assert.equal(failedRuns(status('x', { state: { terminated: failedRun } })), 1);
  assert.equal(
    failedRuns(
      status('x', {
        restartCount: 1,
        state: { running: { startedAt: T2 } },
        lastState: { terminated: failedRun },
      }),
    ),
    1,
  );
  assert.equal(
    failedRuns(
      status('x', {
        restartCount: 1,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        lastState: { terminated: failedRun },
      }),
    ),
    2,
  );
  assert.equal(failedRuns(status('x', { state: { terminated: { ...failedRun, exitCode: 0 } } })), 0);
  assert.equal(failedRuns(status('x', { state: { running: { startedAt: T0 } } })), 0);
});

test('a step that failed once fails the wait at once, before any CrashLoopBackOff', () => {
  const v = verdict(pod(status('migrate', { state: { terminated: failedRun } })));
  assert.equal(v.state, 'failed');
  if (v.state !== 'failed') return;
  assert.equal(v.failure.container, 'migrate');
  assert.equal(v.failure.subject, 'init container "migrate"');
  assert.equal(v.failure.reason, 'Error');
  assert.equal(v.failure.message, 'exited with code 3');
  assert.equal(v.failure.failures, 1);
});

test('a restart seen only after it happened still fails the wait', () => {
  const p = pod(
    status('migrate', {
      restartCount: 1,
      state: { running: { startedAt: T2 } },
      lastState: { terminated: failedRun },
    }),
  );
  assert.equal(verdict(p).state, 'failed');
});

test('--wait-retries N tolerates N failed runs of a step, and fails at the next', () => {
  const crashLooping = (restarts: number) =>
    pod(
      status('migrate', {
        restartCount: restarts,
        state: {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: 'back-off 10s restarting failed container=migrate',
          },
        },
        lastState: { terminated: failedRun },
      }),
    );
  // 2 failed runs (restartCount 1 + the one before the back-off).
  assert.equal(verdict(crashLooping(1), 2).state, 'waiting');
  assert.equal(verdict(crashLooping(1), 1).state, 'failed');
  // 3 failed runs: more than 2.
  const v = verdict(crashLooping(2), 2);
  assert.equal(v.state, 'failed');
  assert.equal(v.state === 'failed' ? v.failure.reason : '', 'CrashLoopBackOff');
  assert.equal(v.state === 'failed' ? v.failure.failures : 0, 3);
});

test('an image that cannot be pulled fails the wait whatever the retries', () => {
  const p = pod(
    status('migrate', {
      state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } },
    }),
  );
  const v = verdict(p, 5);
  assert.equal(v.state, 'failed');
  assert.equal(v.state === 'failed' ? v.failure.reason : '', 'ImagePullBackOff');
});

test('the first failing step in startup order is the one reported', () => {
  const p = pod(status('migrate', { state: { terminated: failedRun } }));
  p.status!.containerStatuses = [
    status('app', { state: { waiting: { reason: 'CreateContainerConfigError' } } }),
  ];
  const v = verdict(p);
  assert.equal(v.state === 'failed' ? v.failure.container : '', 'migrate');
});

test('ready is satisfied by a Ready pod; complete only by a Succeeded one', () => {
  const p = pod(
    status('migrate', { state: { terminated: { ...failedRun, exitCode: 0, reason: 'Completed' } } }),
  );
  p.status!.phase = 'Running';
  p.status!.containerStatuses = [status('app', { ready: true, state: { running: { startedAt: T1 } } })];
  p.status!.conditions = [{ type: 'Ready', status: 'True' }];
  assert.equal(verdict(p, 0, 'ready').state, 'up');
  assert.deepEqual(verdict(p, 0, 'complete'), { state: 'waiting', pending: ['pod/web'] });
  p.status!.phase = 'Succeeded';
  p.status!.containerStatuses = [
    status('app', {
      state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: T1, finishedAt: T2 } },
    }),
  ];
  assert.equal(verdict(p, 0, 'complete').state, 'up');
});

test('a Job pod under restartPolicy Never is the Job’s to retry; under OnFailure its crash loop fails', () => {
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate', namespace: 'default', uid: 'j1' },
    status: {},
  } as unknown as KubeObject;
  const never = pod(status('migrate', { state: { terminated: failedRun } }), {
    restartPolicy: 'Never',
    phase: 'Failed',
  });
  assert.equal(evaluate([job], () => [never]).state, 'waiting');
  const onFailure = pod(status('migrate', { state: { terminated: failedRun } }), {
    restartPolicy: 'OnFailure',
  });
  assert.equal(evaluate([job], () => [onFailure]).state, 'failed');
});

test('the failure report names pod, step, reason, exit code, runs, the next retry and the log tail', () => {
  const p = pod(
    status('migrate', {
      restartCount: 1,
      state: {
        waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=migrate' },
      },
      lastState: { terminated: failedRun },
    }),
  );
  const v = verdict(p);
  assert.equal(v.state, 'failed');
  const failure = (v as { failure: Failure }).failure;
  const now = Date.parse(T1) + 4000;
  const lines = failureReport({ failure, pod: p, logTail: 'connecting\ndb <unreachable>\n', now });
  assert.deepEqual(lines, [
    'podrun: up --wait failed: pod default/web: init container "migrate": CrashLoopBackOff: exited with code 3',
    '  exit code:   3',
    '  reason:      Error',
    '  runs:        2 failed runs, 1 restart; last run 1s',
    '  next retry:  in 6s (CrashLoopBackOff back-off 10s, at 2026-01-01T00:00:11.000Z)',
    '  last log lines of default/web/migrate:',
    '    connecting',
    '    db <unreachable>',
  ]);
});

test('the next retry under restartPolicy Never is none, and a first failure restarts at once', () => {
  const f: Failure = {
    pod: 'web',
    container: 'migrate',
    subject: 'init container "migrate"',
    reason: 'Error',
    message: '',
  };
  const never = pod(status('migrate', { state: { terminated: failedRun } }), {
    restartPolicy: 'Never',
    phase: 'Failed',
  });
  assert.match(nextRetry(f, never, 0), /^none: .*restartPolicy is Never/);
  const always = pod(status('migrate', { state: { terminated: failedRun } }));
  assert.match(nextRetry(f, always, 0), /^at once/);
});

test('a timeout names the first unfinished step of each waiting pod, and the timeout as a duration', () => {
  const p = pod(status('migrate', { state: { running: { startedAt: T0 } } }));
  const lines = timeoutLines(300_000, ['pod/web'], [p], Date.parse(T0) + 90_000);
  assert.deepEqual(lines, [
    'podrun: up --wait timed out after 5m waiting for: pod/web',
    '  pod default/web: init container "migrate" running for 1m30s',
  ]);
});

test('durations print as people write them and read back the same', () => {
  for (const [ms, text] of [
    [300_000, '5m'],
    [90_000, '1m30s'],
    [10_000, '10s'],
    [500, '500ms'],
    [3_600_000, '1h'],
    [3_725_000, '1h2m5s'],
  ] as const) {
    assert.equal(formatDuration(ms), text);
    assert.equal(parseDuration(text), ms);
  }
});

test('the log tail of a failed step is its previous run’s when the next run has begun and written nothing', async () => {
  const p = pod(status('migrate', { state: { terminated: failedRun }, containerID: 'c0' }));
  const failure = (verdict(p) as { failure: Failure }).failure;
  const asked: boolean[] = [];
  const client = (logs: { current: string; previous: string }) =>
    ({
      logTail: async (_ns: string, _pod: string, _c: string, _n: number, previous?: boolean) => {
        asked.push(previous === true);
        return previous ? logs.previous : logs.current;
      },
    }) as unknown as UpClient;
  // The kubelet restarted migrate between the pod read and the log read: the current log is the new run's.
  let tails = await failingLogTails(client({ current: '', previous: 'db unreachable\n' }), [p], failure, 0);
  assert.equal(tails.get('default/web/migrate'), 'db unreachable\n');
  assert.deepEqual(asked, [false, true]);
  asked.length = 0;
  tails = await failingLogTails(client({ current: 'connecting\n', previous: 'older\n' }), [p], failure, 0);
  assert.equal(tails.get('default/web/migrate'), 'connecting\n');
  assert.deepEqual(asked, [false], 'the current run’s lines, when it has any');
});
