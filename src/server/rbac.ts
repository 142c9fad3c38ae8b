// The RBAC pieces of `podrun serve`, wired in one place: the authorizer with its escalation checks on the
// registry, the bootstrap roles and bindings, and the ClusterRole aggregation controller.

import { type Authorizer, ensureBootstrapPolicy, installRbac } from '../apiserver/rbac/index.js';
import type { Registry } from '../apiserver/registry.js';
import { ClusterRoleAggregationController } from '../controllers/clusterrole-aggregation.js';
import type { Clock } from '../util/clock.js';
import { registryControllerClient } from './controller-client.js';

export interface RbacWiring {
  authorizer: Authorizer;
  stop(): void;
}

export async function startRbac(
  registry: Registry,
  clock: Clock,
  log: (message: string) => void,
): Promise<RbacWiring> {
  const authorizer = installRbac(registry);
  await ensureBootstrapPolicy(registry, log);
  const aggregation = new ClusterRoleAggregationController({
    client: registryControllerClient(registry),
    clock,
    onError: (c, key, err) => log(`${c} controller: ${key}: ${(err as Error).message}`),
  });
  await aggregation.start();
  return { authorizer, stop: () => aggregation.stop() };
}
