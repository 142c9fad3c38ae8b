// Service validation: ValidateService, ValidateServiceClusterIPsRelatedFields and the update rules of
// ValidateServiceUpdate (pkg/apis/core/validation/validation.go, v1.30), in upstream's order. Expects a
// defaulted Service whose clusterIP and clusterIPs the strategy has put in step (see defaults.ts).

import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import {
  duplicate,
  type FieldError,
  forbidden,
  GoValue,
  goQuote,
  invalid,
  notSupported,
  required,
} from './field-error.js';
import { validateLabels } from './meta.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidPortNum } from './names.js';
import { child, index, type Path } from './path.js';
import { validatePortNumOrName } from './pod.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const SESSION_AFFINITIES = ['ClientIP', 'None'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
/** core.MaxClientIPServiceAffinitySeconds */
export const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400;

const SP = 'spec';
const CLUSTER_IPS = child(SP, 'clusterIPs');

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** net.ParseIP's IPv4 (leading zeros tolerated, as ParseIPSloppy) as four octets, or undefined. */
export function ipv4Octets(s: string): number[] | undefined {
  const m = IPV4.exec(s);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

function isIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false;
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  const last = groups.at(-1);
  const v4Tail = last?.includes('.') ? last : undefined;
  if (v4Tail !== undefined && !ipv4Octets(v4Tail)) return false;
  const hexGroups = v4Tail ? groups.slice(0, -1) : groups;
  if (!hexGroups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const count = hexGroups.length + (v4Tail ? 2 : 0);
  return halves.length === 2 ? count < 8 : count === 8;
}

export function isIP(s: string): boolean {
  return ipv4Octets(s) !== undefined || isIPv6(s);
}

export function ipFamilyOf(ip: string): 'IPv4' | 'IPv6' {
  return ipv4Octets(ip) ? 'IPv4' : 'IPv6';
}

const VALID_IP = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

/** validation.IsValidIP */
function validateIP(path: Path, value: string): FieldError[] {
  return isIP(value) ? [] : [invalid(path, value, VALID_IP)];
}

/** A string slice as Go's %#v prints it: []string{"a", "b"}, or []string(nil). */
function stringSlice(v: string[] | undefined): GoValue {
  return new GoValue(v, v ? `[]string{${v.map(goQuote).join(', ')}}` : '[]string(nil)');
}

function familySlice(v: string[] | undefined): GoValue {
  return new GoValue(v, v ? `[]core.IPFamily{${v.map(goQuote).join(', ')}}` : '[]core.IPFamily(nil)');
}

export function isHeadlessService(svc: Service): boolean {
  const ips = svc.spec?.clusterIPs ?? [];
  return ips.length === 1 && ips[0] === 'None';
}

/** apiservice.ExternallyAccessible */
function externallyAccessible(svc: Service): boolean {
  const t = svc.spec?.type;
  return (
    t === 'LoadBalancer' ||
    t === 'NodePort' ||
    (t === 'ClusterIP' && (svc.spec?.externalIPs ?? []).length > 0)
  );
}

/** apiservice.NeedsHealthCheck */
export function needsHealthCheck(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && svc.spec.externalTrafficPolicy === 'Local';
}

function validateServicePort(
  sp: ServicePort,
  requireName: boolean,
  names: Set<string>,
  p: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !sp.name) errs.push(required(child(p, 'name')));
  else if (sp.name) {
    for (const m of isDNS1123Label(sp.name)) errs.push(invalid(child(p, 'name'), sp.name, m));
    if (names.has(sp.name)) errs.push(duplicate(child(p, 'name'), sp.name));
    else names.add(sp.name);
  }
  for (const m of isValidPortNum(sp.port)) errs.push(invalid(child(p, 'port'), sp.port, m));
  if (!sp.protocol) errs.push(required(child(p, 'protocol')));
  else if (!PROTOCOLS.includes(sp.protocol))
    errs.push(notSupported(child(p, 'protocol'), sp.protocol, PROTOCOLS));
  errs.push(...validatePortNumOrName(sp.targetPort, child(p, 'targetPort')));
  if (sp.appProtocol !== undefined) {
    for (const m of isQualifiedName(sp.appProtocol))
      errs.push(invalid(child(p, 'appProtocol'), sp.appProtocol, m));
  }
  return errs;
}

function validateClientIPAffinityConfig(svc: Service): FieldError[] {
  const p = child(SP, 'sessionAffinityConfig');
  const why = 'when session affinity type is ClientIP';
  const config = svc.spec?.sessionAffinityConfig;
  if (!config) return [required(p, why)];
  if (!config.clientIP) return [required(child(p, 'clientIP'), why)];
  const timeout = config.clientIP.timeoutSeconds;
  const tp = child(p, 'clientIP', 'timeoutSeconds');
  if (timeout === undefined) return [required(tp, why)];
  if (timeout <= 0 || timeout > MAX_CLIENT_IP_AFFINITY_SECONDS) {
    return [invalid(tp, timeout, `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`)];
  }
  return [];
}

/** ValidateNonSpecialIP, for externalIPs. */
function validateNonSpecialIP(ip: string, p: Path): FieldError[] {
  const o = ipv4Octets(ip);
  if (!o) return ip === '::' ? [invalid(p, ip, `may not be unspecified (${ip})`)] : [];
  const errs: FieldError[] = [];
  if (o.every((x) => x === 0)) errs.push(invalid(p, ip, `may not be unspecified (${ip})`));
  if (o[0] === 127) errs.push(invalid(p, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  if (o[0] === 169 && o[1] === 254)
    errs.push(invalid(p, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  if (o[0] === 224 && o[1] === 0 && o[2] === 0)
    errs.push(invalid(p, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  return errs;
}

/**
 * ValidateServiceClusterIPsRelatedFields: clusterIP against clusterIPs, ipFamilies, ipFamilyPolicy. Also run
 * by the allocator before it allocates (a malformed request is refused before any address is taken).
 */
export function validateServiceClusterIPsRelatedFields(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const clusterIPs = spec.clusterIPs ?? [];
  if (spec.clusterIP) {
    if (clusterIPs.length === 0) errs.push(required(CLUSTER_IPS));
    else if (clusterIPs[0] !== spec.clusterIP)
      errs.push(invalid(CLUSTER_IPS, stringSlice(spec.clusterIPs), 'first value must match `clusterIP`'));
  } else if (clusterIPs.length !== 0) {
    errs.push(
      invalid(CLUSTER_IPS, stringSlice(spec.clusterIPs), 'must be empty when `clusterIP` is not specified'),
    );
  }
  const seen = new Set<string>();
  (spec.ipFamilies ?? []).forEach((f, i) => {
    const p = index(child(SP, 'ipFamilies'), i);
    if (!IP_FAMILIES.includes(f)) errs.push(notSupported(p, f, IP_FAMILIES));
    if (seen.has(f)) errs.push(duplicate(p, f));
    seen.add(f);
  });
  const policy = spec.ipFamilyPolicy;
  if (policy !== undefined && !IP_FAMILY_POLICIES.includes(policy)) {
    errs.push(notSupported(child(SP, 'ipFamilyPolicy'), policy, IP_FAMILY_POLICIES));
  }
  let hasInvalidIPs = false;
  clusterIPs.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (clusterIPs.length > 1) {
        hasInvalidIPs = true;
        errs.push(invalid(CLUSTER_IPS, stringSlice(clusterIPs), "'None' must be the first and only value"));
      }
      return;
    }
    const e = validateIP(index(CLUSTER_IPS, i), ip);
    if (e.length > 0) hasInvalidIPs = true;
    errs.push(...e);
  });
  if (clusterIPs.length > 2)
    errs.push(invalid(CLUSTER_IPS, stringSlice(clusterIPs), 'may only hold up to 2 values'));
  if (hasInvalidIPs) return errs;
  if (clusterIPs.length > 1 && ipFamilyOf(clusterIPs[0]!) === ipFamilyOf(clusterIPs[1]!)) {
    errs.push(
      invalid(CLUSTER_IPS, stringSlice(clusterIPs), 'may specify no more than one IP for each IP family'),
    );
  }
  const families = spec.ipFamilies ?? [];
  if (!isHeadlessService(svc) && clusterIPs.length > 0 && families.length > 0) {
    clusterIPs.forEach((ip, i) => {
      const f = families[i];
      if (f === undefined) return;
      const fam = ipFamilyOf(ip);
      if (f === 'IPv4' && fam === 'IPv6')
        errs.push(
          invalid(index(CLUSTER_IPS, i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``),
        );
      if (f === 'IPv6' && fam !== 'IPv6')
        errs.push(
          invalid(index(CLUSTER_IPS, i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``),
        );
    });
  }
  return errs;
}

/** ValidateService without the metadata part (validateObject checks metadata for every kind). */
export function validateService(svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const spec = svc.spec ?? {};
  const headless = isHeadlessService(svc);
  const ports = spec.ports ?? [];
  if (ports.length === 0 && !headless && spec.type !== 'ExternalName')
    errs.push(required(child(SP, 'ports')));
  switch (spec.type) {
    case 'LoadBalancer':
    case 'NodePort':
      if (headless) {
        errs.push(
          invalid(index(CLUSTER_IPS, 0), 'None', `may not be set to 'None' for ${spec.type} services`),
        );
      }
      break;
    case 'ExternalName': {
      if ((spec.clusterIPs ?? []).length > 0)
        errs.push(forbidden(CLUSTER_IPS, 'may not be set for ExternalName services'));
      if ((spec.ipFamilies ?? []).length > 0)
        errs.push(forbidden(child(SP, 'ipFamilies'), 'may not be set for ExternalName services'));
      if (spec.ipFamilyPolicy !== undefined)
        errs.push(forbidden(child(SP, 'ipFamilyPolicy'), 'may not be set for ExternalName services'));
      // The value (a CNAME) may have a trailing dot to denote it as fully qualified.
      const cname = (spec.externalName ?? '').replace(/\.$/, '');
      if (cname) {
        for (const m of isDNS1123Subdomain(cname)) errs.push(invalid(child(SP, 'externalName'), cname, m));
      } else errs.push(required(child(SP, 'externalName')));
      break;
    }
  }
  const names = new Set<string>();
  ports.forEach((port, i) => {
    errs.push(...validateServicePort(port, ports.length > 1, names, index(child(SP, 'ports'), i)));
  });
  if (spec.selector) errs.push(...validateLabels(spec.selector, child(SP, 'selector')));
  if (!spec.sessionAffinity) errs.push(required(child(SP, 'sessionAffinity')));
  else if (!SESSION_AFFINITIES.includes(spec.sessionAffinity)) {
    errs.push(notSupported(child(SP, 'sessionAffinity'), spec.sessionAffinity, SESSION_AFFINITIES));
  }
  if (spec.sessionAffinity === 'ClientIP') errs.push(...validateClientIPAffinityConfig(svc));
  else if (spec.sessionAffinity === 'None' && spec.sessionAffinityConfig) {
    errs.push(forbidden(child(SP, 'sessionAffinityConfig'), 'must not be set when session affinity is None'));
  }
  errs.push(...validateServiceClusterIPsRelatedFields(svc));
  (spec.externalIPs ?? []).forEach((ip, i) => {
    const p = index(child(SP, 'externalIPs'), i);
    const e = validateIP(p, ip);
    errs.push(...(e.length > 0 ? e : validateNonSpecialIP(ip, p)));
  });
  if (!spec.type) errs.push(required(child(SP, 'type')));
  else if (!SERVICE_TYPES.includes(spec.type))
    errs.push(notSupported(child(SP, 'type'), spec.type, SERVICE_TYPES));
  if (spec.type === 'ClusterIP') {
    ports.forEach((port, i) => {
      if (port.nodePort) {
        errs.push(
          forbidden(
            child(index(child(SP, 'ports'), i), 'nodePort'),
            "may not be used when `type` is 'ClusterIP'",
          ),
        );
      }
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((port, i) => {
    if (!port.nodePort) return;
    const k = `${port.protocol}/${port.nodePort}`;
    if (nodePorts.has(k))
      errs.push(duplicate(child(index(child(SP, 'ports'), i), 'nodePort'), port.nodePort));
    nodePorts.add(k);
  });
  const seenPorts = new Set<string>();
  ports.forEach((port, i) => {
    // Upstream reports the (protocol, port) key struct, printed by Go's %#v.
    const protocol = port.protocol ?? '';
    const k = `${protocol}/${port.port}`;
    if (seenPorts.has(k)) {
      const text = `core.ServicePort{Name:"", Protocol:${goQuote(protocol)}, AppProtocol:(*string)(nil), Port:${port.port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
      errs.push(duplicate(index(child(SP, 'ports'), i), new GoValue({ protocol, port: port.port }, text)));
    }
    seenPorts.add(k);
  });
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.type !== 'LoadBalancer') {
    errs.push(
      forbidden(child(SP, 'allocateLoadBalancerNodePorts'), "may only be used when `type` is 'LoadBalancer'"),
    );
  }
  // Upstream's path really lacks the `spec.` here.
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined)
    errs.push(required('allocateLoadBalancerNodePorts'));
  errs.push(...validateExternalTrafficPolicy(svc));
  const itp = spec.internalTrafficPolicy;
  if (itp === undefined) {
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP')
      errs.push(required(child(SP, 'internalTrafficPolicy')));
  } else if (!TRAFFIC_POLICIES.includes(itp)) {
    errs.push(notSupported(child(SP, 'internalTrafficPolicy'), itp, TRAFFIC_POLICIES));
  }
  const td = (spec as { trafficDistribution?: string }).trafficDistribution;
  if (td !== undefined && td !== 'PreferClose') {
    errs.push(notSupported(child(SP, 'trafficDistribution'), td, ['PreferClose']));
  }
  return errs;
}

function validateExternalTrafficPolicy(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  const errs: FieldError[] = [];
  const etp = spec.externalTrafficPolicy;
  if (!externallyAccessible(svc)) {
    if (etp) {
      errs.push(
        invalid(
          child(SP, 'externalTrafficPolicy'),
          etp,
          'may only be set for externally-accessible services',
        ),
      );
    }
  } else if (!etp) errs.push(required(child(SP, 'externalTrafficPolicy')));
  else if (!TRAFFIC_POLICIES.includes(etp)) {
    errs.push(notSupported(child(SP, 'externalTrafficPolicy'), etp, TRAFFIC_POLICIES));
  }
  const hc = spec.healthCheckNodePort ?? 0;
  const hp = child(SP, 'healthCheckNodePort');
  if (!needsHealthCheck(svc)) {
    if (hc !== 0) {
      errs.push(
        invalid(
          hp,
          hc,
          "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ),
      );
    }
  } else if (hc === 0) errs.push(required(hp));
  else for (const m of isValidPortNum(hc)) errs.push(invalid(hp, hc, m));
  return errs;
}

/**
 * The Service rules of ValidateServiceUpdate before it calls ValidateService: the primary clusterIP and IP
 * family may not change (except to, from or on ExternalName), nor a running healthCheckNodePort.
 */
export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const errs: FieldError[] = [];
  const n = svc.spec ?? {};
  const o = old.spec ?? {};
  if (n.type !== 'ExternalName' && o.type !== 'ExternalName') {
    const newHeadless = isHeadlessService(svc);
    const oldHeadless = isHeadlessService(old);
    const nIPs = n.clusterIPs ?? [];
    const oIPs = o.clusterIPs ?? [];
    const changed = (i: number) =>
      invalid(index(CLUSTER_IPS, i), stringSlice(n.clusterIPs), 'may not change once set');
    if (!(oldHeadless && newHeadless)) {
      if (oIPs.length === nIPs.length) {
        oIPs.forEach((ip, i) => {
          if (ip !== nIPs[i]) errs.push(changed(i));
        });
      } else if (oIPs.length > nIPs.length) {
        if (nIPs.length === 0) {
          errs.push(
            invalid(index(CLUSTER_IPS, 0), stringSlice(n.clusterIPs), 'primary clusterIP can not be unset'),
          );
        }
        if (oIPs.length > 0 && nIPs.length > 0 && nIPs[0] !== oIPs[0]) errs.push(changed(0));
        if (nIPs.length === 1 && n.ipFamilyPolicy !== 'SingleStack') {
          errs.push(
            invalid(
              child(SP, 'ipFamilyPolicy'),
              n.ipFamilyPolicy ?? null,
              "must be set to 'SingleStack' when releasing the secondary clusterIP",
            ),
          );
        }
      } else if (oIPs.length > 0 && nIPs[0] !== oIPs[0]) errs.push(changed(0));
    }
    if (newHeadless === oldHeadless && !newHeadless) {
      const nf = n.ipFamilies ?? [];
      const of = o.ipFamilies ?? [];
      const fchanged = () =>
        invalid(index(child(SP, 'ipFamilies'), 0), familySlice(n.ipFamilies), 'may not change once set');
      if (of.length === nf.length) {
        of.forEach((f, i) => {
          if (f !== nf[i]) errs.push(fchanged());
        });
      } else if (of.length > nf.length) {
        if (nf.length === 0) {
          errs.push(
            invalid(
              index(child(SP, 'ipFamilies'), 0),
              familySlice(n.ipFamilies),
              'primary ipFamily can not be unset',
            ),
          );
        }
        if (of.length > 0 && nf.length > 0 && nf[0] !== of[0]) errs.push(fchanged());
      } else if (of.length > 0 && nf[0] !== of[0]) errs.push(fchanged());
    }
  }
  if (needsHealthCheck(old) && needsHealthCheck(svc) && n.healthCheckNodePort !== o.healthCheckNodePort) {
    errs.push(forbidden(child(SP, 'healthCheckNodePort'), 'field is immutable'));
  }
  return errs;
}
