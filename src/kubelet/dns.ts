// The pod's resolv.conf as the kubelet's DNS Configurer computes it (pkg/kubelet/network/dns/dns.go): a base per
// dnsPolicy (cluster DNS, the host's resolv.conf, or nothing), the pod's dnsConfig appended, then the resolver's
// limits applied with a Warning event `DNSConfigForming`. The runtime writes the result as the pod's
// /etc/resolv.conf (PodSandboxConfig.dns).
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ObjectReference, Pod } from '../api/types.js';
import { containerRef, formatPod } from './pod-util.js';
import type { EventRecorder } from './types.js';

/** PodSandboxConfig.dns: the lines of the pod's resolv.conf. */
export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export type PodDNSConfigOption = { name?: string; value?: string };
export type PodDNSConfig = { nameservers?: string[]; searches?: string[]; options?: PodDNSConfigOption[] };

/** kubelet --cluster-domain default in every distribution (the flag itself defaults to none). */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** kubelet --resolv-conf default. '' means none: `Default` pods get the node's loopback resolver. */
export const DEFAULT_RESOLV_CONF = '/etc/resolv.conf';

/** pkg/apis/core/validation: MaxDNSNameservers, MaxDNSSearchPaths and MaxDNSSearchListChars (ExpandedDNSConfig, GA 1.28). */
export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
/** utilvalidation.DNS1123SubdomainMaxLength: longer search paths make some resolvers (glibc 2.28) abort. */
const MAX_SEARCH_PATH_LENGTH = 253;
/** utilio.ReadAtMost limit on the host's resolv.conf. */
const MAX_RESOLV_CONF_BYTES = 10 * 1024 * 1024;
const DEFAULT_DNS_OPTIONS = ['ndots:5'];

export interface ParsedResolvConf extends DnsConfig {
  /** Errors of malformed lines (`nameserver list is empty `); upstream fails the pod's DNS config on any. */
  errors: string[];
}

/**
 * parseResolvConf: `nameserver` lines accumulate, the last `search` and the last `options` line win, comments
 * and unknown lines are ignored. Search domains lose one trailing dot, so `foo.` and `foo` count once.
 */
export function parseResolvConf(text: string): ParsedResolvConf {
  const out: ParsedResolvConf = { servers: [], searches: [], options: [], errors: [] };
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) continue;
    const fields = trimmed.split(/\s+/).filter((f) => f !== '');
    if (fields.length === 0) continue;
    if (fields[0] === 'nameserver') {
      if (fields.length >= 2) out.servers.push(fields[1] as string);
      else out.errors.push('nameserver list is empty ');
    }
    if (fields[0] === 'search')
      out.searches = fields.slice(1).map((s) => (s.endsWith('.') ? s.slice(0, -1) : s));
    if (fields[0] === 'options') out.options = fields.slice(1);
  }
  return out;
}

export type PodDNSType = 'cluster' | 'host' | 'none';

/**
 * getPodDNSType: ClusterFirstWithHostNet and ClusterFirst use the cluster DNS, except ClusterFirst with
 * hostNetwork, which falls back to Default (the host's resolv.conf). An unknown policy (the API rejects
 * them) is treated as ClusterFirst, as upstream does after logging.
 */
export function podDNSType(pod: Pod): PodDNSType {
  switch (pod.spec?.dnsPolicy) {
    case 'None':
      return 'none';
    case 'ClusterFirstWithHostNet':
      return 'cluster';
    case 'Default':
      return 'host';
    case 'ClusterFirst':
      return pod.spec?.hostNetwork ? 'host' : 'cluster';
    default:
      return 'cluster';
  }
}

function omitDuplicates(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/**
 * mergeDNSOptions: options by name (`ndots:5` is `ndots` with value `5`), the pod's entries replacing the
 * base's. Upstream rebuilds the list from a Go map (order unspecified); here a name keeps its first place.
 */
export function mergeDNSOptions(
  existing: readonly string[],
  podOptions: readonly PodDNSConfigOption[],
): string[] {
  const options = new Map<string, string>();
  for (const op of existing) {
    const colon = op.indexOf(':');
    if (colon === -1) options.set(op, '');
    else options.set(op.slice(0, colon), op.slice(colon + 1));
  }
  for (const op of podOptions) options.set(op.name ?? '', op.value ?? '');
  return [...options].map(([name, value]) => (value !== '' ? `${name}:${value}` : name));
}

/** appendDNSConfig: the pod's nameservers and searches after the base's, without duplicates; options merged. */
export function appendDNSConfig(base: DnsConfig, pod: PodDNSConfig): DnsConfig {
  return {
    servers: omitDuplicates([...base.servers, ...(pod.nameservers ?? [])]),
    searches: omitDuplicates([...base.searches, ...(pod.searches ?? [])]),
    options: mergeDNSOptions(base.options, pod.options ?? []),
  };
}

/** generateSearchesForDNSClusterFirst: `<ns>.svc.<domain> svc.<domain> <domain>`, then the host's. */
export function clusterFirstSearches(
  hostSearches: readonly string[],
  namespace: string,
  clusterDomain: string,
): string[] {
  if (clusterDomain === '') return [...hostSearches];
  return omitDuplicates([
    `${namespace}.svc.${clusterDomain}`,
    `svc.${clusterDomain}`,
    clusterDomain,
    ...hostSearches,
  ]);
}

/** A Warning event the configurer records, on the pod or on the node. */
export interface DnsWarning {
  on: 'pod' | 'node';
  reason: 'DNSConfigForming' | 'MissingClusterDNS';
  message: string;
}

/**
 * formDNSSearchFitsLimits: at most 32 paths, paths over 253 characters dropped, then paths cut from the end
 * until the line (joined by spaces) fits in 2048 characters.
 */
export function fitSearches(composed: readonly string[]): { searches: string[]; warning?: DnsWarning } {
  let exceeded = false;
  let searches = [...composed];
  if (searches.length > MAX_DNS_SEARCH_PATHS) {
    searches = searches.slice(0, MAX_DNS_SEARCH_PATHS);
    exceeded = true;
  }
  const short = searches.filter((s) => s.length <= MAX_SEARCH_PATH_LENGTH);
  if (short.length !== searches.length) exceeded = true;
  searches = short;
  const lineLength = searches.join(' ').length;
  if (lineLength > MAX_DNS_SEARCH_LIST_CHARS) {
    let cutNum = 0;
    let cutLen = 0;
    for (let i = searches.length - 1; i >= 0; i--) {
      cutLen += (searches[i] as string).length + 1;
      cutNum++;
      if (lineLength - cutLen <= MAX_DNS_SEARCH_LIST_CHARS) break;
    }
    searches = searches.slice(0, searches.length - cutNum);
    exceeded = true;
  }
  if (!exceeded) return { searches };
  return {
    searches,
    warning: {
      on: 'pod',
      reason: 'DNSConfigForming',
      message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${searches.join(' ')}`,
    },
  };
}

/** formDNSNameserversFitsLimits: the first three nameservers. */
export function fitNameservers(servers: readonly string[]): { servers: string[]; warning?: DnsWarning } {
  if (servers.length <= MAX_DNS_NAMESERVERS) return { servers: [...servers] };
  const kept = servers.slice(0, MAX_DNS_NAMESERVERS);
  return {
    servers: kept,
    warning: {
      on: 'pod',
      reason: 'DNSConfigForming',
      message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${kept.join(' ')}`,
    },
  };
}

export interface DnsSettings {
  /** kubelet --cluster-dns: the nameservers of ClusterFirst pods. Empty: ClusterFirst falls back to Default. */
  clusterDNS: readonly string[];
  /** kubelet --cluster-domain; '' adds no cluster search paths. */
  clusterDomain: string;
  /** Whether a host resolv.conf is configured (kubelet --resolv-conf not ''). */
  hasResolvConf: boolean;
  /** The node's addresses: without a resolv.conf, `Default` pods get the loopback of each one's family. */
  nodeIPs: readonly string[];
}

/**
 * GetPodDNS, given the parsed host resolv.conf (empty when none is configured). Returns the config and the
 * Warning events to record; pure.
 */
export function podDNS(
  pod: Pod,
  settings: DnsSettings,
  host: DnsConfig,
): { dns: DnsConfig; warnings: DnsWarning[] } {
  const warnings: DnsWarning[] = [];
  let dns: DnsConfig = {
    servers: [...host.servers],
    searches: [...host.searches],
    options: [...host.options],
  };
  let type = podDNSType(pod);
  if (type === 'none') {
    dns = { servers: [], searches: [], options: [] };
  } else if (type === 'cluster') {
    if (settings.clusterDNS.length > 0) {
      // The cluster DNS is the only nameserver: it forwards what it cannot answer itself.
      dns = {
        servers: [...settings.clusterDNS],
        searches: clusterFirstSearches(dns.searches, pod.metadata?.namespace ?? '', settings.clusterDomain),
        options: [...DEFAULT_DNS_OPTIONS],
      };
    } else {
      const nodeMessage =
        'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.';
      warnings.push({ on: 'node', reason: 'MissingClusterDNS', message: nodeMessage });
      warnings.push({
        on: 'pod',
        reason: 'MissingClusterDNS',
        message: `pod: ${JSON.stringify(formatPod(pod))}. ${nodeMessage}`,
      });
      type = 'host';
    }
  }
  if (type === 'host' && !settings.hasResolvConf) {
    // No resolv.conf: "the nameserver on the local machine", per node IP family.
    dns.servers = settings.nodeIPs.map((ip) => (ip.includes(':') ? '::1' : '127.0.0.1'));
    if (dns.servers.length === 0) dns.servers = ['127.0.0.1'];
    dns.searches = ['.'];
  }
  if (pod.spec?.dnsConfig) dns = appendDNSConfig(dns, pod.spec.dnsConfig);

  const ns = fitNameservers(dns.servers);
  if (ns.warning) warnings.push(ns.warning);
  const search = fitSearches(dns.searches);
  if (search.warning) warnings.push(search.warning);
  return { dns: { servers: ns.servers, searches: search.searches, options: dns.options }, warnings };
}

export interface DnsConfigurerOptions {
  clusterDNS: readonly string[];
  clusterDomain: string;
  /** Path of the host's resolv.conf, as current at every call as upstream's read makes it; '' for none. */
  resolvConf: string;
  nodeName: string;
  nodeIPs: readonly string[];
  events: EventRecorder;
}

/** The kubelet's dns.Configurer: GetPodDNS over the host's resolv.conf, recording the warnings it raises. */
export class DnsConfigurer {
  readonly #o: DnsConfigurerOptions;
  /** The last read of the host file, keyed by what stat says of it. */
  #host: { key: string; config: DnsConfig } | undefined;

  constructor(options: DnsConfigurerOptions) {
    this.#o = options;
  }

  /**
   * The host file as upstream reads it on every sync, but parsed again only when stat says it changed: at a
   * thousand pods the open/read/close round trips through the thread pool were 4 % of podrun's CPU.
   */
  async #hostConfig(path: string): Promise<DnsConfig> {
    let key: string | undefined;
    try {
      const st = statSync(path, { bigint: true });
      if (DnsConfigurer.#settled(st.mtimeNs) && DnsConfigurer.#settled(st.ctimeNs)) {
        key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
        if (this.#host?.key === key) return this.#host.config;
      }
    } catch {
      // readHostResolvConf says why, in Go's words.
    }
    const config = await readHostResolvConf(path);
    this.#host = key ? { key, config } : undefined;
    return config;
  }

  /**
   * File times tick at the kernel's coarse clock (a few ms), so a same-size rewrite right after a read can keep
   * the key: as git does with "racily clean" files, a file changed within the last second is not trusted.
   */
  static #settled(mtimeNs: bigint): boolean {
    // Wall time, not the kubelet's clock: it is compared with the file system's own timestamps.
    return BigInt(Date.now()) * 1_000_000n - mtimeNs > 1_000_000_000n;
  }

  /** Throws when the host's resolv.conf cannot be read or has a malformed line: the sandbox cannot be configured. */
  async getPodDNS(pod: Pod): Promise<DnsConfig> {
    const o = this.#o;
    const host = o.resolvConf
      ? await this.#hostConfig(o.resolvConf)
      : { servers: [], searches: [], options: [] };
    const { dns, warnings } = podDNS(
      pod,
      {
        clusterDNS: o.clusterDNS,
        clusterDomain: o.clusterDomain,
        hasResolvConf: o.resolvConf !== '',
        nodeIPs: o.nodeIPs,
      },
      host,
    );
    const nodeRef: ObjectReference = { kind: 'Node', name: o.nodeName, uid: o.nodeName, namespace: '' };
    for (const w of warnings)
      o.events.event(w.on === 'node' ? nodeRef : containerRef(pod), 'Warning', w.reason, w.message);
    return dns;
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
};

/** getHostDNSConfig: the parsed host file; errors read as Go's (`open /etc/resolv.conf: no such file or directory`). */
export async function readHostResolvConf(path: string): Promise<DnsConfig> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_RESOLV_CONF_BYTES) throw new Error('the read limit is reached');
    text = bytes.toString('utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && ERRNO_TEXT[code]) {
      const op = code === 'EISDIR' ? 'read' : 'open';
      throw new Error(`${op} ${path}: ${ERRNO_TEXT[code]}`, { cause: e });
    }
    throw e;
  }
  const parsed = parseResolvConf(text);
  if (parsed.errors.length === 1) throw new Error(parsed.errors[0]);
  // utilerrors.NewAggregate prints several errors as a bracketed list.
  if (parsed.errors.length > 1) throw new Error(`[${parsed.errors.join(', ')}]`);
  return { servers: parsed.servers, searches: parsed.searches, options: parsed.options };
}
