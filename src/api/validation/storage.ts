// PersistentVolumeClaim, PersistentVolume (pkg/apis/core/validation) and StorageClass
// (pkg/apis/storage/validation) validation, Kubernetes v1.30.

import type {
  PersistentVolume,
  PersistentVolumeClaim,
  PersistentVolumeClaimSpec,
  PersistentVolumeSpec,
} from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { jsonEqual } from '../json-equal.js';
import { quantityValue } from '../quantity.js';
import { type FieldError, forbidden, invalid, notSupported, required } from './field-error.js';
import { validateLabelSelector } from './meta.js';
import { isDNS1123Subdomain, isQualifiedName } from './names.js';
import { child, key, type Path } from './path.js';

export const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const PV_RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const SC_RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];
const NOT_POSITIVE = 'must be greater than zero';

/** The persistent volume sources of a PersistentVolumeSpec (exactly one must be set). */
const PV_SOURCES = [
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'hostPath',
  'glusterfs',
  'nfs',
  'rbd',
  'iscsi',
  'cinder',
  'cephfs',
  'fc',
  'flocker',
  'flexVolume',
  'azureFile',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'local',
  'storageos',
  'csi',
] as const;

function validateAccessModes(modes: string[] | undefined, path: Path, requiredMsg: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!modes || modes.length === 0) errs.push(required(path, requiredMsg));
  let once = false;
  let other = false;
  for (const m of modes ?? []) {
    if (!ACCESS_MODES.includes(m)) errs.push(notSupported(path, m, ACCESS_MODES));
    if (m === 'ReadWriteOncePod') once = true;
    else other = true;
  }
  if (once && other) errs.push(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function validateClassName(name: string | undefined, path: Path): FieldError[] {
  if (!name) return [];
  return isDNS1123Subdomain(name).map((m) => invalid(path, name, m));
}

function positiveQuantity(q: string | number, path: Path): FieldError[] {
  const v = typeof q === 'number' ? q : quantityValue(q);
  return v > 0 ? [] : [invalid(path, q, NOT_POSITIVE)];
}

/** ValidatePersistentVolumeClaimSpec (also for a StatefulSet's volumeClaimTemplates). */
export function validateClaimSpec(spec: PersistentVolumeClaimSpec | undefined, path: Path): FieldError[] {
  const s = spec ?? {};
  const errs = validateAccessModes(
    s.accessModes,
    child(path, 'accessModes'),
    'at least 1 access mode is required',
  );
  if (s.selector) errs.push(...validateLabelSelector(s.selector, child(path, 'selector')));
  // Upstream's path quirk: the storage request is reported at `resources[storage]`, not `resources.requests`.
  const storagePath = key(child(path, 'resources'), 'storage');
  const storage = s.resources?.requests?.storage;
  if (storage === undefined) errs.push(required(storagePath));
  else errs.push(...positiveQuantity(storage, storagePath));
  errs.push(...validateClassName(s.storageClassName, child(path, 'storageClassName')));
  if (s.volumeMode !== undefined && !VOLUME_MODES.includes(s.volumeMode)) {
    errs.push(notSupported(child(path, 'volumeMode'), s.volumeMode, VOLUME_MODES));
  }
  return errs;
}

export function validatePersistentVolumeClaim(pvc: PersistentVolumeClaim): FieldError[] {
  return validateClaimSpec(pvc.spec, 'spec');
}

/**
 * ValidatePersistentVolumeClaimUpdate: the spec is fixed once created, except that the binder may set an
 * empty volumeName, and a bound claim may grow its storage request.
 */
export function validatePersistentVolumeClaimUpdate(
  pvc: PersistentVolumeClaim,
  old: PersistentVolumeClaim,
): FieldError[] {
  const errs: FieldError[] = [];
  const n = structuredClone(pvc.spec ?? {});
  const o = structuredClone(old.spec ?? {});
  if (!o.volumeName) n.volumeName = o.volumeName as string;
  if (o.storageClassName === undefined && n.storageClassName !== undefined) {
    // The DefaultStorageClass admission may fill a class in later (retroactive default class assignment).
    o.storageClassName = n.storageClassName;
  }
  const bound = old.status?.phase === 'Bound';
  if (bound) {
    n.resources ??= {};
    n.resources.requests = { ...(n.resources.requests ?? {}), storage: o.resources?.requests?.storage ?? '' };
    if (o.resources?.requests?.storage === undefined) delete n.resources.requests.storage;
    n.volumeAttributesClassName = o.volumeAttributesClassName as string;
  }
  if (!jsonEqual(n, o)) {
    errs.push(
      forbidden(
        'spec',
        'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
      ),
    );
  }
  const newStorage = pvc.spec?.resources?.requests?.storage;
  const oldStorage = old.spec?.resources?.requests?.storage;
  if (bound && newStorage !== undefined && oldStorage !== undefined) {
    if (quantityValue(String(newStorage)) < quantityValue(String(oldStorage))) {
      errs.push(forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
    }
  }
  return errs;
}

function validateVolumeSpec(spec: PersistentVolumeSpec | undefined): FieldError[] {
  const s = spec ?? {};
  const errs = validateAccessModes(s.accessModes, 'spec.accessModes', 'must specify at least 1 access mode');
  const capacity = (s.capacity ?? {}) as Record<string, string>;
  const names = Object.keys(capacity);
  if (names.length === 0) errs.push(required('spec.capacity'));
  if (!('storage' in capacity) || names.length > 1) {
    errs.push(notSupported('spec.capacity', capacity, ['storage']));
  }
  for (const [r, q] of Object.entries(capacity)) errs.push(...positiveQuantity(q, key('spec.capacity', r)));
  const policy = s.persistentVolumeReclaimPolicy;
  if (policy && !PV_RECLAIM_POLICIES.includes(policy)) {
    errs.push(notSupported('spec.persistentVolumeReclaimPolicy', policy, PV_RECLAIM_POLICIES));
  }
  errs.push(...validateClassName(s.storageClassName, 'spec.storageClassName'));
  if (s.volumeMode !== undefined && !VOLUME_MODES.includes(s.volumeMode)) {
    errs.push(notSupported('spec.volumeMode', s.volumeMode, VOLUME_MODES));
  }
  const sources = PV_SOURCES.filter((f) => s[f] !== undefined);
  if (sources.length === 0) errs.push(required('spec', 'must specify a volume type'));
  for (const extra of sources.slice(1)) {
    errs.push(forbidden(`spec.${extra}`, 'may not specify more than 1 volume type'));
  }
  if (s.hostPath && !s.hostPath.path) errs.push(required('spec.hostPath.path'));
  if (s.local) {
    if (!s.local.path) errs.push(required('spec.local.path'));
    if (!s.nodeAffinity) errs.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  if (s.claimRef && !s.claimRef.name) errs.push(required('spec.claimRef.name'));
  return errs;
}

export function validatePersistentVolume(pv: PersistentVolume): FieldError[] {
  return validateVolumeSpec(pv.spec);
}

/** ValidatePersistentVolumeUpdate: the volume source and the volume mode are fixed. */
export function validatePersistentVolumeUpdate(pv: PersistentVolume, old: PersistentVolume): FieldError[] {
  const errs: FieldError[] = [];
  const sourceOf = (s: PersistentVolumeSpec | undefined) =>
    Object.fromEntries(PV_SOURCES.filter((f) => s?.[f] !== undefined).map((f) => [f, s?.[f]]));
  if (!jsonEqual(sourceOf(pv.spec), sourceOf(old.spec))) {
    errs.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is forbidden.'));
  }
  if ((pv.spec?.volumeMode ?? '') !== (old.spec?.volumeMode ?? '')) {
    errs.push(invalid('spec.volumeMode', pv.spec?.volumeMode ?? null, 'field is immutable'));
  }
  if (old.spec?.nodeAffinity && !jsonEqual(pv.spec?.nodeAffinity, old.spec.nodeAffinity)) {
    errs.push(invalid('spec.nodeAffinity', pv.spec?.nodeAffinity ?? null, 'field is immutable'));
  }
  return errs;
}

export function validateStorageClass(sc: StorageClass): FieldError[] {
  const errs: FieldError[] = [];
  if (!sc.provisioner) errs.push(required('provisioner'));
  else
    errs.push(
      ...isQualifiedName(sc.provisioner.toLowerCase()).map((m) => invalid('provisioner', sc.provisioner, m)),
    );
  for (const k of Object.keys(sc.parameters ?? {})) {
    if (k === '') errs.push(invalid('parameters', sc.parameters, 'key cannot be empty'));
  }
  if (sc.reclaimPolicy !== undefined && !SC_RECLAIM_POLICIES.includes(sc.reclaimPolicy)) {
    errs.push(notSupported('reclaimPolicy', sc.reclaimPolicy, SC_RECLAIM_POLICIES));
  }
  if (sc.volumeBindingMode === undefined) errs.push(required('volumeBindingMode'));
  else if (!BINDING_MODES.includes(sc.volumeBindingMode)) {
    errs.push(notSupported('volumeBindingMode', sc.volumeBindingMode, BINDING_MODES));
  }
  return errs;
}

export function validateStorageClassUpdate(sc: StorageClass, old: StorageClass): FieldError[] {
  const errs: FieldError[] = [];
  if (!jsonEqual(sc.parameters ?? {}, old.parameters ?? {})) {
    errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
  }
  if (sc.provisioner !== old.provisioner) {
    errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
  }
  if (sc.reclaimPolicy !== old.reclaimPolicy) {
    errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  }
  if (sc.volumeBindingMode !== old.volumeBindingMode) {
    errs.push(invalid('volumeBindingMode', sc.volumeBindingMode ?? null, 'field is immutable'));
  }
  return errs;
}
