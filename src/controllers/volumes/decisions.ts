// What the persistent volume controller does with one claim or one volume (pkg/controller/volume/persistentvolume
// pv_controller.go syncUnboundClaim / syncBoundClaim / syncVolume, reduced to one node and one provisioner).
// Pure: the controller (pv-controller.ts) reads the caches, asks here, and performs the answer.

import { quantityValue } from '../../api/quantity.js';
import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../../api/types.js';

export { LOCAL_PATH_PROVISIONER } from '../../api/storage-names.js';

import { LOCAL_PATH_PROVISIONER } from '../../api/storage-names.js';
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';
export const BIND_COMPLETED_ANNOTATION = 'pv.kubernetes.io/bind-completed';
export const BOUND_BY_CONTROLLER_ANNOTATION = 'pv.kubernetes.io/bound-by-controller';
export const STORAGE_PROVISIONER_ANNOTATION = 'volume.kubernetes.io/storage-provisioner';
export const BETA_STORAGE_PROVISIONER_ANNOTATION = 'volume.beta.kubernetes.io/storage-provisioner';

export type ClaimAction =
  | { action: 'none' }
  /** Bound already: make both sides say so (status of the claim, phase of the volume). */
  | { action: 'bind'; volume: PersistentVolume }
  | { action: 'waitForFirstConsumer' }
  | { action: 'provision'; storageClass: StorageClass }
  | { action: 'lost' }
  /** Nothing to bind and nothing will provision: the event says why. */
  | { action: 'pending'; reason: string; message: string };

export type VolumeAction =
  | { action: 'none' }
  | { action: 'phase'; phase: 'Available' | 'Bound' | 'Released' }
  /** Released with reclaim policy Delete: the volume (and what it stores) goes. */
  | { action: 'delete' };

function claimKey(c: { namespace?: string; name?: string }): string {
  return `${c.namespace ?? ''}/${c.name ?? ''}`;
}

/** The class a claim asks for ('' is "no class"). */
export function claimClass(claim: PersistentVolumeClaim): string {
  return claim.spec?.storageClassName ?? '';
}

/** Whether `pv` can serve `claim`: same class, enough capacity, every access mode asked for, not taken. */
export function volumeMatches(pv: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  if (pv.metadata?.deletionTimestamp) return false;
  const ref = pv.spec?.claimRef;
  if (ref) {
    if (claimKey(ref) !== claimKey(claim.metadata ?? {})) return false;
    if (ref.uid && ref.uid !== claim.metadata?.uid) return false;
  } else if (pv.status?.phase !== 'Available') return false;
  if ((pv.spec?.storageClassName ?? '') !== claimClass(claim)) return false;
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (claim.spec?.volumeMode ?? 'Filesystem')) return false;
  const want = quantityValue(String(claim.spec?.resources?.requests?.storage ?? '0'));
  const have = quantityValue(String(pv.spec?.capacity?.storage ?? '0'));
  if (!(have >= want)) return false;
  const modes = pv.spec?.accessModes ?? [];
  return (claim.spec?.accessModes ?? []).every((m) => modes.includes(m));
}

/** The smallest matching volume (findBestMatchForClaim); a volume pre-bound to the claim wins. */
export function bestVolumeFor(
  claim: PersistentVolumeClaim,
  volumes: readonly PersistentVolume[],
): PersistentVolume | undefined {
  const matches = volumes.filter((v) => volumeMatches(v, claim));
  const prebound = matches.find((v) => v.spec?.claimRef);
  if (prebound) return prebound;
  const size = (v: PersistentVolume) => quantityValue(String(v.spec?.capacity?.storage ?? '0'));
  return matches.sort((a, b) => size(a) - size(b))[0];
}

export function decideClaim(
  claim: PersistentVolumeClaim,
  classes: ReadonlyMap<string, StorageClass>,
  volumes: readonly PersistentVolume[],
): ClaimAction {
  if (claim.metadata?.deletionTimestamp) return { action: 'none' };
  const volumeName = claim.spec?.volumeName;
  if (volumeName) {
    const pv = volumes.find((v) => v.metadata?.name === volumeName);
    if (!pv) return claim.status?.phase === 'Bound' ? { action: 'lost' } : { action: 'none' };
    const ref = pv.spec?.claimRef;
    if (ref?.uid && ref.uid !== claim.metadata?.uid) return { action: 'none' };
    return { action: 'bind', volume: pv };
  }
  const className = claimClass(claim);
  const sc = className ? classes.get(className) : undefined;
  const delayed = sc?.volumeBindingMode === 'WaitForFirstConsumer';
  const selected = claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION];
  const match = bestVolumeFor(claim, volumes);
  // A volume pre-bound to this claim binds at once; any other waits for the consumer in delayed mode.
  if (match && (match.spec?.claimRef || !delayed || selected)) return { action: 'bind', volume: match };
  if (!className) {
    return {
      action: 'pending',
      reason: 'FailedBinding',
      message: 'no persistent volumes available for this claim and no storage class is set',
    };
  }
  if (!sc) {
    return {
      action: 'pending',
      reason: 'ProvisioningFailed',
      message: `storageclass.storage.k8s.io "${className}" not found`,
    };
  }
  if (delayed && !selected) return { action: 'waitForFirstConsumer' };
  if (sc.provisioner !== LOCAL_PATH_PROVISIONER) {
    return {
      action: 'pending',
      reason: 'ExternalProvisioning',
      message: `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
    };
  }
  return { action: 'provision', storageClass: sc };
}

export function decideVolume(
  pv: PersistentVolume,
  claims: ReadonlyMap<string, PersistentVolumeClaim>,
): VolumeAction {
  if (pv.metadata?.deletionTimestamp) return { action: 'none' };
  const phase = pv.status?.phase;
  const ref = pv.spec?.claimRef;
  if (!ref) return phase === 'Available' ? { action: 'none' } : { action: 'phase', phase: 'Available' };
  const claim = claims.get(claimKey(ref));
  // Pre-bound by a user to a claim that does not exist yet: available to that claim.
  if (!ref.uid && !claim)
    return phase === 'Available' ? { action: 'none' } : { action: 'phase', phase: 'Available' };
  if (!claim || (ref.uid && claim.metadata?.uid !== ref.uid)) {
    if (phase !== 'Released' && phase !== 'Failed') return { action: 'phase', phase: 'Released' };
    if (phase === 'Released' && pv.spec?.persistentVolumeReclaimPolicy === 'Delete')
      return { action: 'delete' };
    return { action: 'none' };
  }
  if (claim.spec?.volumeName === pv.metadata?.name) {
    return phase === 'Bound' ? { action: 'none' } : { action: 'phase', phase: 'Bound' };
  }
  // The claim side of the bind is not written yet: the claim's sync finishes it.
  return { action: 'none' };
}

/** The claims a pod mounts, by name. */
export function podClaimNames(pod: Pod): string[] {
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    const n = v.persistentVolumeClaim?.claimName;
    if (n && !out.includes(n)) out.push(n);
  }
  return out;
}

/** Whether a pod still holds its claims (the pvc-protection controller's isPodUsingPVC): it has not finished. */
export function podHoldsClaims(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}
