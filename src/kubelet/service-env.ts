// Service environment variables (pkg/kubelet/envvars/envvars.go FromServices, and getServiceEnvVarMap in
// pkg/kubelet/kubelet_pods.go): `<SVC>_SERVICE_HOST`, `<SVC>_SERVICE_PORT` and the Docker-link style
// `<SVC>_PORT_<port>_<PROTO>…` for every Service with a ClusterIP that exists when the container starts.
import type { Service } from '../api/types.js';
import type { KeyValue } from '../runtime/types.js';

/** Services whose variables every pod gets, from namespace `default`, even with enableServiceLinks: false. */
const MASTER_SERVICES = new Set(['kubernetes']);
const MASTER_NAMESPACE = 'default';

/** IsServiceIPSet: a ClusterIP that is neither '' nor `None` (headless). */
export function isServiceIPSet(service: Service): boolean {
  const ip = service.spec?.clusterIP ?? '';
  return ip !== '' && ip !== 'None';
}

function envName(name: string): string {
  return name.replaceAll('-', '_').toUpperCase();
}

/** net.JoinHostPort: an IPv6 address goes in brackets. */
function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** FromServices: the variables of each service, in the given order. */
export function fromServices(services: readonly Service[]): KeyValue[] {
  const out: KeyValue[] = [];
  for (const svc of services) {
    if (!isServiceIPSet(svc)) continue;
    const ports = svc.spec?.ports ?? [];
    // The API requires at least one port on a ClusterIP service; skip rather than emit a broken variable.
    if (ports.length === 0) continue;
    const ip = svc.spec?.clusterIP as string;
    const prefix = envName(svc.metadata?.name ?? '');
    out.push({ name: `${prefix}_SERVICE_HOST`, value: ip });
    out.push({ name: `${prefix}_SERVICE_PORT`, value: String(ports[0]?.port) });
    // Every named port (only the first may be unnamed).
    for (const p of ports) {
      if (p.name) out.push({ name: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
    }
    ports.forEach((p, i) => {
      const protocol = p.protocol || 'TCP';
      const url = `${protocol.toLowerCase()}://${hostPort(ip, p.port)}`;
      // Docker special-cases the first port.
      if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
      const portPrefix = `${prefix}_PORT_${p.port}_${protocol.toUpperCase()}`;
      out.push({ name: portPrefix, value: url });
      out.push({ name: `${portPrefix}_PROTO`, value: protocol.toLowerCase() });
      out.push({ name: `${portPrefix}_PORT`, value: String(p.port) });
      out.push({ name: `${portPrefix}_ADDR`, value: ip });
    });
  }
  return out;
}

/**
 * getServiceEnvVarMap: from `services` (any namespaces), the variables a pod in `namespace` sees: the master
 * service `default/kubernetes` always, the namespace's own services when enableServiceLinks is on. A service of
 * the pod's namespace wins over a master service of the same name (upstream's map insertion rules give that
 * result in either listing order). Services are taken by name order (upstream's order comes from a Go map).
 */
export function serviceEnvVarMap(
  services: readonly Service[],
  namespace: string,
  enableServiceLinks: boolean,
): Map<string, string> {
  const byName = new Map<string, Service>();
  for (const svc of services) {
    if (!isServiceIPSet(svc)) continue;
    const name = svc.metadata?.name ?? '';
    const ns = svc.metadata?.namespace ?? '';
    if (ns === MASTER_NAMESPACE && MASTER_SERVICES.has(name)) {
      if (!byName.has(name)) byName.set(name, svc);
    } else if (ns === namespace && enableServiceLinks) {
      byName.set(name, svc);
    }
  }
  const ordered = [...byName.keys()].sort().map((k) => byName.get(k) as Service);
  const env = new Map<string, string>();
  for (const e of fromServices(ordered)) env.set(e.name, e.value);
  return env;
}
