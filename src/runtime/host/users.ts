// The identity a container runs as. The host runtime has no image, so the host's /etc/passwd and /etc/group
// play the image's part, as runc reads the image's: runAsUser without runAsGroup takes the user's primary group
// (0 when the uid has no entry), and the user's memberships join the supplementalGroups.

import { readFileSync, statSync } from 'node:fs';
import type { LinuxContainerSecurity } from '../types.js';

export interface Identity {
  uid: number;
  gid: number;
  groups: number[];
  /** The user's passwd home, `/` without an entry (runc's default). */
  home?: string;
}

export function resolveIdentity(security: LinuxContainerSecurity | undefined, etc = '/etc'): Identity {
  const uid = security?.runAsUser ?? 0;
  const user = security?.runAsGroup === undefined ? String(uid) : `${uid}:${security.runAsGroup}`;
  return resolveUserString(user, read(`${etc}/passwd`), read(`${etc}/group`), security?.supplementalGroups);
}

/** Parsed texts: the host's files come back as the same cached text at every container start. */
const parsed = new Map<string, string[][]>();
const PARSED_KEPT = 16;

function parse(text: string): string[][] {
  const hit = parsed.get(text);
  if (hit) return hit;
  const lines = text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
  if (parsed.size >= PARSED_KEPT) parsed.clear();
  parsed.set(text, lines);
  return lines;
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

/**
 * oci.WithUser and WithAdditionalGIDs over an image's /etc/passwd and /etc/group (undefined: the image has no
 * such file): `uid` or `name`, optionally `:gid` or `:group`. A numeric uid without a passwd line runs with gid
 * 0; a name that is not there is an error, as containerd's `no users found`. Supplementary groups: the
 * primary gid, every group that lists the user, then the pod's supplementalGroups.
 */
export function resolveUserString(
  userString: string,
  passwdText: string | undefined,
  groupText: string | undefined,
  supplementalGroups: readonly number[] = [],
): Identity {
  const [userPart = '', groupPart] = userString.split(':', 2);
  const passwd = parse(passwdText ?? '');
  const group = parse(groupText ?? '');
  const numeric = (s: string) => /^\d+$/.test(s);
  let uid = 0;
  let gid = 0;
  let name = '';
  let home = '/';
  if (userPart === '') {
    const line = passwd.find((f) => Number(f[2]) === 0);
    name = line?.[0] ?? '';
    home = line?.[5] || '/';
  } else if (numeric(userPart)) {
    uid = Number(userPart);
    const line = passwd.find((f) => Number(f[2]) === uid);
    gid = line ? Number(line[3]) : 0;
    name = line?.[0] ?? '';
    home = line?.[5] || '/';
  } else {
    const line = passwd.find((f) => f[0] === userPart);
    if (!line) {
      throw new Error(
        `unable to find user ${userPart}: no matching entries in passwd file${passwdText === undefined ? ' (the image has no /etc/passwd)' : ''}`,
      );
    }
    uid = Number(line[2]);
    gid = Number(line[3]);
    name = userPart;
    home = line[5] || '/';
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (numeric(groupPart)) gid = Number(groupPart);
    else {
      const line = group.find((f) => f[0] === groupPart);
      if (!line) {
        throw new Error(
          `unable to find group ${groupPart}: no matching entries in group file${groupText === undefined ? ' (the image has no /etc/group)' : ''}`,
        );
      }
      gid = Number(line[2]);
    }
  }
  const groups = new Set<number>();
  if (name) {
    for (const g of group) {
      if (g[0] === name) continue;
      if ((g[3] ?? '').split(',').includes(name)) groups.add(Number(g[2]));
    }
  }
  for (const g of supplementalGroups) groups.add(g);
  groups.delete(gid);
  return {
    uid,
    gid,
    groups: [gid, ...[...groups].sort((a, b) => a - b)].filter((g) => Number.isInteger(g) && g >= 0),
    home,
  };
}
