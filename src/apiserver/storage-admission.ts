// The storage admission plugins of a default API server, as write hooks: DefaultStorageClass (a claim created
// without spec.storageClassName gets the default class) and StorageObjectInUseProtection (claims and volumes
// are created with the kubernetes.io/pvc-protection and kubernetes.io/pv-protection finalizers). Plus the
// default StorageClass podrun ships, `standard`, created at startup like a cluster's addon manager would.
import {
  LOCAL_PATH_PROVISIONER,
  PV_PROTECTION_FINALIZER,
  PVC_PROTECTION_FINALIZER,
} from '../api/storage-names.js';
import type { KubeObject, PersistentVolumeClaim, StorageClass } from '../api/types.js';
import { isDefaultStorageClass } from '../printers/storage.js';
import { ApiError } from './errors.js';
import type { Registry, RegistryWatch } from './registry.js';
import { NO_TRANSACTION, type WriteHooks } from './write-hooks.js';

export const DEFAULT_STORAGE_CLASS = 'standard';

export const DEFAULT_STORAGE_CLASS_OBJECT: StorageClass = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: {
    name: DEFAULT_STORAGE_CLASS,
    annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
  },
  provisioner: LOCAL_PATH_PROVISIONER,
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'WaitForFirstConsumer',
};

/**
 * The default class among `classes`, as GetDefaultClass picks it: the newest of those annotated default,
 * ties broken by name.
 */
export function defaultClassName(classes: Iterable<KubeObject>): string | undefined {
  const defaults = [...classes].filter((c) => isDefaultStorageClass(c) && !c.metadata.deletionTimestamp);
  defaults.sort((a, b) => {
    const ta = a.metadata.creationTimestamp ?? '';
    const tb = b.metadata.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? 1 : -1;
    return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
  });
  return defaults[0]?.metadata.name;
}

function withFinalizer(obj: KubeObject, finalizer: string): void {
  const f = obj.metadata.finalizers ?? [];
  if (!f.includes(finalizer)) obj.metadata.finalizers = [...f, finalizer];
}

/** Installs the two plugins on `registry`; the returned watch keeps the cached classes current. */
export async function installStorageAdmission(registry: Registry): Promise<RegistryWatch> {
  const classes = new Map<string, KubeObject>();
  const { items, resourceVersion } = await registry.list('storageclasses.storage.k8s.io', undefined);
  for (const c of items) classes.set(c.metadata.name ?? '', c);
  const watch = await registry.watch(
    'storageclasses.storage.k8s.io',
    undefined,
    { resourceVersion },
    (ev) => {
      if (ev.type === 'DELETED') classes.delete(ev.object.metadata.name ?? '');
      else classes.set(ev.object.metadata.name ?? '', ev.object);
    },
  );
  const claims: WriteHooks = {
    beginCreate(obj) {
      const pvc = obj as unknown as PersistentVolumeClaim;
      // Only an absent class is defaulted: "" asks for a volume without a class.
      if (pvc.spec && pvc.spec.storageClassName === undefined) {
        const def = defaultClassName(classes.values());
        if (def) pvc.spec.storageClassName = def;
      }
      withFinalizer(obj, PVC_PROTECTION_FINALIZER);
      return NO_TRANSACTION;
    },
    beginUpdate: () => NO_TRANSACTION,
    afterDelete: () => {},
  };
  const volumes: WriteHooks = {
    beginCreate(obj) {
      withFinalizer(obj, PV_PROTECTION_FINALIZER);
      return NO_TRANSACTION;
    },
    beginUpdate: () => NO_TRANSACTION,
    afterDelete: () => {},
  };
  registry.setWriteHooks('persistentvolumeclaims', claims);
  registry.setWriteHooks('persistentvolumes', volumes);
  return watch;
}

/** Creates the `standard` class unless a class of that name exists (a user's edits are kept). */
export async function ensureDefaultStorageClass(registry: Registry): Promise<void> {
  if (await registry.find('storageclasses.storage.k8s.io', undefined, DEFAULT_STORAGE_CLASS)) return;
  try {
    await registry.create('storageclasses.storage.k8s.io', undefined, DEFAULT_STORAGE_CLASS_OBJECT);
  } catch (e) {
    if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
  }
}
