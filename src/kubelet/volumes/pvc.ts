// persistentVolumeClaim volumes: the claim is resolved to its bound PersistentVolume (the kubelet's
// desired-state populator, getPVCExtractPV) and the volume's directory is used as a hostPath would be.
// podrun's provisioner describes its volumes as hostPath; a `local` volume's path is used the same way.
import type { PersistentVolumeClaimVolumeSource } from 'kubernetes-types/core/v1.js';
import type { ObjectGetter } from '../types.js';
import { setUpHostPath } from './hostpath.js';

/** The host directory behind the claim, checked (or created, for DirectoryOrCreate) as hostPath does. */
export async function resolveClaimPath(
  objects: ObjectGetter,
  namespace: string,
  source: PersistentVolumeClaimVolumeSource,
): Promise<string> {
  const name = source.claimName;
  const prefix = `error processing PVC ${namespace}/${name}`;
  if (!objects.getPersistentVolumeClaim || !objects.getPersistentVolume) {
    throw new Error(`${prefix}: this node cannot read PersistentVolumeClaims`);
  }
  const claim = await objects.getPersistentVolumeClaim(namespace, name);
  if (!claim) {
    throw new Error(
      `${prefix}: failed to fetch PVC from API server: persistentvolumeclaims "${name}" not found`,
    );
  }
  if (claim.metadata?.deletionTimestamp) throw new Error(`${prefix}: PVC is being deleted`);
  const volumeName = claim.spec?.volumeName ?? '';
  if (claim.status?.phase !== 'Bound' || volumeName === '') throw new Error(`${prefix}: PVC is not bound`);
  const pv = await objects.getPersistentVolume(volumeName);
  if (!pv) {
    throw new Error(
      `${prefix}: failed to fetch PV ${volumeName} from API server: persistentvolumes "${volumeName}" not found`,
    );
  }
  const ref = pv.spec?.claimRef;
  if (ref?.uid && ref.uid !== claim.metadata?.uid) {
    throw new Error(`${prefix}: the PV ${volumeName} is bound to another claim`);
  }
  if (pv.spec?.hostPath) {
    await setUpHostPath(pv.spec.hostPath);
    return pv.spec.hostPath.path;
  }
  if (pv.spec?.local?.path) return pv.spec.local.path;
  throw new Error(`${prefix}: podrun mounts hostPath and local PersistentVolumes only (PV ${volumeName})`);
}
