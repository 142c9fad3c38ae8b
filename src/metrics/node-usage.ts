// The node's cumulative usage from /proc, standing in for cAdvisor's root cgroup: CPU time spent on anything
// but idle and I/O wait (/proc/stat, in USER_HZ ticks), and memory in use less the inactive file cache
// (/proc/meminfo), which is the root cgroup's working set.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UsagePoint } from './usage.js';

/** USER_HZ: the unit of /proc/stat on every Linux architecture Kubernetes runs on. */
const TICK_NS = 1e9 / 100;

/** Parses /proc/stat's aggregate `cpu` line into busy nanoseconds. */
export function busyCpuNanos(procStat: string): number | undefined {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return (user + nice + system + irq + softirq + steal) * TICK_NS;
}

/** Parses /proc/meminfo into the working set in bytes. */
export function workingSetBytes(meminfo: string): number | undefined {
  const kb = (name: string): number | undefined => {
    const m = new RegExp(`^${name.replace(/[()]/g, '\\$&')}:\\s+(\\d+) kB`, 'm').exec(meminfo);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kb('MemTotal');
  const free = kb('MemFree');
  if (total === undefined || free === undefined) return undefined;
  return Math.max(0, total - free - (kb('Inactive(file)') ?? 0));
}

/** One reading of the node; undefined where /proc cannot be read. */
export function readNodeUsage(now: number, procRoot = '/proc'): UsagePoint | undefined {
  try {
    const cpu = busyCpuNanos(readFileSync(join(procRoot, 'stat'), 'utf8'));
    const mem = workingSetBytes(readFileSync(join(procRoot, 'meminfo'), 'utf8'));
    if (cpu === undefined || mem === undefined) return undefined;
    return { timestampMs: now, cpuNanos: cpu, workingSetBytes: mem };
  } catch {
    return undefined;
  }
}
