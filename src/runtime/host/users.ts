// The identity a container runs as. The host runtime has no image, so the host's /etc/passwd and /etc/group
// play the image's part, as runc reads the image's: runAsUser without runAsGroup takes the user's primary group
// (0 when the uid has no entry), and the user's memberships join the supplementalGroups.

import { readFileSync, statSync } from 'node:fs';
import type { LinuxContainerSecurity } from '../types.js';

export interface Identity {
  uid: number;
  gid: number;
  groups: number[];
}

export function resolveIdentity(security: LinuxContainerSecurity | undefined, etc = '/etc'): Identity {
  const uid = security?.runAsUser ?? 0;
  const passwd = parse(read(`${etc}/passwd`));
  const user = passwd.find((f) => Number(f[2]) === uid);
  const gid = security?.runAsGroup ?? (user ? Number(user[3]) : 0);
  const groups = new Set<number>();
  if (user?.[0]) {
    for (const g of parse(read(`${etc}/group`))) {
      const members = (g[3] ?? '').split(',');
      if (members.includes(user[0])) groups.add(Number(g[2]));
    }
  }
  for (const g of security?.supplementalGroups ?? []) groups.add(g);
  groups.delete(gid);
  return {
    uid,
    gid,
    groups: [gid, ...[...groups].sort((a, b) => a - b)].filter((g) => Number.isInteger(g) && g >= 0),
  };
}

function parse(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

/** Parsed files by path, kept while their modification time and size stay the same (one stat per look). */
const cache = new Map<string, { key: string; text: string }>();

function read(path: string): string {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return '';
  const key = `${st.mtimeMs}:${st.size}:${st.ino}`;
  const hit = cache.get(path);
  if (hit?.key === key) return hit.text;
  try {
    const text = readFileSync(path, 'utf8');
    cache.set(path, { key, text });
    return text;
  } catch {
    return '';
  }
}
