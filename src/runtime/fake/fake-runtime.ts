// A deterministic RuntimeService for tests: containers do what a per-name script says, on a FakeClock, and
// every call is recorded in order so tests can assert start and stop order. Like a CRI runtime it keeps no
// Kubernetes semantics: it never restarts or removes anything on its own.
import type { PodNetworkInfo, ServiceRules } from '../../network/types.js';
import type { Clock } from '../../util/clock.js';
import {
  type ContainerConfig,
  type ContainerFilter,
  type ContainerStatus,
  type ExecResult,
  type ImageSpec,
  type ImageFsInfo,
  type ImageStatus,
  type PullProgress,
  LABEL_POD_UID,
  type PodSandboxConfig,
  type PodSandboxStatus,
  RuntimeError,
  type RuntimeEvent,
  type RuntimeService,
  type RuntimeVersion,
  type SandboxFilter,
} from '../types.js';

/** What one container instance does once started. */
export interface FakeBehaviour {
  /** Exits on its own after this long; omitted: runs until stopped. */
  exitAfterMs?: number;
  /** Exit code of the natural exit (default 0). */
  exitCode?: number;
  /** The natural exit is an OOM kill: exit 137, reason OOMKilled. */
  oom?: boolean;
  /** createContainer fails with CreateContainerError and this message. */
  failCreate?: string;
  /** startContainer fails with RunContainerError and this message (the instance ends StartError, 128). */
  failStart?: string;
  /** On SIGTERM: exit after exitAfterMs (default 0) with exitCode (default 143), or 'ignore' until SIGKILL. */
  onSigterm?: { exitAfterMs?: number; exitCode?: number } | 'ignore';
}

export interface FakeScriptContext {
  name: string;
  image: string;
  /** The kubelet's restart count for this instance (0 for the first). */
  attempt: number;
  podUid: string;
}

export type FakeScript = FakeBehaviour | ((ctx: FakeScriptContext) => FakeBehaviour);

export type FakeCallOp =
  | 'runPodSandbox'
  | 'stopPodSandbox'
  | 'removePodSandbox'
  | 'createContainer'
  | 'startContainer'
  | 'stopContainer'
  | 'removeContainer'
  | 'pullImage'
  | 'execSync'
  | 'setServiceRules';

export interface FakeCall {
  op: FakeCallOp;
  /** Container name (container ops), pod name (sandbox ops), or image (pulls). */
  target: string;
  /** ms on the clock when the call was made */
  at: number;
  /** Extra facts: the stop timeout in seconds, the exec command. */
  detail?: string;
}

export interface FakeRuntimeOptions {
  clock: Clock;
  /** Behaviour by container name. Unscripted containers run until stopped. */
  scripts?: Record<string, FakeScript>;
  /** Images present before any pull. */
  images?: string[];
  /** pullImage fails with ErrImagePull and this message. */
  pullErrors?: Record<string, string>;
  /** Answers execSync; default exit 0 with no output. */
  exec?: (containerName: string, cmd: string[]) => ExecResult | Promise<ExecResult>;
}

interface Instance {
  status: ContainerStatus;
  config: ContainerConfig;
  behaviour: FakeBehaviour;
  exited: Promise<void>;
  markExited: () => void;
  timers: AbortController;
}

interface Sandbox {
  status: PodSandboxStatus;
}

export class FakeRuntime implements RuntimeService {
  readonly name = 'fake';
  readonly calls: FakeCall[] = [];
  /** Every container exit, in order (instances may be removed later; this record stays). */
  readonly exits: { name: string; id: string; at: number; exitCode: number; reason: string }[] = [];
  readonly scripts: Record<string, FakeScript>;
  readonly pullErrors: Record<string, string>;
  #clock: Clock;
  #containers = new Map<string, Instance>();
  #sandboxes = new Map<string, Sandbox>();
  #images = new Map<string, ImageStatus>();
  #listeners = new Set<(e: RuntimeEvent) => void>();
  #exec: FakeRuntimeOptions['exec'];
  #seq = 0;
  #rules: ServiceRules | undefined;
  /** The rules each ready sandbox has, as the host runtime programs them in each pod's network namespace. */
  #rulesBySandbox = new Map<string, ServiceRules>();
  /** Every setServiceRules call's rules, in order. */
  readonly ruleHistory: ServiceRules[] = [];

  constructor(options: FakeRuntimeOptions) {
    this.#clock = options.clock;
    this.scripts = { ...(options.scripts ?? {}) };
    this.pullErrors = { ...(options.pullErrors ?? {}) };
    this.#exec = options.exec;
    for (const image of options.images ?? []) this.addImage(image);
  }

  // ---- test controls ----

  /** Makes an image present, as `docker load` would. */
  addImage(image: string): void {
    this.#images.set(image, {
      id: `sha256:${fakeDigest(image)}`,
      repoTags: [image],
      repoDigests: [],
      size: 1024,
    });
  }

  /** The calls of one kind, as `op target` strings, for order assertions. */
  callLog(ops?: FakeCallOp[]): string[] {
    return this.calls.filter((c) => !ops || ops.includes(c.op)).map((c) => `${c.op} ${c.target}`);
  }

  /** Makes the running instance of `name` exit now (a crash), with this code. */
  exitContainer(name: string, exitCode: number, reason?: string): void {
    const inst = [...this.#containers.values()].find(
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
    for (const sb of this.#sandboxes.values()) {
      if (sb.status.metadata.uid !== podUid || sb.status.state !== 'ready') continue;
      for (const inst of this.#containers.values()) {
        if (inst.status.podSandboxId === sb.status.id && inst.status.state === 'running')
          this.#exit(inst, 137);
      }
      sb.status.state = 'notready';
      this.#emit({ type: 'SandboxStopped', podSandboxId: sb.status.id, podUid });
    }
  }

  /** Removes the runtime's records of a container name (as a GC or a runtime wipe would). */
  forgetContainers(name: string): void {
    for (const [id, inst] of this.#containers) {
      if (inst.status.metadata.name === name && inst.status.state !== 'running') this.#containers.delete(id);
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
    return [...this.#containers.values()].map((i) => structuredClone(i.status));
  }

  /** The config an instance was created with (env, mounts, labels, annotations). */
  configOf(id: string): ContainerConfig {
    return structuredClone(this.#get(id).config);
  }

  /** Running instances' names. */
  running(): string[] {
    return [...this.#containers.values()]
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
    this.#sandboxes.set(id, {
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
    for (const sb of this.#sandboxes.values()) {
      if (sb.status.state === 'ready') this.#rulesBySandbox.set(sb.status.id, this.#rules);
    }
  }

  /** Pods get 10.88.0.0–249 (the fake's addresses, never routed); .254 stands for the node. */
  podNetwork(): PodNetworkInfo {
    return { gateway: '10.88.0.254', podCidr: '10.88.0.0/16' };
  }

  async stopPodSandbox(id: string): Promise<void> {
    const sb = this.#sandboxes.get(id);
    this.#record('stopPodSandbox', sb?.status.metadata.name ?? id);
    if (!sb) return;
    for (const inst of this.#containers.values()) {
      if (inst.status.podSandboxId === id && inst.status.state === 'running') this.#exit(inst, 137);
    }
    sb.status.state = 'notready';
    this.#rulesBySandbox.delete(id);
  }

  async removePodSandbox(id: string): Promise<void> {
    const sb = this.#sandboxes.get(id);
    this.#record('removePodSandbox', sb?.status.metadata.name ?? id);
    if (!sb) return;
    for (const [cid, inst] of this.#containers) {
      if (inst.status.podSandboxId !== id) continue;
      if (inst.status.state === 'running') this.#exit(inst, 137);
      inst.timers.abort();
      this.#containers.delete(cid);
    }
    this.#sandboxes.delete(id);
    this.#rulesBySandbox.delete(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const sb = this.#sandboxes.get(id);
    if (!sb) throw new RuntimeError('NotFound', `pod sandbox ${id} not found`);
    return structuredClone(sb.status);
  }

  async listPodSandboxes(filter?: SandboxFilter): Promise<PodSandboxStatus[]> {
    return [...this.#sandboxes.values()]
      .filter((sb) => matches(sb.status.labels, filter?.labelSelector))
      .map((sb) => structuredClone(sb.status));
  }

  async createContainer(
    podSandboxId: string,
    config: ContainerConfig,
    sandbox: PodSandboxConfig,
  ): Promise<string> {
    const name = config.metadata.name;
    this.#record('createContainer', name);
    const sb = this.#sandboxes.get(podSandboxId);
    if (sb?.status.state !== 'ready') {
      throw new RuntimeError('CreateContainerError', `pod sandbox ${podSandboxId} is not ready`);
    }
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
    if (behaviour.failCreate) throw new RuntimeError('CreateContainerError', behaviour.failCreate);
    const id = `c${++this.#seq}`;
    let markExited = () => {};
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    const image = this.#images.get(config.image);
    this.#containers.set(id, {
      config: structuredClone(config),
      behaviour,
      exited,
      markExited,
      timers: new AbortController(),
      status: {
        id,
        podSandboxId,
        metadata: { ...config.metadata },
        state: 'created',
        createdAt: this.#clock.now(),
        startedAt: 0,
        finishedAt: 0,
        exitCode: 0,
        reason: '',
        message: '',
        image: config.image,
        imageRef: image?.id ?? '',
        labels: { ...config.labels },
        annotations: { ...config.annotations },
        logPath: `${sandbox.logDirectory}/${config.logPath}`,
      },
    });
    this.#emit({ type: 'ContainerCreated', containerId: id, podSandboxId, podUid: sandbox.metadata.uid });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const inst = this.#get(id);
    this.#record('startContainer', inst.status.metadata.name);
    const { behaviour, status } = inst;
    status.startedAt = this.#clock.now();
    if (behaviour.failStart) {
      status.state = 'exited';
      status.finishedAt = this.#clock.now();
      status.exitCode = 128;
      status.reason = 'StartError';
      status.message = behaviour.failStart;
      inst.markExited();
      throw new RuntimeError('RunContainerError', behaviour.failStart);
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
    const inst = this.#containers.get(id);
    this.#record('stopContainer', inst?.status.metadata.name ?? id, String(timeoutSeconds));
    if (inst?.status.state !== 'running') return;
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
    const inst = this.#containers.get(id);
    this.#record('removeContainer', inst?.status.metadata.name ?? id);
    if (!inst) return;
    if (inst.status.state === 'running') {
      throw new RuntimeError('Unsupported', `container ${id} is running; stop it before removing it`);
    }
    inst.timers.abort();
    this.#containers.delete(id);
  }

  async listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]> {
    return [...this.#containers.values()]
      .filter((i) => !filter?.podSandboxId || i.status.podSandboxId === filter.podSandboxId)
      .filter((i) => matches(i.status.labels, filter?.labelSelector))
      .map((i) => structuredClone(i.status));
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    return structuredClone(this.#get(id).status);
  }

  async execSync(id: string, cmd: string[], _timeoutSeconds: number): Promise<ExecResult> {
    const inst = this.#get(id);
    this.#record('execSync', inst.status.metadata.name, cmd.join(' '));
    if (this.#exec) return this.#exec(inst.status.metadata.name, cmd);
    return { exitCode: 0, stdout: '', stderr: '', timedOut: false };
  }

  async imageStatus(image: ImageSpec): Promise<ImageStatus | null> {
    return this.#images.get(image.image) ?? null;
  }

  async pullImage(image: ImageSpec): Promise<string> {
    this.#record('pullImage', image.image);
    const error = this.pullErrors[image.image];
    if (error !== undefined) throw new RuntimeError('ErrImagePull', error);
    this.addImage(image.image);
    return this.#images.get(image.image)!.id;
  }

  async listImages(): Promise<ImageStatus[]> {
    return [...this.#images.values()].map((i) => structuredClone(i));
  }

  async removeImage(image: ImageSpec): Promise<void> {
    this.#images.delete(image.image);
  }

  async imageFsInfo(): Promise<ImageFsInfo> {
    const used = [...this.#images.values()].reduce((n, i) => n + i.size, 0);
    return { usedBytes: used, capacityBytes: 100 * 1024 ** 3, availableBytes: 100 * 1024 ** 3 - used };
  }

  pullsInProgress(): PullProgress[] {
    return [];
  }

  // ---- internals ----

  #get(id: string): Instance {
    const inst = this.#containers.get(id);
    if (!inst) throw new RuntimeError('NotFound', `container ${id} not found`);
    return inst;
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
    inst.timers.abort();
    inst.timers = new AbortController();
    inst.markExited();
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

function matches(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function fakeDigest(image: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < image.length; i++) {
    h ^= image.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0').repeat(8);
}
