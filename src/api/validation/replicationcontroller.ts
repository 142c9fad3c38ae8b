// ReplicationController validation (pkg/apis/core/validation ValidateReplicationController, v1.32): an
// equality-based selector that must not be empty and must match the template's labels.
import type { ReplicationController } from 'kubernetes-types/core/v1.js';
import { type FieldError, forbidden, invalid, notSupported, required } from './field-error.js';
import { validatePodTemplateSpec } from './pod.js';

export function validateReplicationController(rc: ReplicationController): FieldError[] {
  const spec = rc.spec;
  if (!spec) return [required('spec')];
  const errs: FieldError[] = [];
  if (spec.minReadySeconds !== undefined && spec.minReadySeconds < 0) {
    errs.push(invalid('spec.minReadySeconds', spec.minReadySeconds, 'must be greater than or equal to 0'));
  }
  const selector = spec.selector ?? {};
  const empty = Object.keys(selector).length === 0;
  if (empty) errs.push(required('spec.selector'));
  if (spec.replicas !== undefined && spec.replicas < 0) {
    errs.push(invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  }
  const t = spec.template;
  if (!t) {
    errs.push(required('spec.template'));
    return errs;
  }
  const labels = t.metadata?.labels ?? {};
  if (!empty && !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
    errs.push(
      invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'),
    );
  }
  errs.push(...validatePodTemplateSpec(t, 'spec.template'));
  const rp = t.spec?.restartPolicy;
  if (rp !== undefined && rp !== 'Always') {
    errs.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  }
  if (t.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(
      forbidden(
        'spec.template.spec.activeDeadlineSeconds',
        'activeDeadlineSeconds in ReplicationController is not Supported',
      ),
    );
  }
  return errs;
}
