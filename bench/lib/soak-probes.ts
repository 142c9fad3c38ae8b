// What the soak benchmark reads about a running `podrun serve` from the outside, once a sample: the server's
// memory and open descriptors, the processes, mounts, pod addresses and cgroups that belong to its state
// directory, and the files its kubelet keeps. Also the least-squares trend the soak judges "flat" by.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { safeReaddir as list } from '../../src/runtime/host/records.js';
import { cgroupRoots } from '../../test/e2e/support/leftovers.js';
import { descendants, podrunProcesses, procCpuSeconds, procMemory } from './proc.js';
import { mountsUnder } from './server.js';

/** Open file descriptors of a process (entries of /proc/PID/fd); NaN when it is gone. */
export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

/** Where the host runtime keeps its pod address allocations (one directory per bridge). */
const IPAM_ROOT = '/run/podrun/state/ipam';

/** Pod address allocations taken by the podrun of `stateDir`: address → sandbox id. */
export function ipAllocations(stateDir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const bridge of list(IPAM_ROOT)) {
    for (const ip of list(join(IPAM_ROOT, bridge))) {
      try {
        const [dir, sandbox] = readFileSync(join(IPAM_ROOT, bridge, ip), 'utf8').split('\n');
        // The first line names the runtime's directory inside the state directory.
        if ((dir === stateDir || dir === join(stateDir, 'runtime')) && sandbox) out.set(ip, sandbox);
      } catch {
        // Released meanwhile, or a temporary file being linked into place.
      }
    }
  }
  return out;
}

/** Container cgroup directories (any controller) named for one of `ids`. */
export function cgroupsOf(ids: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const root of cgroupRoots()) for (const id of list(root)) if (ids.has(id)) out.push(join(root, id));
  return out;
}

/** Files and bytes under a directory tree (the kubelet's container logs). */
export function treeSize(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    for (const name of list(d)) {
      const p = join(d, name);
      try {
        const st = statSync(p);
        if (st.isDirectory()) stack.push(p);
        else {
          files++;
          bytes += st.size;
        }
      } catch {
        // Removed meanwhile.
      }
    }
  }
  return { files, bytes };
}

/**
 * Container and sandbox ids ever seen in the runtime's records. Restarted containers come and go faster than a
 * sample, so the records are listed every couple of seconds (a readdir each): a cgroup or address left behind
 * by a container the samples never saw is still found.
 */
export class SeenIds {
  readonly containers = new Set<string>();
  readonly sandboxes = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly stateDir: string) {}

  start(everyMs: number): void {
    this.poll();
    this.#timer = setInterval(() => this.poll(), everyMs);
  }

  poll(): { containers: string[]; sandboxes: string[] } {
    const containers = list(join(this.stateDir, 'runtime', 'containers'));
    const sandboxes = list(join(this.stateDir, 'runtime', 'sandboxes'));
    for (const c of containers) this.containers.add(c);
    for (const s of sandboxes) this.sandboxes.add(s);
    return { containers, sandboxes };
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

export interface SoakSample {
  /** Seconds since the pods were created. */
  t: number;
  rssKb: number;
  hwmKb: number;
  /** JS heap in use right after a full collection (through the inspector), MB; NaN without it. */
  heapAfterGcMb: number;
  fds: number;
  /** podrun's helpers (the shim server and the like): their RSS together, their descriptors together. */
  helperRssKb: number;
  helperFds: number;
  /** CPU seconds podrun and its helpers used so far. */
  cpuSeconds: number;
  /** Every live descendant of the server: shims, holders, containers, helpers. */
  processes: number;
  mounts: number;
  /** Address allocations of this state directory / of them, those whose sandbox had a record and has none now. */
  ips: number;
  ipsOfGoneSandboxes: number;
  /** Cgroups of live container records / of containers whose record is gone. */
  cgroups: number;
  cgroupsOfGoneContainers: number;
  containerRecords: number;
  sandboxRecords: number;
  logFiles: number;
  logBytes: number;
  /** From the API. */
  restarts: number;
  podsRunning: number;
  /** GET /readyz round trips during the interval: median and max, ms. */
  apiMedianMs: number;
  apiMaxMs: number;
  load1: number;
}

export type ProcessSample = Omit<
  SoakSample,
  't' | 'heapAfterGcMb' | 'restarts' | 'podsRunning' | 'apiMedianMs' | 'apiMaxMs' | 'load1'
>;

/** Everything /proc, /sys and the state directory say about the podrun of `server` now. */
export function sampleProcesses(server: number, stateDir: string, seen: SeenIds): ProcessSample {
  const mem = procMemory(server);
  let helperRssKb = 0;
  let helperFds = 0;
  let cpuSeconds = 0;
  for (const p of podrunProcesses(server)) {
    try {
      cpuSeconds += procCpuSeconds(p);
      if (p === server) continue;
      helperRssKb += procMemory(p).vmRssKb;
      helperFds += openFds(p) || 0;
    } catch {
      // Ended meanwhile.
    }
  }
  // Sandboxes recorded before this poll: an address whose sandbox has never had a record is one being made
  // (the address is taken before the record is written), not one left behind.
  const recordedBefore = new Set(seen.sandboxes);
  const now = seen.poll();
  const liveContainers = new Set(now.containers);
  const liveSandboxes = new Set(now.sandboxes);
  const ips = ipAllocations(stateDir);
  const groups = cgroupsOf(seen.containers);
  const gone = groups.filter((g) => !liveContainers.has(g.slice(g.lastIndexOf('/') + 1)));
  const logs = treeSize(join(stateDir, 'kubelet', 'logs'));
  return {
    rssKb: mem.vmRssKb,
    hwmKb: mem.vmHwmKb,
    fds: openFds(server),
    helperRssKb,
    helperFds,
    cpuSeconds,
    processes: descendants(server).length,
    mounts: mountsUnder(stateDir).length,
    ips: ips.size,
    ipsOfGoneSandboxes: [...ips.values()].filter((s) => recordedBefore.has(s) && !liveSandboxes.has(s))
      .length,
    cgroups: groups.length - gone.length,
    cgroupsOfGoneContainers: gone.length,
    containerRecords: now.containers.length,
    sandboxRecords: now.sandboxes.length,
    logFiles: logs.files,
    logBytes: logs.bytes,
  };
}

export interface Trend {
  /** Least-squares slope, units per hour. */
  perHour: number;
  mean: number;
  min: number;
  max: number;
}

/** Least-squares line through (t seconds, value) points. */
export function trend(points: readonly { t: number; v: number }[]): Trend {
  const n = points.length;
  const values = points.map((p) => p.v);
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const tMean = points.reduce((a, p) => a + p.t, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - tMean) * (p.v - mean);
    den += (p.t - tMean) ** 2;
  }
  return {
    perHour: den === 0 ? 0 : (num / den) * 3600,
    mean,
    min: Math.min(...values),
    max: Math.max(...values),
  };
}
