// The CronJob controller (pkg/controller/cronjob/cronjob_controllerv2.go, v1.32): reconciles status.active
// with the jobs it owns, then starts the job of the most recent due time (`<cronjob>-<unix minutes>`) unless
// suspended, too late for startingDeadlineSeconds, already started, or blocked by concurrencyPolicy Forbid
// (Replace deletes the running ones first); finished jobs beyond the history limits are deleted. Due times
// come from cronjob-schedule.ts with the injected clock.
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { KubeObject, ObjectReference } from '../api/types.js';
import { ApiError } from '../apiserver/errors.js';
import type { EventRecorder } from '../kubelet/types.js';
import type { Clock } from '../util/clock.js';
import { formatRFC3339, loadLocation, localZone, type Zone } from '../util/zoned-time.js';
import { type ControllerClient, isStaleWrite } from './client.js';
import {
  formatSchedule,
  jobNameFor,
  MAX_MISSED_SCHEDULES,
  mostRecentScheduleTime,
  nextScheduleTimeDuration,
  parseCronJobSchedule,
} from './cronjob-schedule.js';
import type { Informer } from './informer.js';
import { RESOURCE, ref } from './kinds.js';
import { isControlledBy, ownerReferenceTo } from './pods.js';

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export interface CronJobSyncDeps {
  client: ControllerClient;
  cronJobs: Informer;
  jobs: Informer;
  events: EventRecorder;
  clock: Clock;
  /** The zone of a schedule without spec.timeZone (the controller manager's own). @default localZone() */
  zone?: Zone;
}

function finishedCondition(job: Job): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  }
  return undefined;
}

/** RFC 3339 at second precision, as metav1.Time serializes. */
function iso(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

function jobRef(job: KubeObject): ObjectReference {
  return {
    kind: 'Job',
    namespace: job.metadata.namespace,
    name: job.metadata.name,
    uid: job.metadata.uid,
    apiVersion: 'batch/v1',
    resourceVersion: job.metadata.resourceVersion,
  };
}

/** getJobFromTemplate2: the job of a due time, owned by the CronJob, with the scheduled-timestamp annotation. */
export function jobForSchedule(cjObj: KubeObject, scheduledMs: number): KubeObject {
  const cj = cjObj as unknown as CronJob;
  const template = cj.spec?.jobTemplate;
  let zone = 'UTC';
  try {
    zone = loadLocation(cj.spec?.timeZone ?? '');
  } catch {
    // An unknown zone never gets this far (the sync stops on it); UTC keeps the annotation well formed.
  }
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cjObj.metadata.name ?? '', scheduledMs),
      namespace: cjObj.metadata.namespace,
      labels: { ...(template?.metadata?.labels ?? {}) },
      annotations: {
        ...(template?.metadata?.annotations ?? {}),
        [SCHEDULED_TIMESTAMP_ANNOTATION]: formatRFC3339(scheduledMs, zone),
      },
      ownerReferences: [ownerReferenceTo(cjObj)],
    },
    spec: structuredClone(template?.spec ?? {}),
  };
}

export async function syncCronJob(
  deps: CronJobSyncDeps,
  namespace: string,
  name: string,
): Promise<{ requeueAfterMs?: number } | undefined> {
  const cjObj = deps.cronJobs.get(namespace, name);
  if (!cjObj) return undefined;
  const cj = structuredClone(cjObj) as unknown as CronJob;
  cj.status ??= {};
  const status = cj.status;
  const now = deps.clock.now();
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) =>
    deps.events.event(ref(cjObj), type, reason, message);
  let updateStatus = false;
  const inActive = (uid: string | undefined) => (status.active ?? []).some((r) => r.uid === uid);
  const dropActive = (uid: string | undefined) => {
    status.active = (status.active ?? []).filter((r) => r.uid !== uid);
    if (status.active.length === 0) delete status.active;
  };

  const jobs = deps.jobs.list(namespace).filter((j) => isControlledBy(j, cjObj));
  const children = new Set(jobs.map((j) => j.metadata.uid));
  for (const jobObj of jobs) {
    const job = jobObj as unknown as Job;
    const found = inActive(jobObj.metadata.uid);
    const finished = finishedCondition(job);
    if (!found && !finished) {
      // Also what a `kubectl create job --from=cronjob/…` job looks like: owned, but not started by us.
      event(
        'Warning',
        'UnexpectedJob',
        `Saw a job that the controller did not create or forgot: ${jobObj.metadata.name}`,
      );
    } else if (found && finished) {
      dropActive(jobObj.metadata.uid);
      event(
        'Normal',
        'SawCompletedJob',
        `Saw completed job: ${jobObj.metadata.name}, condition: ${finished}`,
      );
      updateStatus = true;
    } else if (finished === 'Complete' && job.status?.completionTime) {
      // Finished jobs need not be in the active list for their completion time to count.
      const done = Date.parse(job.status.completionTime);
      if (!status.lastSuccessfulTime || done > Date.parse(status.lastSuccessfulTime)) {
        status.lastSuccessfulTime = job.status.completionTime;
        updateStatus = true;
      }
    }
  }
  for (const r of [...(status.active ?? [])]) {
    if (children.has(r.uid)) continue;
    if (deps.jobs.get(r.namespace ?? namespace, r.name ?? '')) continue;
    event('Normal', 'MissingJob', `Active job went missing: ${r.name}`);
    dropActive(r.uid);
    updateStatus = true;
  }

  const requeue = await (async (): Promise<number | undefined> => {
    if (cjObj.metadata.deletionTimestamp) return undefined;
    const tz = cj.spec?.timeZone;
    if (tz !== undefined && tz !== null) {
      try {
        loadLocation(tz);
      } catch (err) {
        event(
          'Warning',
          'UnknownTimeZone',
          `invalid timeZone: ${JSON.stringify(tz)}: ${(err as Error).message}`,
        );
        return undefined;
      }
    }
    if (cj.spec?.suspend) return undefined;
    const { usesTZ } = formatSchedule(cj);
    if (usesTZ) {
      event(
        'Warning',
        'UnsupportedSchedule',
        `CRON_TZ or TZ used in schedule ${JSON.stringify(cj.spec?.schedule)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`,
      );
    }
    let sched: ReturnType<typeof parseCronJobSchedule>;
    try {
      sched = parseCronJobSchedule(cj, deps.zone ?? localZone());
    } catch (err) {
      event(
        'Warning',
        'UnparseableSchedule',
        `unparseable schedule: ${JSON.stringify(cj.spec?.schedule)} : ${(err as Error).message}`,
      );
      return undefined;
    }
    let scheduled: number | undefined;
    try {
      const r = mostRecentScheduleTime(cj, now, sched, true);
      if (r.mostRecent !== undefined && r.mostRecent <= now) {
        scheduled = r.mostRecent;
        if (r.missed > MAX_MISSED_SCHEDULES) {
          event(
            'Warning',
            'TooManyMissedTimes',
            `too many missed start times: ${r.missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`,
          );
        }
      }
    } catch (err) {
      event(
        'Warning',
        'InvalidSchedule',
        `invalid schedule: ${cj.spec?.schedule} : ${(err as Error).message}`,
      );
    }
    const again = () => nextScheduleTimeDuration(cj, now, sched);
    if (scheduled === undefined) return again();
    const deadline = cj.spec?.startingDeadlineSeconds;
    if (deadline !== undefined && deadline !== null && scheduled + deadline * 1000 < now) {
      event('Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
      return again();
    }
    const jobName = jobNameFor(name, scheduled);
    if (
      (status.active ?? []).some((r) => r.name === jobName && (r.namespace ?? namespace) === namespace) ||
      (status.lastScheduleTime !== undefined && Date.parse(status.lastScheduleTime) === scheduled)
    ) {
      return again();
    }
    const active = status.active ?? [];
    if (cj.spec?.concurrencyPolicy === 'Forbid' && active.length > 0) {
      event(
        'Normal',
        'JobAlreadyActive',
        'Not starting job because prior execution is running and concurrency policy is Forbid',
      );
      return again();
    }
    if (cj.spec?.concurrencyPolicy === 'Replace') {
      for (const r of active) {
        const job = deps.jobs.get(r.namespace ?? namespace, r.name ?? '');
        if (!job) continue;
        if (await deleteJob(deps, job, event)) dropActive(job.metadata.uid);
        updateStatus = true;
      }
    }
    let created: KubeObject;
    try {
      created = await deps.client.create(RESOURCE.jobs, namespace, jobForSchedule(cjObj, scheduled));
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'AlreadyExists') return again();
      event('Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
      throw err;
    }
    event('Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
    status.active = [...(status.active ?? []), jobRef(created)];
    status.lastScheduleTime = iso(scheduled);
    updateStatus = true;
    return again();
  })();

  if (await cleanupFinishedJobs(deps, cj, jobs, event)) updateStatus = true;
  if (updateStatus) {
    try {
      await deps.client.updateStatus(RESOURCE.cronjobs, namespace, { ...cjObj, status } as KubeObject);
    } catch (err) {
      if (!isStaleWrite(err)) throw err;
    }
  }
  return requeue !== undefined ? { requeueAfterMs: Math.max(0, requeue) } : undefined;
}

/** Go's time.RFC1123Z in UTC: `Mon, 02 Jan 2006 15:04:05 +0000`. */
function rfc1123z(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

async function deleteJob(
  deps: CronJobSyncDeps,
  job: KubeObject,
  event: (type: 'Normal' | 'Warning', reason: string, message: string) => void,
): Promise<boolean> {
  try {
    await deps.client.delete(RESOURCE.jobs, job.metadata.namespace ?? '', job.metadata.name ?? '');
  } catch (err) {
    event('Warning', 'FailedDelete', `Deleted job: ${(err as Error).message}`);
    return false;
  }
  event('Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
  return true;
}

/** successfulJobsHistoryLimit / failedJobsHistoryLimit: the oldest finished jobs (by start time) go. */
async function cleanupFinishedJobs(
  deps: CronJobSyncDeps,
  cj: CronJob,
  jobs: KubeObject[],
  event: (type: 'Normal' | 'Warning', reason: string, message: string) => void,
): Promise<boolean> {
  const byStart = (a: KubeObject, b: KubeObject) => {
    const sa = (a as unknown as Job).status?.startTime;
    const sb = (b as unknown as Job).status?.startTime;
    if (!sa !== !sb) return sa ? -1 : 1;
    if (sa && sb && sa !== sb) return Date.parse(sa) - Date.parse(sb);
    return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
  };
  let changed = false;
  const limits: ['Complete' | 'Failed', number | undefined][] = [
    ['Complete', cj.spec?.successfulJobsHistoryLimit],
    ['Failed', cj.spec?.failedJobsHistoryLimit],
  ];
  for (const [kind, limit] of limits) {
    if (limit === undefined || limit === null) continue;
    const finished = jobs.filter((j) => finishedCondition(j as unknown as Job) === kind).sort(byStart);
    for (const job of finished.slice(0, Math.max(0, finished.length - limit))) {
      if (await deleteJob(deps, job, event)) {
        const left = (cj.status?.active ?? []).filter((r) => r.uid !== job.metadata.uid);
        if (cj.status && left.length > 0) cj.status.active = left;
        else if (cj.status) delete cj.status.active;
        changed = true;
      }
    }
  }
  return changed;
}
