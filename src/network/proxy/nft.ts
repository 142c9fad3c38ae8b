// Renders ServiceRules as one nftables transaction: kube-proxy's nftables mode (pkg/proxy/nftables/proxier.go)
// reduced to what a client netns needs. Only locally originated traffic is handled (the output hooks): in a
// pod's netns that is all of the pod's traffic, in the host's it is the machine's own clients.
//
//   nat-output (dstnat)       VIP . proto . port -> service chain -> [affinity] random pick -> endpoint chain: DNAT
//   filter-output (filter)    after DNAT, so what still goes to a VIP had nowhere to go:
//                             no-endpoint-services -> reject (TCP reset: ECONNREFUSED at once, no ICMP rate limit);
//                             any other port of a ClusterIP -> reject (the same way)
//   filter-output-drop (+10)  the rest of the service CIDR -> drop, so it never leaves by a default route. A later
//                             priority than the rejects, so that with several podrun tables in one netns (the host)
//                             another table's reject for its own VIP runs before this table's drop.
import type { ServicePortRule, ServiceRules } from '../types.js';
import { parseIpv4, parseIpv4Cidr } from './ipv4.js';
import { affinitySetName, endpointChainName, nftComment, serviceChainName } from './nft-names.js';

export interface NftRenderOptions {
  /** The table's name: `podrun` in a pod's netns; one per podrun instance in the host's. */
  table: string;
  /** The table's comment (the host table records its owner there). */
  comment?: string;
}

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const L4 = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' } as const;

/**
 * One `nft -f` input that replaces the table atomically (it creates the table if absent, deletes it, and
 * declares it anew, all in one transaction), so applying it twice is the same as once. Throws on rules that
 * would make nft refuse the whole transaction (bad addresses, duplicate VIP ports), naming the culprit.
 */
export function renderNftRuleset(rules: ServiceRules, options: NftRenderOptions): string {
  const table = options.table;
  if (!TABLE_NAME.test(table)) {
    throw new Error(
      `nft table name ${JSON.stringify(table)}: expected a letter then up to 63 letters, digits, '_' or '-'`,
    );
  }
  const cidr = parseIpv4Cidr(rules.serviceCidr, 'serviceCidr');
  rules.clusterIPs.forEach((ip, i) => {
    checkIp(ip, `clusterIPs[${i}]`);
  });
  rules.ports.forEach(checkPort);

  const withEndpoints = rules.ports.filter((p) => p.endpoints.length > 0);
  const withoutEndpoints = rules.ports.filter((p) => p.endpoints.length === 0);
  checkUnique(rules.ports);

  const out: string[] = [`table ip ${table}`, `delete table ip ${table}`, `table ip ${table} {`];
  if (options.comment !== undefined) out.push(`  comment ${nftComment(options.comment)}`);
  out.push(...set('cluster-ips', 'ipv4_addr', [...new Set(rules.clusterIPs)]));
  out.push(
    ...set(
      'service-ips',
      'ipv4_addr . inet_proto . inet_service : verdict',
      withEndpoints.map((p) => `${key(p)} comment ${nftComment(p.service)} : goto ${serviceChainName(p)}`),
    ),
  );
  out.push(
    ...set(
      'no-endpoint-services',
      'ipv4_addr . inet_proto . inet_service : verdict',
      withoutEndpoints.map((p) => `${key(p)} comment ${nftComment(p.service)} : goto reject-chain`),
    ),
  );
  out.push(
    '  chain nat-output {',
    '    type nat hook output priority -100; policy accept;',
    '    ip daddr . meta l4proto . th dport vmap @service-ips',
    '  }',
    '  chain filter-output {',
    '    type filter hook output priority 0; policy accept;',
    '    ct state new ip daddr . meta l4proto . th dport vmap @no-endpoint-services',
    '    ct state new ip daddr @cluster-ips goto reject-chain',
    '  }',
    '  chain filter-output-drop {',
    '    type filter hook output priority 10; policy accept;',
    `    ct state new ip daddr ${cidr.text} drop`,
    '  }',
    // Plain `reject` answers with ICMP, which the kernel rate-limits (icmp_ratelimit): a second probe within a
    // second would wait for its timeout. TCP gets a reset instead; the client sees ECONNREFUSED either way.
    '  chain reject-chain {',
    '    meta l4proto tcp reject with tcp reset',
    '    reject',
    '  }',
  );
  for (const p of withEndpoints) out.push(...serviceChains(p));
  out.push('}', '');
  return out.join('\n');
}

function serviceChains(p: ServicePortRule): string[] {
  const out: string[] = [];
  const affinity = p.affinityTimeoutSeconds;
  if (affinity !== undefined) {
    for (const ep of p.endpoints) {
      out.push(
        `  set ${affinitySetName(p, ep)} { type ipv4_addr; flags dynamic,timeout; timeout ${affinity}s; }`,
      );
    }
  }
  out.push(`  chain ${serviceChainName(p)} {`, `    comment ${nftComment(p.service)}`);
  // A client with a live affinity entry goes back to its endpoint before any random pick (kube-proxy's order).
  if (affinity !== undefined) {
    for (const ep of p.endpoints) {
      out.push(`    ip saddr @${affinitySetName(p, ep)} goto ${endpointChainName(p, ep)}`);
    }
  }
  const picks = p.endpoints.map((ep, i) => `${i} : goto ${endpointChainName(p, ep)}`).join(', ');
  out.push(`    numgen random mod ${p.endpoints.length} vmap { ${picks} }`, '  }');
  for (const ep of p.endpoints) {
    out.push(`  chain ${endpointChainName(p, ep)} {`);
    if (affinity !== undefined) out.push(`    update @${affinitySetName(p, ep)} { ip saddr }`);
    out.push(`    meta l4proto ${L4[p.protocol]} dnat to ${ep.ip}:${ep.port}`, '  }');
  }
  return out;
}

function set(name: string, type: string, elements: string[]): string[] {
  const kind = type.includes(':') ? 'map' : 'set';
  if (elements.length === 0) return [`  ${kind} ${name} { type ${type}; }`];
  return [
    `  ${kind} ${name} {`,
    `    type ${type}`,
    '    elements = {',
    elements.map((e) => `      ${e}`).join(',\n'),
    '    }',
    '  }',
  ];
}

function key(p: ServicePortRule): string {
  return `${p.clusterIP} . ${L4[p.protocol]} . ${p.port}`;
}

function checkIp(ip: string, where: string): void {
  if (parseIpv4(ip) === undefined) {
    throw new Error(`service rules: ${where} ${JSON.stringify(ip)} is not an IPv4 address`);
  }
}

function checkPortNumber(n: number, where: string): void {
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(`service rules: ${where} ${JSON.stringify(n)} is not a port number (1-65535)`);
  }
}

function checkPort(p: ServicePortRule, i: number): void {
  const where = `ports[${i}] (${p.service})`;
  checkIp(p.clusterIP, `${where}.clusterIP`);
  checkPortNumber(p.port, `${where}.port`);
  if (!Object.hasOwn(L4, p.protocol)) {
    throw new Error(
      `service rules: ${where}.protocol ${JSON.stringify(p.protocol)}: expected TCP, UDP or SCTP`,
    );
  }
  p.endpoints.forEach((ep, j) => {
    checkIp(ep.ip, `${where}.endpoints[${j}].ip`);
    checkPortNumber(ep.port, `${where}.endpoints[${j}].port`);
  });
  const t = p.affinityTimeoutSeconds;
  if (t !== undefined && (!Number.isInteger(t) || t < 1)) {
    throw new Error(
      `service rules: ${where}.affinityTimeoutSeconds ${JSON.stringify(t)}: expected whole seconds >= 1`,
    );
  }
}

/** nft refuses a transaction with a duplicate map key or chain; say which rule instead of nft's "File exists". */
function checkUnique(ports: readonly ServicePortRule[]): void {
  const keys = new Map<string, string>();
  const chains = new Map<string, string>();
  const claim = (seen: Map<string, string>, k: string, owner: string, what: string) => {
    const prev = seen.get(k);
    if (prev !== undefined) {
      throw new Error(`service rules: ${owner} and ${prev} both use ${what} ${k}; each must be unique`);
    }
    seen.set(k, owner);
  };
  for (const p of ports) {
    claim(keys, key(p), p.service, 'the VIP port');
    if (p.endpoints.length === 0) continue;
    claim(chains, serviceChainName(p), p.service, 'the chain');
    for (const ep of p.endpoints) claim(chains, endpointChainName(p, ep), p.service, 'the chain');
  }
}
