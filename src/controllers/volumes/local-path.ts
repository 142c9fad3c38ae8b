// The local-path provisioner's storage: one directory per volume under the state directory, described to the
// cluster as a hostPath volume pinned to the node (as rancher's local-path-provisioner does).
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../api/types.js';
import { LOCAL_PATH_PROVISIONER, PROVISIONED_BY_ANNOTATION } from './decisions.js';

/** The PV a claim gets: `pvc-<claim uid>`, as the external provisioners name theirs. */
export function provisionedVolumeName(claim: PersistentVolumeClaim): string {
  return `pvc-${claim.metadata?.uid ?? ''}`;
}

export function volumeDirectory(volumesDir: string, pvName: string): string {
  return join(volumesDir, pvName);
}

export function provisionedVolume(
  claim: PersistentVolumeClaim,
  sc: StorageClass,
  volumesDir: string,
  nodeName: string,
): PersistentVolume {
  const name = provisionedVolumeName(claim);
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { [PROVISIONED_BY_ANNOTATION]: LOCAL_PATH_PROVISIONER } },
    spec: {
      accessModes: [...(claim.spec?.accessModes ?? [])],
      capacity: { storage: claim.spec?.resources?.requests?.storage ?? '0' },
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: claim.metadata?.namespace ?? '',
        name: claim.metadata?.name ?? '',
        uid: claim.metadata?.uid ?? '',
        resourceVersion: claim.metadata?.resourceVersion ?? '',
      },
      hostPath: { path: volumeDirectory(volumesDir, name), type: 'DirectoryOrCreate' },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] }] },
          ],
        },
      },
      persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
      storageClassName: sc.metadata?.name ?? '',
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
    },
  };
}

/** Creates the volume's directory, writable by any container user (local-path-provisioner's 0777). */
export async function createVolumeDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o777);
}

/**
 * Removes a provisioned volume's directory. Only a path directly under `volumesDir` is removed: a PV edited
 * to point elsewhere must not make podrun delete a host directory.
 */
export async function removeVolumeDirectory(volumesDir: string, pv: PersistentVolume): Promise<boolean> {
  const path = pv.spec?.hostPath?.path;
  if (!path || pv.metadata?.annotations?.[PROVISIONED_BY_ANNOTATION] !== LOCAL_PATH_PROVISIONER) return false;
  const expected = volumeDirectory(resolve(volumesDir), pv.metadata?.name ?? '');
  if (resolve(path) !== expected) return false;
  await rm(expected, { recursive: true, force: true });
  return true;
}
