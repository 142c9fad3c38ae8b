// Names the storage kinds share across the API server's admission and the volume controllers.

/** podrun's built-in provisioner: a directory per volume under the state directory. */
export const LOCAL_PATH_PROVISIONER = 'podrun.dev/local-path';
/** StorageObjectInUseProtection's finalizers. */
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';
