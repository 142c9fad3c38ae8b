// The host runtime's records: what a restarted podrun needs to find its pods again, their shape, where they
// live (a tmpfs under the run directory, linked from the state directory), and how they are read back.
//
// Layout of the state directory:
//   bin/podrun-shim.pl              the shim (podrun-shim.pl beside this file), written at start-up
//   shim.log                        stderr of the shim server and the shims
//   sandboxes/ containers/ exits/   links to this state directory's records on the run directory's tmpfs:
//     sandboxes/<id>/               hosts, resolv.conf, hostname (mounted in the pod by its holder); holder
//                                   (the holder's pid and start time); sandbox.json, the record, written last
//     containers/<id>/              container.json, the record as it was when the container was started (not
//                                   rewritten afterwards); started, the shim's start report (pids)
//     exits/<id>                    written by the shim when the container exits (watched for events)
// and of the run directory (machine-wide, shared by every podrun; like the bridge, it need not outlive a boot):
//   state/                          a tmpfs: the records above under state/<hash of the state directory>/
//                                   (with owner: the state directory's path, then the pid and start time
//                                   of the podrun serving it; and inflight.lock), and
//                                   ipam/<bridge>/<ip>, the pod IP allocations (ipam.ts)
//   prepare.lock                    serialises the set-up of the bridge and the tmpfs

import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  type ContainerConfig,
  type ContainerStats,
  type ContainerStatus,
  type PodSandboxConfig,
  type PodSandboxStatus,
  RuntimeError,
  type SandboxState,
} from '../types.js';
import { type ContainerCgroups, readContainerUsage } from './cgroups.js';
import { readJson } from './files.js';
import { startTimeOf } from './proc.js';
import { type Identity, resolveIdentity } from './users.js';

export interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  createdAt: number;
  state: SandboxState;
  ip: string;
  veth: string;
  /** The process that holds the pod's namespaces (see mode_sandbox in podrun-shim.pl); pid 0 until it reported. */
  holder: { pid: number; start: string };
  /** Set once StopPodSandbox has reclaimed the holder, veth and IP (a sandbox may be notready before that). */
  reclaimed?: boolean;
  bootId: string;
}

/** What a container made from an image runs (image-container.ts), fixed at creation as containerd's spec. */
export interface ImageRun {
  /** `sha256:<config digest>`. */
  id: string;
  /** For the status's `image`: the image's first tag, normalised (`docker.io/library/busybox:1.36`). */
  name: string;
  /** For the status's `imageID`: the repo digest, else the id. */
  ref: string;
  argv: string[];
  /** `NAME=value`, in containerd's order. */
  env: string[];
  cwd: string;
  /** The image's volumes the pod does not mount: container paths. */
  volumes: string[];
  /** The container's directory in the image store (upper, work, merged, volumes). */
  dir: string;
  /** Where the overlay is mounted (in the container's mount namespace only). */
  rootfs: string;
  overlayOptions: string;
  overlayCwd?: string;
}

export interface ContainerRecord {
  id: string;
  sandboxId: string;
  podUid: string;
  config: ContainerConfig;
  state: 'created' | 'running' | 'exited';
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  /** The signal that ended the container (0 when it exited by itself); exitCode is then 128 + signal. */
  signal: number;
  reason: string;
  message: string;
  logPath: string;
  identity: Identity;
  /** The container's first process (PID 1 of its namespace) as the host sees it, and its start time. */
  pid: number;
  pidStart: string;
  shimPid: number;
  shimStart: string;
  bootId: string;
  cgroups: ContainerCgroups;
  /** Set when the container runs on a root filesystem made from its image (rootfs `image`). */
  image?: ImageRun;
}

/** A container as createContainer makes it: in memory only until it is started. */
export function newContainerRecord(
  id: string,
  sandbox: SandboxRecord,
  config: ContainerConfig,
  logPath: string,
  now: number,
  bootId: string,
  /** Who it runs as; default: the user the security context names, from the host's /etc/passwd. */
  identity: Identity = resolveIdentity(config.linux?.security),
): ContainerRecord {
  return {
    id,
    sandboxId: sandbox.id,
    podUid: sandbox.config.metadata.uid,
    config,
    state: 'created',
    createdAt: now,
    startedAt: 0,
    finishedAt: 0,
    exitCode: 0,
    signal: 0,
    reason: '',
    message: '',
    logPath,
    identity,
    pid: 0,
    pidStart: '',
    shimPid: 0,
    shimStart: '',
    bootId,
    cgroups: { procs: [], oomFiles: [], dirs: [] },
  };
}

export function recordJson(rec: SandboxRecord | ContainerRecord): string {
  return `${JSON.stringify(rec, null, 2)}\n`;
}

export function sandboxStatus(rec: SandboxRecord): PodSandboxStatus {
  return {
    id: rec.id,
    metadata: rec.config.metadata,
    state: rec.state,
    createdAt: rec.createdAt,
    ip: rec.ip,
    labels: rec.config.labels,
    annotations: rec.config.annotations,
  };
}

export function containerStatus(rec: ContainerRecord): ContainerStatus {
  return {
    id: rec.id,
    podSandboxId: rec.sandboxId,
    metadata: rec.config.metadata,
    state: rec.state,
    createdAt: rec.createdAt,
    startedAt: rec.startedAt,
    finishedAt: rec.finishedAt,
    exitCode: rec.exitCode,
    reason: rec.reason,
    message: rec.message,
    image: rec.image?.name ?? rec.config.image,
    imageRef: rec.image?.ref ?? `host://${rec.config.image}`,
    labels: rec.config.labels,
    annotations: rec.config.annotations,
    logPath: rec.logPath,
  };
}

/** Creates `dir` if needed and returns its real path, with a clear error when it cannot. */
export function realDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true });
    return realpathSync(dir);
  } catch (e) {
    throw new RuntimeError('Unsupported', `cannot use the directory ${dir}: ${(e as Error).message}`);
  }
}

/** The tmpfs under the run directory that holds the runtime records and IP allocations of every podrun. */
export function recordsRoot(runDir: string): string {
  return join(runDir, 'state');
}

/**
 * The records live on the run directory's tmpfs (a container start writes several small files, and on a disk
 * file system allocating and freeing thousands of inodes a second costs more CPU than the rest of the
 * start), named after the state directory; the state directory links to them. Like the processes they
 * describe, they survive a restart of podrun but not of the machine.
 */
export function linkRecords(stateDir: string, records: string): void {
  mkdirSync(records, { recursive: true });
  // The state directory, then the podrun that serves it (while it runs, its pods are nobody's orphans).
  writeFileSync(join(records, 'owner'), `${stateDir}\n${process.pid} ${startTimeOf(process.pid) ?? ''}\n`);
  for (const d of ['sandboxes', 'containers', 'exits']) {
    const target = join(records, d);
    mkdirSync(target, { recursive: true });
    const link = join(stateDir, d);
    let isLink = false;
    let exists = false;
    try {
      const st = lstatSync(link);
      exists = true;
      isLink = st.isSymbolicLink();
    } catch {
      // absent
    }
    if (isLink && readlinkSync(link) === target) continue;
    if (exists && !isLink) {
      // A directory of records from before they moved to the tmpfs: its pods would be lost if replaced.
      if (safeReaddir(link).length > 0) {
        // Leave nothing of this start behind (prepare made the directory for the in-flight lock).
        const empty = (sub: string) => safeReaddir(join(records, sub)).length === 0;
        if (empty('sandboxes') && empty('containers')) rmSync(records, { recursive: true, force: true });
        throw new RuntimeError(
          'Unsupported',
          `${link} holds runtime records of an older podrun (a directory, not a link to ${target}): stop its pods with the podrun that started them, or remove ${link}`,
        );
      }
      rmSync(link, { recursive: true, force: true });
    } else if (isLink) {
      rmSync(link, { force: true });
    }
    symlinkSync(target, link);
  }
}

/** Where the records of a state directory (its real path) are, on the run directory's tmpfs. */
export function recordsDirOf(runDir: string, stateDir: string): string {
  return join(recordsRoot(runDir), createHash('sha256').update(stateDir).digest('hex').slice(0, 16));
}

/** The records directories of every state directory on the tmpfs, each with the state directory it names. */
export function listRecordsDirs(runDir: string): { dir: string; owner: string }[] {
  const root = recordsRoot(runDir);
  return safeReaddir(root)
    .filter((name) => /^[0-9a-f]{16}$/.test(name))
    .map((name) => ({ dir: join(root, name), owner: readOwner(join(root, name)).stateDir }));
}

/** A records directory's `owner` file: its state directory and the podrun that last served it. */
export function readOwner(records: string): {
  stateDir: string;
  podrun: { pid: number; start: string } | undefined;
} {
  const [stateDir = '', podrun = ''] = readOrEmpty(join(records, 'owner')).split('\n');
  return { stateDir: stateDir.trim(), podrun: parseHolder(podrun) };
}

/** The in-flight lock of a records directory: held while a podrun serves it (see mode_serve in the shim). */
export function inflightLockOf(records: string): string {
  return join(records, 'inflight.lock');
}

/** The sandbox records of a records directory, each with its holder as its file says. */
export function readSandboxRecords(records: string): SandboxRecord[] {
  const out: SandboxRecord[] = [];
  for (const id of safeReaddir(join(records, 'sandboxes'))) {
    const rec = readJson<SandboxRecord>(join(records, 'sandboxes', id, 'sandbox.json'));
    if (!rec) continue;
    rec.holder = readHolder(join(records, 'sandboxes', id)) ?? { pid: 0, start: '' };
    out.push(rec);
  }
  return out;
}

/** The container records of a records directory, each with its shim's start report ('' if none). */
export function readContainerRecords(records: string): { rec: ContainerRecord; started: string }[] {
  const out: { rec: ContainerRecord; started: string }[] = [];
  for (const id of safeReaddir(join(records, 'containers'))) {
    const rec = readJson<ContainerRecord>(join(records, 'containers', id, 'container.json'));
    if (rec) out.push({ rec, started: readOrEmpty(join(records, 'containers', id, 'started')) });
  }
  return out;
}

/** A holder's `<pid> <start time>` (its file, and its report after `ok `). */
function parseHolder(text: string): { pid: number; start: string } | undefined {
  const m = /^(\d+) (\d+)$/.exec(text.trim());
  return m ? { pid: Number(m[1]), start: m[2] ?? '' } : undefined;
}

/**
 * The holder's report: `ok <pid> <start time>`, then ` spare` when it joined a spare network namespace, then
 * ` nft <why>` when its nft failed.
 */
export function parseSandboxReport(
  report: string,
): { holder: { pid: number; start: string }; spare: boolean; nftFailure: string | undefined } | undefined {
  const m = /^ok (\d+) (\d+)( spare)?(?: nft (.*))?$/s.exec(report.trim());
  if (!m) return undefined;
  return { holder: { pid: Number(m[1]), start: m[2] ?? '' }, spare: m[3] !== undefined, nftFailure: m[4] };
}

/** CRI ListContainerStats: the running containers' CPU and working set, from their cgroups. */
export function runningContainerStats(records: Iterable<ContainerRecord>, now: number): ContainerStats[] {
  const out: ContainerStats[] = [];
  for (const rec of records) {
    if (rec.state !== 'running' || !rec.cgroups.usage) continue;
    const usage = readContainerUsage(rec.cgroups.usage);
    if (!usage) continue;
    out.push({
      id: rec.id,
      podSandboxId: rec.sandboxId,
      labels: rec.config.labels,
      timestampMs: now,
      cpuUsageCoreNanoSeconds: usage.cpuNanos,
      memoryWorkingSetBytes: usage.workingSetBytes,
    });
  }
  return out;
}

/** A sandbox's failed start in the kubelet's CreatePodSandboxError words; `why` is the shim's report. */
export function sandboxFailure(report: string, pod: string, bridge: string): string {
  const why = report.replace(/^err /, '');
  // The kernel's words for a Linux bridge that already has its maximum of 1024 ports.
  const message = why.includes('Exchange full')
    ? `bridge ${bridge} has no free port (a Linux bridge takes at most 1024 pods): ${why}; stop some pods, or give other podrun instances their own bridge`
    : why;
  return `failed to create the sandbox of pod ${pod}: ${message}`;
}

export function readHolder(sandboxDir: string): { pid: number; start: string } | undefined {
  return parseHolder(readOrEmpty(join(sandboxDir, 'holder')));
}

/** The shim's start report: `ok <pid> <start time> <shim pid> <shim start time> <started at ms>`. */
export function parseStartReport(
  text: string,
): Pick<ContainerRecord, 'pid' | 'pidStart' | 'shimPid' | 'shimStart' | 'startedAt'> | undefined {
  const m = /^ok (\d+) (\d+) (\d+) (\d+) (\d+)$/.exec(text.trim());
  if (!m) return undefined;
  return {
    pid: Number(m[1]),
    pidStart: m[2] ?? '',
    shimPid: Number(m[3]),
    shimStart: m[4] ?? '',
    startedAt: Number(m[5]),
  };
}

export function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
