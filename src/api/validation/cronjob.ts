// CronJob validation (pkg/apis/batch/validation ValidateCronJobCreate / ValidateCronJobUpdate, v1.32).
import type { CronJob, CronJobSpec, Job } from 'kubernetes-types/batch/v1.js';
import { parseStandard } from '../../util/cron.js';
import { loadLocation } from '../../util/zoned-time.js';
import { type FieldError, GoValue, invalid, notSupported, required } from './field-error.js';
import { validateJob } from './workloads.js';

const IS_NEGATIVE = 'must be greater than or equal to 0';
const POLICIES = ['Allow', 'Forbid', 'Replace'];
/** https://data.iana.org/time-zones/theory.html#naming, with 0-9 and + for legacy names. */
const TZ_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

function nonNegative(v: number | undefined, path: string): FieldError[] {
  return v !== undefined && v < 0 ? [invalid(path, v, IS_NEGATIVE)] : [];
}

function validateSchedule(schedule: string, allowTZ: boolean, timeZone: string | undefined): FieldError[] {
  const path = 'spec.schedule';
  const errs: FieldError[] = [];
  try {
    parseStandard(schedule);
  } catch (err) {
    errs.push(invalid(path, schedule, (err as Error).message));
  }
  if (allowTZ && schedule.includes('TZ') && timeZone !== undefined) {
    errs.push(invalid(path, schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
  } else if (!allowTZ && schedule.includes('TZ')) {
    errs.push(invalid(path, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  return errs;
}

function validateTimeZone(tz: string | undefined): FieldError[] {
  const path = 'spec.timeZone';
  if (tz === undefined) return [];
  if (tz === '') return [invalid(path, tz, 'timeZone must be nil or non-empty string')];
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !TZ_PART.test(part)) {
      return [invalid(path, tz, `unknown time zone ${tz}`)];
    }
  }
  const errs: FieldError[] = [];
  if (tz.toLowerCase() === 'local') {
    errs.push(
      invalid(
        path,
        tz,
        'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
      ),
    );
  }
  try {
    loadLocation(tz);
  } catch (err) {
    errs.push(invalid(path, tz, (err as Error).message));
  }
  return errs;
}

/** ValidateJobTemplateSpec: the job's own rules at spec.jobTemplate.spec; the selector is always generated. */
function validateJobTemplate(spec: CronJobSpec): FieldError[] {
  const jobSpec = spec.jobTemplate?.spec;
  if (!jobSpec) return [required('spec.jobTemplate.spec')];
  const { selector, manualSelector, ...rest } = jobSpec;
  const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: {}, spec: rest } as Job;
  const errs = validateJob(job).map((e) => ({
    ...e,
    field: e.field.replace(/^spec/, 'spec.jobTemplate.spec'),
  }));
  if (selector !== undefined) {
    errs.push(invalid('spec.jobTemplate.spec.selector', selector, '`selector` will be auto-generated'));
  }
  if (manualSelector === true) {
    errs.push(
      notSupported('spec.jobTemplate.spec.manualSelector', new GoValue(true, 'true'), ['nil', 'false']),
    );
  }
  return errs;
}

function validateSpec(cj: CronJob, old: CronJob | undefined): FieldError[] {
  const spec = cj.spec;
  if (!spec) return [required('spec')];
  const errs: FieldError[] = [];
  if (!spec.schedule) errs.push(required('spec.schedule'));
  else
    errs.push(
      ...validateSchedule(spec.schedule, old?.spec?.schedule?.includes('TZ') ?? false, spec.timeZone),
    );
  errs.push(...nonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  if (!old || old.spec?.timeZone !== spec.timeZone) errs.push(...validateTimeZone(spec.timeZone));
  const policy = spec.concurrencyPolicy ?? '';
  if (policy === '') errs.push(required('spec.concurrencyPolicy'));
  else if (!POLICIES.includes(policy)) errs.push(notSupported('spec.concurrencyPolicy', policy, POLICIES));
  errs.push(...validateJobTemplate(spec));
  errs.push(...nonNegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...nonNegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  return errs;
}

/** On create: the spec, and a name short enough for `<name>-<11 characters>` job names (63 at most). */
export function validateCronJob(cj: CronJob): FieldError[] {
  const errs = validateSpec(cj, undefined);
  const name = cj.metadata?.name ?? '';
  if (name.length > 52) errs.push(invalid('metadata.name', name, 'must be no more than 52 characters'));
  return errs;
}

/** On update: the spec against the old one (a TZ= schedule already stored may stay); the name limit is skipped. */
export function validateCronJobUpdate(cj: CronJob, old: CronJob): FieldError[] {
  return validateSpec(cj, old);
}
