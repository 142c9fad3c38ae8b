// Deployment, ReplicaSet (pkg/apis/apps/validation) and Job (pkg/apis/batch/validation) validation, v1.30.

import type { Deployment, DeploymentStrategy, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { type FieldError, forbidden, invalid, notSupported, required } from './field-error.js';
import { isEmptySelector, selectorMatches, validateLabelSelector } from './meta.js';
import { isValidPercent } from './names.js';
import { child, type Path } from './path.js';
import { validatePodTemplateSpec } from './pod.js';

const IS_NEGATIVE = 'must be greater than or equal to 0';

function nonNegative(value: number | undefined, path: Path): FieldError[] {
  return value !== undefined && value < 0 ? [invalid(path, value, IS_NEGATIVE)] : [];
}

/** The label key the API server puts on a Job's generated selector and pod template. */
export const JOB_CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';

function validateSelector(sel: LabelSelector | undefined, path: Path): FieldError[] {
  if (!sel) return [required(path)];
  const errs = validateLabelSelector(sel, path);
  if (isEmptySelector(sel)) errs.push(invalid(path, sel, 'empty selector is invalid for deployment'));
  return errs;
}

/** ValidatePodTemplateSpecForReplicaSet: the template must carry the selector's labels and restart Always. */
export function validateTemplateForReplicaSet(
  t: PodTemplateSpec | undefined,
  sel: LabelSelector | undefined,
  path: Path,
): FieldError[] {
  if (!t) return [required(path)];
  const errs: FieldError[] = [];
  if (sel && !isEmptySelector(sel) && !selectorMatches(sel, t.metadata?.labels)) {
    errs.push(
      invalid(
        child(path, 'metadata', 'labels'),
        t.metadata?.labels ?? {},
        '`selector` does not match template `labels`',
      ),
    );
  }
  errs.push(...validatePodTemplateSpec(t, path));
  const rp = t.spec?.restartPolicy;
  if (rp !== undefined && rp !== 'Always')
    errs.push(notSupported(child(path, 'spec', 'restartPolicy'), rp, ['Always']));
  if (t.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(
      forbidden(
        child(path, 'spec', 'activeDeadlineSeconds'),
        'activeDeadlineSeconds in ReplicaSet is not Supported',
      ),
    );
  }
  return errs;
}

export function intOrPercent(v: number | string | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+%$/.test(v)) return Number(v.slice(0, -1));
  return v === undefined ? 0 : -1;
}

export function validatePositiveIntOrPercent(v: number | string | undefined, path: Path): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => invalid(path, v, m));
  return nonNegative(v, path);
}

function validateStrategy(s: DeploymentStrategy | undefined, path: Path): FieldError[] {
  if (!s || s.type === undefined) return [];
  const errs: FieldError[] = [];
  switch (s.type) {
    case 'Recreate':
      if (s.rollingUpdate) {
        errs.push(
          forbidden(child(path, 'rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'"),
        );
      }
      break;
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (!ru) break; // defaulting fills it in
      const up = child(path, 'rollingUpdate');
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, child(up, 'maxUnavailable')));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, child(up, 'maxSurge')));
      if (ru.maxUnavailable !== undefined && ru.maxSurge !== undefined) {
        if (intOrPercent(ru.maxUnavailable) === 0 && intOrPercent(ru.maxSurge) === 0) {
          errs.push(
            invalid(child(up, 'maxUnavailable'), ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'),
          );
        }
      }
      if (typeof ru.maxUnavailable === 'string' && intOrPercent(ru.maxUnavailable) > 100) {
        errs.push(invalid(child(up, 'maxUnavailable'), ru.maxUnavailable, 'must not be greater than 100%'));
      }
      break;
    }
    default:
      // Upstream reports the whole strategy struct at `spec.strategy`; the type is what is wrong.
      errs.push(notSupported(child(path, 'type'), s.type, ['Recreate', 'RollingUpdate']));
  }
  return errs;
}

export function validateDeployment(d: Deployment): FieldError[] {
  const spec = d.spec;
  if (!spec) return [required('spec')];
  const errs: FieldError[] = [];
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...validateSelector(spec.selector, 'spec.selector'));
  errs.push(...validateTemplateForReplicaSet(spec.template, spec.selector, 'spec.template'));
  errs.push(...validateStrategy(spec.strategy, 'spec.strategy'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (spec.progressDeadlineSeconds !== undefined) {
    errs.push(...nonNegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(
        invalid(
          'spec.progressDeadlineSeconds',
          spec.progressDeadlineSeconds,
          'must be greater than minReadySeconds',
        ),
      );
    }
  }
  return errs;
}

export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  const spec = rs.spec;
  if (!spec) return [required('spec')];
  const errs: FieldError[] = [];
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateSelector(spec.selector, 'spec.selector'));
  errs.push(...validateTemplateForReplicaSet(spec.template, spec.selector, 'spec.template'));
  return errs;
}

const JOB_NAME_LABELS = ['batch.kubernetes.io/job-name', 'job-name'];
const CONTROLLER_UID_LABELS = [JOB_CONTROLLER_UID_LABEL, 'controller-uid'];

/**
 * What the API server does to a Job on create unless `manualSelector: true` (batch strategy generateSelector):
 * adds the controller-uid label to the selector, and the uid and job-name labels to the pod template.
 * Returns a new object.
 */
export function withGeneratedJobSelector(job: Job, uid: string): Job {
  const out = structuredClone(job);
  const spec = out.spec;
  if (!spec || spec.manualSelector === true) return out;
  const name = out.metadata?.name ?? '';
  spec.selector ??= {};
  spec.selector.matchLabels = { ...spec.selector.matchLabels };
  spec.selector.matchLabels[JOB_CONTROLLER_UID_LABEL] ??= uid;
  spec.template.metadata ??= {};
  const labels = { ...spec.template.metadata.labels };
  for (const k of CONTROLLER_UID_LABELS) labels[k] ??= uid;
  for (const k of JOB_NAME_LABELS) labels[k] ??= name;
  spec.template.metadata.labels = labels;
  return out;
}

export function validateJob(job: Job): FieldError[] {
  const spec = job.spec;
  if (!spec) return [required('spec')];
  const errs: FieldError[] = [];
  const manual = spec.manualSelector === true;
  if (spec.selector === undefined) {
    // Without manualSelector the API server generates the selector on create.
    if (manual) errs.push(required('spec.selector'));
  } else {
    errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    // Without manualSelector the server adds its generated labels to both sides before this check.
    const labels = manual
      ? spec.template?.metadata?.labels
      : withGeneratedJobSelector(job, job.metadata?.uid ?? '').spec?.template?.metadata?.labels;
    const selector = manual
      ? spec.selector
      : withGeneratedJobSelector(job, job.metadata?.uid ?? '').spec!.selector!;
    if (!selectorMatches(selector, labels)) {
      errs.push(
        invalid(
          'spec.template.metadata.labels',
          spec.template?.metadata?.labels ?? {},
          '`selector` does not match template `labels`',
        ),
      );
    }
  }
  errs.push(...nonNegative(spec.parallelism, 'spec.parallelism'));
  errs.push(...nonNegative(spec.completions, 'spec.completions'));
  errs.push(...nonNegative(spec.activeDeadlineSeconds, 'spec.activeDeadlineSeconds'));
  errs.push(...nonNegative(spec.backoffLimit, 'spec.backoffLimit'));
  errs.push(...nonNegative(spec.ttlSecondsAfterFinished, 'spec.ttlSecondsAfterFinished'));
  if (spec.completionMode !== undefined) {
    if (spec.completionMode !== 'NonIndexed' && spec.completionMode !== 'Indexed') {
      errs.push(notSupported('spec.completionMode', spec.completionMode, ['NonIndexed', 'Indexed']));
    }
    if (spec.completionMode === 'Indexed' && spec.completions === undefined) {
      errs.push(required('spec.completions', 'when completion mode is Indexed'));
    }
  }
  errs.push(...validatePodTemplateSpec(spec.template, 'spec.template'));
  const rp = spec.template?.spec?.restartPolicy;
  // Defaulting sets Always on every pod template, so a Job that leaves it out is told the valid values.
  if (rp === undefined || rp === '' || rp === 'Always') {
    errs.push(required('spec.template.spec.restartPolicy', 'valid values: "OnFailure", "Never"'));
  } else if (rp !== 'OnFailure' && rp !== 'Never') {
    errs.push(notSupported('spec.template.spec.restartPolicy', rp, ['OnFailure', 'Never']));
  } else if (rp === 'OnFailure' && spec.podFailurePolicy) {
    errs.push(
      invalid(
        'spec.template.spec.restartPolicy',
        rp,
        'only "Never" is supported when podFailurePolicy is specified',
      ),
    );
  }
  return errs;
}
