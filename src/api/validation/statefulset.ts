// StatefulSet validation (pkg/apis/apps/validation ValidateStatefulSet / ValidateStatefulSetUpdate, v1.30).

import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { jsonEqual } from '../json-equal.js';
import { type FieldError, forbidden, invalid, notSupported, required } from './field-error.js';
import { isEmptySelector, selectorMatches, validateLabelSelector } from './meta.js';
import { isDNS1123Subdomain } from './names.js';
import { child, index } from './path.js';
import { validatePodTemplateSpec } from './pod.js';
import { validateClaimSpec } from './storage.js';

const IS_NEGATIVE = 'must be greater than or equal to 0';
const POLICIES = ['OrderedReady', 'Parallel'];
const UPDATE_TYPES = ['OnDelete', 'RollingUpdate'];
const RETENTION = ['Delete', 'Retain'];

function nonNegative(v: number | undefined, path: string): FieldError[] {
  return v !== undefined && v < 0 ? [invalid(path, v, IS_NEGATIVE)] : [];
}

/** The template as its pods will have it: each claim template is a volume the containers may mount. */
function withClaimVolumes(
  t: PodTemplateSpec | undefined,
  claims: PersistentVolumeClaim[] | undefined,
): PodTemplateSpec | undefined {
  if (!t?.spec || !claims?.length) return t;
  const volumes = [...(t.spec.volumes ?? [])];
  for (const c of claims) {
    const name = c.metadata?.name ?? '';
    if (!name || volumes.some((v) => v.name === name)) continue;
    volumes.push({ name, persistentVolumeClaim: { claimName: name } });
  }
  return { ...t, spec: { ...t.spec, volumes } };
}

export function validateStatefulSet(sts: StatefulSet): FieldError[] {
  const spec = sts.spec;
  if (!spec) return [required('spec')];
  const errs: FieldError[] = [];
  const policy = spec.podManagementPolicy;
  if (!policy) errs.push(required('spec.podManagementPolicy'));
  else if (!POLICIES.includes(policy)) errs.push(notSupported('spec.podManagementPolicy', policy, POLICIES));

  const strategy = spec.updateStrategy ?? {};
  switch (strategy.type) {
    case undefined:
    case '':
      errs.push(required('spec.updateStrategy'));
      break;
    case 'OnDelete':
      if (strategy.rollingUpdate) {
        errs.push(
          invalid(
            'spec.updateStrategy.rollingUpdate',
            strategy.rollingUpdate,
            `only allowed for updateStrategy 'RollingUpdate'`,
          ),
        );
      }
      break;
    case 'RollingUpdate':
      errs.push(
        ...nonNegative(strategy.rollingUpdate?.partition, 'spec.updateStrategy.rollingUpdate.partition'),
      );
      break;
    default:
      errs.push(notSupported('spec.updateStrategy', strategy.type, UPDATE_TYPES));
  }
  const retention = spec.persistentVolumeClaimRetentionPolicy;
  for (const f of ['whenDeleted', 'whenScaled'] as const) {
    const v = retention?.[f];
    if (v !== undefined && !RETENTION.includes(v)) {
      errs.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, v, RETENTION));
    }
  }
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.ordinals?.start, 'spec.ordinals.start'));

  const sel = spec.selector;
  if (!sel) errs.push(required('spec.selector'));
  else {
    errs.push(...validateLabelSelector(sel, 'spec.selector'));
    if (isEmptySelector(sel))
      errs.push(invalid('spec.selector', sel, 'empty selector is invalid for statefulset'));
  }
  const t = spec.template;
  if (sel && !isEmptySelector(sel) && !selectorMatches(sel, t?.metadata?.labels)) {
    errs.push(
      invalid(
        'spec.template.metadata.labels',
        t?.metadata?.labels ?? {},
        '`selector` does not match template `labels`',
      ),
    );
  }
  errs.push(...validatePodTemplateSpec(withClaimVolumes(t, spec.volumeClaimTemplates), 'spec.template'));
  const rp = t?.spec?.restartPolicy;
  if (rp !== undefined && rp !== 'Always')
    errs.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  if (t?.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(
      forbidden(
        'spec.template.spec.activeDeadlineSeconds',
        'activeDeadlineSeconds in StatefulSet is not Supported',
      ),
    );
  }
  (spec.volumeClaimTemplates ?? []).forEach((claim, i) => {
    const path = index('spec.volumeClaimTemplates', i);
    const name = claim.metadata?.name ?? '';
    if (!name) errs.push(required(child(path, 'metadata', 'name'), 'name or generateName is required'));
    else
      for (const m of isDNS1123Subdomain(name)) errs.push(invalid(child(path, 'metadata', 'name'), name, m));
    errs.push(...validateClaimSpec(claim.spec, child(path, 'spec')));
  });
  return errs;
}

/** Only replicas, ordinals, template, updateStrategy, the claim retention policy and minReadySeconds change. */
export function validateStatefulSetUpdate(sts: StatefulSet, old: StatefulSet): FieldError[] {
  const strip = (s: StatefulSet) => {
    const {
      replicas: _r,
      ordinals: _o,
      template: _t,
      updateStrategy: _u,
      persistentVolumeClaimRetentionPolicy: _p,
      minReadySeconds: _m,
      ...rest
    } = s.spec ?? ({} as NonNullable<StatefulSet['spec']>);
    return rest;
  };
  if (jsonEqual(strip(sts), strip(old))) return [];
  return [
    forbidden(
      'spec',
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}
