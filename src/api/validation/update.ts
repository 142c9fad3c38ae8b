// Update validation: what may change between the stored object and the new one (ValidateObjectMetaUpdate,
// ValidatePodUpdate, apps/batch ValidateXUpdate, ValidateConfigMapUpdate/ValidateSecretUpdate; Kubernetes v1.30).

import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type {
  ConfigMap,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodSpec,
  Secret,
  Toleration,
} from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { RoleBinding } from 'kubernetes-types/rbac/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { jsonEqual } from '../json-equal.js';
import type { KubeObject } from '../types.js';
import { validateCronJobUpdate } from './cronjob.js';
import { validateEndpointSliceUpdate } from './discovery.js';
import { type FieldError, forbidden, GoValue, goQuote, invalid, required } from './field-error.js';
import { inclusiveRangeError } from './names.js';
import { child, index } from './path.js';
import { validatePolicyKindUpdate } from './policy-kinds.js';
import { validateBindingUpdate } from './rbac.js';
import { validateStatefulSetUpdate } from './statefulset.js';
import {
  validatePersistentVolumeClaimUpdate,
  validatePersistentVolumeUpdate,
  validateStorageClassUpdate,
} from './storage.js';

const IMMUTABLE = 'field is immutable';
const MAX_INT32 = 2147483647;

export const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

function immutable(newVal: unknown, oldVal: unknown, path: string): FieldError[] {
  return jsonEqual(newVal, oldVal) ? [] : [invalid(path, newVal ?? null, IMMUTABLE)];
}

/** A LabelSelector printed as Go's %#v, the way `field is immutable` errors show it. */
export function selectorValue(sel: LabelSelector | undefined): GoValue {
  if (!sel) return new GoValue(sel, '(*v1.LabelSelector)(nil)');
  const labels = Object.entries(sel.matchLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${goQuote(k)}:${goQuote(v)}`)
    .join(', ');
  const ml = sel.matchLabels ? `map[string]string{${labels}}` : 'map[string]string(nil)';
  const exprs = sel.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions
        .map(
          (e) =>
            `v1.LabelSelectorRequirement{Key:${goQuote(e.key)}, Operator:${goQuote(e.operator)}, Values:${
              e.values ? `[]string{${e.values.map(goQuote).join(', ')}}` : '[]string(nil)'
            }}`,
        )
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new GoValue(sel, `v1.LabelSelector{MatchLabels:${ml}, MatchExpressions:${exprs}}`);
}

function selectorImmutable(n: LabelSelector | undefined, o: LabelSelector | undefined): FieldError[] {
  return jsonEqual(n, o) ? [] : [invalid('spec.selector', selectorValue(n), IMMUTABLE)];
}

export function validateObjectMetaUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const n = obj.metadata ?? {};
  const o = old.metadata ?? {};
  const errs: FieldError[] = [];
  errs.push(...immutable(n.name ?? '', o.name ?? '', 'metadata.name'));
  errs.push(...immutable(n.namespace ?? '', o.namespace ?? '', 'metadata.namespace'));
  errs.push(...immutable(n.uid ?? '', o.uid ?? '', 'metadata.uid'));
  errs.push(
    ...immutable(n.creationTimestamp ?? null, o.creationTimestamp ?? null, 'metadata.creationTimestamp'),
  );
  return errs;
}

/** Only additions: every old toleration is still present (validateOnlyAddedTolerations). */
function onlyAddedTolerations(n: Toleration[], o: Toleration[]): FieldError[] {
  const errs: FieldError[] = [];
  for (const old of o) {
    if (
      !n.some((t) =>
        jsonEqual({ ...t, tolerationSeconds: undefined }, { ...old, tolerationSeconds: undefined }),
      )
    ) {
      errs.push(
        forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'),
      );
    }
  }
  return errs;
}

/** The lines of a small diff between two specs, in place of upstream's cmp.Diff output. */
function specDiff(o: unknown, n: unknown, path = 'spec'): string[] {
  if (jsonEqual(o, n)) return [];
  const isObj = (v: unknown) => typeof v === 'object' && v !== null;
  if (isObj(o) && isObj(n) && Array.isArray(o) === Array.isArray(n)) {
    if (Array.isArray(o) && Array.isArray(n)) {
      if (o.length !== n.length)
        return [`- ${path}: ${JSON.stringify(o)}`, `+ ${path}: ${JSON.stringify(n)}`];
      return o.flatMap((v, i) => specDiff(v, n[i], index(path, i)));
    }
    const oo = o as Record<string, unknown>;
    const nn = n as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(oo), ...Object.keys(nn)])].sort();
    return keys.flatMap((k) => specDiff(oo[k], nn[k], child(path, k)));
  }
  const lines: string[] = [];
  if (o !== undefined) lines.push(`- ${path}: ${JSON.stringify(o)}`);
  if (n !== undefined) lines.push(`+ ${path}: ${JSON.stringify(n)}`);
  return lines;
}

export function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const n = pod.spec ?? ({ containers: [] } as PodSpec);
  const o = old.spec ?? ({ containers: [] } as PodSpec);
  for (const which of ['containers', 'initContainers'] as const) {
    const nc = n[which] ?? [];
    const oc = o[which] ?? [];
    const p = child('spec', which);
    if (nc.length !== oc.length) {
      errs.push(forbidden(p, 'pod updates may not add or remove containers'));
      return errs;
    }
    nc.forEach((c, i) => {
      if (!c.image) errs.push(required(child(index(p, i), 'image')));
      else if (c.image.trim() !== c.image) {
        errs.push(
          invalid(child(index(p, i), 'image'), c.image, 'must not have leading or trailing whitespace'),
        );
      }
    });
  }
  const ads = n.activeDeadlineSeconds;
  if (ads !== undefined) {
    if (ads < 0 || ads > MAX_INT32) {
      errs.push(invalid('spec.activeDeadlineSeconds', ads, inclusiveRangeError(0, MAX_INT32)));
      return errs;
    }
    if (o.activeDeadlineSeconds !== undefined && o.activeDeadlineSeconds < ads) {
      errs.push(invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (o.activeDeadlineSeconds !== undefined) {
    errs.push(
      invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'),
    );
  }

  // Copy the updatable fields from the new spec onto the old one; anything still different is forbidden.
  // Only top-level fields of the copy are replaced below, so a shallow copy compares the same as a deep one.
  const munged = { ...n };
  munged.containers = (n.containers ?? []).map((c, i) => ({ ...c, image: o.containers?.[i]?.image }));
  if (n.initContainers) {
    munged.initContainers = n.initContainers.map((c, i) => ({ ...c, image: o.initContainers?.[i]?.image }));
  }
  munged.activeDeadlineSeconds = o.activeDeadlineSeconds;
  errs.push(...onlyAddedTolerations(n.tolerations ?? [], o.tolerations ?? []));
  munged.tolerations = o.tolerations;
  const oldGrace = o.terminationGracePeriodSeconds;
  if (oldGrace !== undefined && oldGrace < 0 && n.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldGrace;
  }
  if (!jsonEqual(munged, o)) {
    const diff = specDiff(o, munged).join('\n');
    errs.push(
      forbidden(
        'spec',
        `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${diff}`,
      ),
    );
  }
  return errs;
}

function immutableWhenSet(n: ConfigMap | Secret, o: ConfigMap | Secret, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  if (o.immutable !== true) return errs;
  const msg = 'field is immutable when `immutable` is set';
  if (n.immutable !== true) errs.push(forbidden('immutable', msg));
  for (const f of fields) {
    const nv = (n as Record<string, unknown>)[f] ?? {};
    const ov = (o as Record<string, unknown>)[f] ?? {};
    if (!jsonEqual(nv, ov)) errs.push(forbidden(f, msg));
  }
  return errs;
}

/** Kind-specific update rules; metadata rules are in validateObjectMetaUpdate. */
export function validateKindUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  switch (obj.kind) {
    case 'Pod':
      return validatePodUpdate(obj as unknown as Pod, old as unknown as Pod);
    case 'Deployment':
    case 'ReplicaSet': {
      const n = obj as unknown as Deployment | ReplicaSet;
      const o = old as unknown as Deployment | ReplicaSet;
      return selectorImmutable(n.spec?.selector, o.spec?.selector);
    }
    case 'Job': {
      const n = obj as unknown as Job;
      const o = old as unknown as Job;
      const errs = selectorImmutable(n.spec?.selector, o.spec?.selector);
      if (n.spec?.completions !== o.spec?.completions && n.spec?.completionMode === 'NonIndexed') {
        errs.push(invalid('spec.completions', n.spec?.completions ?? null, IMMUTABLE));
      }
      return errs;
    }
    case 'ConfigMap':
      return immutableWhenSet(obj as unknown as ConfigMap, old as unknown as ConfigMap, [
        'data',
        'binaryData',
      ]);
    case 'Secret': {
      const n = obj as unknown as Secret;
      const o = old as unknown as Secret;
      const errs = immutable(n.type ?? 'Opaque', o.type ?? 'Opaque', 'type');
      errs.push(...immutableWhenSet(n, o, ['data']));
      return errs;
    }
    case 'EndpointSlice':
      return validateEndpointSliceUpdate(obj as unknown as EndpointSlice, old as unknown as EndpointSlice);
    case 'StatefulSet': {
      const n = obj as unknown as StatefulSet;
      const o = old as unknown as StatefulSet;
      return [...selectorImmutable(n.spec?.selector, o.spec?.selector), ...validateStatefulSetUpdate(n, o)];
    }
    case 'DaemonSet': {
      const n = obj as unknown as DaemonSet;
      const o = old as unknown as DaemonSet;
      return selectorImmutable(n.spec?.selector, o.spec?.selector);
    }
    case 'CronJob':
      return validateCronJobUpdate(obj as unknown as CronJob, old as unknown as CronJob);
    case 'PersistentVolumeClaim':
      return validatePersistentVolumeClaimUpdate(
        obj as unknown as PersistentVolumeClaim,
        old as unknown as PersistentVolumeClaim,
      );
    case 'PersistentVolume':
      return validatePersistentVolumeUpdate(
        obj as unknown as PersistentVolume,
        old as unknown as PersistentVolume,
      );
    case 'StorageClass':
      return validateStorageClassUpdate(obj as unknown as StorageClass, old as unknown as StorageClass);
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      return validateBindingUpdate(obj as unknown as RoleBinding, old as unknown as RoleBinding);
    default:
      return validatePolicyKindUpdate(obj, old);
  }
}
