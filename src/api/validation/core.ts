// ConfigMap, Secret, Service and Namespace validation (pkg/apis/core/validation/validation.go, v1.30).

import type { ConfigMap, Namespace, Secret, Service } from 'kubernetes-types/core/v1.js';
import {
  duplicate,
  type FieldError,
  forbidden,
  GoValue,
  goQuote,
  invalid,
  notSupported,
  required,
  tooLong,
} from './field-error.js';
import { validateFinalizerName, validateLabels } from './meta.js';
import { isConfigMapKey, isDNS1123Label, isValidPortNum } from './names.js';
import { child, index, key } from './path.js';
import { validatePortNumOrName } from './pod.js';

const MAX_SECRET_SIZE = 1024 * 1024;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const SESSION_AFFINITIES = ['ClientIP', 'None'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];

function base64Length(s: string): number {
  return Buffer.from(s, 'base64').length;
}

export function validateConfigMap(cm: ConfigMap): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(cm.data ?? {})) {
    const p = key('data', k);
    for (const m of isConfigMapKey(k)) errs.push(invalid(p, k, m));
    if (cm.binaryData && Object.hasOwn(cm.binaryData, k))
      errs.push(invalid(p, k, 'duplicate of key present in binaryData'));
    total += Buffer.byteLength(v);
  }
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('binaryData', k), k, m));
    total += base64Length(v);
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong('', '', MAX_SECRET_SIZE));
  return errs;
}

export function validateSecret(s: Secret): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(s.data ?? {})) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('data', k), k, m));
    total += base64Length(v);
  }
  // The API server merges stringData into data before validating; the keys are reported where they were written.
  for (const [k, v] of Object.entries(s.stringData ?? {})) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('stringData', k), k, m));
    total += Buffer.byteLength(v);
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong('data', '', MAX_SECRET_SIZE));
  const has = (k: string) => Object.hasOwn(s.data ?? {}, k) || Object.hasOwn(s.stringData ?? {}, k);
  switch (s.type) {
    case 'kubernetes.io/service-account-token':
      if (!s.metadata?.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(required(key(child('metadata', 'annotations'), 'kubernetes.io/service-account.name')));
      }
      break;
    case 'kubernetes.io/dockercfg':
      if (!has('.dockercfg')) errs.push(required(key('data', '.dockercfg')));
      break;
    case 'kubernetes.io/dockerconfigjson':
      if (!has('.dockerconfigjson')) errs.push(required(key('data', '.dockerconfigjson')));
      break;
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(required(key('data', 'username')));
        errs.push(required(key('data', 'password')));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!has('ssh-privatekey')) errs.push(required(key('data', 'ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.key')) errs.push(required(key('data', 'tls.key')));
      if (!has('tls.crt')) errs.push(required(key('data', 'tls.crt')));
      break;
    default:
      break;
  }
  return errs;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function isIP(s: string): boolean {
  return IPV4.test(s) || (/^[0-9a-fA-F:.]+$/.test(s) && s.includes(':'));
}

export function validateService(svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const spec = svc.spec ?? {};
  const sp = 'spec';
  const type = spec.type;
  const headless = spec.clusterIP === 'None';
  if (type !== undefined) {
    if (type === '') errs.push(required(child(sp, 'type')));
    else if (!SERVICE_TYPES.includes(type)) errs.push(notSupported(child(sp, 'type'), type, SERVICE_TYPES));
  }
  const ports = spec.ports ?? [];
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(required(child(sp, 'ports')));
  if (type === 'ExternalName') {
    if (!spec.externalName) errs.push(required(child(sp, 'externalName')));
  }
  const names = new Set<string>();
  const seenPorts = new Set<string>();
  ports.forEach((port, i) => {
    const p = index(child(sp, 'ports'), i);
    if (ports.length > 1 && !port.name) errs.push(required(child(p, 'name')));
    else if (port.name) {
      for (const m of isDNS1123Label(port.name)) errs.push(invalid(child(p, 'name'), port.name, m));
      if (names.has(port.name)) errs.push(duplicate(child(p, 'name'), port.name));
      else names.add(port.name);
    }
    for (const m of isValidPortNum(port.port)) errs.push(invalid(child(p, 'port'), port.port, m));
    if (port.protocol === '') errs.push(required(child(p, 'protocol')));
    else if (port.protocol !== undefined && !PROTOCOLS.includes(port.protocol)) {
      errs.push(notSupported(child(p, 'protocol'), port.protocol, PROTOCOLS));
    }
    if (port.targetPort !== undefined && port.targetPort !== 0 && port.targetPort !== '') {
      errs.push(...validatePortNumOrName(port.targetPort, child(p, 'targetPort')));
    }
    if (port.nodePort !== undefined && port.nodePort !== 0) {
      if (type === undefined || type === 'ClusterIP') {
        errs.push(forbidden(child(p, 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
      } else {
        for (const m of isValidPortNum(port.nodePort))
          errs.push(invalid(child(p, 'nodePort'), port.nodePort, m));
      }
    }
    // Upstream reports the (protocol, port) key struct, printed by Go's %#v.
    const protocol = port.protocol ?? 'TCP';
    const k = `${protocol}/${port.port}`;
    if (seenPorts.has(k)) {
      const text = `core.ServicePort{Name:"", Protocol:${goQuote(protocol)}, AppProtocol:(*string)(nil), Port:${port.port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
      errs.push(duplicate(p, new GoValue({ protocol, port: port.port }, text)));
    }
    seenPorts.add(k);
  });
  if (spec.clusterIP && spec.clusterIP !== 'None' && !isIP(spec.clusterIP)) {
    errs.push(
      invalid(
        index(child(sp, 'clusterIPs'), 0),
        spec.clusterIP,
        'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      ),
    );
  }
  if (spec.sessionAffinity !== undefined) {
    if (spec.sessionAffinity === '') errs.push(required(child(sp, 'sessionAffinity')));
    else if (!SESSION_AFFINITIES.includes(spec.sessionAffinity)) {
      errs.push(notSupported(child(sp, 'sessionAffinity'), spec.sessionAffinity, SESSION_AFFINITIES));
    }
  }
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (timeout !== undefined && (timeout <= 0 || timeout > 86400)) {
    errs.push(
      invalid(
        child(sp, 'sessionAffinityConfig', 'clientIP', 'timeoutSeconds'),
        timeout,
        'must be greater than 0 and less than 86400',
      ),
    );
  }
  errs.push(...validateLabels(spec.selector, child(sp, 'selector')));
  for (const f of ['externalTrafficPolicy', 'internalTrafficPolicy'] as const) {
    const v = spec[f];
    if (v !== undefined && v !== '' && !TRAFFIC_POLICIES.includes(v))
      errs.push(notSupported(child(sp, f), v, TRAFFIC_POLICIES));
  }
  return errs;
}

export function validateNamespace(ns: Namespace): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ns.spec?.finalizers ?? [])
    errs.push(...validateFinalizerName(f, child('spec', 'finalizers')));
  return errs;
}
