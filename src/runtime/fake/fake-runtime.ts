// A deterministic RuntimeService for tests: containers do what a per-name script says, on a FakeClock, and
// every call is recorded in order so tests can assert start and stop order. Like a CRI runtime it keeps no
// Kubernetes semantics: it never restarts or removes anything on its own. Where the contract leaves a choice
// (removing a running container, starting one twice, exec in a stopped one), it does what the host runtime
// does: test/runtime/conformance.ts runs both through the same cases.
//
// Images have a config: a container with rootfs `image` gets its process from it by containerd's rules
// (image-process.ts), and processOf() shows the result, since the fake runs nothing.

import type { Duplex } from 'node:stream';
import type { PodNetworkInfo, ServiceRules } from '../../network/types.js';
import { cloneJson } from '../../store/json-clone.js';
import type { Clock } from '../../util/clock.js';
import { imageProcess } from '../image-process.js';
import { matches } from '../labels.js';
import {
  type ContainerConfig,
  type ContainerFilter,
  type ContainerStats,
  type ContainerStatus,
  type ContainerStream,
  type ExecResult,
  type ImageFsInfo,
  type ImageSpec,
  type ImageStatus,
  LABEL_POD_UID,
  type PodSandboxConfig,
  type PodSandboxStatus,
  type PortForwardReader,
  type PullProgress,
  RuntimeError,
  type RuntimeEvent,
  type RuntimeService,
  type RuntimeVersion,
  type SandboxFilter,
  type StreamOptions,
} from '../types.js';
import { type FakeImage, type FakeImageOptions, FakeImages } from './fake-images.js';
import { type FakePortHandler, FakePorts } from './fake-ports.js';
import { fakeRecords, type Instance, newInstance } from './fake-records.js';
import { fakeExec } from './fake-streams.js';
import type { FakeCall, FakeCallOp, FakeProcess, FakeRuntimeOptions, FakeScript } from './fake-types.js';
import { hostProcess } from './host-process.js';

export type {
  FakeBehaviour,
  FakeCall,
  FakeCallOp,
  FakeProcess,
  FakeRuntimeOptions,
  FakeScript,
  FakeScriptContext,
} from './fake-types.js';

/** Why a container's timers stop; one shared value, since abort() without one builds a DOMException each time. */
const TIMERS_CANCELLED = Object.freeze({ name: 'AbortError', message: 'fake container timers cancelled' });

export class FakeRuntime implements RuntimeService {
  readonly name = 'fake';
  readonly calls: FakeCall[] = [];
  /** Every container exit, in order (instances may be removed later; this record stays). */
  readonly exits: { name: string; id: string; at: number; exitCode: number; reason: string }[] = [];
  readonly scripts: Record<string, FakeScript>;
  readonly pullErrors: Record<string, string>;
  #clock: Clock;
  #records = fakeRecords();
  #images = new FakeImages();
  #ports = new FakePorts();
  #listeners = new Set<(e: RuntimeEvent) => void>();
  #exec: FakeRuntimeOptions['exec'];
  #execStream: FakeRuntimeOptions['execStream'];
  #seq = 0;
  #rules: ServiceRules | undefined;
  /** The rules each ready sandbox has, as the host runtime programs them in each pod's network namespace. */
  #rulesBySandbox = new Map<string, ServiceRules>();
  /** Every setServiceRules call's rules, in order. */
  readonly ruleHistory: ServiceRules[] = [];
  /** The image filesystem's size: imageFsInfo reports it less the images' sizes as available (a full disk in tests). */
  imageFsCapacityBytes = 100 * 1024 ** 3;

  constructor(options: FakeRuntimeOptions) {
    this.#clock = options.clock;
    this.scripts = { ...(options.scripts ?? {}) };
    this.pullErrors = { ...(options.pullErrors ?? {}) };
    this.#exec = options.exec;
    this.#execStream = options.execStream;
    for (const image of options.images ?? []) this.addImage(image);
  }

  // ---- test controls ----

  /** What serves `port` in the pods with this UID: portForward connects to it (see fake-ports.ts). */
  listen(podUid: string, port: number, handler: FakePortHandler): void {
    this.#ports.listen(podUid, port, handler);
  }

  /**
   * Makes an image present under a reference, as a pull or `podrun image load` would: with a config
   * (Entrypoint, Cmd, Env, User, WorkingDir, Volumes), a repo digest, a size and an id when given. The
   * reference is normalised (`busybox` is `docker.io/library/busybox:latest`); adding it again replaces it.
   */
  addImage(image: string, options: FakeImageOptions = {}): ImageStatus {
    return this.#images.status(this.#images.add(image, options));
  }

  /** The calls of one kind, as `op target` strings, for order assertions. */
  callLog(ops?: FakeCallOp[]): string[] {
    return this.calls.filter((c) => !ops || ops.includes(c.op)).map((c) => `${c.op} ${c.target}`);
  }

  /** Output from the running instance of `name`'s main process, to whoever is attached. */
  emitOutput(name: string, stream: 'stdout' | 'stderr', data: string | Buffer): void {
    this.#running(name).attach.emit(stream, data);
  }

  /** What the running instance of `name` got on its stdin through attachments, and whether it was closed. */
  attachedInput(name: string): {
    data: string;
    closed: boolean;
    resizes: { width: number; height: number }[];
  } {
    const hub = this.#running(name).attach;
    return {
      data: Buffer.concat(hub.stdin).toString('utf8'),
      closed: hub.stdinClosed,
      resizes: [...hub.resizes],
    };
  }

  #running(name: string): Instance {
    const inst = [...this.#records.containers.values()].find(
      (i) => i.status.metadata.name === name && i.status.state === 'running',
    );
    if (!inst) throw new Error(`fake runtime: no running container named ${name}`);
    return inst;
  }

  /** Makes the running instance of `name` exit now (a crash), with this code. */
  exitContainer(name: string, exitCode: number, reason?: string): void {
    const inst = [...this.#records.containers.values()].find(
      (i) => i.status.metadata.name === name && i.status.state === 'running',
    );
    if (!inst) throw new Error(`fake runtime: no running container named ${name}`);
    this.#exit(inst, exitCode, reason);
  }

  /**
   * A node reboot or a dead sandbox: every container of the pod is SIGKILLed (exit 137) and the sandbox becomes
   * not ready, without the kubelet asking.
   */
  crashSandbox(podUid: string): void {
    for (const sb of this.#records.sandboxes.values()) {
      if (sb.status.metadata.uid !== podUid || sb.status.state !== 'ready') continue;
      for (const inst of this.#records.containersOf(sb.status.id)) {
        if (inst.status.state === 'running') this.#exit(inst, 137);
      }
      sb.status.state = 'notready';
      this.#emit({ type: 'SandboxStopped', podSandboxId: sb.status.id, podUid });
    }
  }

  /** Removes the runtime's records of a container name (as a GC or a runtime wipe would). */
  forgetContainers(name: string): void {
    for (const inst of [...this.#records.containers.values()]) {
      if (inst.status.metadata.name === name && inst.status.state !== 'running')
        this.#records.dropContainer(inst.status.id);
    }
  }

  /** The rules last set (setServiceRules), or undefined before the first call. */
  serviceRules(): ServiceRules | undefined {
    return this.#rules === undefined ? undefined : structuredClone(this.#rules);
  }

  /** The rules a sandbox got (at its creation or by the last change while it was ready), or undefined. */
  rulesOf(sandboxId: string): ServiceRules | undefined {
    const rules = this.#rulesBySandbox.get(sandboxId);
    return rules === undefined ? undefined : structuredClone(rules);
  }

  /** Every instance, in creation order. */
  instances(): ContainerStatus[] {
    return [...this.#records.containers.values()].map((i) => cloneJson(i.status));
  }

  /** The config an instance was created with (env, mounts, labels, annotations). */
  configOf(id: string): ContainerConfig {
    return structuredClone(this.#get(id).config);
  }

  /**
   * What the instance runs: argv, env, working directory, user string and image volumes. For rootfs `image`
   * these come from the image config by containerd's rules; for `host`, from the config alone (the user is
   * `runAsUser[:runAsGroup]`, as the host runtime reads it).
   */
  processOf(id: string): FakeProcess {
    return structuredClone(this.#get(id).process);
  }

  /** Running instances' names. */
  running(): string[] {
    return [...this.#records.containers.values()]
      .filter((i) => i.status.state === 'running')
      .map((i) => i.status.metadata.name);
  }

  // ---- RuntimeService ----

  async version(): Promise<RuntimeVersion> {
    return { runtimeName: 'fake', runtimeVersion: '0.0.0', runtimeApiVersion: 'v1' };
  }

  onEvent(listener: (event: RuntimeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    this.#record('runPodSandbox', config.metadata.name);
    const n = ++this.#seq;
    const id = `sb${n}`;
    this.#records.putSandbox({
      status: {
        id,
        metadata: { ...config.metadata },
        state: 'ready',
        createdAt: this.#clock.now(),
        ip: `10.88.0.${n % 250}`,
        labels: { ...config.labels },
        annotations: { ...config.annotations },
      },
    });
    if (this.#rules) this.#rulesBySandbox.set(id, this.#rules);
    return id;
  }

  async setServiceRules(rules: ServiceRules): Promise<void> {
    this.#record('setServiceRules', `${rules.ports.length} ports`);
    this.#rules = structuredClone(rules);
    this.ruleHistory.push(structuredClone(rules));
    for (const sb of this.#records.sandboxes.values()) {
      if (sb.status.state === 'ready') this.#rulesBySandbox.set(sb.status.id, this.#rules);
    }
  }

  /** Pods get 10.88.0.0–249 (the fake's addresses, never routed); .254 stands for the node. */
  podNetwork(): PodNetworkInfo {
    return { gateway: '10.88.0.254', podCidr: '10.88.0.0/16' };
  }

  async stopPodSandbox(id: string): Promise<void> {
    const sb = this.#records.sandboxes.get(id);
    this.#record('stopPodSandbox', sb?.status.metadata.name ?? id);
    if (!sb) return;
    for (const inst of this.#records.containersOf(id)) {
      if (inst.status.state === 'running') this.#exit(inst, 137);
    }
    const wasReady = sb.status.state === 'ready';
    sb.status.state = 'notready';
    this.#rulesBySandbox.delete(id);
    if (wasReady) this.#emit({ type: 'SandboxStopped', podSandboxId: id, podUid: sb.status.metadata.uid });
  }

  async removePodSandbox(id: string): Promise<void> {
    const sb = this.#records.sandboxes.get(id);
    this.#record('removePodSandbox', sb?.status.metadata.name ?? id);
    if (!sb) return;
    for (const inst of this.#records.containersOf(id)) {
      if (inst.status.state === 'running') this.#exit(inst, 137);
    }
    if (sb.status.state === 'ready') {
      sb.status.state = 'notready';
      this.#emit({ type: 'SandboxStopped', podSandboxId: id, podUid: sb.status.metadata.uid });
    }
    for (const inst of this.#records.containersOf(id)) this.#drop(inst);
    this.#records.dropSandbox(id);
    this.#rulesBySandbox.delete(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const sb = this.#records.sandboxes.get(id);
    if (!sb) throw new RuntimeError('NotFound', `pod sandbox ${id} not found`);
    return cloneJson(sb.status);
  }

  async portForward(podSandboxId: string, port: number, onData?: PortForwardReader): Promise<Duplex> {
    const sb = this.#records.sandboxes.get(podSandboxId);
    if (!sb) throw new RuntimeError('NotFound', `pod sandbox ${podSandboxId} not found`);
    if (sb.status.state !== 'ready')
      throw new RuntimeError('NotRunning', `pod sandbox ${podSandboxId} is not ready`);
    const conn = this.#ports.connect(sb.status.metadata.uid, podSandboxId, port);
    if (onData) {
      conn.on('data', (b: Buffer) => {
        if (!onData(b)) conn.pause();
      });
    }
    return conn;
  }

  async listPodSandboxes(filter?: SandboxFilter): Promise<PodSandboxStatus[]> {
    return this.#records
      .sandboxCandidates(filter?.labelSelector?.[LABEL_POD_UID])
      .filter((sb) => matches(sb.status.labels, filter?.labelSelector))
      .map((sb) => cloneJson(sb.status));
  }

  async createContainer(
    podSandboxId: string,
    config: ContainerConfig,
    sandbox: PodSandboxConfig,
  ): Promise<string> {
    const name = config.metadata.name;
    this.#record('createContainer', name);
    const fail = (message: string) => new RuntimeError('CreateContainerError', message);
    const sb = this.#records.sandboxes.get(podSandboxId);
    if (!sb) throw fail(`pod sandbox ${podSandboxId} not found`);
    if (sb.status.state !== 'ready') throw fail(`pod sandbox ${podSandboxId} is not ready`);
    const script = this.scripts[name];
    const behaviour =
      typeof script === 'function'
        ? script({
            name,
            image: config.image,
            attempt: config.metadata.attempt,
            podUid: sandbox.metadata.uid,
          })
        : (script ?? {});
    if (behaviour.failCreate) throw fail(behaviour.failCreate);
    const taken = this.#records
      .containersOf(podSandboxId)
      .find((i) => i.status.metadata.name === name && i.status.metadata.attempt === config.metadata.attempt);
    if (taken) {
      throw fail(
        `the container name "${name}_${config.metadata.attempt}" is already in use by ${taken.status.id}: remove it first`,
      );
    }
    let image: FakeImage | undefined;
    let process: FakeProcess;
    if (config.rootfs === 'image') {
      // containerd's CreateContainer: localResolve, then the spec from the image config.
      image = this.#images.resolve(config.image);
      if (!image) throw fail(`failed to resolve image ${JSON.stringify(config.image)}: not found`);
      process = imageProcess(config, image.config, sandbox.hostname);
    } else {
      image = this.#findImage(config.image);
      process = hostProcess(config, sandbox.hostname);
    }
    const id = `c${++this.#seq}`;
    this.#records.putContainer(
      newInstance({ id, podSandboxId, config, sandbox, process, image, behaviour, now: this.#clock.now() }),
    );
    this.#emit({ type: 'ContainerCreated', containerId: id, podSandboxId, podUid: sandbox.metadata.uid });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const inst = this.#get(id);
    this.#record('startContainer', inst.status.metadata.name);
    const { behaviour, status } = inst;
    if (status.state !== 'created') {
      throw new RuntimeError(
        'RunContainerError',
        `container ${id} is ${status.state}: only a created container can be started`,
      );
    }
    status.startedAt = this.#clock.now();
    const sandboxReady = this.#records.sandboxes.get(status.podSandboxId)?.status.state === 'ready';
    const startError = sandboxReady ? behaviour.failStart : `pod sandbox ${status.podSandboxId} is not ready`;
    if (startError) {
      status.state = 'exited';
      status.finishedAt = this.#clock.now();
      status.exitCode = 128;
      status.reason = 'StartError';
      status.message = startError;
      inst.markExited();
      inst.attach.end();
      throw new RuntimeError('RunContainerError', startError);
    }
    status.state = 'running';
    this.#emit({
      type: 'ContainerStarted',
      containerId: id,
      podSandboxId: status.podSandboxId,
      podUid: this.#uid(inst),
    });
    if (behaviour.exitAfterMs !== undefined) {
      const code = behaviour.oom ? 137 : (behaviour.exitCode ?? 0);
      this.#after(inst, behaviour.exitAfterMs, () =>
        this.#exit(inst, code, behaviour.oom ? 'OOMKilled' : undefined),
      );
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const inst = this.#records.containers.get(id);
    this.#record('stopContainer', inst?.status.metadata.name ?? id, String(timeoutSeconds));
    if (!inst) throw new RuntimeError('NotFound', `container ${id} not found`);
    if (inst.status.state !== 'running') return;
    const onTerm = inst.behaviour.onSigterm ?? {};
    const timeoutMs = Math.max(0, timeoutSeconds) * 1000;
    // SIGKILL when the grace runs out.
    this.#after(inst, timeoutMs, () => this.#exit(inst, 137));
    if (onTerm !== 'ignore') {
      const delay = onTerm.exitAfterMs ?? 0;
      if (delay < timeoutMs) this.#after(inst, delay, () => this.#exit(inst, onTerm.exitCode ?? 143));
    }
    await inst.exited;
  }

  async removeContainer(id: string): Promise<void> {
    const inst = this.#records.containers.get(id);
    this.#record('removeContainer', inst?.status.metadata.name ?? id);
    if (!inst) return;
    // As the host runtime (and containerd's RemoveContainer): a running container is killed, then removed.
    if (inst.status.state === 'running') this.#exit(inst, 137);
    this.#drop(inst);
  }

  async listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]> {
    return [...this.#records.containerCandidates(filter)]
      .filter((i) => !filter?.podSandboxId || i.status.podSandboxId === filter.podSandboxId)
      .filter((i) => matches(i.status.labels, filter?.labelSelector))
      .map((i) => cloneJson(i.status));
  }

  /**
   * Usage the fake reports for running containers, by container name (the pod spec's name): cumulative CPU
   * nanoseconds and working-set bytes. A running container without an entry reports zero.
   */
  readonly usage = new Map<string, { cpuNanos: number; workingSetBytes: number }>();

  async listContainerStats(): Promise<ContainerStats[]> {
    return [...this.#records.containers.values()]
      .filter((i) => i.status.state === 'running')
      .map((i) => {
        const u = this.usage.get(i.status.metadata.name) ?? { cpuNanos: 0, workingSetBytes: 0 };
        return {
          id: i.status.id,
          podSandboxId: i.status.podSandboxId,
          labels: { ...i.status.labels },
          timestampMs: this.#clock.now(),
          cpuUsageCoreNanoSeconds: u.cpuNanos,
          memoryWorkingSetBytes: u.workingSetBytes,
        };
      });
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    return structuredClone(this.#get(id).status);
  }

  async execSync(id: string, cmd: string[], _timeoutSeconds: number): Promise<ExecResult> {
    const inst = this.#get(id);
    this.#record('execSync', inst.status.metadata.name, cmd.join(' '));
    if (inst.status.state !== 'running')
      throw new RuntimeError('NotRunning', `container ${id} is not running`);
    if (cmd.length === 0) throw new RuntimeError('Unsupported', 'exec: no command given');
    if (this.#exec) return this.#exec(inst.status.metadata.name, cmd);
    return { exitCode: 0, stdout: '', stderr: '', timedOut: false };
  }

  async exec(id: string, cmd: string[], options: StreamOptions): Promise<ContainerStream> {
    const inst = this.#get(id);
    this.#record('exec', inst.status.metadata.name, cmd.join(' '));
    if (inst.status.state !== 'running')
      throw new RuntimeError('NotRunning', `container ${id} is not running`);
    if (cmd.length === 0) throw new RuntimeError('Unsupported', 'exec: no command given');
    return fakeExec(inst.status.metadata.name, cmd, options, this.#execStream, (n, c) =>
      this.#exec
        ? Promise.resolve(this.#exec(n, c))
        : Promise.resolve({ exitCode: 0, stdout: '', stderr: '', timedOut: false }),
    );
  }

  async attach(id: string, options: StreamOptions): Promise<ContainerStream> {
    const inst = this.#get(id);
    this.#record('attach', inst.status.metadata.name);
    if (inst.status.state !== 'running')
      throw new RuntimeError('NotRunning', `container ${id} is not running`);
    return inst.attach.attach(options);
  }

  async imageStatus(image: ImageSpec): Promise<ImageStatus | null> {
    const found = this.#images.resolve(image.image);
    return found ? this.#images.status(found) : null;
  }

  async pullImage(image: ImageSpec): Promise<string> {
    this.#record('pullImage', image.image);
    const error = this.pullErrors[image.image];
    if (error !== undefined) throw new RuntimeError('ErrImagePull', error);
    // A pull of what is present re-tags the same image (the registry has not changed in a fake).
    const present = this.#images.resolve(image.image);
    if (present) return present.id;
    return this.#images.add(image.image).id;
  }

  async listImages(): Promise<ImageStatus[]> {
    return this.#images.list().map((i) => this.#images.status(i));
  }

  async removeImage(image: ImageSpec): Promise<void> {
    const found = this.#images.resolve(image.image);
    if (!found) return;
    const user = [...this.#records.containers.values()].find((i) => i.imageId === found.id);
    if (user) {
      throw new RuntimeError(
        'ImageInUse',
        `image ${JSON.stringify(image.image)} (${found.id}) is in use by container ${user.status.id} (${user.status.metadata.name}): remove the container first`,
      );
    }
    this.#images.remove(found);
  }

  async imageFsInfo(): Promise<ImageFsInfo> {
    const used = this.#images.list().reduce((n, i) => n + i.size, 0);
    const capacity = this.imageFsCapacityBytes;
    return { usedBytes: used, capacityBytes: capacity, availableBytes: Math.max(0, capacity - used) };
  }

  pullsInProgress(): PullProgress[] {
    return [];
  }

  // ---- internals ----

  #get(id: string): Instance {
    const inst = this.#records.containers.get(id);
    if (!inst) throw new RuntimeError('NotFound', `container ${id} not found`);
    return inst;
  }

  /** The image a host container is labelled with, if present (a bad reference is only a label there). */
  #findImage(ref: string): FakeImage | undefined {
    try {
      return this.#images.resolve(ref);
    } catch {
      return undefined;
    }
  }

  /** Forgets a container that is not running, as removeContainer does. */
  #drop(inst: Instance): void {
    inst.timers.abort(TIMERS_CANCELLED);
    this.#records.dropContainer(inst.status.id);
    this.#emit({
      type: 'ContainerDeleted',
      containerId: inst.status.id,
      podSandboxId: inst.status.podSandboxId,
      podUid: this.#uid(inst),
    });
  }

  #uid(inst: Instance): string {
    return inst.status.labels[LABEL_POD_UID] ?? '';
  }

  #record(op: FakeCallOp, target: string, detail?: string): void {
    const call: FakeCall = { op, target, at: this.#clock.now() };
    if (detail !== undefined) call.detail = detail;
    this.calls.push(call);
  }

  #after(inst: Instance, ms: number, fn: () => void): void {
    // A zero delay happens now: a FakeClock only wakes sleepers when advanced.
    if (ms <= 0) {
      fn();
      return;
    }
    this.#clock.sleep(ms, inst.timers.signal).then(fn, () => {});
  }

  #exit(inst: Instance, exitCode: number, reason?: string): void {
    const { status } = inst;
    if (status.state !== 'running') return;
    status.state = 'exited';
    status.finishedAt = this.#clock.now();
    status.exitCode = exitCode;
    status.reason = reason ?? (exitCode === 0 ? 'Completed' : 'Error');
    this.exits.push({
      name: status.metadata.name,
      id: status.id,
      at: status.finishedAt,
      exitCode,
      reason: status.reason,
    });
    inst.timers.abort(TIMERS_CANCELLED);
    inst.timers = new AbortController();
    inst.markExited();
    inst.attach.end();
    this.#emit({
      type: 'ContainerStopped',
      containerId: status.id,
      podSandboxId: status.podSandboxId,
      podUid: this.#uid(inst),
    });
  }

  #emit(event: RuntimeEvent): void {
    for (const l of this.#listeners) queueMicrotask(() => l(event));
  }
}
