// The host runtime: pods as Linux processes in per-pod namespaces, on the host's filesystem, with no daemon.
//
// Sandboxes and containers are made by the children of one long-lived `podrun-shim.pl serve` process
// (shim-server.ts), which also write their files: podrun's event loop only sends requests and reads reports.
//
// Layout of the state directory (everything a restarted podrun needs to find its pods again):
//   bin/podrun-shim.pl              the shim (shim-source.ts), written at start-up
//   shim.log                        stderr of the shim server and the shims
//   sandboxes/ containers/ exits/   links to this state directory's records on the run directory's tmpfs:
//     sandboxes/<id>/               hosts, resolv.conf, hostname (mounted in the pod by its holder); holder
//                                   (the holder's pid and start time); sandbox.json, the record, written last
//     containers/<id>/              container.json, the record as it was when the container was started (not
//                                   rewritten afterwards); started, the shim's start report (pids)
//     exits/<id>                    written by the shim when the container exits (watched for events)
// and of the run directory (machine-wide, shared by every podrun; like the bridge, it need not outlive a boot):
//   state/                          a tmpfs: the records above under state/<hash of the state directory>/,
//                                   and ipam/<bridge>/<ip>, the pod IP allocations
//   prepare.lock                    serialises the set-up of the bridge and the tmpfs

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  type FSWatcher,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { type Clock, systemClock } from '../../util/clock.js';
import {
  type ContainerConfig,
  type ContainerFilter,
  type ContainerStatus,
  type ExecResult,
  type ImageSpec,
  type ImageStatus,
  LABEL_POD_UID,
  type PodSandboxConfig,
  type PodSandboxStatus,
  RuntimeError,
  type RuntimeEvent,
  type RuntimeService,
  type RuntimeVersion,
  type SandboxFilter,
  type SandboxState,
} from '../types.js';
import {
  type CgroupLayout,
  type ContainerCgroups,
  createContainerCgroups,
  detectCgroups,
  removeCgroups,
} from './cgroups.js';
import { readJson, writeFileAtomic, writeFileAtomicAsync } from './files.js';
import { Ipam, ipString, parseCidr, type Subnet } from './ipam.js';
import { DEFAULT_PATH, mountSource, resolveCommand, sortMounts } from './mounts.js';
import { bootId, isSameProcess, run } from './proc.js';
import { ShimServer } from './shim-server.js';
import { SHIM_SOURCE } from './shim-source.js';
import { encodeSpec, type SpecEntry, syscallEntries } from './spec.js';
import { type Identity, resolveIdentity } from './users.js';

export interface HostRuntimeOptions {
  /** Where sandbox and container records live; survives podrun restarts. */
  stateDir: string;
  /** Pod network; the bridge takes the first address, pods the following ones. Default 10.244.0.0/16. */
  podCidr?: string;
  clock?: Clock;
  /** Bridge the pods' veths join. Default `podrun0`. One bridge serves one pod network. */
  bridgeName?: string;
  /** Machine-wide run directory (a tmpfs) for IP allocations and the host lock. Default `/run/podrun`. */
  runDir?: string;
  /** Container log rotation: size that triggers it and files kept (the live one included). 10 MiB and 5. */
  logMaxBytes?: number;
  logMaxFiles?: number;
  /** perl and ip; found on the usual paths when not given. */
  perlPath?: string;
  ipPath?: string;
}

interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  createdAt: number;
  state: SandboxState;
  ip: string;
  veth: string;
  /** The process that holds the pod's namespaces (see mode_sandbox in shim-source.ts); pid 0 until it reported. */
  holder: { pid: number; start: string };
  /** Set once StopPodSandbox has reclaimed the holder, veth and IP (a sandbox may be notready before that). */
  reclaimed?: boolean;
  bootId: string;
}

interface ContainerRecord {
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
}

interface ExitFile {
  exitCode: number;
  signal: number;
  finishedAt: number;
  oomKilled: boolean;
  startError: string | null;
}

const DEFAULT_CIDR = '10.244.0.0/16';
const KILL_WAIT_MS = 10_000;
const EXEC_OUTPUT_LIMIT = 16 * 1024 * 1024;
const LIVENESS_SWEEP_MS = 2_000;

export class HostRuntime implements RuntimeService {
  readonly name = 'host';
  readonly #clock: Clock;
  readonly #stateDir: string;
  /** Where the records of this state directory are: see #linkRecords. */
  readonly #records: string;
  readonly #runDir: string;
  readonly #bridge: string;
  readonly #subnet: Subnet;
  readonly #ipam: Ipam;
  readonly #logMaxBytes: number;
  readonly #logMaxFiles: number;
  readonly #perl: string;
  readonly #ip: string;
  readonly #bootId = bootId();
  readonly #sandboxes = new Map<string, SandboxRecord>();
  /** Container ids by sandbox id: the kubelet lists one pod's containers at every sync, so no scan of all. */
  readonly #bySandbox = new Map<string, Set<string>>();
  /** Sandbox ids and container ids by pod uid: the kubelet selects by the pod's uid label at every sync. */
  readonly #sandboxesByPod = new Index();
  readonly #containersByPod = new Index();
  /** When a list last looked at a sandbox's holder in /proc. */
  readonly #sandboxCheckedAt = new Map<string, number>();
  /** The stop or removal under way for a sandbox (see #serialized). */
  readonly #sandboxOps = new Map<string, Promise<void>>();
  /** Containers whose start is under way, and its end. */
  readonly #starting = new Map<string, Promise<unknown>>();
  readonly #containers = new Map<string, ContainerRecord>();
  readonly #listeners = new Set<(e: RuntimeEvent) => void>();
  readonly #exitWaiters = new Map<string, Set<() => void>>();
  /** The last signal podrun sent to a container, to tell how it ended if its shim is gone. */
  readonly #sentSignal = new Map<string, number>();
  #cgroups: CgroupLayout = { version: 0, memoryRoot: '', cpuRoot: '' };
  #watcher: FSWatcher | undefined;
  #lastSweep = 0;
  #server: ShimServer | undefined;

  constructor(options: HostRuntimeOptions) {
    this.#clock = options.clock ?? systemClock;
    // Real paths: the records are found by the state directory's path, and the tmpfs by its mount point, so a
    // state or run directory reached through a link (/var/run is /run on Debian) must name the same place.
    this.#stateDir = realDir(options.stateDir);
    this.#runDir = realDir(options.runDir ?? '/run/podrun');
    this.#records = join(
      recordsRoot(this.#runDir),
      createHash('sha256').update(this.#stateDir).digest('hex').slice(0, 16),
    );
    this.#bridge = options.bridgeName ?? 'podrun0';
    if (this.#bridge.length > 15) {
      throw new RuntimeError(
        'Unsupported',
        `bridgeName ${JSON.stringify(this.#bridge)} is longer than 15 characters (Linux's limit)`,
      );
    }
    this.#subnet = parseCidr(options.podCidr ?? DEFAULT_CIDR);
    this.#ipam = new Ipam(
      join(recordsRoot(this.#runDir), 'ipam', this.#bridge),
      this.#subnet,
      this.#stateDir,
    );
    this.#logMaxBytes = options.logMaxBytes ?? 10 * 1024 * 1024;
    this.#logMaxFiles = Math.max(2, options.logMaxFiles ?? 5);
    this.#perl = options.perlPath ?? '/usr/bin/perl';
    this.#ip = options.ipPath ?? findIp();
  }

  get #shim(): string {
    return join(this.#stateDir, 'bin', 'podrun-shim.pl');
  }
  get #exitsDir(): string {
    return join(this.#records, 'exits');
  }
  /** Held by the shim server and its children until they have reported: see mode_serve in the shim. */
  get #inflightLock(): string {
    return join(this.#records, 'inflight.lock');
  }

  /** Prepares the host (shim, records tmpfs, bridge) and re-reads the records of this state directory. */
  async init(): Promise<void> {
    mkdirSync(join(this.#stateDir, 'bin'), { recursive: true });
    mkdirSync(this.#runDir, { recursive: true });
    if (readOrEmpty(this.#shim) !== SHIM_SOURCE) writeFileAtomic(this.#shim, SHIM_SOURCE);
    this.#server = new ShimServer(this.#perl, this.#shim, join(this.#stateDir, 'shim.log'), {
      args: [this.#inflightLock],
    });
    this.#cgroups = detectCgroups();
    await this.#prepareHost();
    this.#linkRecords();
    this.#load();
    await this.#ipam.reclaim(new Set(this.#sandboxes.keys()));
    this.#watcher = watch(this.#exitsDir, (_event, filename) => {
      const id = filename?.toString();
      if (!id || id.endsWith('.tmp')) return;
      const rec = this.#containers.get(id);
      if (rec) this.#observe(rec);
    });
    this.#watcher.on('error', () => {
      // The directory went away (state dir removed under us); lists still observe exits by polling.
      this.#watcher = undefined;
    });
  }

  async #prepareHost(): Promise<void> {
    const res = await this.#runShim('prepare', [
      ['lock', join(this.#runDir, 'prepare.lock')],
      ['recordsfs', recordsRoot(this.#runDir)],
      ['inflight', this.#inflightLock],
      ['ip', this.#ip],
      ['bridge', this.#bridge],
      ['bridgeaddr', `${this.#subnet.gateway}/${this.#subnet.prefix}`],
    ]);
    if (res.code !== 0) {
      throw new RuntimeError(
        'Unsupported',
        `preparing the host for pods (bridge ${this.#bridge}) failed: ${res.stderr.trim()}`,
      );
    }
    // A second interface with the same subnet would take the host's traffic to pods (probes) elsewhere.
    const cidr = `${ipString(this.#subnet.base)}/${this.#subnet.prefix}`;
    const routes = await run(this.#ip, ['-o', 'route', 'show', cidr]);
    const others = routes.stdout.split('\n').filter((l) => l.trim() && !l.includes(`dev ${this.#bridge} `));
    if (others.length > 0) {
      throw new RuntimeError(
        'Unsupported',
        `the pod network ${cidr} is also routed elsewhere on this host (${others.join('; ').trim()}): choose another podCidr, or remove that route`,
      );
    }
    // Pods get a default route to the bridge, but nothing they send is routed off this machine.
    try {
      writeFileSync(`/proc/sys/net/ipv4/conf/${this.#bridge}/forwarding`, '0');
    } catch {
      // no such sysctl: the kernel has no per-interface forwarding control
    }
  }

  /**
   * The records live on the run directory's tmpfs (a container start writes several small files, and on a disk
   * file system allocating and freeing thousands of inodes a second costs more CPU than the rest of the
   * start), named after the state directory; the state directory links to them. Like the processes they
   * describe, they survive a restart of podrun but not of the machine.
   */
  #linkRecords(): void {
    mkdirSync(this.#records, { recursive: true });
    writeFileSync(join(this.#records, 'owner'), `${this.#stateDir}\n`);
    for (const d of ['sandboxes', 'containers', 'exits']) {
      const target = join(this.#records, d);
      mkdirSync(target, { recursive: true });
      const link = join(this.#stateDir, d);
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
          const empty = (sub: string) => safeReaddir(join(this.#records, sub)).length === 0;
          if (empty('sandboxes') && empty('containers'))
            rmSync(this.#records, { recursive: true, force: true });
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
    reclaimRecords(this.#runDir);
  }

  #load(): void {
    for (const id of safeReaddir(join(this.#records, 'sandboxes'))) {
      const rec = readJson<SandboxRecord>(join(this.#records, 'sandboxes', id, 'sandbox.json'));
      if (!rec) continue;
      rec.holder = readHolder(join(this.#records, 'sandboxes', id)) ?? { pid: 0, start: '' };
      // Without its holder, the pod's namespaces are gone: the kubelet makes a new sandbox.
      if (rec.state === 'ready' && (rec.bootId !== this.#bootId || !this.#holderAlive(rec))) {
        rec.state = 'notready';
        this.#saveSandbox(rec);
      }
      this.#putSandbox(rec);
    }
    for (const id of safeReaddir(join(this.#records, 'containers'))) {
      const rec = readJson<ContainerRecord>(join(this.#records, 'containers', id, 'container.json'));
      if (!rec) continue;
      this.#putContainer(rec);
      // The record is the container as it was started: the shim's report and exit file say what became of it.
      if (rec.state === 'created') {
        const started = this.#adoptStart(rec, readOrEmpty(join(this.#records, 'containers', id, 'started')));
        const exit = started ? undefined : readJson<ExitFile>(join(this.#exitsDir, id));
        if (exit) this.#applyExit(rec, exit, { quiet: true });
      }
      this.#observe(rec, { quiet: true });
    }
  }

  // ---- events ----

  onEvent(listener: (event: RuntimeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(type: RuntimeEvent['type'], podSandboxId: string, podUid: string, containerId?: string): void {
    const event: RuntimeEvent = containerId
      ? { type, podSandboxId, podUid, containerId }
      : { type, podSandboxId, podUid };
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  async close(): Promise<void> {
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#listeners.clear();
    await this.#server?.close();
    // Nothing left to find again: no records either (the state directory may be deleted next).
    if (this.#sandboxes.size === 0 && this.#containers.size === 0)
      rmSync(this.#records, { recursive: true, force: true });
  }

  async version(): Promise<RuntimeVersion> {
    return { runtimeName: 'podrun-host', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' };
  }

  // ---- images: the host runtime runs host binaries and pulls nothing ----

  async imageStatus(image: ImageSpec): Promise<ImageStatus | null> {
    return { id: `host://${image.image}`, size: 0 };
  }

  async pullImage(image: ImageSpec): Promise<string> {
    return `host://${image.image}`;
  }

  // ---- sandboxes ----

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const id = randomBytes(32).toString('hex');
    const dir = join(this.#records, 'sandboxes', id);
    const pod = `${config.metadata.namespace}/${config.metadata.name}`;
    const hostname = (config.hostname || config.metadata.name).slice(0, 63);
    const ip = await this.#ipam.allocate(id);
    const rec: SandboxRecord = {
      id,
      config,
      createdAt: this.#clock.now(),
      state: 'ready',
      ip,
      veth: `vpr${id.slice(0, 12)}`,
      holder: { pid: 0, start: '' },
      bootId: this.#bootId,
    };
    // Every container of the pod sees these, mounted once in the holder's mount namespace.
    const shared: SpecEntry[] = [
      ['mount', 'bind', join(dir, 'hosts'), '/etc/hosts', 'rw'],
      ['mount', 'bind', join(dir, 'resolv.conf'), '/etc/resolv.conf', 'rw'],
    ];
    if (existsSync('/etc/hostname'))
      shared.push(['mount', 'bind', join(dir, 'hostname'), '/etc/hostname', 'rw']);
    // The holder's end (killed by someone) makes the sandbox notready at once, as PLEG would notice.
    const onHolderExit = () => {
      const live = this.#sandboxes.get(id);
      if (live) this.#observeSandbox(live);
    };
    const report = await this.#request(
      'sandbox',
      [
        ['mkdir', dir],
        ...(config.logDirectory ? [['mkdir', config.logDirectory] as const] : []),
        ['file', join(dir, 'hosts'), hostsFile(ip, hostname, config.hostAliases)],
        ['file', join(dir, 'resolv.conf'), resolvConf(config.dns)],
        ['file', join(dir, 'hostname'), `${hostname}\n`],
        ['hostname', hostname],
        ...shared,
        ['holderfile', join(dir, 'holder')],
        // For ps; the state directory first, so that a long pod name is what gets cut.
        ['title', `podrun-pod ${this.#stateDir} ${pod}`],
        ['veth', rec.veth],
        ['cidr', `${ip}/${this.#subnet.prefix}`],
        ['gateway', this.#subnet.gateway],
        ['bridge', this.#bridge],
        ['record', join(dir, 'sandbox.json'), recordJson(rec)],
      ],
      onHolderExit,
    );
    const held = report.startsWith('ok ') ? parseHolder(report.slice(3)) : undefined;
    if (held) rec.holder = held;
    else {
      await this.#teardownSandbox(rec).catch(() => {});
      const why = report.replace(/^err /, '');
      // The kernel's words for a Linux bridge that already has its maximum of 1024 ports.
      const message = why.includes('Exchange full')
        ? `bridge ${this.#bridge} has no free port (a Linux bridge takes at most 1024 pods): ${why}; stop some pods, or give other podrun instances their own bridge`
        : why;
      throw new RuntimeError(
        'CreatePodSandboxError',
        `failed to create the sandbox of pod ${pod}: ${message}`,
      );
    }
    this.#putSandbox(rec);
    return id;
  }

  stopPodSandbox(id: string): Promise<void> {
    return this.#serialized(id, () => this.#stopSandbox(id));
  }

  removePodSandbox(id: string): Promise<void> {
    return this.#serialized(id, async () => {
      const rec = this.#sandboxes.get(id);
      if (!rec) return;
      await this.#stopSandbox(id);
      for (const c of this.#containersOf(id)) await this.removeContainer(c.id);
      await this.#teardownSandbox(rec);
      this.#sandboxes.delete(id);
      this.#sandboxCheckedAt.delete(id);
      this.#sandboxesByPod.delete(rec.config.labels[LABEL_POD_UID], id);
    });
  }

  /** Stop and removal of one sandbox run one after another: a second call waits for the first to finish. */
  #serialized(id: string, op: () => Promise<void>): Promise<void> {
    const next = (this.#sandboxOps.get(id) ?? Promise.resolve()).then(op);
    const settled = next.catch(() => {});
    this.#sandboxOps.set(id, settled);
    void settled.then(() => {
      if (this.#sandboxOps.get(id) === settled) this.#sandboxOps.delete(id);
    });
    return next;
  }

  async #stopSandbox(id: string): Promise<void> {
    const rec = this.#sandboxes.get(id);
    if (!rec) return;
    await Promise.all(
      this.#containersOf(id).map(async (c) => {
        this.#observe(c);
        if (c.state === 'running') await this.#kill(c, 0);
      }),
    );
    const wasReady = rec.state !== 'notready';
    rec.state = 'notready';
    try {
      // As CRI's StopPodSandbox: the sandbox's processes stop and its network resources are reclaimed, also
      // for a sandbox that became notready on its own (its holder died); a failed attempt is tried again.
      if (!rec.reclaimed) {
        await this.#teardownSandbox(rec, { keepRecords: true });
        rec.reclaimed = true;
      }
    } finally {
      await this.#saveSandbox(rec);
      if (wasReady) this.#emit('SandboxStopped', id, rec.config.metadata.uid);
    }
  }

  /**
   * Kills the holder (the namespaces go with it), deletes the veth, releases the IP and, unless `keepRecords`,
   * removes the sandbox's files. Each step is a no-op when already done.
   */
  async #teardownSandbox(rec: SandboxRecord, options: { keepRecords?: boolean } = {}): Promise<void> {
    if (this.#holderAlive(rec)) {
      try {
        process.kill(rec.holder.pid, 'SIGKILL');
      } catch {
        // it ended meanwhile
      }
    }
    const report = await this.#request('teardown', [
      ['veth', rec.veth],
      ...(options.keepRecords ? [] : [['rmtree', join(this.#records, 'sandboxes', rec.id)] as const]),
    ]);
    await this.#ipam.release(rec.ip, rec.id);
    if (report !== 'ok') {
      throw new RuntimeError(
        'Unsupported',
        `tearing down the sandbox ${rec.id} failed: ${report.replace(/^err /, '')}`,
      );
    }
  }

  #holderAlive(rec: SandboxRecord): boolean {
    return rec.bootId === this.#bootId && isSameProcess(rec.holder.pid, rec.holder.start);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const rec = this.#sandboxes.get(id);
    if (!rec) throw new RuntimeError('NotFound', `pod sandbox ${id} not found`);
    this.#observeSandbox(rec);
    return sandboxStatus(rec);
  }

  /**
   * A ready sandbox whose holder is gone (killed) has lost its namespaces for new containers: it is notready,
   * as a sandbox whose pause container died, and the kubelet makes a new one.
   */
  #observeSandbox(rec: SandboxRecord, opts: { sweep?: boolean } = {}): void {
    if (rec.state !== 'ready' || rec.holder.pid === 0) return;
    // Lists look at /proc at most every LIVENESS_SWEEP_MS per sandbox: the shim server reports the end of the
    // holders it started at once, so this is for holders adopted from an earlier podrun.
    if (opts.sweep) {
      const now = this.#clock.now();
      if (now - (this.#sandboxCheckedAt.get(rec.id) ?? 0) < LIVENESS_SWEEP_MS) return;
      this.#sandboxCheckedAt.set(rec.id, now);
    }
    if (this.#holderAlive(rec)) return;
    rec.state = 'notready';
    void this.#saveSandbox(rec);
    this.#emit('SandboxStopped', rec.id, rec.config.metadata.uid);
  }

  async listPodSandboxes(filter?: SandboxFilter): Promise<PodSandboxStatus[]> {
    const uid = filter?.labelSelector?.[LABEL_POD_UID];
    const candidates =
      uid === undefined
        ? [...this.#sandboxes.values()]
        : [...this.#sandboxesByPod.get(uid)].flatMap((id) => this.#sandboxes.get(id) ?? []);
    const out = candidates.filter((s) => matches(s.config.labels, filter?.labelSelector));
    for (const rec of out) this.#observeSandbox(rec, { sweep: true });
    return out.sort((a, b) => a.createdAt - b.createdAt).map(sandboxStatus);
  }

  // ---- containers ----

  async createContainer(
    podSandboxId: string,
    config: ContainerConfig,
    sandboxConfig: PodSandboxConfig,
  ): Promise<string> {
    const sandbox = this.#sandboxes.get(podSandboxId);
    const fail = (msg: string) => new RuntimeError('CreateContainerError', msg);
    if (!sandbox) throw fail(`pod sandbox ${podSandboxId} not found`);
    this.#observeSandbox(sandbox);
    if (sandbox.state !== 'ready') throw fail(`pod sandbox ${podSandboxId} is not ready`);
    if (config.command.length === 0 && config.args.length === 0) throw fail('no command specified');
    const taken = this.#containersOf(podSandboxId).find(
      (c) =>
        c.config.metadata.name === config.metadata.name &&
        c.config.metadata.attempt === config.metadata.attempt,
    );
    if (taken) {
      throw fail(
        `the container name "${config.metadata.name}_${config.metadata.attempt}" is already in use by ${taken.id}: remove it first`,
      );
    }
    for (const m of config.mounts) {
      if (!isAbsolute(m.containerPath))
        throw fail(`mount ${JSON.stringify(m.containerPath)}: the container path must be absolute`);
      if (!existsSync(mountSource(m)))
        throw fail(`mount ${m.containerPath}: the host path ${mountSource(m)} does not exist`);
    }
    const id = randomBytes(32).toString('hex');
    const logDir = sandboxConfig.logDirectory || sandbox.config.logDirectory;
    const logPath = isAbsolute(config.logPath) ? config.logPath : join(logDir, config.logPath);
    const rec: ContainerRecord = {
      id,
      sandboxId: podSandboxId,
      podUid: sandbox.config.metadata.uid,
      config,
      state: 'created',
      createdAt: this.#clock.now(),
      startedAt: 0,
      finishedAt: 0,
      exitCode: 0,
      signal: 0,
      reason: '',
      message: '',
      logPath,
      identity: resolveIdentity(config.linux?.security),
      pid: 0,
      pidStart: '',
      shimPid: 0,
      shimStart: '',
      bootId: this.#bootId,
      cgroups: { procs: [], oomFiles: [], dirs: [] },
    };
    // Only in memory until it is started: a container podrun never started is not worth finding again.
    this.#putContainer(rec);
    this.#emit('ContainerCreated', podSandboxId, rec.podUid, id);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const rec = this.#container(id);
    if (this.#starting.has(id)) {
      throw new RuntimeError('RunContainerError', `container ${id} is being started already`);
    }
    if (rec.state !== 'created') {
      throw new RuntimeError(
        'RunContainerError',
        `container ${id} is ${rec.state}: only a created container can be started`,
      );
    }
    const started = this.#start(rec);
    this.#starting.set(id, started);
    try {
      await started;
    } finally {
      this.#starting.delete(id);
    }
  }

  async #start(rec: ContainerRecord): Promise<void> {
    const id = rec.id;
    if (rec.state !== 'created') {
      throw new RuntimeError(
        'RunContainerError',
        `container ${id} is ${rec.state}: only a created container can be started`,
      );
    }
    const sandbox = this.#sandboxes.get(rec.sandboxId);
    const startError = (message: string): RuntimeError => {
      this.#applyExit(rec, {
        exitCode: 128,
        signal: 0,
        finishedAt: Date.now(),
        oomKilled: false,
        startError: message,
      });
      return new RuntimeError(
        'RunContainerError',
        `failed to start container "${rec.config.metadata.name}": ${message}`,
      );
    };
    if (sandbox?.state !== 'ready') throw startError(`pod sandbox ${rec.sandboxId} is not ready`);
    const config = rec.config;
    const argv = [...config.command, ...config.args];
    const cwd = config.workingDir || '/';
    const found = resolveCommand(argv[0] ?? '', config.envs, cwd, config.mounts);
    if (!found.ok) throw startError(found.message);
    try {
      rec.cgroups = createContainerCgroups(this.#cgroups, id, {
        memoryBytes: config.linux?.memoryLimitBytes,
        cpuMillis: config.linux?.cpuMillis,
      });
    } catch (e) {
      throw startError(`creating the container's cgroup failed: ${(e as Error).message}`);
    }
    const dir = join(this.#records, 'containers', id);
    const line = await this.#request('start', [
      ['mkdir', dir],
      ['mkdir', dirname(rec.logPath)],
      ['record', join(dir, 'container.json'), recordJson(rec)],
      ...this.#containerSpec(rec, sandbox, found.path, argv),
    ]);
    if (!this.#adoptStart(rec, line)) {
      removeCgroups(rec.cgroups.dirs);
      throw startError(line.startsWith('err ') ? line.slice(4) : line || 'the shim exited without a word');
    }
    this.#emit('ContainerStarted', rec.sandboxId, rec.podUid, id);
    // It may have exited already, before we marked it running.
    this.#observe(rec);
  }

  /** Takes the shim's start report (`ok <pid> <starttime> <shimpid> <shimstarttime> <startedAtMs>`). */
  #adoptStart(rec: ContainerRecord, report: string): boolean {
    const started = parseStartReport(report);
    if (!started) return false;
    Object.assign(rec, started);
    rec.state = 'running';
    return true;
  }

  #containerSpec(rec: ContainerRecord, sandbox: SandboxRecord, exe: string, argv: string[]): SpecEntry[] {
    const config = rec.config;
    const ro = config.linux?.security?.readOnlyRootfs === true;
    const entries: SpecEntry[] = [
      ['exitfile', join(this.#exitsDir, rec.id)],
      ['startedfile', join(this.#records, 'containers', rec.id, 'started')],
      ['log', rec.logPath],
      ['maxlogsize', String(this.#logMaxBytes)],
      ['maxlogfiles', String(this.#logMaxFiles)],
      ['holder', String(sandbox.holder.pid)],
      ['holderstart', sandbox.holder.start],
      ['title', `podrun-shim ${this.#stateDir} ${config.metadata.name}`],
      ['mount', 'tmpfs', 'mode=1777', '/tmp', ro ? 'ro' : 'rw'],
    ];
    // /etc/hosts stays writable, as the kubelet's; the pod's other /etc files follow the root.
    if (ro) {
      entries.push(['remountro', '/etc/resolv.conf']);
      if (existsSync('/etc/hostname')) entries.push(['remountro', '/etc/hostname']);
    }
    for (const m of sortMounts(config.mounts))
      entries.push(['mount', 'bind', mountSource(m), m.containerPath, m.readOnly ? 'ro' : 'rw']);
    if (ro) entries.push(['rootro', '1']);
    entries.push(...this.#processEntries(rec, exe, argv));
    for (const f of rec.cgroups.oomFiles) entries.push(['oomfile', f]);
    for (const d of rec.cgroups.dirs) entries.push(['rmdir', d]);
    return entries;
  }

  #processEntries(rec: ContainerRecord, exe: string, argv: string[]): SpecEntry[] {
    const entries: SpecEntry[] = [
      ['cwd', rec.config.workingDir || '/'],
      ['uid', String(rec.identity.uid)],
      ['gid', String(rec.identity.gid)],
      ['groups', rec.identity.groups.join(',')],
      ['exe', exe],
    ];
    // As containerd: a default PATH and HOSTNAME first, then the container's env, whose entries win.
    const hostname = this.#sandboxes.get(rec.sandboxId)?.config.hostname;
    entries.push(['env', `PATH=${DEFAULT_PATH}`]);
    if (hostname) entries.push(['env', `HOSTNAME=${hostname}`]);
    for (const e of rec.config.envs) entries.push(['env', `${e.name}=${e.value}`]);
    for (const a of argv) entries.push(['argv', a]);
    for (const p of rec.cgroups.procs) entries.push(['cgroup', p]);
    return entries;
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const rec = this.#container(id);
    this.#observe(rec);
    if (rec.state !== 'running') return;
    await this.#kill(rec, Math.max(0, timeoutSeconds) * 1000);
  }

  /** SIGTERM, up to `graceMs` for the container to exit, then SIGKILL (at once when graceMs is 0, as containerd). */
  async #kill(rec: ContainerRecord, graceMs: number): Promise<void> {
    const signal = (sig: NodeJS.Signals) => {
      if (!isSameProcess(rec.pid, rec.pidStart)) return;
      try {
        this.#sentSignal.set(rec.id, sig === 'SIGKILL' ? 9 : 15);
        process.kill(rec.pid, sig);
      } catch {
        // it exited meanwhile
      }
    };
    if (graceMs > 0) {
      signal('SIGTERM');
      if (await this.#waitExited(rec, graceMs)) return;
    }
    // SIGKILL to the PID namespace's first process: the kernel then kills every process of the namespace.
    signal('SIGKILL');
    await this.#waitExited(rec, KILL_WAIT_MS);
  }

  async #waitExited(rec: ContainerRecord, ms: number): Promise<boolean> {
    const deadline = this.#clock.now() + ms;
    for (let poll = 20; ; poll = Math.min(poll * 2, 200)) {
      this.#observe(rec);
      if (rec.state !== 'running') return true;
      const left = deadline - this.#clock.now();
      if (left <= 0) return false;
      const abort = new AbortController();
      const waiters = this.#exitWaiters.get(rec.id) ?? new Set();
      this.#exitWaiters.set(rec.id, waiters);
      const wake = () => abort.abort();
      waiters.add(wake);
      await this.#clock.sleep(Math.min(left, poll), abort.signal).catch(() => {});
      waiters.delete(wake);
    }
  }

  async removeContainer(id: string): Promise<void> {
    // A start under way ends first: else its process would outlive the record that tracks it.
    await this.#starting.get(id)?.catch(() => {});
    const rec = this.#containers.get(id);
    if (!rec) return;
    this.#observe(rec);
    if (rec.state === 'running') await this.#kill(rec, 0);
    removeCgroups(rec.cgroups.dirs);
    await rm(join(this.#records, 'containers', id), { recursive: true, force: true });
    await rm(join(this.#exitsDir, id), { force: true });
    this.#dropContainer(id);
    this.#emit('ContainerDeleted', rec.sandboxId, rec.podUid, id);
  }

  async listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]> {
    const sweep = this.#clock.now() - this.#lastSweep >= LIVENESS_SWEEP_MS || !this.#watcher;
    if (sweep) this.#lastSweep = this.#clock.now();
    const out: ContainerStatus[] = [];
    for (const rec of this.#candidates(filter)) {
      if (filter?.podSandboxId && rec.sandboxId !== filter.podSandboxId) continue;
      if (!matches(rec.config.labels, filter?.labelSelector)) continue;
      if (sweep) this.#observe(rec);
      out.push(containerStatus(rec));
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const rec = this.#container(id);
    this.#observe(rec);
    return containerStatus(rec);
  }

  async execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult> {
    const rec = this.#container(id);
    this.#observe(rec);
    if (rec.state !== 'running' || !isSameProcess(rec.pid, rec.pidStart)) {
      throw new RuntimeError('NotRunning', `container ${id} is not running`);
    }
    if (cmd.length === 0) throw new RuntimeError('Unsupported', 'exec: no command given');
    const found = resolveCommand(
      cmd[0] ?? '',
      rec.config.envs,
      rec.config.workingDir || '/',
      rec.config.mounts,
    );
    if (!found.ok) return { exitCode: 127, stdout: '', stderr: `${found.message}\n`, timedOut: false };
    const spec = encodeSpec([
      ...syscallEntries(),
      ['pid', String(rec.pid)],
      ...this.#processEntries(rec, found.path, cmd),
    ]);
    return new Promise<ExecResult>((resolve) => {
      const child = spawn(this.#perl, [this.#shim, 'exec'], { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
      const out = new Capture();
      const err = new Capture();
      let timedOut = false;
      const abort = new AbortController();
      child.stdout.on('data', (b: Buffer) => out.add(b));
      child.stderr.on('data', (b: Buffer) => err.add(b));
      child.stdin.on('error', () => {});
      child.stdin.end(spec);
      if (timeoutSeconds > 0) {
        this.#clock
          .sleep(timeoutSeconds * 1000, abort.signal)
          .then(() => {
            timedOut = true;
            // The shim SIGKILLs the command on SIGTERM; SIGKILL the shim too if it does not go.
            child.kill('SIGTERM');
            return this.#clock.sleep(2000, abort.signal).then(() => child.kill('SIGKILL'));
          })
          .catch(() => {});
      }
      const finish = (exitCode: number) => {
        abort.abort();
        resolve({ exitCode, stdout: out.text(), stderr: err.text(), timedOut });
      };
      child.on('error', (e) => {
        err.add(Buffer.from(`cannot run ${this.#perl}: ${e.message}\n`));
        finish(126);
      });
      child.on('close', (code, sig) => finish(code ?? (sig === 'SIGKILL' ? 137 : 143)));
    });
  }

  // ---- state ----

  #container(id: string): ContainerRecord {
    const rec = this.#containers.get(id);
    if (!rec) throw new RuntimeError('NotFound', `container ${id} not found`);
    return rec;
  }

  #containersOf(sandboxId: string): ContainerRecord[] {
    const ids = this.#bySandbox.get(sandboxId) ?? new Set<string>();
    return [...ids]
      .map((id) => this.#containers.get(id))
      .filter((c): c is ContainerRecord => c !== undefined);
  }

  #putSandbox(rec: SandboxRecord): void {
    this.#sandboxes.set(rec.id, rec);
    this.#sandboxesByPod.add(rec.config.labels[LABEL_POD_UID], rec.id);
  }

  #putContainer(rec: ContainerRecord): void {
    this.#containers.set(rec.id, rec);
    this.#containersByPod.add(rec.config.labels[LABEL_POD_UID], rec.id);
    let ids = this.#bySandbox.get(rec.sandboxId);
    if (!ids) {
      ids = new Set();
      this.#bySandbox.set(rec.sandboxId, ids);
    }
    ids.add(rec.id);
  }

  #dropContainer(id: string): void {
    const rec = this.#containers.get(id);
    this.#containers.delete(id);
    if (!rec) return;
    this.#containersByPod.delete(rec.config.labels[LABEL_POD_UID], id);
    const ids = this.#bySandbox.get(rec.sandboxId);
    ids?.delete(id);
    if (ids?.size === 0) this.#bySandbox.delete(rec.sandboxId);
  }

  /** The records a filter can match: one sandbox's, one pod's (by its uid label), or all. */
  #candidates(filter: ContainerFilter | undefined): Iterable<ContainerRecord> {
    if (filter?.podSandboxId) return this.#containersOf(filter.podSandboxId);
    const uid = filter?.labelSelector?.[LABEL_POD_UID];
    if (uid === undefined) return this.#containers.values();
    return [...this.#containersByPod.get(uid)].flatMap((id) => this.#containers.get(id) ?? []);
  }

  /** Brings a running container's record up to date with what the shim wrote and what /proc says. */
  #observe(rec: ContainerRecord, opts: { quiet?: boolean } = {}): void {
    if (rec.state !== 'running') return;
    const exit = readJson<ExitFile>(join(this.#exitsDir, rec.id));
    if (exit) {
      this.#applyExit(rec, exit, opts);
      return;
    }
    if (rec.bootId === this.#bootId && isSameProcess(rec.shimPid, rec.shimStart)) return;
    // The shim is gone without a record. Look again (it may have written just now), then ask /proc.
    const late = readJson<ExitFile>(join(this.#exitsDir, rec.id));
    if (late) {
      this.#applyExit(rec, late, opts);
      return;
    }
    if (rec.bootId === this.#bootId && isSameProcess(rec.pid, rec.pidStart)) return;
    // Nobody recorded the exit. If podrun killed it, that is how it ended; otherwise the status is lost.
    const sent = this.#sentSignal.get(rec.id);
    this.#applyExit(
      rec,
      {
        exitCode: sent ? 128 + sent : 255,
        signal: sent ?? 0,
        finishedAt: Date.now(),
        oomKilled: false,
        startError: null,
      },
      opts,
      sent ? '' : 'the container exited while its shim was not running: its exit status is unknown',
    );
  }

  #applyExit(rec: ContainerRecord, exit: ExitFile, opts: { quiet?: boolean } = {}, message = ''): void {
    const wasRunning = rec.state === 'running';
    rec.state = 'exited';
    rec.exitCode = exit.exitCode;
    rec.signal = exit.signal;
    rec.finishedAt = exit.finishedAt;
    rec.reason = exit.startError
      ? 'StartError'
      : exit.oomKilled
        ? 'OOMKilled'
        : exit.exitCode === 0
          ? 'Completed'
          : 'Error';
    rec.message = exit.startError ?? message;
    for (const wake of this.#exitWaiters.get(rec.id) ?? []) wake();
    this.#exitWaiters.delete(rec.id);
    this.#sentSignal.delete(rec.id);
    if (wasRunning && !opts.quiet) this.#emit('ContainerStopped', rec.sandboxId, rec.podUid, rec.id);
  }

  async #saveSandbox(rec: SandboxRecord): Promise<void> {
    try {
      await writeFileAtomicAsync(join(this.#records, 'sandboxes', rec.id, 'sandbox.json'), recordJson(rec));
    } catch {
      // the sandbox's directory is gone: it is being removed
    }
  }

  #runShim(mode: string, entries: SpecEntry[]) {
    return run(this.#perl, [this.#shim, mode], encodeSpec([...syscallEntries(), ...entries]));
  }

  /** One request to the shim server; resolves with its report (`ok ...` or `err <why>`). */
  #request(
    mode: 'sandbox' | 'teardown' | 'start',
    entries: SpecEntry[],
    onExit?: (waitStatus: number) => void,
  ): Promise<string> {
    const server = this.#server;
    if (!server) return Promise.resolve('err the host runtime is not initialised (init() was not called)');
    let spec: string;
    try {
      spec = encodeSpec([...syscallEntries(), ...entries]);
    } catch (e) {
      return Promise.resolve(`err ${(e as Error).message}`);
    }
    return server.request(mode, spec, onExit);
  }
}

/** Ids by a label value; records without the label are not indexed. */
class Index {
  readonly #map = new Map<string, Set<string>>();
  get(key: string): Set<string> {
    return this.#map.get(key) ?? new Set();
  }
  add(key: string | undefined, id: string): void {
    if (key === undefined) return;
    let ids = this.#map.get(key);
    if (!ids) {
      ids = new Set();
      this.#map.set(key, ids);
    }
    ids.add(id);
  }
  delete(key: string | undefined, id: string): void {
    if (key === undefined) return;
    const ids = this.#map.get(key);
    ids?.delete(id);
    if (ids?.size === 0) this.#map.delete(key);
  }
}

class Capture {
  #chunks: Buffer[] = [];
  #size = 0;
  add(b: Buffer): void {
    if (this.#size >= EXEC_OUTPUT_LIMIT) return;
    this.#chunks.push(b);
    this.#size += b.length;
  }
  text(): string {
    return Buffer.concat(this.#chunks).subarray(0, EXEC_OUTPUT_LIMIT).toString('utf8');
  }
}

function recordJson(rec: SandboxRecord | ContainerRecord): string {
  return `${JSON.stringify(rec, null, 2)}\n`;
}

function sandboxStatus(rec: SandboxRecord): PodSandboxStatus {
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

function containerStatus(rec: ContainerRecord): ContainerStatus {
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
    image: rec.config.image,
    imageRef: `host://${rec.config.image}`,
    labels: rec.config.labels,
    annotations: rec.config.annotations,
    logPath: rec.logPath,
  };
}

function matches(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The kubelet's managed hosts file (kubelet_pods.go), which the host runtime writes since it owns the sandbox. */
export function hostsFile(ip: string, hostname: string, aliases: PodSandboxConfig['hostAliases']): string {
  let out =
    '# Kubernetes-managed hosts file.\n' +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n' +
    `${ip}\t${hostname}\n`;
  if (aliases?.length) {
    out += '\n# Entries added by HostAliases.\n';
    for (const a of aliases) out += `${a.ip}\t${a.hostnames.join('\t')}\n`;
  }
  return out;
}

/** Without a cluster DNS, no nameserver: lookups of names not in /etc/hosts fail at once instead of timing out. */
export function resolvConf(dns: PodSandboxConfig['dns']): string {
  if (!dns || (dns.servers.length === 0 && dns.searches.length === 0)) {
    return '# podrun host runtime: no cluster DNS, and pods have no route off this machine.\n';
  }
  let out = '';
  if (dns.searches.length) out += `search ${dns.searches.join(' ')}\n`;
  for (const s of dns.servers) out += `nameserver ${s}\n`;
  if (dns.options.length) out += `options ${dns.options.join(' ')}\n`;
  return out;
}

export function findIp(): string {
  return ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p)) ?? 'ip';
}

/** Creates `dir` if needed and returns its real path, with a clear error when it cannot. */
function realDir(dir: string): string {
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

/** Drops the records of state directories that no longer exist (removed while their podrun was not running). */
function reclaimRecords(runDir: string): void {
  const root = recordsRoot(runDir);
  for (const name of safeReaddir(root)) {
    if (!/^[0-9a-f]{16}$/.test(name)) continue;
    const dir = join(root, name);
    const owner = readOrEmpty(join(dir, 'owner')).trim();
    // The owner may be invisible from here (another mount namespace) yet alive: keep records of live pods.
    if (owner && !existsSync(owner) && !recordsOfLiveProcesses(dir))
      rmSync(dir, { recursive: true, force: true });
  }
}

/** True when a holder or shim named in these records still runs. */
function recordsOfLiveProcesses(dir: string): boolean {
  for (const id of safeReaddir(join(dir, 'sandboxes'))) {
    const holder = readHolder(join(dir, 'sandboxes', id));
    if (holder && isSameProcess(holder.pid, holder.start)) return true;
  }
  for (const id of safeReaddir(join(dir, 'containers'))) {
    const started = parseStartReport(readOrEmpty(join(dir, 'containers', id, 'started')));
    if (started && isSameProcess(started.shimPid, started.shimStart)) return true;
  }
  return false;
}

/** A holder's `<pid> <start time>` (its file, and its report after `ok `). */
function parseHolder(text: string): { pid: number; start: string } | undefined {
  const m = /^(\d+) (\d+)$/.exec(text.trim());
  return m ? { pid: Number(m[1]), start: m[2] ?? '' } : undefined;
}

function readHolder(sandboxDir: string): { pid: number; start: string } | undefined {
  return parseHolder(readOrEmpty(join(sandboxDir, 'holder')));
}

/** The shim's start report: `ok <pid> <start time> <shim pid> <shim start time> <started at ms>`. */
function parseStartReport(
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

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
