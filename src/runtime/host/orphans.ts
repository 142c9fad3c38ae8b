// Pods of a state directory that was deleted while its podrun was not running (issue 12): their holders,
// shims and containers go on, each pod's veth keeps answering on its IP, and nothing will ever stop them, since
// their API objects went with the state directory. As the kubelet kills the pods it finds on its node that no
// API server knows (orphaned pods), the next podrun that starts on the machine reclaims them: containers and
// holders are killed, veths deleted, cgroups removed, addresses released and records removed.
//
// A records directory is orphaned only when all of these hold, so a pod some podrun may still manage is never
// killed:
// - its state directory does not exist, as seen from here and as seen by its own live processes
//   (/proc/<pid>/root: a podrun in another mount namespace may keep it where we cannot see it);
// - no podrun serves it: the podrun named in its `owner` file has ended, and its in-flight lock is free, so no
//   shim server of one runs and no request of one is under way (mode_serve in the shim holds the lock for as
//   long as the server runs; mode_idle checks it).
// Pods whose state directory is invisible from here but not from their own processes are reported instead.

import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeCgroups } from './cgroups.js';
import { readJson } from './files.js';
import type { Ipam } from './ipam.js';
import { isSameProcess, killIfSame, run } from './proc.js';
import {
  type ContainerRecord,
  inflightLockOf,
  listRecordsDirs,
  parseStartReport,
  readContainerRecords,
  readHolder,
  readOrEmpty,
  readOwner,
  readSandboxRecords,
  recordsDirOf,
  safeReaddir,
} from './records.js';

/** How long the shims of killed containers get to record the exit and remove their cgroups. */
const SHIM_GRACE_MS = 5_000;

export interface OrphanDeps {
  perl: string;
  shim: string;
  runDir: string;
  /** This runtime's own records directory, never an orphan. */
  records: string;
  ipam: Ipam;
  /** Deletes a veth on the host (the shim server's teardown request); resolves with its report. */
  deleteVeth: (veth: string) => Promise<string>;
  log: (message: string) => void;
}

interface Proc {
  pid: number;
  start: string;
}

/** What of one records directory still runs. */
interface Inventory {
  holders: { id: string; veth: string; pod: string; proc: Proc }[];
  containers: { pid: Proc; shim: Proc; cgroups: string[] }[];
}

function inventory(dir: string): Inventory {
  const pods = new Map(
    readSandboxRecords(dir).map((r) => [r.id, `${r.config.metadata.namespace}/${r.config.metadata.name}`]),
  );
  const holders: Inventory['holders'] = [];
  // From the holder files, not the records: a holder writes its file before its record.
  for (const id of safeReaddir(join(dir, 'sandboxes'))) {
    const proc = readHolder(join(dir, 'sandboxes', id));
    if (proc && isSameProcess(proc.pid, proc.start))
      holders.push({ id, veth: `vpr${id.slice(0, 12)}`, pod: pods.get(id) ?? id, proc });
  }
  const containers: Inventory['containers'] = [];
  for (const { rec, started } of readContainerRecords(dir)) {
    const s = parseStartReport(started);
    if (!s) continue;
    const pid = { pid: s.pid, start: s.pidStart };
    const shim = { pid: s.shimPid, start: s.shimStart };
    if (alive(pid) || alive(shim)) containers.push({ pid, shim, cgroups: rec.cgroups.dirs });
  }
  return { holders, containers };
}

const alive = (p: Proc) => isSameProcess(p.pid, p.start);

/**
 * Of these state directories, those that nothing serves: the podrun that last opened them has ended, and
 * their in-flight lock is free (no shim server, no request under way: see mode_idle in the shim).
 */
export async function idleStateDirs(
  perl: string,
  shim: string,
  runDir: string,
  stateDirs: string[],
): Promise<Set<string>> {
  const unserved = stateDirs.filter((s) => {
    const podrun = readOwner(recordsDirOf(runDir, s)).podrun;
    return !podrun || !isSameProcess(podrun.pid, podrun.start);
  });
  if (unserved.length === 0) return new Set();
  const byLock = new Map(unserved.map((s) => [inflightLockOf(recordsDirOf(runDir, s)), s]));
  const res = await run(perl, [shim, 'idle', ...byLock.keys()]);
  // A check that failed proves nothing: every state directory counts as served.
  if (res.code !== 0) return new Set();
  return new Set(res.stdout.split('\n').flatMap((l) => byLock.get(l) ?? []));
}

/**
 * Finds the records directories of deleted state directories and reclaims what they hold (see the top of this
 * file). Says once, through `log`, what it stopped, and what it left running and why.
 */
export async function reclaimOrphans(deps: OrphanDeps): Promise<void> {
  const gone = listRecordsDirs(deps.runDir).filter(
    (r) => r.dir !== deps.records && r.owner !== '' && !existsSync(r.owner),
  );
  if (gone.length === 0) return;
  const idle = await idleStateDirs(
    deps.perl,
    deps.shim,
    deps.runDir,
    gone.map((r) => r.owner),
  );
  for (const { dir, owner } of gone) {
    if (!idle.has(owner)) continue;
    const inv = inventory(dir);
    const procs = [...inv.holders.map((h) => h.proc), ...inv.containers.map((c) => c.shim)];
    const seenByItsPods = procs.some((p) => existsSync(`/proc/${p.pid}/root${owner}`));
    if (seenByItsPods) {
      deps.log(
        `pods of the state directory ${owner} run (${inv.holders.map((h) => h.pod).join(', ') || 'containers only'}) and no podrun serves it; it is not visible from here (another mount namespace?), so they are left running: start podrun on ${owner} where it exists to adopt or stop them`,
      );
      continue;
    }
    await reclaimDir(deps, dir, owner, inv);
  }
}

async function reclaimDir(deps: OrphanDeps, dir: string, owner: string, inv: Inventory): Promise<void> {
  // As StopPodSandbox: the containers first (SIGKILL to PID 1 ends its whole PID namespace), then the holders.
  for (const c of inv.containers) killIfSame(c.pid.pid, c.pid.start);
  await waitGone(inv.containers.map((c) => c.shim));
  for (const c of inv.containers) {
    killIfSame(c.shim.pid, c.shim.start);
    removeCgroups(c.cgroups);
  }
  for (const h of inv.holders) killIfSame(h.proc.pid, h.proc.start);
  const problems: string[] = [];
  for (const h of inv.holders) {
    const report = await deps.deleteVeth(h.veth);
    if (report !== 'ok') problems.push(`veth ${h.veth}: ${report.replace(/^err /, '')}`);
  }
  const released: string[] = [];
  for (const a of await deps.ipam.list()) {
    if (a.stateDir !== owner) continue;
    await deps.ipam.releaseFor(a);
    released.push(a.ip);
  }
  await rm(dir, { recursive: true, force: true });
  if (inv.holders.length > 0 || inv.containers.length > 0) {
    const pods =
      inv.holders
        .map((h) => h.pod)
        .sort()
        .join(', ') || 'none';
    deps.log(
      `stopped the orphaned pods of the deleted state directory ${owner} (no podrun served it): pods ${pods}; ${inv.containers.length} container(s) killed; addresses released: ${released.join(', ') || 'none'}${problems.length ? `; left behind: ${problems.join('; ')}` : ''}`,
    );
  }
}

/** Waits (up to SHIM_GRACE_MS) for processes to end. */
async function waitGone(procs: Proc[]): Promise<void> {
  const deadline = Date.now() + SHIM_GRACE_MS;
  while (procs.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** The holder a state directory's records name for a sandbox (for allocations made before it reported). */
function recordedHolder(runDir: string, stateDir: string, sandboxId: string): Proc | undefined {
  return readHolder(join(recordsDirOf(runDir, stateDir), 'sandboxes', sandboxId));
}

/** The sandboxes of a state directory with a container whose first process or shim still runs. */
function sandboxesWithLiveContainers(runDir: string, stateDir: string): Set<string> {
  const out = new Set<string>();
  const dir = recordsDirOf(runDir, stateDir);
  for (const id of safeReaddir(join(dir, 'containers'))) {
    const s = parseStartReport(readOrEmpty(join(dir, 'containers', id, 'started')));
    if (!s || !(alive({ pid: s.pid, start: s.pidStart }) || alive({ pid: s.shimPid, start: s.shimStart })))
      continue;
    const rec = readJson<ContainerRecord>(join(dir, 'containers', id, 'container.json'));
    if (rec) out.add(rec.sandboxId);
  }
  return out;
}

/**
 * At start-up, once this runtime has read its records: the orphaned pods of deleted state directories, then
 * the addresses that no live process holds (Ipam.reclaim).
 */
export async function reclaimAtStart(deps: OrphanDeps & { live: Set<string> }): Promise<void> {
  await reclaimOrphans(deps);
  const withContainers = new Map<string, Set<string>>();
  await deps.ipam.reclaim({
    live: deps.live,
    recordedHolder: (stateDir, id) => recordedHolder(deps.runDir, stateDir, id),
    containerAlive: (stateDir, id) => {
      let ids = withContainers.get(stateDir);
      if (!ids) {
        ids = sandboxesWithLiveContainers(deps.runDir, stateDir);
        withContainers.set(stateDir, ids);
      }
      return ids.has(id);
    },
    idle: (stateDirs) => idleStateDirs(deps.perl, deps.shim, deps.runDir, stateDirs),
  });
}
