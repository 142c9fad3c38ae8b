// DaemonSet validation (pkg/apis/apps/validation ValidateDaemonSet / ValidateDaemonSetUpdate, v1.32).
import type { DaemonSet, DaemonSetUpdateStrategy } from 'kubernetes-types/apps/v1.js';
import { type FieldError, invalid, notSupported, required } from './field-error.js';
import { isEmptySelector, selectorMatches, validateLabelSelector } from './meta.js';
import { child, type Path } from './path.js';
import { validatePodTemplateSpec } from './pod.js';
import { intOrPercent, validatePositiveIntOrPercent } from './workloads.js';

const IS_NEGATIVE = 'must be greater than or equal to 0';

function nonNegative(v: number | undefined, path: Path): FieldError[] {
  return v !== undefined && v < 0 ? [invalid(path, v, IS_NEGATIVE)] : [];
}

function notOver100Percent(v: number | string | undefined, path: Path): FieldError[] {
  return typeof v === 'string' && intOrPercent(v) > 100
    ? [invalid(path, v, 'must not be greater than 100%')]
    : [];
}

function validateUpdateStrategy(s: DaemonSetUpdateStrategy | undefined, path: Path): FieldError[] {
  switch (s?.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (!ru) return [required(child(path, 'rollingUpdate'))];
      const up = child(path, 'rollingUpdate');
      const errs = [
        ...validatePositiveIntOrPercent(ru.maxUnavailable, child(up, 'maxUnavailable')),
        ...validatePositiveIntOrPercent(ru.maxSurge, child(up, 'maxSurge')),
        ...notOver100Percent(ru.maxUnavailable, child(up, 'maxUnavailable')),
        ...notOver100Percent(ru.maxSurge, child(up, 'maxSurge')),
      ];
      // Exactly one of them is non-zero.
      const hasUnavailable = intOrPercent(ru.maxUnavailable) !== 0;
      const hasSurge = intOrPercent(ru.maxSurge) !== 0;
      if (hasUnavailable && hasSurge) {
        errs.push(
          invalid(child(up, 'maxSurge'), ru.maxSurge, 'may not be set when maxUnavailable is non-zero'),
        );
      } else if (!hasUnavailable && !hasSurge) {
        errs.push(required(child(up, 'maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
      }
      return errs;
    }
    default:
      return [notSupported(path, s?.type ?? '', ['RollingUpdate', 'OnDelete'])];
  }
}

export function validateDaemonSet(ds: DaemonSet): FieldError[] {
  const spec = ds.spec;
  if (!spec) return [required('spec')];
  const errs: FieldError[] = [];
  const sel = spec.selector;
  const t = spec.template;
  if (!sel) errs.push(required('spec.selector'));
  else {
    errs.push(...validateLabelSelector(sel, 'spec.selector'));
    if (!selectorMatches(sel, t?.metadata?.labels)) {
      errs.push(
        invalid(
          'spec.template.metadata.labels',
          t?.metadata?.labels ?? {},
          '`selector` does not match template `labels`',
        ),
      );
    }
    if (isEmptySelector(sel))
      errs.push(invalid('spec.selector', sel, 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(t, 'spec.template'));
  const rp = t?.spec?.restartPolicy;
  if (rp !== undefined && rp !== 'Always') {
    errs.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  }
  if (t?.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(
      invalid(
        'spec.template.spec.activeDeadlineSeconds',
        t.spec.activeDeadlineSeconds,
        'activeDeadlineSeconds in DaemonSet is not Supported',
      ),
    );
  }
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateUpdateStrategy(spec.updateStrategy, 'spec.updateStrategy'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  return errs;
}
