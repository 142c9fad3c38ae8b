// What a podrun's pods leave on the machine, and the check that a stopped podrun left none of it: processes,
// mounts, veths, namespace files and cgroups. Other podruns (other test files) run on the same machine and
// bridge at the same time, so everything is scoped to one state directory: what its runtime records name, and
// anything whose path or command line mentions the directory.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RuntimeFootprint {
  /** holder: the process that holds the pod's namespaces, `<pid> <start time>` (empty if it never reported). */
  sandboxes: { id: string; veth: string; holder: string }[];
  containers: {
    id: string;
    name: string;
    pid: number;
    pidStart: string;
    shimPid: number;
    cgroupDirs: string[];
  }[];
}

interface SandboxJson {
  id: string;
  veth: string;
}
interface ContainerJson {
  id: string;
  config: { metadata: { name: string } };
  pid: number;
  pidStart: string;
  shimPid: number;
  cgroups?: { dirs: string[] };
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The host runtime shim's start report, `ok <pid> <pid start> <shim pid> <shim start> <started at ms>`. */
export function startedReport(path: string): { pid: number; pidStart: string; shimPid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^ok (\d+) (\d+) (\d+) \d+ \d+$/.exec(text.trim());
  return m ? { pid: Number(m[1]), pidStart: m[2] ?? '', shimPid: Number(m[3]) } : undefined;
}

/** Reads the host runtime's records under `<stateDir>/runtime` (they are removed when pods go, so take it before). */
export function runtimeFootprint(stateDir: string): RuntimeFootprint {
  const root = join(stateDir, 'runtime');
  const sandboxes = list(join(root, 'sandboxes')).flatMap((id) => {
    const s = readJson<SandboxJson>(join(root, 'sandboxes', id, 'sandbox.json'));
    const holder = readText(join(root, 'sandboxes', id, 'holder')).trim();
    return s ? [{ id: s.id, veth: s.veth, holder }] : [];
  });
  const containers = list(join(root, 'containers')).flatMap((id) => {
    const c = readJson<ContainerJson>(join(root, 'containers', id, 'container.json'));
    // The record is the container as it was started; its shim's start report has the pids.
    const started = startedReport(join(root, 'containers', id, 'started'));
    return c
      ? [
          {
            id: c.id,
            name: c.config.metadata.name,
            pid: started?.pid ?? c.pid,
            pidStart: started?.pidStart ?? c.pidStart,
            shimPid: started?.shimPid ?? c.shimPid,
            cgroupDirs: c.cgroups?.dirs ?? [],
          },
        ]
      : [];
  });
  return { sandboxes, containers };
}

/** Merges footprints taken at different times (a pod that came and went is still worth checking). */
export function mergeFootprints(...fs: RuntimeFootprint[]): RuntimeFootprint {
  const sandboxes = new Map<string, RuntimeFootprint['sandboxes'][number]>();
  const containers = new Map<string, RuntimeFootprint['containers'][number]>();
  for (const f of fs) {
    for (const s of f.sandboxes) sandboxes.set(s.id, s);
    for (const c of f.containers) if (c.pid || !containers.has(c.id)) containers.set(c.id, c);
  }
  return { sandboxes: [...sandboxes.values()], containers: [...containers.values()] };
}

/** Field 22 of /proc/PID/stat, or undefined when the process is gone or a zombie. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[0] === 'Z' ? undefined : rest[19];
  } catch {
    return undefined;
  }
}

/** Host processes (pid and command line) whose command line contains one of `needles`. */
export function processesMentioning(needles: string[]): { pid: number; cmdline: string }[] {
  const out: { pid: number; cmdline: string }[] = [];
  for (const p of list('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue;
    }
    if (cmdline && needles.some((n) => cmdline.includes(n)) && processStart(Number(p)) !== undefined) {
      out.push({ pid: Number(p), cmdline });
    }
  }
  return out;
}

/** Everything still there from the footprint or under the state dir; empty when the podrun cleaned up. */
export function leftovers(
  stateDir: string,
  footprint: RuntimeFootprint,
  commandMarkers: string[] = [],
): string[] {
  const problems: string[] = [];
  for (const p of processesMentioning([stateDir, ...commandMarkers])) {
    problems.push(`process ${p.pid} still runs (${describeProcess(p.pid)}): ${p.cmdline}`);
  }
  for (const c of footprint.containers) {
    if (c.pid && c.pidStart && processStart(c.pid) === c.pidStart) {
      problems.push(`container ${c.name} (${c.id.slice(0, 12)}): its process ${c.pid} still runs`);
    }
    for (const d of c.cgroupDirs)
      if (existsSync(d)) problems.push(`cgroup ${d} of container ${c.name} remains`);
  }
  const mounts = execFileSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' })
    .split('\n')
    .map((l) =>
      l.replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
    );
  for (const m of mounts) {
    if (m.startsWith(`${stateDir}/`) || m === stateDir) problems.push(`mount ${m} remains`);
  }
  for (const s of footprint.sandboxes) {
    const [pid = '', start = ''] = s.holder.split(' ');
    if (pid && processStart(Number(pid)) === start) {
      problems.push(`sandbox ${s.id.slice(0, 12)}: its holder ${pid} (the pod's namespaces) still runs`);
    }
  }
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  for (const s of footprint.sandboxes) {
    if (new RegExp(`^\\d+: ${s.veth}[@:]`, 'm').test(links)) problems.push(`veth ${s.veth} remains`);
  }
  for (const root of cgroupRoots()) {
    for (const id of footprint.containers.map((c) => c.id)) {
      if (existsSync(join(root, id))) problems.push(`cgroup ${join(root, id)} remains`);
    }
  }
  return problems;
}

/** The directories under which the host runtime makes per-container cgroups (v1: per controller). */
export function cgroupRoots(): string[] {
  const base = '/sys/fs/cgroup';
  return [join(base, 'podrun'), ...list(base).map((c) => join(base, c, 'podrun'))].filter((d) =>
    existsSync(d),
  );
}

/** State, parent and age of a process, for failure messages. */
function describeProcess(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const ageSeconds = uptime - Number(rest[19]) / 100;
    return `state ${rest[0]}, parent ${rest[1]}, started ${ageSeconds.toFixed(1)}s ago`;
  } catch {
    return 'gone meanwhile';
  }
}
