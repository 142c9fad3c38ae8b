// The downward API: reading pod fields (fieldRef) and container resources (resourceFieldRef) as strings, shared
// by environment variables (env.ts) and downwardAPI/projected volumes. Mirrors pkg/fieldpath,
// pkg/apis/core/pods.ConvertDownwardAPIFieldLabel and pkg/api/v1/resource (ExtractContainerResourceValue).

import { cpus, totalmem } from 'node:os';
import {
  ceilDiv,
  type Quantity as ExactQuantity,
  parseQuantity as parseExactQuantity,
} from '../api/resource-quantity.js';
import type { Container, Pod } from '../api/types.js';
import { goQuote } from '../util/go-format.js';

// ---------------------------------------------------------------------------------------------------------
// Field paths

/**
 * Formats labels or annotations as the downward API does (fieldpath.FormatMap): one `key="value"` line per
 * entry, keys sorted, values quoted like Go's %q, no trailing newline.
 */
export function formatMap(m: Record<string, string> | undefined): string {
  const keys = Object.keys(m ?? {}).sort(compareBytes);
  return keys.map((k) => `${k}=${goQuote((m as Record<string, string>)[k] ?? '')}`).join('\n');
}

/** Go sorts strings by bytes; for UTF-8 that is code point order, which UTF-16 comparison breaks above U+FFFF. */
function compareBytes(a: string, b: string): number {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return Buffer.compare(ba, bb);
}

/**
 * Splits `metadata.labels['key']` into path and subscript (fieldpath.SplitMaybeSubscriptedPath); `ok` is false
 * for a path without a subscript.
 */
export function splitMaybeSubscriptedPath(fieldPath: string): {
  path: string;
  subscript: string;
  ok: boolean;
} {
  if (!fieldPath.endsWith("']")) return { path: fieldPath, subscript: '', ok: false };
  const s = fieldPath.slice(0, -2);
  const i = s.indexOf("['");
  if (i === -1) return { path: fieldPath, subscript: '', ok: false };
  return { path: s.slice(0, i), subscript: s.slice(i + 2), ok: true };
}

/** The field paths a v1 pod offers the downward API (ConvertDownwardAPIFieldLabel). Returns the internal path. */
export function convertDownwardAPIFieldLabel(apiVersion: string | undefined, label: string): string {
  const version = apiVersion || 'v1';
  if (version !== 'v1') throw new Error(`unsupported pod version: ${version}`);
  const sub = splitMaybeSubscriptedPath(label);
  if (sub.ok) {
    if (sub.path === 'metadata.annotations' || sub.path === 'metadata.labels') return label;
    throw new Error(`field label does not support subscript: ${label}`);
  }
  switch (label) {
    case 'metadata.annotations':
    case 'metadata.labels':
    case 'metadata.name':
    case 'metadata.namespace':
    case 'metadata.uid':
    case 'spec.nodeName':
    case 'spec.restartPolicy':
    case 'spec.serviceAccountName':
    case 'spec.schedulerName':
    case 'status.phase':
    case 'status.hostIP':
    case 'status.hostIPs':
    case 'status.podIP':
    case 'status.podIPs':
      return label;
    case 'spec.host':
      // Old v1 clients' name for spec.nodeName.
      return 'spec.nodeName';
    default:
      throw new Error(`field label not supported: ${label}`);
  }
}

/**
 * The metadata fields every object offers (fieldpath.ExtractFieldPathAsString): name, namespace, uid, and
 * labels/annotations whole (FormatMap) or by key (`metadata.labels['k']`, '' when absent).
 */
export function extractFieldPathAsString(pod: Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const sub = splitMaybeSubscriptedPath(fieldPath);
  if (sub.ok) {
    switch (sub.path) {
      case 'metadata.annotations': {
        const errs = isQualifiedName(sub.subscript.toLowerCase());
        if (errs.length) throw new Error(`invalid key subscript in ${fieldPath}: ${errs.join(';')}`);
        return meta.annotations?.[sub.subscript] ?? '';
      }
      case 'metadata.labels': {
        const errs = isQualifiedName(sub.subscript);
        if (errs.length) throw new Error(`invalid key subscript in ${fieldPath}: ${errs.join(';')}`);
        return meta.labels?.[sub.subscript] ?? '';
      }
      default:
        throw new Error(`fieldPath ${goQuote(fieldPath)} does not support subscript`);
    }
  }
  switch (fieldPath) {
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
  }
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

/**
 * A pod field for an environment variable (the kubelet's podFieldSelectorRuntimeValue): the metadata fields
 * plus the node and addresses the kubelet knows. `podIPs`/`hostIPs` are comma-joined.
 */
export function podFieldSelectorRuntimeValue(
  pod: Pod,
  selector: { apiVersion?: string; fieldPath: string },
  podIP: string,
  hostIP: string,
): string {
  const path = convertDownwardAPIFieldLabel(selector.apiVersion, selector.fieldPath);
  const podIPs = podIP ? [podIP] : [];
  switch (path) {
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return hostIP;
    case 'status.hostIPs':
      return hostIP;
    case 'status.podIP':
      return podIPs[0] ?? '';
    case 'status.podIPs':
      return podIPs.join(',');
  }
  return extractFieldPathAsString(pod, path);
}

const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_RE = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** validation.IsQualifiedName: `[prefix/]name`, with the apimachinery error texts. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] as string;
  } else if (parts.length === 2) {
    const prefix = parts[0] as string;
    name = parts[1] as string;
    if (prefix.length === 0) {
      errs.push('prefix part must be non-empty');
    } else {
      if (prefix.length > 253) errs.push('prefix part must be no more than 253 characters');
      if (!DNS1123_SUBDOMAIN_RE.test(prefix)) {
        errs.push(
          "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        );
      }
    }
  } else {
    return [
      `a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${QUALIFIED_NAME_FMT}') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) {
    errs.push('name part must be non-empty');
  } else if (name.length > 63) {
    errs.push('name part must be no more than 63 characters');
  }
  if (name.length > 0 && !QUALIFIED_NAME_RE.test(name)) {
    errs.push(
      `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${QUALIFIED_NAME_FMT}')`,
    );
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------------------
// Resource quantities

/** An exact quantity as a fraction (src/api/resource-quantity.ts), so that `0.1` CPU is 100 millicores. */
export type Quantity = Pick<ExactQuantity, 'num' | 'den'>;

/** Parses a Kubernetes quantity (`500m`, `1.5`, `128Mi`, `1G`, `1e3`); throws on anything else. */
export function parseQuantity(text: string | number): Quantity {
  const q = parseExactQuantity(text);
  if (q === undefined)
    throw new Error(
      `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    );
  return q;
}

/** Quantity.MilliValue: the value in thousandths, rounded up. */
export function milliValue(q: Quantity): bigint {
  return ceilDiv(q.num * 1000n, q.den);
}

/** Quantity.Value: the value in units, rounded up. */
export function quantityValue(q: Quantity): bigint {
  return ceilDiv(q.num, q.den);
}

/** What the node offers pods; the downward API reports it as a container's limit when the container has none. */
export interface NodeAllocatable {
  /** Quantity strings, as in node.status.allocatable. */
  cpu: string;
  memory: string;
  'ephemeral-storage': string;
}

/**
 * podrun's node allocatable: the whole machine (every CPU, all memory), since podrun reserves nothing for
 * system daemons. Ephemeral storage is fixed at 100Gi unless the caller measures the root filesystem.
 */
export function hostNodeAllocatable(ephemeralStorageBytes?: number): NodeAllocatable {
  return {
    cpu: String(Math.max(1, cpus().length)),
    memory: String(totalmem()),
    'ephemeral-storage': ephemeralStorageBytes !== undefined ? String(ephemeralStorageBytes) : '100Gi',
  };
}

export interface ResourceFieldSelectorLike {
  containerName?: string;
  resource: string;
  divisor?: string | number;
}

/**
 * A container resource for the downward API (resource.ExtractContainerResourceValue), with unset limits
 * taken from `allocatable` (the kubelet's defaultPodLimitsForDownwardAPI). CPU is rounded up to whole divisor
 * units from millicores, memory and ephemeral storage from bytes.
 */
export function extractContainerResourceValue(
  fs: ResourceFieldSelectorLike,
  container: Container,
  allocatable: NodeAllocatable,
): string {
  const divisorQ = fs.divisor === undefined || fs.divisor === '' ? undefined : parseQuantity(fs.divisor);
  const divisor = divisorQ && divisorQ.num !== 0n ? divisorQ : parseQuantity('1');
  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  const limit = (name: keyof NodeAllocatable): Quantity => parseQuantity(limits[name] ?? allocatable[name]);
  const request = (name: string): Quantity => parseQuantity(requests[name] ?? '0');
  const cpu = (q: Quantity) => String(ceilDiv(milliValue(q), milliValue(divisor)));
  const bytes = (q: Quantity) => String(ceilDiv(quantityValue(q), quantityValue(divisor)));
  switch (fs.resource) {
    case 'limits.cpu':
      return cpu(limit('cpu'));
    case 'limits.memory':
      return bytes(limit('memory'));
    case 'limits.ephemeral-storage':
      return bytes(limit('ephemeral-storage'));
    case 'requests.cpu':
      return cpu(request('cpu'));
    case 'requests.memory':
      return bytes(request('memory'));
    case 'requests.ephemeral-storage':
      return bytes(request('ephemeral-storage'));
  }
  throw new Error(`unsupported container resource : ${fs.resource}`);
}

/**
 * Like extractContainerResourceValue, for the container `fs.containerName` names (volumes must name one; env
 * vars default to their own container).
 */
export function extractResourceValueByContainerName(
  fs: ResourceFieldSelectorLike,
  pod: Pod,
  containerName: string,
  allocatable: NodeAllocatable,
): string {
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const container = all.find((c) => c.name === containerName);
  if (!container) throw new Error(`container ${containerName} not found`);
  return extractContainerResourceValue(fs, container, allocatable);
}
