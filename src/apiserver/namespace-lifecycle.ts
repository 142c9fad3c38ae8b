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
    const p = emptyNamespace(registry, ns).finally(() => running.delete(ns));
    running.set(ns, p);
  };
  registry.onNamespaceTerminating(start);
  const { items } = await registry.list('namespaces', undefined);
  for (const ns of items) if (ns.metadata.deletionTimestamp) start(ns.metadata.name!);
}

const NAMESPACED = RESOURCES.filter((r) => r.namespaced);

export async function emptyNamespace(registry: Registry, ns: string): Promise<void> {
  for (const r of NAMESPACED) {
    await registry.deleteCollection(r, ns, {}, { propagationPolicy: 'Background' }).catch(ignoreGone);
  }
  await registry.waitForChange(async () => {
    for (const r of NAMESPACED) {
      const { items } = await registry.store.list(groupResource(r), ns);
      if (items.length > 0) return false;
    }
    return registry.finalizeNamespace(ns);
  });
}

function ignoreGone(e: unknown): void {
  if (e instanceof ApiError && (e.reason === 'NotFound' || e.reason === 'Conflict')) return;
  throw e;
}
