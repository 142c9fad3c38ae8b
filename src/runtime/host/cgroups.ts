// Memory and CPU limits through cgroups, v2 (unified) or v1 (one hierarchy per controller), whichever the
// machine has. Each container gets `podrun/<containerId>` under the controller's root: the shim moves the
// container into it before exec, reads the OOM-kill counter when it exits, and removes it. A container without
// limits still gets its groups (without limits), as the kubelet puts every container in a cgroup: they are
// what its usage is read from (readContainerUsage, for metrics.k8s.io).
//
// The groups hang off the hierarchy root, like Docker's `docker/<id>`, rather than off podrun's own cgroup:
// podrun's cgroup may belong to a supervisor that removes it when podrun exits.

import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface CgroupLayout {
  version: 1 | 2 | 0;
  /** Directory under which per-container memory groups are made ('' when memory is not available). */
  memoryRoot: string;
  /** Directory under which per-container cpu groups are made ('' when cpu is not available). */
  cpuRoot: string;
  /** v1: directory under which per-container cpuacct groups are made (the cpu root where both share one). */
  cpuacctRoot?: string;
}

export interface ContainerCgroups {
  /** `cgroup.procs` files the shim writes itself into. */
  procs: string[];
  /**
   * Groups made ahead for a zygote (cgroup-spares.ts): the `cgroup.procs` files of the hierarchies' roots,
   * where the shim, which is in the groups itself, moves before removing them. Absent otherwise.
   */
  leave?: string[];
  /** Files whose `oom_kill N` line tells that the kernel's OOM killer struck. */
  oomFiles: string[];
  /** Directories to remove once the container has exited. */
  dirs: string[];
  /** Where the container's usage is read; absent where the machine has no usable controllers. */
  usage?: CgroupUsageFiles;
}

/** The groups a container's CPU time and memory are read from. */
export interface CgroupUsageFiles {
  version: 1 | 2;
  /** v2: the container's group; v1: its memory group ('' without the memory controller). */
  memoryDir: string;
  /** v2: the container's group; v1: its cpuacct group ('' without the cpuacct controller). */
  cpuDir: string;
}

const ROOT = '/sys/fs/cgroup';

export function detectCgroups(root = ROOT): CgroupLayout {
  const controllers = readOrEmpty(join(root, 'cgroup.controllers')).split(/\s+/);
  if (controllers.includes('memory') || controllers.includes('cpu')) {
    const base = join(root, 'podrun');
    return {
      version: 2,
      memoryRoot: controllers.includes('memory') ? base : '',
      cpuRoot: controllers.includes('cpu') ? base : '',
    };
  }
  const mem = join(root, 'memory');
  const cpu = join(root, 'cpu');
  const hasMem = existsSync(join(mem, 'memory.limit_in_bytes'));
  const hasCpu = existsSync(join(cpu, 'cpu.cfs_quota_us'));
  // cpuacct is its own hierarchy on some machines and mounted with cpu (`cpu,cpuacct`) on others.
  const cpuacct = existsSync(join(cpu, 'cpuacct.usage')) ? cpu : join(root, 'cpuacct');
  const hasCpuacct = existsSync(join(cpuacct, 'cpuacct.usage'));
  if (hasMem || hasCpu) {
    return {
      version: 1,
      memoryRoot: hasMem ? join(mem, 'podrun') : '',
      cpuRoot: hasCpu ? join(cpu, 'podrun') : '',
      cpuacctRoot: hasCpuacct ? join(cpuacct, 'podrun') : '',
    };
  }
  return { version: 0, memoryRoot: '', cpuRoot: '' };
}

/** Creates the groups a container's limits need (none when it has no limits). */
export function createContainerCgroups(
  layout: CgroupLayout,
  id: string,
  limits: { memoryBytes?: number; cpuMillis?: number },
): ContainerCgroups {
  const out: ContainerCgroups = { procs: [], oomFiles: [], dirs: [] };
  const memory = limits.memoryBytes && limits.memoryBytes > 0 ? limits.memoryBytes : 0;
  const cpu = limits.cpuMillis && limits.cpuMillis > 0 ? limits.cpuMillis : 0;
  if (layout.version === 2) {
    if (!layout.memoryRoot && !layout.cpuRoot) return out;
    const base = layout.memoryRoot || layout.cpuRoot;
    ensureV2Parent(base);
    const dir = join(base, id);
    mkdirSync(dir, { recursive: true });
    out.dirs.push(dir);
    out.procs.push(join(dir, 'cgroup.procs'));
    out.usage = { version: 2, memoryDir: layout.memoryRoot ? dir : '', cpuDir: layout.cpuRoot ? dir : '' };
    writeV2Limits(dir, layout, memory, cpu, out);
    return out;
  }
  if (layout.version === 1) {
    const group = (root: string): string => {
      const dir = join(root, id);
      if (!out.dirs.includes(dir)) {
        mkdirSync(dir, { recursive: true });
        out.dirs.push(dir);
        out.procs.push(join(dir, 'cgroup.procs'));
      }
      return dir;
    };
    const usage: CgroupUsageFiles = { version: 1, memoryDir: '', cpuDir: '' };
    if (layout.memoryRoot) {
      const dir = group(layout.memoryRoot);
      usage.memoryDir = dir;
      if (memory) writeV1MemoryLimit(dir, memory, out);
    }
    if (cpu && layout.cpuRoot) writeV1CpuLimit(group(layout.cpuRoot), cpu);
    if (layout.cpuacctRoot) usage.cpuDir = group(layout.cpuacctRoot);
    if (usage.memoryDir || usage.cpuDir) out.usage = usage;
  }
  return out;
}

/** The name prefix of groups made ahead for zygotes (a start takes them under their name, not its id). */
export const SPARE_PREFIX = 'z-';

/**
 * Groups for a container not asked for yet, in every hierarchy limits could need (cpu as well, on v1), with
 * no limits: the container that takes them gets its limits written then (applyCgroupLimits).
 */
export function createSpareCgroups(layout: CgroupLayout, name: string): ContainerCgroups | undefined {
  if (layout.version === 0) return undefined;
  if (layout.version === 2) {
    const cg = createContainerCgroups(layout, name, {});
    if (cg.dirs.length === 0) return undefined;
    return { ...cg, leave: [join(ROOT, 'cgroup.procs')] };
  }
  const out: ContainerCgroups = { procs: [], oomFiles: [], dirs: [], leave: [] };
  const usage: CgroupUsageFiles = { version: 1, memoryDir: '', cpuDir: '' };
  for (const root of new Set([layout.memoryRoot, layout.cpuRoot, layout.cpuacctRoot ?? ''])) {
    if (!root) continue;
    const dir = join(root, name);
    // `recursive` makes podrun/ the first time; the spare's own name is new.
    mkdirSync(dir, { recursive: true });
    out.dirs.push(dir);
    out.procs.push(join(dir, 'cgroup.procs'));
    // The hierarchy's root (`<mount>/podrun/<name>` → `<mount>`).
    out.leave?.push(join(dirname(root), 'cgroup.procs'));
    if (root === layout.memoryRoot) usage.memoryDir = dir;
    if (root === layout.cpuacctRoot) usage.cpuDir = dir;
  }
  if (out.dirs.length === 0) return undefined;
  if (usage.memoryDir || usage.cpuDir) out.usage = usage;
  return out;
}

/**
 * Takes groups made ahead (createSpareCgroups) for container `id`: renames them to the id where the kernel
 * allows it (cgroup v1 renames a group in place, processes and all; v2 refuses), so that they read as any
 * container's, and writes its limits into them. Returns them with its OOM files.
 */
export function adoptSpareCgroups(
  layout: CgroupLayout,
  spare: ContainerCgroups,
  id: string,
  limits: { memoryBytes?: number; cpuMillis?: number },
): ContainerCgroups {
  const renamed = new Map<string, string>();
  for (const dir of spare.dirs) {
    const to = join(dirname(dir), id);
    try {
      renameSync(dir, to);
      renamed.set(dir, to);
    } catch {
      // v2, or a kernel that refuses: the group keeps its spare name (the record has it).
    }
  }
  const moved = (p: string) => {
    const dir = renamed.get(dirname(p));
    return dir ? join(dir, basename(p)) : p;
  };
  const cg: ContainerCgroups = {
    ...spare,
    dirs: spare.dirs.map((d) => renamed.get(d) ?? d),
    procs: spare.procs.map(moved),
    usage: spare.usage && {
      ...spare.usage,
      memoryDir: renamed.get(spare.usage.memoryDir) ?? spare.usage.memoryDir,
      cpuDir: renamed.get(spare.usage.cpuDir) ?? spare.usage.cpuDir,
    },
  };
  return applyCgroupLimits(layout, cg, limits);
}

function applyCgroupLimits(
  layout: CgroupLayout,
  cg: ContainerCgroups,
  limits: { memoryBytes?: number; cpuMillis?: number },
): ContainerCgroups {
  const memory = limits.memoryBytes && limits.memoryBytes > 0 ? limits.memoryBytes : 0;
  const cpu = limits.cpuMillis && limits.cpuMillis > 0 ? limits.cpuMillis : 0;
  const out: ContainerCgroups = { ...cg, oomFiles: [] };
  const under = (root: string) => (root ? cg.dirs.find((d) => dirname(d) === root) : undefined);
  if (layout.version === 2) {
    const dir = cg.dirs[0];
    if (!dir) return out;
    writeV2Limits(dir, layout, memory, cpu, out);
    return out;
  }
  const mem = under(layout.memoryRoot);
  if (memory && mem) writeV1MemoryLimit(mem, memory, out);
  const cpuDir = under(layout.cpuRoot);
  if (cpu && cpuDir) writeV1CpuLimit(cpuDir, cpu);
  return out;
}

function writeV2Limits(
  dir: string,
  layout: CgroupLayout,
  memory: number,
  cpu: number,
  out: ContainerCgroups,
): void {
  if (memory && layout.memoryRoot) {
    writeFileSync(join(dir, 'memory.max'), String(memory));
    tryWrite(join(dir, 'memory.swap.max'), '0');
    // Kill the whole container on OOM, as the kubelet configures on cgroup v2.
    tryWrite(join(dir, 'memory.oom.group'), '1');
    out.oomFiles.push(join(dir, 'memory.events'));
  }
  if (cpu && layout.cpuRoot) tryWrite(join(dir, 'cpu.max'), `${Math.max(1000, cpu * 100)} 100000`);
}

function writeV1MemoryLimit(dir: string, memory: number, out: ContainerCgroups): void {
  writeFileSync(join(dir, 'memory.limit_in_bytes'), String(memory));
  // Without this the container swaps instead of being OOM-killed (fails harmlessly without swap accounting).
  tryWrite(join(dir, 'memory.memsw.limit_in_bytes'), String(memory));
  out.oomFiles.push(join(dir, 'memory.oom_control'));
}

function writeV1CpuLimit(dir: string, cpu: number): void {
  tryWrite(join(dir, 'cpu.cfs_period_us'), '100000');
  tryWrite(join(dir, 'cpu.cfs_quota_us'), String(Math.max(1000, cpu * 100)));
}

/** Removes what is left of spare groups (their zygotes ended with an earlier podrun); busy ones stay. */
export function removeLeftoverSpares(layout: CgroupLayout): void {
  for (const root of new Set([layout.memoryRoot, layout.cpuRoot, layout.cpuacctRoot ?? ''])) {
    if (!root) continue;
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      continue;
    }
    // A group with processes (another podrun's zygote, or a container in it) refuses the rmdir: it stays.
    removeCgroups(names.filter((n) => n.startsWith(SPARE_PREFIX)).map((n) => join(root, n)));
  }
}

/** A container's cumulative CPU time (ns) and memory working set (bytes) now; undefined once its groups are gone. */
export function readContainerUsage(
  files: CgroupUsageFiles,
): { cpuNanos: number; workingSetBytes: number } | undefined {
  let cpuNanos = 0;
  let workingSetBytes = 0;
  if (files.cpuDir) {
    if (files.version === 2) {
      const usec = statField(readOrEmpty(join(files.cpuDir, 'cpu.stat')), 'usage_usec');
      if (usec === undefined) return undefined;
      cpuNanos = usec * 1000;
    } else {
      const text = readOrEmpty(join(files.cpuDir, 'cpuacct.usage')).trim();
      if (text === '') return undefined;
      cpuNanos = Number(text);
    }
  }
  if (files.memoryDir) {
    const v2 = files.version === 2;
    const usageText = readOrEmpty(
      join(files.memoryDir, v2 ? 'memory.current' : 'memory.usage_in_bytes'),
    ).trim();
    if (usageText === '') return undefined;
    const stat = readOrEmpty(join(files.memoryDir, 'memory.stat'));
    // cAdvisor's working set: usage less the inactive file cache the kernel may drop at no cost.
    const inactive = statField(stat, v2 ? 'inactive_file' : 'total_inactive_file') ?? 0;
    workingSetBytes = Math.max(0, Number(usageText) - inactive);
  }
  return { cpuNanos, workingSetBytes };
}

function statField(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    const [k, v] = line.split(' ');
    if (k === name && v !== undefined) return Number(v);
  }
  return undefined;
}

/** Removes the groups; a group that still has processes stays (and is reported). */
export function removeCgroups(dirs: string[]): string[] {
  const left: string[] = [];
  for (const dir of dirs) {
    try {
      rmdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') left.push(dir);
    }
  }
  return left;
}

/**
 * removeCgroups, tried again every 10 ms for up to `waitMs` while some are still busy: a process that is
 * leaving them (a move that waits for an RCU grace period on cgroup v1) or ending.
 */
export async function removeCgroupsWaiting(dirs: string[], waitMs: number): Promise<void> {
  let left = removeCgroups(dirs);
  for (const deadline = Date.now() + waitMs; left.length > 0 && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 10));
    left = removeCgroups(left);
  }
}

function ensureV2Parent(base: string): void {
  if (!existsSync(base)) mkdirSync(base, { recursive: true });
  // Controllers must be enabled in every ancestor's subtree_control to be usable below it.
  tryWrite(join(ROOT, 'cgroup.subtree_control'), '+memory +cpu');
  tryWrite(join(base, 'cgroup.subtree_control'), '+memory +cpu');
}

function tryWrite(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch {
    // best effort: the controller file is absent or the kernel refuses this value
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
