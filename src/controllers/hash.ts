// The pod-template-hash: FNV-1a (32-bit) of the template, rendered like rand.SafeEncodeString so that names
// look like upstream's (`web-7d9c8b5f4`). Upstream hashes the Go struct's dump; podrun hashes canonical JSON,
// so values differ from a real cluster's but are stable across restarts.

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function safeEncode(s: string): string {
  let out = '';
  for (const ch of s) out += ALPHANUMS[ch.charCodeAt(0) % ALPHANUMS.length];
  return out;
}

export function podTemplateHash(template: unknown, collisionCount = 0): string {
  const base = canonicalJson(template) + (collisionCount > 0 ? String(collisionCount) : '');
  return safeEncode(String(fnv32a(base)));
}
