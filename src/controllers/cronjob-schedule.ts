// When a CronJob's next job is due (pkg/controller/cronjob/utils.go, v1.32): the most recent missed schedule
// since the last one (or the CronJob's creation), how many were missed, and when to look again. Pure, on
// milliseconds, so that tests drive it with any clock.
import type { CronJob } from '../api/types.js';
import { parseStandard, type Schedule } from '../util/cron.js';
import { loadLocation, type Zone } from '../util/zoned-time.js';

/** nextScheduleDelta: look again a little after the due time, so that the due time has passed. */
export const NEXT_SCHEDULE_DELTA_MS = 100;

/** More missed start times than this record TooManyMissedTimes (the controller still starts the latest). */
export const MAX_MISSED_SCHEDULES = 100;

export interface MostRecent {
  /** The last schedule time, the creation time, or the starting deadline, whichever is latest. */
  earliest: number;
  /** The most recent due time not after now, if any. */
  mostRecent?: number;
  missed: number;
}

function timeOf(s: string | undefined): number {
  const t = Date.parse(s ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/**
 * mostRecentScheduleTime. Throws for a schedule that is well formed but never fires twice a second apart
 * (`59 23 31 2 *`): "time difference between two schedules is less than 1 second".
 */
export function mostRecentScheduleTime(
  cj: CronJob,
  now: number,
  schedule: Schedule,
  includeStartingDeadline: boolean,
): MostRecent {
  let earliest = timeOf(cj.metadata?.creationTimestamp);
  if (cj.status?.lastScheduleTime) earliest = timeOf(cj.status.lastScheduleTime);
  const deadline = cj.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && deadline !== undefined && deadline !== null) {
    // Nothing older than the deadline will be started.
    const schedulingDeadline = now - deadline * 1000;
    if (schedulingDeadline > earliest) earliest = schedulingDeadline;
  }
  const t1 = schedule.next(earliest);
  if (t1 === undefined || now < t1) return { earliest, missed: 0 };
  const t2 = schedule.next(t1);
  if (t2 === undefined || now < t2) return { earliest, mostRecent: t1, missed: 1 };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) throw new Error('time difference between two schedules is less than 1 second');
  const elapsed = Math.trunc((now - t1) / 1000);
  const missed = Math.trunc(elapsed / between) + 1;
  // An estimate from the first interval, then forward to the real latest (uneven schedules: monthly).
  let mostRecent = t1 + (missed - 1) * between * 1000;
  for (let t = schedule.next(mostRecent); t !== undefined && t <= now; t = schedule.next(t)) mostRecent = t;
  return { earliest, mostRecent, missed };
}

/** How long until the next due time, plus NEXT_SCHEDULE_DELTA_MS (nextScheduleTimeDuration). */
export function nextScheduleTimeDuration(cj: CronJob, now: number, schedule: Schedule): number | undefined {
  let from: number;
  try {
    const r = mostRecentScheduleTime(cj, now, schedule, false);
    from = r.mostRecent ?? (r.missed === 0 ? r.earliest : now);
  } catch {
    from = now;
  }
  const next = schedule.next(from);
  return next === undefined ? undefined : next + NEXT_SCHEDULE_DELTA_MS - now;
}

/**
 * formatSchedule: spec.timeZone becomes a `TZ=` prefix (an unknown zone leaves the schedule as it is; the
 * controller reports it first). A schedule that names TZ itself is kept and warned about.
 */
export function formatSchedule(cj: CronJob): { schedule: string; usesTZ: boolean } {
  const schedule = cj.spec?.schedule ?? '';
  if (schedule.includes('TZ')) return { schedule, usesTZ: true };
  const tz = cj.spec?.timeZone;
  if (tz !== undefined && tz !== null) {
    try {
      loadLocation(tz);
    } catch {
      return { schedule, usesTZ: false };
    }
    return { schedule: `TZ=${tz} ${schedule}`, usesTZ: false };
  }
  return { schedule, usesTZ: false };
}

export function parseCronJobSchedule(cj: CronJob, localZone: Zone): Schedule {
  return parseStandard(formatSchedule(cj).schedule, localZone);
}

/** getJobName: `<cronjob>-<scheduled time in unix minutes>`, the same for a given due time. */
export function jobNameFor(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(Math.floor(scheduledMs / 1000) / 60)}`;
}
