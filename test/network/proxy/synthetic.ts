// A made-up cluster of a given size, for syntax checks and the apply-time measurement.
import type { ServicePortRule, ServiceRules } from '../../../src/network/types.js';

/**
 * `services` Services with `endpointsPerService` endpoints each; every `emptyEvery`-th has none and every
 * `emptyEvery`-th + 1 uses ClientIP affinity (0: none of either); every 7th is UDP.
 */
export function syntheticRules(
  services: number,
  endpointsPerService: number,
  emptyEvery: number,
): ServiceRules {
  const ports: ServicePortRule[] = [];
  const clusterIPs: string[] = [];
  for (let i = 0; i < services; i++) {
    const clusterIP = `10.96.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
    clusterIPs.push(clusterIP);
    const empty = emptyEvery > 0 && i % emptyEvery === 0;
    const rule: ServicePortRule = {
      service: `ns${i % 5}/service-${i}:http`,
      clusterIP,
      protocol: i % 7 === 0 ? 'UDP' : 'TCP',
      port: 80 + (i % 3),
      endpoints: empty
        ? []
        : Array.from({ length: endpointsPerService }, (_, j) => ({
            ip: `10.244.${Math.floor((i * endpointsPerService + j) / 250)}.${2 + ((i * endpointsPerService + j) % 250)}`,
            port: 8080,
          })),
    };
    if (emptyEvery > 0 && i % emptyEvery === 1) rule.affinityTimeoutSeconds = 10800;
    ports.push(rule);
  }
  return { serviceCidr: '10.96.0.0/12', clusterIPs, ports };
}
