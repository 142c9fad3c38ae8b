// Wires the Service allocator into a registry: the hooks first, then the rebuild from the stored Services
// (the repair controller's first pass), before anything else can write a Service.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { Registry } from '../registry.js';
import { ServiceAllocator } from './allocator.js';
import { DEFAULT_SERVICE_CIDR } from './config.js';

export async function installServiceAllocator(
  registry: Registry,
  cidr: string = DEFAULT_SERVICE_CIDR,
): Promise<ServiceAllocator> {
  const allocator = new ServiceAllocator({ cidr });
  registry.setWriteHooks('services', allocator);
  const { items } = await registry.list('services', undefined);
  // Services outside the range keep their addresses (ClusterIPs are immutable), as upstream's repair loop
  // leaves them; it only reports them, and so does podrun.
  for (const problem of allocator.rebuild(items as unknown as Service[])) {
    registry.reportError(new Error(`service allocator: ${problem}`));
  }
  return allocator;
}
