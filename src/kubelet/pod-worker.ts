// One worker per pod UID (pkg/kubelet/pod_workers.go): syncs never overlap for a pod. Each sync observes the
// runtime, plans, executes, generates the status and hands it to the status manager when it changed (which
// writes it without holding the sync: status-manager.ts), then sleeps until the plan's
// wake time, a runtime event, a probe change, a pod update or the resync interval.
import { rm } from 'node:fs/promises';
import { jsonEqual } from '../api/json-equal.js';
import type { Pod, PodStatus } from '../api/types.js';
import { LABEL_POD_UID } from '../runtime/types.js';
import type { BackoffState } from './backoff.js';
import type { Collaborators, ContainerInstance } from './collaborators.js';
import { type ExecutorDeps, executePlan } from './executor.js';
import { EMPTY_IMAGE_PULL_STATE, type ImagePullState } from './image-plan.js';
import { observeImages } from './image-puller.js';
import { killPod } from './kill.js';
import { podLogDirectory } from './logs/paths.js';
import { type PodFailure, planPod } from './planner.js';
import { findContainer, formatPod, isTerminalPhase, podGracePeriodSeconds } from './pod-util.js';
import { type FailureReason, updateReasonCache } from './reason-cache.js';
import { containerName, type ObservedPod, observe } from './runtime-view.js';
import { generatePodStatus } from './status.js';
import type { StatusManager } from './status-manager.js';
import type { KubeletDeps } from './types.js';

/** A failed sync is retried after this long (the pod worker's backOffPeriod), unless the plan wakes earlier. */
export const SYNC_ERROR_RETRY_MS = 10_000;

/**
 * Crash-loop waits carry their own wake time (the plan's, like newer kubelets that requeue at the backoff's
 * end). Every other failure, image pulls included, is retried after the sync error period, so an image in
 * backoff shows ImagePullBackOff between pulls, as with the kubelet.
 */
const TIMED_FAILURES = new Set(['CrashLoopBackOff']);

/**
 * The reason a worker's sleep is cut short. One shared value: `abort()` without a reason builds a DOMException
 * with a stack trace each time, and workers are woken many times per sync (every runtime event, every update).
 */
const WOKEN = Object.freeze({ name: 'AbortError', message: 'pod worker woken' });

export interface PodWorkerOptions {
  deps: KubeletDeps;
  collaborators: Collaborators;
  /** Writes the statuses this worker generates (shared by the kubelet's workers). */
  statuses: StatusManager;
  /** Called once the worker has finished for good (the pod was deleted and cleaned up). */
  onFinished: (uid: string) => void;
  /** Reports errors the loop survives (a failed status write, a runtime error). */
  onError: (uid: string, error: unknown) => void;
  syncErrorRetryMs: number;
}

export class PodWorker {
  readonly uid: string;
  readonly #o: PodWorkerOptions;
  #pod: Pod;
  /** The status this worker last generated and handed to the status manager (or the API's, until then). */
  #status: PodStatus | undefined;
  #backoff: BackoffState = {};
  #imagePulls: ImagePullState = EMPTY_IMAGE_PULL_STATE;
  #reasons = new Map<string, FailureReason>();
  #podFailed: PodFailure | null = null;
  #volumesTornDown = false;
  #removed = false;
  #stopped = false;
  #finished = false;
  #dirty = false;
  #wake = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(pod: Pod, options: PodWorkerOptions) {
    this.uid = pod.metadata?.uid ?? '';
    this.#pod = pod;
    this.#status = pod.status;
    this.#o = options;
  }

  get pod(): Pod {
    return this.#pod;
  }

  /** The status last generated (its write to the API may still be under way). */
  get status(): PodStatus | undefined {
    return this.#status;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** A new version of the pod from the API. */
  update(pod: Pod): void {
    this.#pod = pod;
    this.signal();
  }

  /**
   * A new version of the pod that changes nothing a sync reads (only its status, which the worker keeps
   * itself once it has written one): kept for the next sync without waking the worker.
   */
  replacePod(pod: Pod): void {
    this.#pod = pod;
  }

  /** Something changed (runtime event, probe result): sync again now. */
  signal(): void {
    this.#dirty = true;
    this.#wake.abort(WOKEN);
  }

  /** The API object is gone: kill what runs, remove the sandboxes, and finish. */
  remove(): void {
    this.#removed = true;
    this.signal();
  }

  /** Stops the loop without touching containers. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake.abort(WOKEN);
    await this.#loop;
  }

  /** Whether the last sync left the worker done (deleted and cleaned up). */
  get finished(): boolean {
    return this.#finished;
  }

  async #run(): Promise<void> {
    const { clock, config } = this.#o.deps;
    while (!this.#stopped && !this.#finished) {
      this.#dirty = false;
      // A new controller only after a wake-up used the last one: most syncs end in a sleep that times out.
      if (this.#wake.signal.aborted) this.#wake = new AbortController();
      let wakeAt: number | null;
      try {
        wakeAt = await this.#sync();
      } catch (e) {
        this.#o.onError(this.uid, e);
        wakeAt = clock.now() + this.#o.syncErrorRetryMs;
      }
      if (this.#stopped || this.#finished) break;
      if (this.#dirty) continue;
      const now = clock.now();
      const until = Math.min(wakeAt ?? Number.POSITIVE_INFINITY, now + config.resyncIntervalMs);
      await clock.sleep(Math.max(0, until - now), this.#wake.signal).catch(() => {});
    }
    if (this.#finished) this.#o.onFinished(this.uid);
  }

  async #observe(): Promise<ObservedPod> {
    const { runtime } = this.#o.deps;
    const selector = { labelSelector: { [LABEL_POD_UID]: this.uid } };
    const [sandboxes, containers] = await Promise.all([
      runtime.listPodSandboxes(selector),
      runtime.listContainers(selector),
    ]);
    return observe(sandboxes, containers);
  }

  #executorDeps(): ExecutorDeps {
    const { runtime, clock, events, objects, config } = this.#o.deps;
    return { runtime, clock, events, objects, config, collaborators: this.#o.collaborators };
  }

  /** One sync; returns when to sync again (null: only on a signal or the resync). */
  async #sync(): Promise<number | null> {
    const { deps, collaborators } = this.#o;
    const { clock } = deps;
    if (this.#removed) {
      this.#o.statuses.forget(this.uid);
      await this.#cleanUp(await this.#observe(), true);
      this.#finished = true;
      await this.#removeLogs();
      return null;
    }
    const pod: Pod = { ...this.#pod, status: this.#status ?? this.#pod.status };
    const [observed, images] = await Promise.all([
      this.#observe(),
      observeImages(deps.runtime, pod, deps.config.images ?? 'pull'),
    ]);
    const plan = planPod({
      pod,
      sandboxes: observed.sandboxes,
      containers: observed.containers,
      probes: collaborators.prober,
      backoff: this.#backoff,
      images,
      imagePulls: this.#imagePulls,
      now: clock.now(),
      config: deps.config,
    });
    this.#backoff = { ...this.#backoff, ...plan.backoffUpdates };
    this.#podFailed ??= plan.podFailed;
    // Stopping containers can take the whole grace period. The kubelet writes the status it observed before
    // SyncPod acts, so what ended (a Job's app container, say) is visible while the rest is being stopped.
    const stopsRunning = plan.killPod && observed.containers.some((c) => c.state === 'running');
    if (stopsRunning || plan.containersToKill.length > 0) {
      this.#writeStatus(this.#generateStatus(pod, observed, false));
    }
    const outcome = await executePlan(this.#executorDeps(), {
      pod,
      plan,
      observed,
      imagePulls: this.#imagePulls,
    });
    this.#imagePulls = outcome.imagePulls;
    this.#reasons = updateReasonCache(this.#reasons, outcome.results);

    const after = await this.#observe();
    const podIP = after.sandboxes.find((s) => s.state === 'ready')?.ip || deps.config.hostIP;
    collaborators.prober.updatePod(pod, instances(pod, after), podIP);
    const nothingRunning = !after.containers.some((c) => c.state === 'running');
    const deleting = Boolean(pod.metadata?.deletionTimestamp);
    const status = this.#generateStatus(pod, after, deleting && nothingRunning);
    this.#writeStatus(status);

    if (deleting && nothingRunning) {
      // podResourcesAreReclaimed: the API object goes only once nothing of the pod is left on the node, so
      // that whoever waits for it to be gone (kubectl delete --wait, a StatefulSet's next pod) finds the
      // node clean. A failed teardown is retried with the sync, and the pod stays Terminating meanwhile.
      await this.#cleanUp(after, false);
      // The terminal status is in the API before the object goes (the status manager's canBeDeleted).
      await this.#o.statuses.flush(this.uid);
      await deps.status.finalizeDeletion(this.#pod);
      this.#finished = true;
      await this.#removeLogs();
      return null;
    }
    // SyncTerminatedPod: a pod that ended keeps its containers (for logs and status) but not its volumes.
    if (isTerminalPhase(status.phase) && nothingRunning && !this.#volumesTornDown) {
      this.#volumesTornDown = true;
      await collaborators.volumes.tearDownPod(this.uid).catch((e) => this.#o.onError(this.uid, e));
    }
    const failedSync = outcome.results.some((r) => r.error && !TIMED_FAILURES.has(r.error));
    const times = [plan.wakeAt, failedSync ? clock.now() + this.#o.syncErrorRetryMs : null];
    const defined = times.filter((t): t is number => typeof t === 'number' && Number.isFinite(t));
    return defined.length ? Math.min(...defined) : null;
  }

  #generateStatus(pod: Pod, observed: ObservedPod, podIsTerminal: boolean): PodStatus {
    const { deps, collaborators } = this.#o;
    return generatePodStatus({
      pod,
      sandboxes: observed.sandboxes,
      containers: observed.containers,
      probes: collaborators.prober,
      reasonCache: this.#reasons,
      runtimeName: deps.runtime.name,
      hostIP: deps.config.hostIP,
      now: deps.clock.now(),
      podIsTerminal,
      podFailed: this.#podFailed,
    });
  }

  /** SetPodStatus: a status that changed goes to the status manager, which writes it without holding the sync. */
  #writeStatus(status: PodStatus): void {
    if (jsonEqual(status, this.#status)) return;
    this.#status = status;
    this.#o.statuses.set(this.#pod, status);
  }

  /**
   * Kills what still runs (with the pod's grace), stops the sandboxes, tears the volumes down, then removes
   * the sandboxes. Volumes go after the sandboxes stop (nothing of the pod uses them then) and are unmounted
   * before their directories are removed; a failure throws, so that the sync retries it rather than leave a
   * mount behind.
   */
  async #cleanUp(observed: ObservedPod, kill: boolean): Promise<void> {
    const { deps, collaborators } = this.#o;
    if (kill && observed.containers.some((c) => c.state === 'running')) {
      await killPod(this.#executorDeps(), this.#pod, observed, podGracePeriodSeconds(this.#pod));
    }
    for (const sb of observed.sandboxes) await deps.runtime.stopPodSandbox(sb.id);
    collaborators.prober.removePod(this.uid);
    // The hosts file first: the volume manager removes the pod's directory only once nothing else is in it.
    await collaborators.hosts.remove(this.uid);
    await collaborators.volumes.tearDownPod(this.uid);
    for (const sb of observed.sandboxes) await deps.runtime.removePodSandbox(sb.id);
  }

  /**
   * The pod is gone from the API: its log directory goes too, as the kubelet's container GC removes a
   * deleted pod's (evictPodLogsDirectories), after the API object. A failure is reported, not retried: the
   * worker is done.
   */
  async #removeLogs(): Promise<void> {
    await rm(podLogDirectory(this.#o.deps.config.rootDir, this.#pod), { recursive: true, force: true }).catch(
      (e) => this.#o.onError(this.uid, e),
    );
  }

  toString(): string {
    return `pod worker ${formatPod(this.#pod)}`;
  }
}

/** The newest instance of each container, as the prober tracks them. */
function instances(pod: Pod, observed: ObservedPod): ContainerInstance[] {
  const seen = new Set<string>();
  const out: ContainerInstance[] = [];
  for (const c of observed.containers) {
    const name = containerName(c);
    if (seen.has(name)) continue;
    seen.add(name);
    const kind = findContainer(pod, name)?.kind ?? 'app';
    out.push({ name, containerId: c.id, kind, running: c.state === 'running', startedAt: c.startedAt });
  }
  return out;
}
