// The node's network services, what kube-proxy and CoreDNS do on a cluster: the Service VIPs programmed into
// every pod's network (through the runtime) and into the host's, and the cluster DNS answering from the
// store. It starts after the runtime (it needs the pod network) and before the kubelet, so that a pod's first
// init container already resolves and reaches Services.
import { createHash } from 'node:crypto';
import { RESOURCES, type ResourceInfo } from '../api/resources.js';
import type { EndpointSlice, KubeObject, Service } from '../api/types.js';
import { isApiError } from '../apiserver/errors.js';
import type { Registry } from '../apiserver/registry.js';
import { kubeDnsIP } from '../apiserver/service-ip/config.js';
import type { WatchEventType } from '../controllers/client.js';
import { Informer } from '../controllers/informer.js';
import { ClusterDnsIndex, type DnsIndexedObject } from '../network/dns/cluster-index.js';
import { type ClusterDnsServer, startClusterDns } from '../network/dns/server.js';
import {
  HostServiceTable,
  type HostTablesReport,
  ServiceProxy,
  type ServiceRulesSink,
} from '../network/proxy/index.js';
import type { RuntimeService } from '../runtime/types.js';
import { registryControllerClient } from './controller-client.js';

export interface ClusterNetworkOptions {
  registry: Registry;
  runtime: RuntimeService;
  serviceCidr: string;
  clusterDomain: string;
  /** Names this podrun's table in the host's firewall. */
  stateDir: string;
  /** The machine's own processes reach ClusterIPs (a table and a route in the host's network namespace). */
  hostAccess: boolean;
  log: (message: string) => void;
}

export interface ClusterNetwork {
  /** The nameservers pods get for dnsPolicy ClusterFirst: the kube-dns ClusterIP, or none without DNS. */
  clusterDNS: string[];
  close(): Promise<void>;
}

function resource(group: string, name: string): ResourceInfo {
  const r = RESOURCES.find((x) => x.group === group && x.resource === name);
  if (!r) throw new Error(`resource ${name}.${group} is missing from src/api/resources.ts`);
  return r;
}

export async function startClusterNetwork(options: ClusterNetworkOptions): Promise<ClusterNetwork> {
  const { registry, runtime, log } = options;
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) {
      try {
        await c();
      } catch (e) {
        log(`network: closing: ${(e as Error).message}`);
      }
    }
  };
  const net = runtime.podNetwork?.();
  if (!net || !runtime.setServiceRules) {
    // Pods share the host's network: no VIPs to program in them, and no address of the node for DNS.
    return { clusterDNS: [], close };
  }
  try {
    const sinks: ServiceRulesSink[] = [(rules) => runtime.setServiceRules!(rules)];
    if (options.hostAccess && net.hostInterface) {
      const table = new HostServiceTable({
        instanceId: createHash('sha256').update(options.stateDir).digest('hex').slice(0, 12),
        serviceCidr: options.serviceCidr,
        bridge: net.hostInterface,
        gateway: net.gateway,
      });
      try {
        const report = await table.start();
        for (const line of describeReport(report)) log(`network: ${line}`);
        closers.push(() => table.close());
        sinks.push((rules) => table.apply(rules));
      } catch (e) {
        // Pods still reach Services; only the machine's own processes do not.
        log(`network: this machine will not reach ClusterIPs: ${(e as Error).message}`);
      }
    }
    const proxy = new ServiceProxy({
      serviceCidr: options.serviceCidr,
      sinks,
      onError: (e) => log(`network: Service rules: ${(e as Error).message}`),
    });
    closers.push(() => proxy.close());

    const index = new ClusterDnsIndex();
    let dns: ClusterDnsServer | undefined;
    try {
      dns = await startClusterDns({
        address: net.gateway,
        port: 0,
        view: index,
        clusterDomain: options.clusterDomain,
        serviceCidr: options.serviceCidr,
        podCidr: net.podCidr,
        onError: (e) => log(`network: DNS: ${(e as Error).message}`),
      });
      closers.push(() => dns?.close());
    } catch (e) {
      log(`network: no cluster DNS (pods get the host's resolv.conf): ${(e as Error).message}`);
    }

    const client = registryControllerClient(registry);
    const feed = (r: ResourceInfo, toDns: boolean, toProxy: boolean) => {
      const informer = new Informer(client, r);
      informer.onChange((type: WatchEventType, obj: KubeObject) => {
        if (toDns) index.apply(type, obj as unknown as DnsIndexedObject);
        if (toProxy) {
          proxy.apply(type, obj as unknown as Service | EndpointSlice);
          // A change to the rules is applied in the background; errors reach onError.
          proxy.sync().catch(() => {});
        }
      });
      closers.push(() => informer.stop());
      return informer;
    };
    const informers = [
      feed(resource('', 'namespaces'), true, false),
      feed(resource('', 'services'), true, true),
      feed(resource('discovery.k8s.io', 'endpointslices'), true, true),
      feed(resource('', 'pods'), true, false),
    ];
    for (const i of informers) await i.start();

    if (dns) await writeDnsEndpoints(registry, net.gateway, dns.port);
    await proxy.sync();
    return { clusterDNS: dns ? [kubeDnsIP(options.serviceCidr)] : [], close };
  } catch (e) {
    await close();
    throw e;
  }
}

function describeReport(report: HostTablesReport): string[] {
  const out: string[] = [];
  const reclaimed = [...report.reclaimedTables, ...report.reclaimedRoutes.map((r) => `route ${r}`)];
  if (reclaimed.length)
    out.push(`removed what stopped podruns left in the host's firewall: ${reclaimed.join(', ')}`);
  if (report.foreignTables.length)
    out.push(
      `left alone, not podrun's (no owner comment): nftables ${report.foreignTables.join(', ')}; delete them with \`nft delete table ip NAME\` if nothing uses them`,
    );
  return out;
}

const KUBE_DNS = { namespace: 'kube-system', name: 'kube-dns' };
/** The slice podrun writes for kube-dns (no selector: the EndpointSlice controller leaves it alone). */
const KUBE_DNS_SLICE = 'kube-dns-podrun';

/**
 * Points the kube-dns Service at this podrun's DNS server. Its port changes with every start (several
 * podruns share a bridge address), so both the Endpoints and the EndpointSlice are rewritten each time.
 */
async function writeDnsEndpoints(registry: Registry, gateway: string, port: number): Promise<void> {
  const ports = [
    { name: 'dns', port, protocol: 'UDP' },
    { name: 'dns-tcp', port, protocol: 'TCP' },
  ];
  await upsert(registry, 'endpoints', {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { ...KUBE_DNS, labels: { 'k8s-app': 'kube-dns' } },
    subsets: [{ addresses: [{ ip: gateway }], ports }],
  });
  await upsert(registry, resource('discovery.k8s.io', 'endpointslices'), {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace: KUBE_DNS.namespace,
      name: KUBE_DNS_SLICE,
      labels: {
        'kubernetes.io/service-name': KUBE_DNS.name,
        'endpointslice.kubernetes.io/managed-by': 'cluster-dns.podrun.dev',
      },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [gateway], conditions: { ready: true, serving: true, terminating: false } }],
    ports,
  });
}

async function upsert(registry: Registry, ref: string | ResourceInfo, body: KubeObject): Promise<void> {
  const { namespace, name } = body.metadata;
  const old = await registry.find(ref, namespace, name ?? '');
  if (!old) {
    await registry.create(ref, namespace, body);
    return;
  }
  try {
    await registry.update(ref, namespace, name ?? '', {
      ...body,
      metadata: { ...body.metadata, resourceVersion: old.metadata.resourceVersion },
    });
  } catch (e) {
    if (isApiError(e)) throw new Error(`writing ${name}'s endpoints: ${e.message}`, { cause: e });
    throw e;
  }
}
