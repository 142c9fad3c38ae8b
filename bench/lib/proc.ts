// What /proc says about processes: a process's memory, and which processes carry a marker in their
// environment (how the host benchmark finds every process its pods started, wherever they were reparented).
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcMemory {
  /** Resident set size now, KiB. */
  vmRssKb: number;
  /** Peak resident set size, KiB. */
  vmHwmKb: number;
}

export function procMemory(pid: number): ProcMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${name} line`);
    return Number(m[1]);
  };
  return { vmRssKb: field('VmRSS'), vmHwmKb: field('VmHWM') };
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** Parent pid of each live process. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids()) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name is in parentheses and may contain spaces; the fields after it are fixed.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, Number(rest[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/**
 * podrun's own processes: the server and its direct children (the host runtime's shim server). The shims and
 * containers are the shim server's children, so they are not in this list.
 */
export function podrunProcesses(server: number): number[] {
  const out = [server];
  for (const [pid, parent] of parents()) if (parent === server) out.push(pid);
  return out;
}

/** Every live descendant of `root` (not including it). */
export function descendants(root: number): number[] {
  const ppid = parents();
  const children = new Map<number, number[]>();
  for (const [pid, parent] of ppid) {
    const list = children.get(parent) ?? [];
    list.push(pid);
    children.set(parent, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** Live processes whose environment holds `NAME=value` exactly, or whose command line contains `text`. */
export function processesMarked(env: string, text?: string): number[] {
  const out: number[] = [];
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (environ.includes(env)) {
        out.push(pid);
        continue;
      }
      if (text !== undefined && readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(text)) out.push(pid);
    } catch {
      // Gone, or a kernel thread.
    }
  }
  return out;
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
  } catch {
    return '(gone)';
  }
}

/** User + system CPU time a process has used so far, in seconds (its own, not its children's). */
export function procCpuSeconds(pid: number): number {
  const { user, system } = procCpu(pid);
  return user + system;
}

/** User and system CPU time a process has used so far, in seconds, apart. */
export function procCpu(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), counted from 1 with the pid; rest starts at field 3.
  return { user: Number(rest[11]) / CLOCK_TICKS, system: Number(rest[12]) / CLOCK_TICKS };
}

/**
 * CPU seconds the whole machine has spent busy so far (every CPU, every process and the kernel; not idle
 * and not waiting for I/O), from /proc/stat.
 */
export function machineBusyCpuSeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8')
    .split('\n', 1)[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
}

// sysconf(_SC_CLK_TCK) is 100 on every Linux architecture Node supports.
const CLOCK_TICKS = 100;
