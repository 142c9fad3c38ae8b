// printPersistentVolumeClaim, printPersistentVolume, printStorageClass (pkg/printers/internalversion/printers.go,
// v1.30) and the access-mode shorthand of GetAccessModesAsString.
import type { KubeObject, PersistentVolume, PersistentVolumeClaim, StorageClass } from '../api/types.js';
import { translateTimestampSince } from './duration.js';
import { AGE_COLUMN, column, NAME_COLUMN } from './meta.js';
import { printer } from './row-printer.js';
import type { TableCell, TableColumnDefinition } from './types.js';

const ACCESS_MODE_SHORT: ReadonlyArray<[string, string]> = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** `RWO,RWX`: in upstream's fixed order, each mode once. */
export function accessModesString(modes: readonly string[] | undefined): string {
  return ACCESS_MODE_SHORT.filter(([m]) => (modes ?? []).includes(m))
    .map(([, s]) => s)
    .join(',');
}

/** storage.kubernetes.io's default-class annotation (and its beta form), as IsDefaultAnnotation reads it. */
export function isDefaultStorageClass(sc: KubeObject | StorageClass): boolean {
  const a = sc.metadata?.annotations ?? {};
  return (
    a['storageclass.kubernetes.io/is-default-class'] === 'true' ||
    a['storageclass.beta.kubernetes.io/is-default-class'] === 'true'
  );
}

export const persistentVolumeClaimColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column(
    'Status',
    'string',
    'Status represents the current information/status of a persistent volume claim.',
  ),
  column(
    'Volume',
    'string',
    'volumeName is the binding reference to the PersistentVolume backing this claim.',
  ),
  column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
  column('Access Modes', 'string', 'accessModes contains the desired access modes the volume should have.'),
  column('StorageClass', 'string', 'StorageClass of the pvc'),
  column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
  AGE_COLUMN,
  column('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', 1),
];

export function printPersistentVolumeClaimRow(pvc: PersistentVolumeClaim, now: number): TableCell[] {
  const phase = pvc.metadata?.deletionTimestamp ? 'Terminating' : (pvc.status?.phase ?? '');
  let capacity = '';
  let modes = '';
  if (pvc.spec?.volumeName) {
    modes = accessModesString(pvc.status?.accessModes);
    capacity = String(pvc.status?.capacity?.storage ?? '0');
  }
  return [
    pvc.metadata?.name ?? '',
    phase,
    pvc.spec?.volumeName ?? '',
    capacity,
    modes,
    pvc.spec?.storageClassName ??
      pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ??
      '',
    pvc.spec?.volumeAttributesClassName || '<unset>',
    translateTimestampSince(pvc.metadata?.creationTimestamp, now),
    pvc.spec?.volumeMode ?? '<unset>',
  ];
}

export const persistentVolumeColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column(
    'Capacity',
    'string',
    "capacity is the description of the persistent volume's resources and capacity.",
  ),
  column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
  column(
    'Reclaim Policy',
    'string',
    'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.',
  ),
  column(
    'Status',
    'string',
    'phase indicates if a volume is available, bound to a claim, or released by a claim.',
  ),
  column(
    'Claim',
    'string',
    'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.',
  ),
  column('StorageClass', 'string', 'StorageClass of the pv'),
  column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
  column(
    'Reason',
    'string',
    'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.',
  ),
  AGE_COLUMN,
  column(
    'VolumeMode',
    'string',
    'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.',
    1,
  ),
];

export function printPersistentVolumeRow(pv: PersistentVolume, now: number): TableCell[] {
  const ref = pv.spec?.claimRef;
  const phase = pv.metadata?.deletionTimestamp ? 'Terminating' : (pv.status?.phase ?? '');
  return [
    pv.metadata?.name ?? '',
    String(pv.spec?.capacity?.storage ?? '0'),
    accessModesString(pv.spec?.accessModes),
    pv.spec?.persistentVolumeReclaimPolicy ?? '',
    phase,
    ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '',
    pv.spec?.storageClassName ?? pv.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '',
    pv.spec?.volumeAttributesClassName || '<unset>',
    pv.status?.reason ?? '',
    translateTimestampSince(pv.metadata?.creationTimestamp, now),
    pv.spec?.volumeMode ?? '<unset>',
  ];
}

export const storageClassColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column('Provisioner', 'string', 'Indicates the type of the provisioner.'),
  column('ReclaimPolicy', 'string', 'Indicates the type of the reclaim policy.'),
  column('VolumeBindingMode', 'string', 'Indicates the type of volume binding mode.'),
  column('AllowVolumeExpansion', 'string', 'Indicates whether the storage class allow volume expand.'),
  AGE_COLUMN,
];

export function printStorageClassRow(sc: StorageClass, now: number): TableCell[] {
  const name = sc.metadata?.name ?? '';
  return [
    isDefaultStorageClass(sc) ? `${name} (default)` : name,
    sc.provisioner,
    sc.reclaimPolicy ?? 'Delete',
    sc.volumeBindingMode ?? 'Immediate',
    String(sc.allowVolumeExpansion ?? false),
    translateTimestampSince(sc.metadata?.creationTimestamp, now),
  ];
}

export const printPersistentVolumeClaims = printer<PersistentVolumeClaim>(
  persistentVolumeClaimColumnDefinitions,
  printPersistentVolumeClaimRow,
);
export const printPersistentVolumes = printer<PersistentVolume>(
  persistentVolumeColumnDefinitions,
  printPersistentVolumeRow,
);
export const printStorageClasses = printer<StorageClass>(storageClassColumnDefinitions, printStorageClassRow);
