// Reads the machine as the kubelet's cAdvisor and eviction manager do: CPUs, /proc/meminfo, statfs of the
// kubelet's root directory, the threads against kernel.pid_max, huge pages, the kernel, /etc/os-release, the
// machine and boot ids, and the address of the default route's interface.
import { readdir, readFile, statfs } from 'node:fs/promises';
import { arch, cpus, networkInterfaces, release } from 'node:os';
import type { NodeReadings } from './types.js';

export interface ReadingSources {
  /** The kubelet's root directory: its filesystem is nodefs. */
  rootDir: string;
  /** Where /proc, /sys and /etc are (tests point it at a fixture tree). @default '' (the real ones) */
  hostRoot?: string;
}

async function text(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** /proc/meminfo values in bytes (the file says kB, meaning KiB). */
export function parseMeminfo(content: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of content.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]) * (line.includes('kB') ? 1024 : 1);
  }
  return out;
}

/** PRETTY_NAME of an os-release(5) file, unquoted; `Linux` when it has none, as os-release's default NAME. */
export function parseOsReleasePrettyName(content: string | undefined): string {
  for (const line of (content ?? '').split('\n')) {
    const m = /^PRETTY_NAME=(.*)$/.exec(line.trim());
    if (!m) continue;
    const v = m[1]!.trim();
    const quoted = /^"(.*)"$|^'(.*)'$/.exec(v);
    return (quoted ? (quoted[1] ?? quoted[2]!) : v).replace(/\\(["'$`\\])/g, '$1');
  }
  return 'Linux';
}

/** The interface of the IPv4 default route in /proc/net/route, if any. */
export function defaultRouteInterface(content: string | undefined): string | undefined {
  for (const line of (content ?? '').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 7 && f[1] === '00000000' && f[7] === '00000000') return f[0];
  }
  return undefined;
}

/** Node's process.arch as Go's GOARCH. */
export function goArch(nodeArch: string): string {
  const map: Record<string, string> = {
    x64: 'amd64',
    ia32: '386',
    ppc64: 'ppc64le',
    arm64: 'arm64',
    arm: 'arm',
  };
  return map[nodeArch] ?? nodeArch;
}

type Interfaces = ReturnType<typeof networkInterfaces>;

/** The first IPv4 address, not loopback, of the default route's interface, else of any interface. */
export function pickInternalIP(ifaces: Interfaces, routes: string | undefined): string | undefined {
  const v4 = (name: string) => (ifaces[name] ?? []).find((a) => a.family === 'IPv4' && !a.internal)?.address;
  const dflt = defaultRouteInterface(routes);
  if (dflt && v4(dflt)) return v4(dflt);
  for (const name of Object.keys(ifaces)) {
    const a = v4(name);
    if (a) return a;
  }
  return undefined;
}

/** How long an address read from the interfaces is reused while the route table stays the same. */
export const INTERFACES_REREAD_MS = 5 * 60_000;

/**
 * The InternalIP, re-reading the interfaces only when /proc/net/route changed or INTERFACES_REREAD_MS
 * passed. Reading them (getifaddrs) costs ~90 ms of the event loop with 1,000 pods, one veth each, and the
 * node status is read every 10 s; the pods' veths add no route, so the route table stays as it was. An
 * address that changes without its route changing is seen within INTERFACES_REREAD_MS.
 */
export class InternalIPReader {
  #routes: string | undefined;
  #at = Number.NEGATIVE_INFINITY;
  #ip: string | undefined;
  readonly #interfaces: () => Interfaces;
  readonly #now: () => number;

  constructor(
    interfaces: () => Interfaces = networkInterfaces,
    // Monotonic: a clock set back must not stretch the cache.
    now: () => number = () => performance.now(),
  ) {
    this.#interfaces = interfaces;
    this.#now = now;
  }

  read(routes: string | undefined): string | undefined {
    const t = this.#now();
    if (routes !== this.#routes || t - this.#at >= INTERFACES_REREAD_MS) {
      this.#ip = pickInternalIP(this.#interfaces(), routes);
      this.#routes = routes;
      this.#at = t;
    }
    return this.#ip;
  }
}

const internalIPs = new InternalIPReader();

/**
 * The node's InternalIP as its status reports it: what the kubelet gives pods as status.hostIP (and
 * hostNetwork pods as their IP). Undefined on a machine with no IPv4 address but loopback.
 */
export async function nodeInternalIP(hostRoot = ''): Promise<string | undefined> {
  return internalIPs.read(await text(`${hostRoot}/proc/net/route`));
}

async function hugePages(root: string): Promise<Record<string, number>> {
  const dir = `${root}/sys/kernel/mm/hugepages`;
  const out: Record<string, number> = {};
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const m = /^hugepages-(\d+)kB$/.exec(e);
    if (!m) continue;
    const n = Number((await text(`${dir}/${e}/nr_hugepages`))?.trim() ?? '0');
    out[String(Number(m[1]) * 1024)] = Number.isFinite(n) ? n : 0;
  }
  return out;
}

/** One reading of the machine. A file that cannot be read gives an empty or zero value, not an error. */
export async function readNodeReadings(sources: ReadingSources): Promise<NodeReadings> {
  const root = sources.hostRoot ?? '';
  const [meminfo, loadavg, pidMax, osRelease, machineId, uuid, bootId, routes, fs, pages] = await Promise.all(
    [
      text(`${root}/proc/meminfo`),
      text(`${root}/proc/loadavg`),
      text(`${root}/proc/sys/kernel/pid_max`),
      text(`${root}/etc/os-release`).then(async (t) => t ?? (await text(`${root}/usr/lib/os-release`))),
      text(`${root}/etc/machine-id`),
      text(`${root}/sys/class/dmi/id/product_uuid`),
      text(`${root}/proc/sys/kernel/random/boot_id`),
      text(`${root}/proc/net/route`),
      statfs(sources.rootDir),
      hugePages(root),
    ],
  );
  const mem = parseMeminfo(meminfo ?? '');
  // loadavg's fourth field is running/total scheduling entities: the threads that take pids.
  const threads = Number(/\s\d+\/(\d+)\s/.exec(loadavg ?? '')?.[1] ?? 0);
  return {
    cpus: cpus().length,
    memoryCapacityBytes: mem.MemTotal ?? 0,
    memoryAvailableBytes: mem.MemAvailable ?? mem.MemFree ?? 0,
    nodefs: {
      capacityBytes: fs.blocks * fs.bsize,
      availableBytes: fs.bavail * fs.bsize,
      inodes: fs.files,
      inodesFree: fs.ffree,
    },
    pids: { running: threads, max: Number(pidMax?.trim() ?? 0) || 0 },
    hugePages: pages,
    kernelVersion: release(),
    osImage: parseOsReleasePrettyName(osRelease),
    architecture: goArch(arch()),
    machineID: machineId?.trim() ?? '',
    systemUUID: uuid?.trim() ?? '',
    bootID: bootId?.trim() ?? '',
    internalIP: internalIPs.read(routes),
  };
}
