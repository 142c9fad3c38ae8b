// Who owns a podrun table in the host netns, written in the table's own comment so that the table is the
// claim: `podrun-proxy owner=<pid>:<start time> route=<cidr>,<dev>,<src>`. A table whose owner process is
// gone was left by a podrun that died without closing it; the process start time tells a reused pid apart.

import { isSameProcess, processStat } from '../../util/process-identity.js';

export interface TableOwner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks since boot when the process started. */
  start: string;
}

export interface RouteClaim {
  cidr: string;
  dev: string;
  src: string;
}

export interface TableClaim {
  owner: TableOwner;
  route: RouteClaim;
}

const PREFIX = 'podrun-proxy';
const PATTERN = /^podrun-proxy owner=([0-9]+):([0-9]+) route=([0-9./]+),([^,\s]+),([0-9.]+)$/;

export function formatClaim(claim: TableClaim): string {
  const { owner, route } = claim;
  return `${PREFIX} owner=${owner.pid}:${owner.start} route=${route.cidr},${route.dev},${route.src}`;
}

export function parseClaim(comment: string): TableClaim | undefined {
  const m = PATTERN.exec(comment);
  if (!m) return undefined;
  return {
    owner: { pid: Number(m[1]), start: m[2]! },
    route: { cidr: m[3]!, dev: m[4]!, src: m[5]! },
  };
}

/** This process, as its tables record it. */
export function selfOwner(): TableOwner {
  return { pid: process.pid, start: processStat(process.pid)?.starttime ?? '0' };
}

/** True while the recorded process runs (a zombie has exited; a reused pid has another start time). */
export function ownerAlive(owner: TableOwner): boolean {
  return isSameProcess(owner.pid, owner.start);
}
