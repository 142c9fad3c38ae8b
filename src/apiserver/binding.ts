// pods/binding: the scheduler's write (pkg/registry/core/pod/storage BindingREST). It sets spec.nodeName, which
// no update may change, and the PodScheduled condition, on a pod that is neither bound nor being deleted.
import type { Registry } from './registry.js';

/** Binds pod `namespace/name` (with `uid`, when given) to `nodeName`. Conflict when already bound or deleting. */
export function bindPod(
  registry: Registry,
  namespace: string,
  name: string,
  uid: string | undefined,
  nodeName: string,
): Promise<void> {
  return registry.bind(namespace, name, uid, nodeName).then(() => undefined);
}
