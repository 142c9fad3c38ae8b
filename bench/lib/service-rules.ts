// Service rules for the benchmarks: N Service ports with M endpoints each, in the form the proxy hands to the
// runtime (rendered for nft by the proxy's own renderNftRuleset, src/network/proxy/nft.ts).
import type { ServiceRules } from '../../src/network/types.js';

export function benchServiceRules(services: number, endpointsPerService: number): ServiceRules {
  const ports: ServiceRules['ports'] = [];
  const clusterIPs: string[] = [];
  for (let i = 0; i < services; i++) {
    const clusterIP = `10.96.${Math.floor(i / 250)}.${(i % 250) + 2}`;
    clusterIPs.push(clusterIP);
    const endpoints = Array.from({ length: endpointsPerService }, (_, e) => ({
      ip: `10.244.${1 + Math.floor((i * endpointsPerService + e) / 250)}.${((i * endpointsPerService + e) % 250) + 2}`,
      port: 8080,
    }));
    ports.push({ service: `bench/svc-${i}:http`, clusterIP, protocol: 'TCP', port: 80, endpoints });
  }
  return { serviceCidr: '10.96.0.0/16', clusterIPs, ports };
}
