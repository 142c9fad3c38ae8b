// Defaulting of the storage kinds and StatefulSets (pkg/apis/core/v1/defaults.go SetDefaults_PersistentVolume,
// SetDefaults_PersistentVolumeClaim(Spec); pkg/apis/storage/v1/defaults.go; pkg/apis/apps/v1/defaults.go
// SetDefaults_StatefulSet, Kubernetes v1.30). Called by defaults.ts on an object the caller owns.
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type {
  PersistentVolume,
  PersistentVolumeClaim,
  PersistentVolumeClaimSpec,
} from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';

function defaultClaimSpec(spec: PersistentVolumeClaimSpec | undefined): void {
  if (spec) spec.volumeMode ??= 'Filesystem';
}

export function defaultPersistentVolumeClaim(pvc: PersistentVolumeClaim): void {
  pvc.spec ??= {};
  defaultClaimSpec(pvc.spec);
  // kubernetes-types marks status readonly; defaulting writes it as the API server does.
  const w = pvc as { status?: { phase?: string } };
  w.status ??= {};
  w.status.phase ||= 'Pending';
}

export function defaultPersistentVolume(pv: PersistentVolume): void {
  pv.spec ??= {};
  pv.spec.persistentVolumeReclaimPolicy ||= 'Retain';
  pv.spec.volumeMode ??= 'Filesystem';
  if (pv.spec.hostPath && pv.spec.hostPath.type === undefined) pv.spec.hostPath.type = '';
  const w = pv as { status?: { phase?: string } };
  w.status ??= {};
  w.status.phase ||= 'Pending';
}

export function defaultStorageClass(sc: StorageClass): void {
  sc.reclaimPolicy ??= 'Delete';
  sc.volumeBindingMode ??= 'Immediate';
}

export function defaultStatefulSetSpec(sts: StatefulSet): void {
  const spec = sts.spec;
  if (!spec) return;
  spec.podManagementPolicy ||= 'OrderedReady';
  spec.updateStrategy ??= {};
  const strategy = spec.updateStrategy;
  if (!strategy.type) {
    strategy.type = 'RollingUpdate';
    strategy.rollingUpdate ??= {};
  }
  if (strategy.type === 'RollingUpdate' && strategy.rollingUpdate) {
    strategy.rollingUpdate.partition ??= 0;
  }
  spec.persistentVolumeClaimRetentionPolicy ??= {};
  spec.persistentVolumeClaimRetentionPolicy.whenDeleted ||= 'Retain';
  spec.persistentVolumeClaimRetentionPolicy.whenScaled ||= 'Retain';
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  // The generated defaulters walk into the claim templates: each is defaulted as a claim (phase Pending).
  for (const t of spec.volumeClaimTemplates ?? []) defaultPersistentVolumeClaim(t);
}
