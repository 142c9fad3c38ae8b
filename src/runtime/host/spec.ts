// The shim's input: a flat list of NUL-separated tokens. NUL is the one byte that can appear in no path,
// argument or environment entry, so no quoting is needed. Keys and their arity are fixed by the shim:
//   `sys <name> <number>`, `mount <kind> <source> <target> <ro|rw>`, `file`/`record <path> <content>`, list
//   keys (`argv`, `env`, `cgroup`, `cgroupout`, `oomfile`, `rmdir`, `mkdir`, `rmtree`, `remountro`) repeat, every other key
//   takes one value.

import { RuntimeError } from '../types.js';

export type SpecEntry = readonly [key: string, ...values: string[]];

/** Linux syscall numbers the shim needs, by Node's `process.arch`. */
const SYSCALLS: Record<string, Record<string, number>> = {
  x64: {
    setns: 308,
    unshare: 272,
    mount: 165,
    sethostname: 170,
    setgroups: 116,
    setresuid: 117,
    setresgid: 119,
    clock_gettime: 228,
    setsid: 112,
    prctl: 157,
    pivot_root: 155,
    umount2: 166,
    mknodat: 259,
  },
  arm64: {
    setns: 268,
    unshare: 97,
    mount: 40,
    sethostname: 161,
    setgroups: 159,
    setresuid: 147,
    setresgid: 149,
    clock_gettime: 113,
    setsid: 157,
    prctl: 167,
    pivot_root: 41,
    umount2: 39,
    mknodat: 33,
  },
};

export function supportedArch(arch: string = process.arch): boolean {
  return arch in SYSCALLS;
}

export function syscallEntries(arch: string = process.arch): SpecEntry[] {
  const table = SYSCALLS[arch];
  if (!table) {
    throw new RuntimeError('Unsupported', `the host runtime supports x64 and arm64 Linux, not ${arch}`);
  }
  return Object.entries(table).map(([name, n]) => ['sys', name, String(n)] as const);
}

export function encodeSpec(entries: readonly SpecEntry[]): string {
  const tokens: string[] = [];
  for (const entry of entries) {
    for (const token of entry) {
      if (token.includes('\0')) {
        throw new RuntimeError(
          'CreateContainerError',
          `${entry[0]}: a value contains a NUL byte: ${JSON.stringify(token)}`,
        );
      }
      tokens.push(token);
    }
  }
  return `${tokens.join('\0')}\0`;
}
