// Service rules for the benchmarks: N Service ports with M endpoints each, and, while the proxy's renderer
// (src/network/proxy/nft.ts) is still a placeholder, a stand-in that renders them as kube-proxy's nftables
// mode does (a verdict map from VIP . protocol . port to a chain per Service port, random choice of an
// endpoint chain that DNATs), so that applying them costs what the real rules will.
import { renderNftRuleset } from '../../src/network/proxy/nft.js';
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

/** The real renderer's text once it renders rules; the stand-in's while it is the placeholder. */
export function renderForBench(rules: ServiceRules, table: string): { text: string; standIn: boolean } {
  const real = renderNftRuleset(rules, { table });
  if (real.includes('dnat')) return { text: real, standIn: false };
  return { text: standInRuleset(rules, table), standIn: true };
}

/**
 * kube-proxy's nftables layout, reduced: DNAT in the nat output hook through a verdict map from VIP . protocol
 * . port to a chain per Service port that picks an endpoint chain at random; before DNAT, connections to a
 * Service port with no endpoints are rejected; after it, other ports of a cluster IP are rejected and
 * unallocated addresses of the service CIDR dropped.
 */
export function standInRuleset(rules: ServiceRules, table: string): string {
  const name = (s: string) => s.replace(/[^A-Za-z0-9]/g, '-');
  const out: string[] = [
    `table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    '  map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }',
    '  map no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict; }',
    '  set cluster-ips { type ipv4_addr; }',
    '  chain filter-output { type filter hook output priority -110; policy accept; ct state new jump endpoints-check; }',
    '  chain endpoints-check { ip daddr . meta l4proto . th dport vmap @no-endpoint-services; }',
    '  chain nat-output { type nat hook output priority -100; policy accept; jump services; }',
    '  chain filter-output-post-dnat { type filter hook output priority -90; policy accept; ct state new jump cluster-ips-check; }',
    `  chain cluster-ips-check { ip daddr @cluster-ips reject; ip daddr ${rules.serviceCidr} drop; }`,
    '  chain services { ip daddr . meta l4proto . th dport vmap @service-ips; }',
    '  chain reject-chain { reject; }',
  ];
  const elements: string[] = [];
  const noEndpoints: string[] = [];
  for (const p of rules.ports) {
    const proto = p.protocol.toLowerCase();
    const key = `${p.clusterIP} . ${proto} . ${p.port}`;
    if (p.endpoints.length === 0) {
      noEndpoints.push(`${key} : goto reject-chain`);
      continue;
    }
    const svc = `service-${name(p.service)}-${proto}`;
    const choices = p.endpoints.map((_, i) => `${i} : goto ${svc}-ep${i}`).join(', ');
    out.push(`  chain ${svc} { numgen random mod ${p.endpoints.length} vmap { ${choices} }; }`);
    p.endpoints.forEach((e, i) => {
      out.push(`  chain ${svc}-ep${i} { meta l4proto ${proto} dnat to ${e.ip}:${e.port}; }`);
    });
    elements.push(`${key} : goto ${svc}`);
  }
  out.push('}');
  const add = (set: string, items: string[]) => {
    if (items.length) out.push(`add element ip ${table} ${set} { ${items.join(', ')} }`);
  };
  add('service-ips', elements);
  add('no-endpoint-services', noEndpoints);
  add('cluster-ips', rules.clusterIPs);
  return `${out.join('\n')}\n`;
}
