// Where things are for a container that runs on the host's filesystem: the order of its mounts (parents before
// children, as containerd sorts them) and how a path inside the container maps to a host path, to find its
// command before starting it.

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
/** containerd's default when the image sets no PATH; the host runtime uses it only to find the command. */
import { DEFAULT_PATH } from '../image-process.js';
import type { Mount } from '../types.js';

export function mountSource(m: Mount): string {
  return m.subPath ? join(m.hostPath, m.subPath) : m.hostPath;
}

/**
 * What runc lets a mount cover inside /proc (libcontainer/rootfs_linux.go checkProcMount): the files lxcfs
 * emulates. Anything else there could hide the kernel's own files from the process (its LSM attributes, its
 * sysctls) and is refused.
 */
const validProcMounts = new Set([
  '/proc/cpuinfo',
  '/proc/diskstats',
  '/proc/meminfo',
  '/proc/stat',
  '/proc/swaps',
  '/proc/uptime',
  '/proc/loadavg',
  '/proc/slabinfo',
  '/proc/net/dev',
  '/proc/sys/kernel/ns_last_pid',
  '/proc/sys/crypto/fips_enabled',
]);

/** runc's refusal of a volume mounted over /proc or inside it, judged on the normalised path (`/a/../proc`). */
function procMountProblem(containerPath: string): string | undefined {
  const dest = posix.normalize(containerPath).replace(/(.)\/+$/, '$1');
  if (dest === '/proc') return `${JSON.stringify(dest)} cannot be mounted because it is not of type proc`;
  if (dest.startsWith('/proc/') && !validProcMounts.has(dest))
    return `${JSON.stringify(dest)} cannot be mounted because it is inside /proc`;
  return undefined;
}

/** Why these mounts cannot be made, or undefined. */
export function mountProblem(mounts: readonly Mount[]): string | undefined {
  for (const m of mounts) {
    if (!isAbsolute(m.containerPath))
      return `mount ${JSON.stringify(m.containerPath)}: the container path must be absolute`;
    const proc = procMountProblem(m.containerPath);
    if (proc !== undefined)
      return `error mounting ${JSON.stringify(mountSource(m))} to rootfs at ${JSON.stringify(m.containerPath)}: ${proc}`;
    if (!existsSync(mountSource(m)))
      return `mount ${m.containerPath}: the host path ${mountSource(m)} does not exist`;
  }
  return undefined;
}

export function sortMounts(mounts: readonly Mount[]): Mount[] {
  const depth = (p: string) => posix.normalize(p).split('/').filter(Boolean).length;
  return [...mounts].sort((a, b) => depth(a.containerPath) - depth(b.containerPath));
}

/**
 * The host path behind `path` in the container, given its mounts (the last, deepest mount covering it wins), or
 * undefined when the path is on a private tmpfs of the container (/tmp, /dev/shm) and cannot be seen from here.
 */
export function hostView(path: string, mounts: readonly Mount[]): string | undefined {
  const p = posix.normalize(path);
  let best: Mount | undefined;
  for (const m of mounts) {
    const c = posix.normalize(m.containerPath);
    if (p === c || p.startsWith(c.endsWith('/') ? c : `${c}/`)) {
      if (!best || c.length >= posix.normalize(best.containerPath).length) best = m;
    }
  }
  if (best) return join(mountSource(best), p.slice(posix.normalize(best.containerPath).length));
  if (p === '/tmp' || p.startsWith('/tmp/') || p === '/dev/shm' || p.startsWith('/dev/shm/'))
    return undefined;
  return p;
}

export type Resolution = { ok: true; path: string } | { ok: false; message: string };

/** Finds the command like execvp would inside the container: PATH from its env, else containerd's default. */
export function resolveCommand(
  command: string,
  env: readonly { name: string; value: string }[],
  cwd: string,
  mounts: readonly Mount[],
): Resolution {
  if (command.includes('/')) {
    const p = isAbsolute(command) ? command : posix.join(cwd, command);
    const hv = hostView(p, mounts);
    if (hv !== undefined && !isExecutableFile(hv)) {
      return { ok: false, message: `exec: "${command}": stat ${p}: no such file or directory` };
    }
    return { ok: true, path: p };
  }
  const pathVar = [...env].reverse().find((e) => e.name === 'PATH')?.value ?? DEFAULT_PATH;
  for (const dir of pathVar.split(':')) {
    const candidate = posix.join(dir || cwd, command);
    const hv = hostView(candidate, mounts);
    if (hv === undefined) continue;
    if (isExecutableFile(hv)) return { ok: true, path: candidate };
  }
  return { ok: false, message: `exec: "${command}": executable file not found in $PATH` };
}

function isExecutableFile(p: string): boolean {
  // No exception for a missing file: most PATH entries do not have the command, and a thrown ENOENT costs
  // more than the stat.
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st?.isFile()) return false;
  // Any execute bit for root (as execve), the owner's, group's or others' bits otherwise: access(2) tells.
  if ((st.mode & 0o111) === 0) return false;
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
