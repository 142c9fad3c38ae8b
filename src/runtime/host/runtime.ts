// The host runtime: pods as Linux processes in per-pod namespaces, on the host's filesystem, with no daemon.
//
// Sandboxes and containers are made by the children of one long-lived `podrun-shim.pl serve` process
// (shim-server.ts), which also write their files: podrun's event loop only sends requests and reads reports.
// Where the records live and what they hold: records.ts; the pod sandboxes (holder, veth, address): sandboxes.ts.

import { randomBytes } from 'node:crypto';
import { type FSWatcher, mkdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { PodNetworkInfo, ServiceRules } from '../../network/types.js';
import { type Clock, systemClock } from '../../util/clock.js';
import { matches } from '../labels.js';
import {
  type ContainerConfig,
  type ContainerFilter,
  type ContainerStats,
  type ContainerStatus,
  type ContainerStream,
  type ExecResult,
  type PodSandboxConfig,
  type PodSandboxStatus,
  type PortForwardReader,
  RuntimeError,
  type RuntimeEvent,
  type RuntimeService,
  type RuntimeVersion,
  type SandboxFilter,
  type StreamOptions,
} from '../types.js';
import { attachContainer } from './attach.js';
import { CgroupSparePool } from './cgroup-spares.js';
import {
  type CgroupLayout,
  detectCgroups,
  removeCgroups,
  removeCgroupsWaiting,
  removeLeftoverSpares,
} from './cgroups.js';
import { prepareStart, StartRefused } from './container-start.js';
import { EventHub } from './events.js';
import { execSpec, runExec } from './exec.js';
import { ExecShims, startExecStream } from './exec-stream.js';
import { type ExitFile, pendingExit, readExit, recordExit, watchExits } from './exits.js';
import { writeFileAtomic } from './files.js';
import { HostImages } from './host-images.js';
import { findIp, prepareHost } from './host-setup.js';
import { createImageRun, removeImageRun, removeOrphanSnapshots } from './image-container.js';
import { type Ipam, ipString } from './ipam.js';
import { MountpointLayers } from './mountpoint-layer.js';
import { mountProblem } from './mounts.js';
import { NetnsDialer } from './netns-dial.js';
import { type HostLayout, type HostRuntimeOptions, hostLayout } from './options.js';
import { reclaimAtStart } from './orphans.js';
import { bootId, isSameProcess } from './proc.js';
import { RecordStore } from './record-store.js';
import {
  type ContainerRecord,
  containerStatus,
  inflightLockOf,
  linkRecords,
  newContainerRecord,
  parseStartReport,
  readContainerRecords,
  readOrEmpty,
  readSandboxRecords,
  runningContainerStats,
} from './records.js';
import { exitsDir, sandboxDir } from './request-specs.js';
import { HostSandboxes, LIVENESS_SWEEP_MS } from './sandboxes.js';
import { hostPodServiceRules, type PodServiceRules, SPARE_NETNS } from './service-rules.js';
import { type ShimRequest, ShimServer, type Zygote } from './shim-server.js';
import { shimSource } from './shim-source.js';
import { encodeSpec, type SpecEntry, syscallEntries } from './spec.js';
import { ContainerStopper } from './stopper.js';

export type { HostRuntimeOptions } from './options.js';

export class HostRuntime extends HostImages implements RuntimeService {
  readonly name = 'host';
  readonly #clock: Clock;
  /** The state directory, its records, the bridge and the pod network (options.ts). */
  readonly #at: HostLayout;
  readonly #ipam: Ipam;
  readonly #perl: string;
  /** Shims for streaming exec, one kept started ahead; made at the first exec. */
  #execShims: ExecShims | undefined;
  readonly #ip: string;
  readonly #log: (message: string) => void;
  readonly #bootId = bootId();
  readonly #store = new RecordStore();
  readonly #sandboxes: HostSandboxes;
  /** Containers whose start is under way, and its end. */
  readonly #starting = new Map<string, Promise<unknown>>();
  readonly #events = new EventHub();
  readonly #stopper: ContainerStopper;
  readonly #rules: PodServiceRules;
  readonly #dialer = new NetnsDialer();
  #cgroups: CgroupLayout = { version: 0, memoryRoot: '', cpuRoot: '' };
  #cgroupSpares: CgroupSparePool | undefined;
  readonly #spareCgroups: number;
  #watcher: FSWatcher | undefined;
  #lastSweep = 0;
  #server: ShimServer | undefined;
  readonly #mountpoints: MountpointLayers | undefined;

  constructor(options: HostRuntimeOptions) {
    super(options.images);
    this.#mountpoints = options.images
      ? new MountpointLayers(
          options.images.store,
          (entries) => this.#request('mountpoints', entries),
          (message) => this.#log(message),
        )
      : undefined;
    this.#clock = options.clock ?? systemClock;
    this.#stopper = new ContainerStopper(
      this.#clock,
      (rec) => this.#observe(rec),
      () => this.#watcher !== undefined,
    );
    this.#at = hostLayout(options);
    this.#ipam = this.#at.ipam;
    this.#perl = options.perlPath ?? '/usr/bin/perl';
    this.#spareCgroups = options.spareCgroups ?? 0;
    this.#ip = options.ipPath ?? findIp();
    this.#log = options.log ?? ((m: string) => process.stderr.write(`podrun host runtime: ${m}\n`));
    this.#rules = hostPodServiceRules({
      records: this.#at.records,
      stateDir: this.#at.stateDir,
      nftPath: options.nftPath,
      request: (mode, entries) => this.#request(mode, entries),
      live: (sandbox) => this.#store.sandboxes.get(sandbox.id) === sandbox && this.#sandboxes.live(sandbox),
      log: this.#log,
      render: options.renderRules,
      spares: options.spareNetns ?? SPARE_NETNS,
    });
    this.#sandboxes = new HostSandboxes({
      clock: this.#clock,
      at: this.#at,
      ipam: this.#ipam,
      bootId: this.#bootId,
      store: this.#store,
      events: this.#events,
      rules: this.#rules,
      dialer: this.#dialer,
      request: (mode, entries, onExit) => this.#request(mode, entries, onExit),
      containers: {
        observe: (rec) => this.#observe(rec),
        kill: (rec) => this.#stopper.kill(rec, 0),
        remove: (id) => this.removeContainer(id),
      },
    });
  }

  get #shim(): string {
    return join(this.#at.stateDir, 'bin', 'podrun-shim.pl');
  }
  get #exitsDir(): string {
    return exitsDir(this.#at.spec);
  }
  /** Held by the shim server and its children until they have reported: see mode_serve in the shim. */
  get #inflightLock(): string {
    return inflightLockOf(this.#at.records);
  }

  /** Prepares the host (shim, records tmpfs, bridge) and re-reads the records of this state directory. */
  async init(): Promise<void> {
    mkdirSync(join(this.#at.stateDir, 'bin'), { recursive: true });
    mkdirSync(this.#at.runDir, { recursive: true });
    const shim = shimSource();
    if (readOrEmpty(this.#shim) !== shim) writeFileAtomic(this.#shim, shim);
    this.#server = new ShimServer(this.#perl, this.#shim, join(this.#at.stateDir, 'shim.log'), {
      args: [this.#inflightLock],
    });
    this.#cgroups = detectCgroups();
    removeLeftoverSpares(this.#cgroups);
    const server = this.#server;
    this.#cgroupSpares = new CgroupSparePool({
      layout: this.#cgroups,
      size: this.#spareCgroups,
      make: (cgroups, onExit) =>
        server.zygote(
          encodeSpec([...syscallEntries(), ...cgroups.procs.map((p): SpecEntry => ['cgroup', p])]),
          onExit,
        ),
      log: this.#log,
    });
    await prepareHost({
      perl: this.#perl,
      shim: this.#shim,
      ip: this.#ip,
      runDir: this.#at.runDir,
      inflightLock: this.#inflightLock,
      bridge: this.#at.bridge,
      subnet: this.#at.subnet,
    });
    linkRecords(this.#at.stateDir, this.#at.records);
    this.#load();
    // What no live podrun can manage any more: orphaned pods, then the addresses no live process holds.
    await reclaimAtStart({
      perl: this.#perl,
      shim: this.#shim,
      runDir: this.#at.runDir,
      records: this.#at.records,
      ipam: this.#ipam,
      live: new Set(this.#store.sandboxes.keys()),
      deleteVeth: (veth) => this.#request('teardown', [['veth', veth]]),
      log: this.#log,
    });
    if (this.images) await removeOrphanSnapshots(this.images, new Set(this.#store.containers.keys()));
    this.#watcher = watchExits(
      this.#exitsDir,
      (id) => {
        const rec = this.#store.containers.get(id);
        if (rec) this.#observe(rec);
      },
      // The directory went away (state dir removed under us); lists still observe exits by polling.
      () => {
        this.#watcher = undefined;
      },
    );
    this.#cgroupSpares?.refill();
  }

  #load(): void {
    for (const rec of readSandboxRecords(this.#at.records)) {
      // Without its holder, the pod's namespaces are gone: the kubelet makes a new sandbox.
      if (rec.state === 'ready' && (rec.bootId !== this.#bootId || !this.#sandboxes.holderAlive(rec))) {
        rec.state = 'notready';
        void this.#sandboxes.save(rec);
      }
      this.#store.putSandbox(rec);
    }
    for (const { rec, started } of readContainerRecords(this.#at.records)) {
      this.#store.putContainer(rec);
      // The record is the container as it was started: the shim's report and exit file say what became of it.
      if (rec.state === 'created') {
        const exit = this.#adoptStart(rec, started) ? undefined : readExit(this.#exitsDir, rec.id);
        if (exit) this.#applyExit(rec, exit, { quiet: true });
      }
      this.#observe(rec, { quiet: true });
    }
  }

  // ---- events ----

  onEvent(listener: (event: RuntimeEvent) => void): () => void {
    return this.#events.on(listener);
  }

  async close(): Promise<void> {
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#dialer.close();
    this.#execShims?.close();
    this.#events.clear();
    this.#rules.close();
    this.#cgroupSpares?.close();
    await this.#server?.close();
    await this.#cgroupSpares?.removeGroups();
    // The runtime owns its image service: nothing pulls or mounts once the runtime is closed.
    await this.images?.close();
    // Nothing left to find again: no records either (the state directory may be deleted next).
    if (this.#store.sandboxes.size === 0 && this.#store.containers.size === 0)
      rmSync(this.#at.records, { recursive: true, force: true });
  }

  /** Ids of the images some container (running or not) was made from: the image service keeps them. */
  imagesInUse(): Set<string> {
    const ids = new Set<string>();
    for (const rec of this.#store.containers.values()) if (rec.image) ids.add(rec.image.id);
    return ids;
  }

  async version(): Promise<RuntimeVersion> {
    return { runtimeName: 'podrun-host', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' };
  }

  // ---- sandboxes ----

  runPodSandbox(config: PodSandboxConfig): Promise<string> {
    return this.#sandboxes.run(config);
  }

  setServiceRules(rules: ServiceRules): Promise<void> {
    return this.#sandboxes.setServiceRules(rules);
  }

  podNetwork(): PodNetworkInfo {
    return {
      gateway: this.#at.subnet.gateway,
      podCidr: `${ipString(this.#at.subnet.base)}/${this.#at.subnet.prefix}`,
      hostInterface: this.#at.bridge,
    };
  }

  stopPodSandbox(id: string): Promise<void> {
    return this.#sandboxes.stop(id);
  }

  removePodSandbox(id: string): Promise<void> {
    return this.#sandboxes.remove(id);
  }

  podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    return this.#sandboxes.status(id);
  }

  portForward(podSandboxId: string, port: number, onData?: PortForwardReader): Promise<Duplex> {
    return this.#sandboxes.portForward(podSandboxId, port, onData);
  }

  listPodSandboxes(filter?: SandboxFilter): Promise<PodSandboxStatus[]> {
    return this.#sandboxes.list(filter);
  }

  // ---- containers ----

  async createContainer(
    podSandboxId: string,
    config: ContainerConfig,
    sandboxConfig: PodSandboxConfig,
  ): Promise<string> {
    const sandbox = this.#store.sandboxes.get(podSandboxId);
    const fail = (msg: string) => new RuntimeError('CreateContainerError', msg);
    if (!sandbox) throw fail(`pod sandbox ${podSandboxId} not found`);
    this.#sandboxes.observe(sandbox);
    if (sandbox.state !== 'ready') throw fail(`pod sandbox ${podSandboxId} is not ready`);
    if (config.rootfs !== 'image' && config.command.length === 0 && config.args.length === 0)
      throw fail('no command specified');
    const taken = this.#store.containerNamed(podSandboxId, config.metadata);
    if (taken) {
      throw fail(
        `the container name "${config.metadata.name}_${config.metadata.attempt}" is already in use by ${taken.id}: remove it first`,
      );
    }
    const bad = mountProblem(config.mounts);
    if (bad) throw fail(bad);
    const id = randomBytes(32).toString('hex');
    const logDir = sandboxConfig.logDirectory || sandbox.config.logDirectory;
    const logPath = isAbsolute(config.logPath) ? config.logPath : join(logDir, config.logPath);
    const fromImage =
      config.rootfs === 'image'
        ? await createImageRun(
            this.imagesFor(config),
            id,
            config,
            { hostname: sandbox.config.hostname, podFilesDir: sandboxDir(this.#at.spec, sandbox.id) },
            this.#mountpoints,
          )
        : undefined;
    const rec = newContainerRecord(
      id,
      sandbox,
      config,
      logPath,
      this.#clock.now(),
      this.#bootId,
      fromImage?.identity,
    );
    if (fromImage) rec.image = fromImage.run;
    // Only in memory until it is started: a container podrun never started is not worth finding again.
    this.#store.putContainer(rec);
    this.#events.emit('ContainerCreated', podSandboxId, rec.podUid, id);
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
    const sandbox = this.#store.sandboxes.get(rec.sandboxId);
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
    const targetId = rec.config.linux?.pidNamespaceTargetId;
    const target = targetId ? this.#store.containers.get(targetId) : undefined;
    if (target) this.#observe(target);
    let prepared: ReturnType<typeof prepareStart>;
    try {
      prepared = prepareStart(
        { spec: this.#at.spec, cgroups: this.#cgroups, spares: this.#cgroupSpares },
        rec,
        sandbox,
        target,
      );
    } catch (e) {
      if (e instanceof StartRefused) throw startError(e.message);
      throw e;
    }
    const { entries, spare } = prepared;
    const line = await this.#request('start', entries, undefined, spare?.zygote);
    if (!this.#adoptStart(rec, line)) {
      removeCgroups(rec.cgroups.dirs);
      throw startError(line.startsWith('err ') ? line.slice(4) : line || 'the shim exited without a word');
    }
    this.#events.emit('ContainerStarted', rec.sandboxId, rec.podUid, id);
    // It may have exited already, before we marked it running: then the exits watcher's word came too early
    // to count. Only its exit file can tell (its shim has just reported; /proc is asked by later looks).
    const early = readExit(this.#exitsDir, rec.id);
    if (early) this.#applyExit(rec, early);
  }

  /** Takes the shim's start report (`ok <pid> <starttime> <shimpid> <shimstarttime> <startedAtMs>`). */
  #adoptStart(rec: ContainerRecord, report: string): boolean {
    const started = parseStartReport(report);
    if (!started) return false;
    Object.assign(rec, started);
    rec.state = 'running';
    return true;
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const rec = this.#container(id);
    this.#observe(rec);
    if (rec.state !== 'running') return;
    await this.#stopper.kill(rec, Math.max(0, timeoutSeconds) * 1000);
  }

  async removeContainer(id: string): Promise<void> {
    // A start under way ends first: else its process would outlive the record that tracks it.
    await this.#starting.get(id)?.catch(() => {});
    const rec = this.#store.containers.get(id);
    if (!rec) return;
    this.#observe(rec);
    if (rec.state === 'running') await this.#stopper.kill(rec, 0);
    // A shim that served the start from a zygote is in the groups itself: it records the exit, then leaves
    // and removes them, so a group still busy right after the exit is waited for.
    await removeCgroupsWaiting(rec.cgroups.dirs, 1_000);
    await removeImageRun(this.images, rec);
    await rm(join(this.#at.records, 'containers', id), { recursive: true, force: true });
    await rm(join(this.#exitsDir, id), { force: true });
    this.#store.dropContainer(id);
    this.#events.emit('ContainerDeleted', rec.sandboxId, rec.podUid, id);
  }

  async listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]> {
    const sweep = this.#clock.now() - this.#lastSweep >= LIVENESS_SWEEP_MS || !this.#watcher;
    if (sweep) this.#lastSweep = this.#clock.now();
    const out: ContainerStatus[] = [];
    for (const rec of this.#store.containerCandidates(filter)) {
      if (filter?.podSandboxId && rec.sandboxId !== filter.podSandboxId) continue;
      if (!matches(rec.config.labels, filter?.labelSelector)) continue;
      if (sweep) this.#observe(rec);
      out.push(containerStatus(rec));
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  async listContainerStats(): Promise<ContainerStats[]> {
    return runningContainerStats(this.#store.containers.values(), this.#clock.now());
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const rec = this.#container(id);
    this.#observe(rec);
    return containerStatus(rec);
  }

  async execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult> {
    const { rec, hostname } = this.#execTarget(id, cmd);
    const spec = execSpec(rec, hostname, cmd);
    if (typeof spec !== 'string') return spec;
    return runExec(this.#perl, this.#shim, spec, timeoutSeconds, this.#clock);
  }

  async exec(id: string, cmd: string[], options: StreamOptions): Promise<ContainerStream> {
    const { rec, hostname } = this.#execTarget(id, cmd);
    this.#execShims ??= new ExecShims(this.#perl, this.#shim);
    return startExecStream(this.#execShims, rec, hostname, cmd, options);
  }

  async attach(id: string, options: StreamOptions): Promise<ContainerStream> {
    return attachContainer(this.#execTarget(id, ['attach']).rec, this.#at.records, options);
  }

  #execTarget(id: string, cmd: string[]): { rec: ContainerRecord; hostname: string | undefined } {
    const rec = this.#container(id);
    this.#observe(rec);
    if (rec.state !== 'running' || !isSameProcess(rec.pid, rec.pidStart)) {
      throw new RuntimeError('NotRunning', `container ${id} is not running`);
    }
    if (cmd.length === 0) throw new RuntimeError('Unsupported', 'exec: no command given');
    return { rec, hostname: this.#store.sandboxes.get(rec.sandboxId)?.config.hostname };
  }

  // ---- state ----

  #container(id: string): ContainerRecord {
    const rec = this.#store.containers.get(id);
    if (!rec) throw new RuntimeError('NotFound', `container ${id} not found`);
    return rec;
  }

  /** Brings a running container's record up to date with what the shim wrote and what /proc says. */
  #observe(rec: ContainerRecord, opts: { quiet?: boolean } = {}): void {
    const ended = pendingExit(
      rec,
      this.#exitsDir,
      rec.bootId === this.#bootId,
      this.#stopper.sentSignal(rec.id),
    );
    if (ended) this.#applyExit(rec, ended.exit, opts, ended.message);
  }

  #applyExit(rec: ContainerRecord, exit: ExitFile, opts: { quiet?: boolean } = {}, message = ''): void {
    const wasRunning = recordExit(rec, exit, message);
    this.#stopper.exited(rec.id);
    if (wasRunning && !opts.quiet) this.#events.emit('ContainerStopped', rec.sandboxId, rec.podUid, rec.id);
  }

  /** One request to the shim server; resolves with its report (`ok ...` or `err <why>`). */
  #request(
    mode: ShimRequest,
    entries: SpecEntry[],
    onExit?: (waitStatus: number) => void,
    via?: Zygote,
  ): Promise<string> {
    const server = this.#server;
    if (!server) return Promise.resolve('err the host runtime is not initialised (init() was not called)');
    let spec: string;
    try {
      spec = encodeSpec([...syscallEntries(), ...entries]);
    } catch (e) {
      return Promise.resolve(`err ${(e as Error).message}`);
    }
    return server.request(mode, spec, onExit, via);
  }
}
