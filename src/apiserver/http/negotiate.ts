// Content negotiation: which representation an `Accept` header asks for (JSON, YAML, a metav1 Table,
// PartialObjectMetadata, aggregated discovery), and which body format a `Content-Type` names.
import { notAcceptable } from '../errors.js';

export interface MediaType {
  type: string;
  params: Record<string, string>;
}

export function parseMediaType(s: string): MediaType {
  const [type = '', ...rest] = s.split(';');
  // Parameter names are the client's: no prototype, so `constructor` or `__proto__` are plain names.
  const params: Record<string, string> = Object.create(null);
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params[p.slice(0, eq).trim().toLowerCase()] = p
      .slice(eq + 1)
      .trim()
      .replace(/^"|"$/g, '');
  }
  return { type: type.trim().toLowerCase(), params };
}

export function parseAccept(header: string | undefined): MediaType[] {
  if (!header) return [];
  return header
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseMediaType);
}

export type Representation =
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'metadata'; version: 'v1' | 'v1beta1'; list: boolean };

const ACCEPTED = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

function isJsonLike(t: string): boolean {
  return t === 'application/json' || t === '*/*' || t === 'application/*';
}

/**
 * The first representation in `Accept` order that podrun serves. Protobuf is answered with JSON (clients
 * that ask for protobuf also accept JSON). No Accept means JSON.
 */
export function negotiateObject(header: string | undefined): Representation {
  const types = parseAccept(header);
  if (types.length === 0) return { kind: 'json' };
  let protobuf = false;
  for (const m of types) {
    const as = m.params.as;
    if (as) {
      if (m.type !== 'application/json' || m.params.g !== 'meta.k8s.io') continue;
      const v = m.params.v;
      if (v !== 'v1' && v !== 'v1beta1') continue;
      if (as === 'Table') return { kind: 'table', version: v };
      if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') {
        return { kind: 'metadata', version: v, list: as === 'PartialObjectMetadataList' };
      }
      continue;
    }
    if (isJsonLike(m.type)) return { kind: 'json' };
    if (m.type === 'application/yaml') return { kind: 'yaml' };
    if (m.type === 'application/vnd.kubernetes.protobuf') protobuf = true;
  }
  if (protobuf) return { kind: 'json' };
  throw notAcceptable(ACCEPTED);
}

/** Which aggregated-discovery version `Accept` asks for, if any (`v2`, `v2beta1`). */
export function aggregatedDiscoveryVersion(header: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const m of parseAccept(header)) {
    if (m.params.as === 'APIGroupDiscoveryList' && m.params.g === 'apidiscovery.k8s.io') {
      if (m.params.v === 'v2' || m.params.v === 'v2beta1') return m.params.v;
    }
    if (isJsonLike(m.type) && !m.params.as) return undefined;
  }
  return undefined;
}
