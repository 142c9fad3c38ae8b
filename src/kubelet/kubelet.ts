// The kubelet: one PodWorker per pod UID, fed pods by the API side (upsertPod/deletePod) and woken by runtime
// events and probe results. start() adopts what the runtime already runs (a restarted kubelet neither
// duplicates nor restarts containers: the planner reads the runtime, restart counts come from annotations)
// and removes sandboxes of pods it does not know. Image garbage collection (image-gc.ts) runs while it is started.
import { jsonEqual } from '../api/json-equal.js';
import type { Pod, PodStatus } from '../api/types.js';
import {
  ANNOTATION_TERMINATION_GRACE,
  LABEL_POD_UID,
  type PodSandboxStatus,
  type RuntimeService,
} from '../runtime/types.js';
import { type Collaborators, defaultCollaborators } from './collaborators.js';
import { executePlan } from './executor.js';
import { ImageGCManager } from './image-gc.js';
import { EMPTY_IMAGE_PULL_STATE } from './image-plan.js';
import { MINIMUM_GRACE_PERIOD_SECONDS } from './kill.js';
import { emptyPlan, type PodPlan } from './planner.js';
import { podGracePeriodSeconds } from './pod-util.js';
import { PodWorker, SYNC_ERROR_RETRY_MS } from './pod-worker.js';
import { observe } from './runtime-view.js';
import { StatusManager } from './status-manager.js';
import type { KubeletDeps } from './types.js';

export interface KubeletOptions extends KubeletDeps, Partial<Collaborators> {
  /** Retry delay after a failed sync (default 10 s, the kubelet's backOffPeriod). */
  syncErrorRetryMs?: number;
  /** Where errors the kubelet survives go (default: console.error). */
  onError?: (podUid: string, error: unknown) => void;
  /** Where the kubelet's own log lines go (a failed image GC round); default console.error. */
  log?: (line: string) => void;
}

export class Kubelet {
  readonly #deps: KubeletDeps;
  readonly #collaborators: Collaborators;
  readonly #pods = new Map<string, Pod>();
  readonly #workers = new Map<string, PodWorker>();
  /** Pods whose deletion this kubelet finished: late updates of their API object are ignored. */
  readonly #finalized = new Set<string>();
  readonly #syncErrorRetryMs: number;
  readonly #onError: (podUid: string, error: unknown) => void;
  readonly #imageGC: ImageGCManager;
  readonly #statuses: StatusManager;
  #started = false;
  #unsubscribe: (() => void) | undefined;

  constructor(options: KubeletOptions) {
    const { runtime, clock, objects, status, events } = options;
    // A copy: the node's address changes it (setHostIP), not the caller's object.
    const config = { ...options.config };
    this.#deps = { runtime, clock, objects, status, events, config };
    const defaults =
      options.makeEnvironment &&
      options.volumes &&
      options.security &&
      options.runHook &&
      options.prober &&
      options.dns &&
      options.hosts
        ? undefined
        : defaultCollaborators({ ...this.#deps, onProbeChange: (uid) => this.#workers.get(uid)?.signal() });
    this.#collaborators = {
      makeEnvironment: options.makeEnvironment ?? defaults!.makeEnvironment,
      volumes: options.volumes ?? defaults!.volumes,
      security: options.security ?? defaults!.security,
      runHook: options.runHook ?? defaults!.runHook,
      prober: options.prober ?? defaults!.prober,
      dns: options.dns ?? defaults!.dns,
      hosts: options.hosts ?? defaults!.hosts,
    };
    this.#syncErrorRetryMs = options.syncErrorRetryMs ?? SYNC_ERROR_RETRY_MS;
    this.#onError =
      options.onError ??
      ((uid, e) => console.error(`kubelet: pod ${uid}: ${(e as Error)?.stack ?? String(e)}`));
    this.#statuses = new StatusManager(status, {
      clock,
      retryMs: this.#syncErrorRetryMs,
      onError: this.#onError,
    });
    // Built here so that a bad policy fails the kubelet's construction, as NewImageGCManager fails NewMainKubelet.
    this.#imageGC = new ImageGCManager({
      runtime,
      clock,
      events,
      nodeName: config.nodeName,
      ...(config.imageGC ? { policy: config.imageGC } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
  }

  get runtime(): RuntimeService {
    return this.#deps.runtime;
  }

  /** The image garbage collection (its policy, and whether it runs). */
  get imageGC(): ImageGCManager {
    return this.#imageGC;
  }

  /** The prober's results (for a probe-change wake-up from outside, and tests). */
  get prober(): Collaborators['prober'] {
    return this.#collaborators.prober;
  }

  /**
   * A pod bound to this node was added or changed (including a deletionTimestamp being set). A change of
   * the status alone (the kubelet's own writes coming back through the watch) does not sync the pod, as
   * upstream's pod config source sends only spec and metadata changes on to the pod workers.
   */
  upsertPod(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid)
      throw new Error(`kubelet: pod ${pod.metadata?.namespace}/${pod.metadata?.name} has no metadata.uid`);
    this.#pods.set(uid, pod);
    if (!this.#started) return;
    const worker = this.#workers.get(uid);
    if (!worker) this.#startWorker(pod);
    else if (onlyStatusDiffers(worker.pod, pod)) worker.replacePod(pod);
    else worker.update(pod);
  }

  /** Syncs a known pod now: something it depends on changed (a ConfigMap or Secret it uses). */
  wakePod(uid: string): void {
    this.#workers.get(uid)?.signal();
  }

  /**
   * The node's address changed (the Node's InternalIP, read with its status): pods' status.hostIP and the
   * environment of containers started from now on carry the new one, as upstream's getHostIPsAnyWay reads
   * the node's addresses at every status. Every pod is synced so that its status says so.
   */
  setHostIP(ip: string): void {
    if (ip === this.#deps.config.hostIP) return;
    this.#deps.config.hostIP = ip;
    for (const worker of this.#workers.values()) worker.signal();
  }

  /** The pod's API object is gone: whatever still runs is killed and its sandboxes removed. */
  deletePod(uid: string): void {
    this.#pods.delete(uid);
    this.#workers.get(uid)?.remove();
  }

  /** The status last generated for a pod (its write to the API may still be under way). */
  podStatus(uid: string): PodStatus | undefined {
    return this.#workers.get(uid)?.status;
  }

  /**
   * Starts the workers. Call after upserting every pod the API holds for this node: sandboxes of pods that
   * are not known then are orphans and are killed and removed.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#unsubscribe = this.#deps.runtime.onEvent?.((e) => this.#workers.get(e.podUid)?.signal());
    await this.#removeOrphans();
    for (const pod of this.#pods.values()) this.#startWorker(pod);
    this.#imageGC.start();
  }

  /** Stops every worker, the prober and image GC; containers keep running (a kubelet restart adopts them). */
  async stop(): Promise<void> {
    this.#started = false;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#imageGC.stop();
    const workers = [...this.#workers.values()];
    this.#workers.clear();
    // The status manager stops first, so that a worker waiting for its statuses is let go at once.
    await this.#statuses.stop(() => Promise.all(workers.map((w) => w.stop())));
    await this.#collaborators.prober.stop?.();
  }

  /**
   * Node shutdown (`podrun serve` got SIGTERM): every pod is killed in the kubelet's termination order with
   * its grace period, then its sandboxes are removed and its volumes torn down. Statuses are not written.
   */
  async shutdown(): Promise<void> {
    const pods = new Map(this.#pods);
    await this.stop();
    const { runtime } = this.#deps;
    const sandboxes = await runtime.listPodSandboxes();
    const uids = new Set(sandboxes.map((s) => s.labels[LABEL_POD_UID] ?? s.metadata.uid));
    // Every pod gets its chance to stop even when another one fails to; the failures are reported after.
    const results = await Promise.allSettled(
      [...uids].map(async (uid) => {
        const pod = pods.get(uid);
        if (pod) await this.#killKnownPod(pod);
        else await this.#killOrphan(uid, sandboxes);
        await this.#removePodFiles(uid);
      }),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) {
      const reasons = failed.map((r) => (r.reason instanceof Error ? r.reason.message : String(r.reason)));
      throw new Error(`${failed.length} of ${uids.size} pods did not stop cleanly: ${reasons.join('; ')}`);
    }
  }

  #startWorker(pod: Pod): void {
    const worker = new PodWorker(pod, {
      deps: this.#deps,
      collaborators: this.#collaborators,
      syncErrorRetryMs: this.#syncErrorRetryMs,
      statuses: this.#statuses,
      onError: this.#onError,
      onFinished: (uid) => {
        if (this.#workers.get(uid) === worker) this.#workers.delete(uid);
        this.#pods.delete(uid);
        this.#finalized.add(uid);
      },
    });
    this.#workers.set(worker.uid, worker);
    worker.start();
  }

  async #killKnownPod(pod: Pod): Promise<void> {
    const { runtime } = this.#deps;
    const uid = pod.metadata?.uid ?? '';
    const selector = { labelSelector: { [LABEL_POD_UID]: uid } };
    const observed = observe(
      await runtime.listPodSandboxes(selector),
      await runtime.listContainers(selector),
    );
    const plan: PodPlan = { ...emptyPlan(), killPod: true };
    await executePlan(
      { ...this.#deps, collaborators: this.#collaborators },
      {
        pod,
        plan,
        observed,
        imagePulls: EMPTY_IMAGE_PULL_STATE,
        gracePeriodOverride: podGracePeriodSeconds(pod),
      },
    ).catch((e) => this.#onError(uid, e));
    for (const sb of observed.sandboxes)
      await runtime.removePodSandbox(sb.id).catch((e) => this.#onError(uid, e));
  }

  /** A sandbox whose pod is unknown: stop its containers with the grace they were created with, remove it. */
  async #killOrphan(uid: string, sandboxes: readonly PodSandboxStatus[]): Promise<void> {
    const { runtime } = this.#deps;
    const containers = await runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: uid } });
    await Promise.all(
      containers
        .filter((c) => c.state === 'running')
        .map((c) => {
          const grace = Number(c.annotations[ANNOTATION_TERMINATION_GRACE] ?? MINIMUM_GRACE_PERIOD_SECONDS);
          return runtime.stopContainer(c.id, Math.max(grace, MINIMUM_GRACE_PERIOD_SECONDS));
        }),
    ).catch((e) => this.#onError(uid, e));
    for (const sb of sandboxes.filter((s) => (s.labels[LABEL_POD_UID] ?? s.metadata.uid) === uid)) {
      await runtime.stopPodSandbox(sb.id).catch((e) => this.#onError(uid, e));
      await runtime.removePodSandbox(sb.id).catch((e) => this.#onError(uid, e));
    }
  }

  async #removeOrphans(): Promise<void> {
    const sandboxes = await this.#deps.runtime.listPodSandboxes();
    const orphans = new Set(
      sandboxes.map((s) => s.labels[LABEL_POD_UID] ?? s.metadata.uid).filter((uid) => !this.#pods.has(uid)),
    );
    await Promise.all([...orphans].map((uid) => this.#killOrphan(uid, sandboxes)));
    // cleanupOrphanedPodDirs: pods deleted while no kubelet ran leave their hosts file and volumes (secrets,
    // on the shared tmpfs); with their sandboxes gone, nothing uses them.
    const onDisk =
      (await this.#collaborators.volumes.podsOnDisk?.().catch((e) => this.#onError('', e))) ?? [];
    await Promise.all(onDisk.filter((uid) => !this.#pods.has(uid)).map((uid) => this.#removePodFiles(uid)));
  }

  /** A stopped pod's hosts file and volumes; a failure is reported, not thrown. */
  async #removePodFiles(uid: string): Promise<void> {
    await this.#collaborators.hosts.remove(uid).catch((e) => this.#onError(uid, e));
    await this.#collaborators.volumes.tearDownPod(uid).catch((e) => this.#onError(uid, e));
  }
}

/** Whether two versions of a pod differ in nothing but status and resourceVersion. */
function onlyStatusDiffers(a: Pod, b: Pod): boolean {
  if (a === b) return false;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (k === 'status' || k === 'metadata') continue;
    if (!jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  const am = (a.metadata ?? {}) as Record<string, unknown>;
  const bm = (b.metadata ?? {}) as Record<string, unknown>;
  for (const k of new Set([...Object.keys(am), ...Object.keys(bm)])) {
    if (k === 'resourceVersion' || k === 'managedFields') continue;
    if (!jsonEqual(am[k], bm[k])) return false;
  }
  return true;
}
