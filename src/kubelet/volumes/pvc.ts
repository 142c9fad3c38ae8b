// persistentVolumeClaim volumes: the claim is resolved to its bound PersistentVolume (the kubelet's
// desired-state populator, getPVCExtractPV) and the volume's directory is used as a hostPath would be.
// podrun's provisioner describes its volumes as hostPath; a `local` volume's path is used the same way.
import type { PersistentVolumeClaimVolumeSource } from 'kubernetes-types/core/v1.js';
import type { ObjectGetter } from '../types.js';
import { setUpHostPath } from './hostpath.js';

/** The desired-state populator could not resolve the claim (missing, not bound, its volume missing). */
export class ClaimProcessingError extends Error {
  override name = 'ClaimProcessingError';
}

/** The host directory behind the claim, checked (or created, for DirectoryOrCreate) as hostPath does. */
export async function resolveClaimPath(
  objects: ObjectGetter,
  namespace: string,
  source: PersistentVolumeClaimVolumeSource,
): Promise<string> {
  const name = source.claimName;
  const prefix = `error processing PVC ${namespace}/${name}`;
  if (!objects.getPersistentVolumeClaim || !objects.getPersistentVolume) {
    throw new ClaimProcessingError(`${prefix}: this node cannot read PersistentVolumeClaims`);
  }
  const claim = await objects.getPersistentVolumeClaim(namespace, name);
  if (!claim) {
    throw new ClaimProcessingError(
      `${prefix}: failed to fetch PVC from API server: persistentvolumeclaims "${name}" not found`,
    );
  }
  if (claim.metadata?.deletionTimestamp) throw new ClaimProcessingError(`${prefix}: PVC is being deleted`);
  const volumeName = claim.spec?.volumeName ?? '';
  if (claim.status?.phase !== 'Bound' || volumeName === '')
    throw new ClaimProcessingError(`${prefix}: PVC is not bound`);
  const pv = await objects.getPersistentVolume(volumeName);
  if (!pv) {
    throw new ClaimProcessingError(
      `${prefix}: failed to fetch PV ${volumeName} from API server: persistentvolumes "${volumeName}" not found`,
    );
  }
  const ref = pv.spec?.claimRef;
  if (ref?.uid && ref.uid !== claim.metadata?.uid) {
    throw new ClaimProcessingError(`${prefix}: the PV ${volumeName} is bound to another claim`);
  }
  if (pv.spec?.hostPath) {
    await setUpHostPath(pv.spec.hostPath);
    return pv.spec.hostPath.path;
  }
  if (pv.spec?.local?.path) return pv.spec.local.path;
  throw new ClaimProcessingError(
    `${prefix}: podrun mounts hostPath and local PersistentVolumes only (PV ${volumeName})`,
  );
}
