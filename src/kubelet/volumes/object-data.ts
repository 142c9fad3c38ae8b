// The bytes a ConfigMap or Secret holds, as the kubelet sees them after the API server stored them.
import type { ConfigMap, Secret } from '../../api/types.js';

/**
 * A Secret's values: `.data` is base64 on the wire and is decoded here; `.stringData` is write-only and
 * normally merged into `.data` by the API server, but an object that still carries it (e.g. from a fake
 * getter) gets the same merge, stringData winning.
 */
export function secretData(secret: Secret): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(secret.data ?? {})) out.set(k, Buffer.from(v, 'base64'));
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  return out;
}

/** A ConfigMap's values: `.data` as UTF-8 and `.binaryData` (base64 on the wire) decoded. */
export function configMapData(configMap: ConfigMap): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(configMap.data ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(configMap.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}
