// The CronJob controller with an injected clock: due times and missed runs (mostRecentScheduleTime), job
// names `<cronjob>-<unix minutes>`, concurrency policies, suspend, startingDeadlineSeconds, the "too many
// missed start times" warning, status.active / lastScheduleTime / lastSuccessfulTime, and the history limits;
// over an in-process registry, with the test playing the job controller's outcome.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { CronJob, Event, Job } from '../../src/api/types.js';
import { createEventRecorder } from '../../src/apiserver/events.js';
import { createRegistry, type Registry } from '../../src/apiserver/registry.js';
import {
  jobNameFor,
  mostRecentScheduleTime,
  nextScheduleTimeDuration,
} from '../../src/controllers/cronjob-schedule.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { registryControllerClient } from '../../src/server/controller-client.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { FakeClock, flushMicrotasks } from '../../src/util/clock.js';
import { parseStandard } from '../../src/util/cron.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function cron(extra: Record<string, unknown> = {}, status: Record<string, unknown> = {}): CronJob {
  return {
    metadata: { name: 'tick', creationTimestamp: iso(T0) },
    spec: {
      schedule: '* * * * *',
      jobTemplate: { spec: { template: { spec: { containers: [] } } } },
      ...extra,
    },
    status,
  } as CronJob;
}

describe('due times', () => {
  const everyMinute = parseStandard('* * * * *');

  test('nothing before the first due time; then the latest one and how many were missed', () => {
    assert.deepEqual(mostRecentScheduleTime(cron(), T0 + 59_000, everyMinute, true), {
      earliest: T0,
      missed: 0,
    });
    assert.deepEqual(mostRecentScheduleTime(cron(), T0 + MIN, everyMinute, true), {
      earliest: T0,
      mostRecent: T0 + MIN,
      missed: 1,
    });
    assert.deepEqual(mostRecentScheduleTime(cron(), T0 + 5 * MIN + 30_000, everyMinute, true), {
      earliest: T0,
      mostRecent: T0 + 5 * MIN,
      missed: 5,
    });
    // The last schedule time, not the creation, starts the count.
    const ran = cron({}, { lastScheduleTime: iso(T0 + 4 * MIN) });
    assert.deepEqual(mostRecentScheduleTime(ran, T0 + 5 * MIN + 30_000, everyMinute, true).missed, 1);
  });

  test('startingDeadlineSeconds: nothing older than the deadline counts', () => {
    const late = cron({ startingDeadlineSeconds: 10 });
    assert.deepEqual(mostRecentScheduleTime(late, T0 + 90 * MIN + 30_000, everyMinute, true), {
      earliest: T0 + 90 * MIN + 20_000,
      missed: 0,
    });
    // Without the deadline, 90 were missed.
    assert.equal(mostRecentScheduleTime(late, T0 + 90 * MIN + 30_000, everyMinute, false).missed, 90);
  });

  test('uneven schedules: the estimate from the first interval is corrected forward', () => {
    const monthly = parseStandard('0 0 1 * *');
    const r = mostRecentScheduleTime(cron(), Date.UTC(2026, 6, 15), monthly, true);
    assert.equal(new Date(r.mostRecent!).toISOString(), '2026-07-01T00:00:00.000Z');
    assert.equal(r.missed, 6);
  });

  test('a schedule that never repeats a second apart is an error', () => {
    // `0 0 29 2 *` fires only in leap years; robfig returns the zero time for the one after.
    assert.throws(
      () => mostRecentScheduleTime(cron(), Date.UTC(2030, 0, 1), { next: () => T0 + MIN }, true),
      /time difference between two schedules is less than 1 second/,
    );
  });

  test('next look: just after the next due time', () => {
    assert.equal(nextScheduleTimeDuration(cron(), T0 + 10_000, everyMinute), 50_100);
    assert.equal(jobNameFor('tick', T0 + MIN), `tick-${(T0 + MIN) / MIN}`);
  });
});

describe('CronJob controller', () => {
  let registry: Registry;
  let manager: ControllerManager;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock(T0);
    registry = await createRegistry({ store: openSqliteStore(':memory:'), clock, nodeName: 'podrun' });
    manager = new ControllerManager({
      client: registryControllerClient(registry),
      clock,
      recorderFor: (component) => createEventRecorder(registry, { component, clock }),
      cronJobZone: 'UTC',
    });
    await manager.start();
  });
  afterEach(() => manager.stop());

  async function settle(): Promise<void> {
    for (let i = 0; i < 6; i++) {
      await flushMicrotasks();
      await manager.settled();
    }
  }
  /** Moves the clock to `ms` after T0 in small steps, letting the controller act at each due time. */
  async function at(ms: number): Promise<void> {
    while (clock.now() < T0 + ms) {
      await clock.advance(Math.min(10_000, T0 + ms - clock.now()));
      await settle();
    }
  }
  const jobs = async () =>
    ((await registry.list('jobs.batch', 'default')).items as unknown as Job[]).sort((a, b) =>
      a.metadata!.name! < b.metadata!.name! ? -1 : 1,
    );
  const jobNames = async () => (await jobs()).map((j) => j.metadata?.name);
  const getCj = async () => (await registry.get('cronjobs.batch', 'default', 'tick')) as unknown as CronJob;
  const reasons = async () =>
    ((await registry.list('events', 'default')).items as unknown as Event[])
      .filter((e) => e.involvedObject.kind === 'CronJob')
      .map((e) => `${e.reason}: ${e.message}`);
  const create = (spec: Record<string, unknown> = {}) =>
    registry.create('cronjobs.batch', 'default', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick', namespace: 'default' },
      spec: {
        schedule: '* * * * *',
        jobTemplate: {
          metadata: { labels: { run: 'tick' } },
          spec: {
            template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
          },
        },
        ...spec,
      },
    });
  /** Plays the job controller's outcome: the job finished (Complete or Failed). */
  async function finish(name: string, type: 'Complete' | 'Failed'): Promise<void> {
    const job = (await registry.get('jobs.batch', 'default', name)) as unknown as Job;
    const now = iso(clock.now());
    const conditions =
      type === 'Complete'
        ? [
            { type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: now },
            { type: 'Complete', status: 'True', lastTransitionTime: now },
          ]
        : [
            { type: 'FailureTarget', status: 'True', lastTransitionTime: now },
            { type: 'Failed', status: 'True', lastTransitionTime: now },
          ];
    await registry.updateStatus('jobs.batch', 'default', name, {
      ...job,
      status: {
        startTime: job.status?.startTime ?? now,
        ...(type === 'Complete' ? { completionTime: now, succeeded: 1 } : { failed: 1 }),
        conditions,
      },
    } as never);
    await settle();
  }

  test('each due minute gets its job, named after the due time, and the status follows it', async () => {
    await create();
    await settle();
    assert.deepEqual(await jobNames(), []);
    assert.deepEqual((await getCj()).spec?.successfulJobsHistoryLimit, 3);
    await at(MIN + 1000);
    const name = jobNameFor('tick', T0 + MIN);
    assert.deepEqual(await jobNames(), [name]);
    const [job] = await jobs();
    assert.equal(
      job!.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'],
      iso(T0 + MIN),
    );
    assert.equal(job!.metadata?.labels?.run, 'tick');
    assert.deepEqual(
      job!.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.controller]),
      [['CronJob', 'tick', true]],
    );
    let cj = await getCj();
    assert.equal(cj.status?.lastScheduleTime, iso(T0 + MIN));
    assert.deepEqual(
      cj.status?.active?.map((r) => r.name),
      [name],
    );
    assert.ok((await reasons()).includes(`SuccessfulCreate: Created job ${name}`));

    await finish(name, 'Complete');
    cj = await getCj();
    assert.equal(cj.status?.active, undefined);
    assert.equal(cj.status?.lastSuccessfulTime, iso(clock.now()));
    assert.ok((await reasons()).includes(`SawCompletedJob: Saw completed job: ${name}, condition: Complete`));

    // Allow (the default): the next minute's job starts beside a running one.
    await at(2 * MIN + 1000);
    await at(3 * MIN + 1000);
    assert.equal((await jobNames()).length, 3);
    assert.equal((await getCj()).status?.active?.length, 2);
  });

  test('Forbid skips a due time while a job runs; Replace deletes the running one', async () => {
    await create({ concurrencyPolicy: 'Forbid' });
    await at(MIN + 1000);
    await at(2 * MIN + 1000);
    assert.equal((await jobNames()).length, 1);
    assert.ok(
      (await reasons()).includes(
        'JobAlreadyActive: Not starting job because prior execution is running and concurrency policy is Forbid',
      ),
    );
    await registry.patch('cronjobs.batch', 'default', 'tick', 'merge', {
      spec: { concurrencyPolicy: 'Replace' },
    });
    await at(3 * MIN + 1000);
    const first = jobNameFor('tick', T0 + MIN);
    const third = jobNameFor('tick', T0 + 3 * MIN);
    assert.ok((await reasons()).includes(`SuccessfulDelete: Deleted job ${first}`));
    assert.deepEqual(
      (await jobs()).filter((j) => !j.metadata?.deletionTimestamp).map((j) => j.metadata?.name),
      [third],
    );
    assert.deepEqual(
      (await getCj()).status?.active?.map((r) => r.name),
      [third],
    );
  });

  test('suspend stops new jobs; startingDeadlineSeconds skips what was missed meanwhile', async () => {
    await create({ suspend: true, startingDeadlineSeconds: 10 });
    await at(5 * MIN + 30_000);
    assert.deepEqual(await jobNames(), []);
    await registry.patch('cronjobs.batch', 'default', 'tick', 'merge', { spec: { suspend: false } });
    await settle();
    // 12:05 was 30 s ago, past the 10 s deadline: not started.
    assert.deepEqual(await jobNames(), []);
    await at(6 * MIN + 1000);
    assert.deepEqual(await jobNames(), [jobNameFor('tick', T0 + 6 * MIN)]);
  });

  test('too many missed start times: a warning, and the latest one still runs', async () => {
    await create({ suspend: true });
    await clock.advance(3 * 60 * MIN + 30_000);
    await registry.patch('cronjobs.batch', 'default', 'tick', 'merge', { spec: { suspend: false } });
    await settle();
    assert.ok(
      (await reasons()).includes(
        'TooManyMissedTimes: too many missed start times: 180. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
      ),
    );
    assert.deepEqual(await jobNames(), [jobNameFor('tick', T0 + 3 * 60 * MIN)]);
  });

  test('history limits keep the newest finished jobs; a manual job is unexpected but counted', async () => {
    await create({ successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 0 });
    for (let m = 1; m <= 3; m++) {
      await at(m * MIN + 1000);
      await finish(jobNameFor('tick', T0 + m * MIN), m === 2 ? 'Failed' : 'Complete');
    }
    const live = (await jobs()).filter((j) => !j.metadata?.deletionTimestamp).map((j) => j.metadata?.name);
    assert.deepEqual(live, [jobNameFor('tick', T0 + 3 * MIN)]);

    // What `kubectl create job --from=cronjob/tick` sends: owned by the CronJob, not started by it.
    const cj = await getCj();
    await registry.create('jobs.batch', 'default', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'manual',
        namespace: 'default',
        annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
        ownerReferences: [
          { apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: cj.metadata!.uid!, controller: true },
        ],
      },
      spec: cj.spec!.jobTemplate.spec,
    } as never);
    await settle();
    assert.ok(
      (await reasons()).includes(
        'UnexpectedJob: Saw a job that the controller did not create or forgot: manual',
      ),
    );
    assert.equal((await getCj()).status?.active?.some((r) => r.name === 'manual') ?? false, false);
  });

  test('spec.timeZone: due times and the scheduled-timestamp annotation in that zone', async () => {
    await create({ timeZone: 'Europe/Paris', schedule: '1 13 * * *' });
    await at(MIN + 1000);
    const [job] = await jobs();
    assert.equal(
      job!.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'],
      '2026-01-01T13:01:00+01:00',
    );
  });
});
