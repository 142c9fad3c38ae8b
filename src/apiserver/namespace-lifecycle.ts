// The namespace controller's deletion half (pkg/controller/namespace/deletion): a Terminating namespace has
// its content deleted (pods gracefully, through the kubelet), and once nothing is left the namespace goes.
import { groupResource, RESOURCES } from '../api/resources.js';
import { ApiError } from './errors.js';
import type { Registry } from './registry.js';

/**
 * Hooks the lifecycle into `registry` and resumes namespaces that were Terminating when the server last
 * stopped. Returns a promise per namespace being emptied, for tests.
 */
export async function startNamespaceLifecycle(registry: Registry): Promise<void> {
  const running = new Map<string, Promise<void>>();
  const start = (ns: string) => {
    if (running.has(ns)) return;
    const p = emptyNamespace(registry, ns)
      .catch((e: unknown) => registry.reportError(e))
      .finally(() => running.delete(ns));
    running.set(ns, p);
  };
  registry.onNamespaceTerminating(start);
  const { items } = await registry.list('namespaces', undefined);
  for (const ns of items) if (ns.metadata.deletionTimestamp) start(ns.metadata.name!);
}

const NAMESPACED = RESOURCES.filter((r) => r.namespaced);

/**
 * Deletes everything in `ns` and removes it once empty. Runs on every change until then, so objects that
 * raced in or whose delete failed are deleted on the next pass (the namespace controller's retries).
 */
export async function emptyNamespace(registry: Registry, ns: string): Promise<void> {
  await registry.waitForChange(async () => {
    let empty = true;
    for (const r of NAMESPACED) {
      const { items } = await registry.store.list(groupResource(r), ns);
      for (const item of items) {
        empty = false;
        if (item.metadata.deletionTimestamp) continue;
        await registry
          .delete(r, ns, item.metadata.name ?? '', { propagationPolicy: 'Background' })
          .catch(ignoreGone);
      }
    }
    return empty && registry.finalizeNamespace(ns);
  });
}

function ignoreGone(e: unknown): void {
  if (e instanceof ApiError && (e.reason === 'NotFound' || e.reason === 'Conflict')) return;
  throw e;
}
