// A process named by its pid and its start time (pids are reused): how podrun records the processes it
// leaves running (pod holders, shims) and the owners of what it puts on the machine (host nftables tables).
import { readFileSync } from 'node:fs';

/** State (field 3) and start time (field 22, clock ticks since boot) from /proc/<pid>/stat, or undefined. */
export function processStat(pid: number): { state: string; starttime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces or parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '', starttime: rest[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and is the same process as when `starttime` was recorded. */
export function isSameProcess(pid: number, starttime: string): boolean {
  if (pid <= 0) return false;
  const stat = processStat(pid);
  // A zombie has exited already; its parent simply has not reaped it yet.
  return stat !== undefined && stat.starttime === starttime && stat.state !== 'Z';
}
