// HorizontalPodAutoscaler validation (pkg/apis/autoscaling/validation, v1.32), HPAScaleToZero off.

import type {
  HorizontalPodAutoscaler,
  HPAScalingRules,
  MetricIdentifier,
  MetricSpec,
  MetricTarget,
} from 'kubernetes-types/autoscaling/v2.js';
import { quantityValue } from '../quantity.js';
import { type FieldError, forbidden, invalid, notSupported, required } from './field-error.js';

const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const SELECT_POLICIES = ['Disabled', 'Max', 'Min'];
const POLICY_TYPES = ['Percent', 'Pods'];
const MAX_PERIOD_SECONDS = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;

/** apimachinery's IsValidPathSegmentName. */
function pathSegmentErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  for (const bad of ['/', '%']) if (name.includes(bad)) return [`may not contain '${bad}'`];
  return [];
}

export function validateCrossVersionObjectReference(
  ref: { kind?: string; name?: string } | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!ref?.kind) errs.push(required(`${path}.kind`));
  else for (const m of pathSegmentErrors(ref.kind)) errs.push(invalid(`${path}.kind`, ref.kind, m));
  if (!ref?.name) errs.push(required(`${path}.name`));
  else for (const m of pathSegmentErrors(ref.name)) errs.push(invalid(`${path}.name`, ref.name, m));
  return errs;
}

function validateMetricTarget(t: MetricTarget | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = t?.type ?? '';
  if (type === '') errs.push(required(`${path}.type`, 'must specify a metric target type'));
  if (type !== 'Utilization' && type !== 'Value' && type !== 'AverageValue') {
    errs.push(invalid(`${path}.type`, type, 'must be either Utilization, Value, or AverageValue'));
  }
  if (t?.value !== undefined && !(quantityValue(String(t.value)) > 0))
    errs.push(invalid(`${path}.value`, t.value, 'must be positive'));
  if (t?.averageValue !== undefined && !(quantityValue(String(t.averageValue)) > 0))
    errs.push(invalid(`${path}.averageValue`, t.averageValue, 'must be positive'));
  if (t?.averageUtilization !== undefined && t.averageUtilization < 1)
    errs.push(invalid(`${path}.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
  return errs;
}

function validateMetricIdentifier(id: MetricIdentifier | undefined, path: string): FieldError[] {
  if (!id?.name) return [required(`${path}.name`, 'must specify a metric name')];
  return pathSegmentErrors(id.name).map((m) => invalid(`${path}.name`, id.name, m));
}

function validateUtilizationOrValue(t: MetricTarget | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (t?.averageUtilization === undefined && t?.averageValue === undefined)
    errs.push(
      required(
        `${path}.target.averageUtilization`,
        'must set either a target raw value or a target utilization',
      ),
    );
  if (t?.averageUtilization !== undefined && t.averageValue !== undefined)
    errs.push(
      forbidden(
        `${path}.target.averageValue`,
        'may not set both a target raw value and a target utilization',
      ),
    );
  return errs;
}

function validateMetricSpec(m: MetricSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = m.type ?? '';
  if (type === '') errs.push(required(`${path}.type`, 'must specify a metric source type'));
  if (!METRIC_TYPES.includes(type)) errs.push(notSupported(`${path}.type`, type, METRIC_TYPES));
  const present: string[] = [];
  if (m.object) {
    present.push('object');
    if (present.length === 1) {
      const p = `${path}.object`;
      errs.push(...validateCrossVersionObjectReference(m.object.describedObject, `${p}.describedObject`));
      errs.push(...validateMetricIdentifier(m.object.metric, `${p}.metric`));
      errs.push(...validateMetricTarget(m.object.target, `${p}.target`));
      if (m.object.target?.value === undefined && m.object.target?.averageValue === undefined)
        errs.push(required(`${p}.target.averageValue`, 'must set either a target value or averageValue'));
    }
  }
  if (m.external) {
    present.push('external');
    if (present.length === 1) {
      const p = `${path}.external`;
      errs.push(...validateMetricIdentifier(m.external.metric, `${p}.metric`));
      errs.push(...validateMetricTarget(m.external.target, `${p}.target`));
      const t = m.external.target;
      if (t?.value === undefined && t?.averageValue === undefined)
        errs.push(
          required(
            `${p}.target.averageValue`,
            'must set either a target value for metric or a per-pod target',
          ),
        );
      if (t?.value !== undefined && t.averageValue !== undefined)
        errs.push(
          forbidden(`${p}.target.value`, 'may not set both a target value for metric and a per-pod target'),
        );
    }
  }
  if (m.pods) {
    present.push('pods');
    if (present.length === 1) {
      const p = `${path}.pods`;
      errs.push(...validateMetricIdentifier(m.pods.metric, `${p}.metric`));
      errs.push(...validateMetricTarget(m.pods.target, `${p}.target`));
      if (m.pods.target?.averageValue === undefined)
        errs.push(required(`${p}.target.averageValue`, 'must specify a positive target averageValue'));
    }
  }
  if (m.resource) {
    present.push('resource');
    if (present.length === 1) {
      const p = `${path}.resource`;
      if (!m.resource.name) errs.push(required(`${p}.name`, 'must specify a resource name'));
      errs.push(...validateMetricTarget(m.resource.target, `${p}.target`));
      errs.push(...validateUtilizationOrValue(m.resource.target, p));
    }
  }
  if (m.containerResource) {
    present.push('containerResource');
    if (present.length === 1) {
      const p = `${path}.containerResource`;
      if (!m.containerResource.name) errs.push(required(`${p}.name`, 'must specify a resource name'));
      if (!m.containerResource.container) errs.push(required(`${p}.container`, 'must specify a container'));
      errs.push(...validateMetricTarget(m.containerResource.target, `${p}.target`));
      errs.push(...validateUtilizationOrValue(m.containerResource.target, p));
    }
  }
  const expected = type === 'ContainerResource' ? 'containerResource' : type.toLowerCase();
  if (METRIC_TYPES.includes(type) && !present.includes(expected)) {
    errs.push(required(`${path}.${expected}`, 'must populate information for the given metric source'));
  }
  if (present.length !== 1) {
    for (const t of present.filter((x) => x !== expected))
      errs.push(forbidden(`${path}.${t}`, 'must populate the given metric source only'));
  }
  return errs;
}

function validateScalingRules(rules: HPAScalingRules | undefined, path: string): FieldError[] {
  if (!rules) return [];
  const errs: FieldError[] = [];
  const w = rules.stabilizationWindowSeconds;
  if (w !== undefined && w < 0)
    errs.push(invalid(`${path}.stabilizationWindowSeconds`, w, 'must be greater than or equal to zero'));
  if (w !== undefined && w > MAX_STABILIZATION_WINDOW_SECONDS)
    errs.push(
      invalid(
        `${path}.stabilizationWindowSeconds`,
        w,
        `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`,
      ),
    );
  if (rules.selectPolicy !== undefined && !SELECT_POLICIES.includes(rules.selectPolicy))
    errs.push(notSupported(`${path}.selectPolicy`, rules.selectPolicy, SELECT_POLICIES));
  if (!rules.policies || rules.policies.length === 0)
    errs.push(required(`${path}.policies`, 'must specify at least one Policy'));
  (rules.policies ?? []).forEach((p, i) => {
    const pp = `${path}.policies[${i}]`;
    if (!POLICY_TYPES.includes(p.type)) errs.push(notSupported(`${pp}.type`, p.type, POLICY_TYPES));
    if (!(p.value > 0)) errs.push(invalid(`${pp}.value`, p.value, 'must be greater than zero'));
    if (!(p.periodSeconds > 0))
      errs.push(invalid(`${pp}.periodSeconds`, p.periodSeconds, 'must be greater than zero'));
    if (p.periodSeconds > MAX_PERIOD_SECONDS)
      errs.push(
        invalid(
          `${pp}.periodSeconds`,
          p.periodSeconds,
          `must be less than or equal to ${MAX_PERIOD_SECONDS}`,
        ),
      );
  });
  return errs;
}

export function validateHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): FieldError[] {
  const spec = hpa.spec;
  if (!spec) return [required('spec')];
  const errs: FieldError[] = [];
  if (spec.minReplicas !== undefined && spec.minReplicas < 1)
    errs.push(invalid('spec.minReplicas', spec.minReplicas, 'must be greater than or equal to 1'));
  const max = spec.maxReplicas ?? 0;
  if (max < 1) errs.push(invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (spec.minReplicas !== undefined && max < spec.minReplicas)
    errs.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  errs.push(...validateCrossVersionObjectReference(spec.scaleTargetRef, 'spec.scaleTargetRef'));
  (spec.metrics ?? []).forEach((m, i) => {
    errs.push(...validateMetricSpec(m, `spec.metrics[${i}]`));
  });
  errs.push(...validateScalingRules(spec.behavior?.scaleUp, 'spec.behavior.scaleUp'));
  errs.push(...validateScalingRules(spec.behavior?.scaleDown, 'spec.behavior.scaleDown'));
  return errs;
}
