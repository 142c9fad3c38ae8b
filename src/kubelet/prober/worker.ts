// One probe worker per (pod, container, probe kind), as pkg/kubelet/prober/worker.go: it follows the
// container's current instance, probes it every periodSeconds, applies the thresholds, and records results
// keyed by the instance's container id.
import type { Container, Pod } from '../../api/types.js';
import type { RuntimeService } from '../../runtime/types.js';
import type { Clock } from '../../util/clock.js';
import { type ProbeOutcome, runProbeHandler } from '../handlers.js';
import { containerRef } from '../pod-util.js';
import type { EventRecorder, ProbeKind, ProbeResult } from '../types.js';
import { INITIAL_RESULT, type ProbeTiming, probeKindTitle, probeOf, probeTiming } from './spec.js';

/** What the kubelet last told the prober about one container of a pod. */
export interface ContainerInstance {
  name: string;
  /** The instance's container id (the same spelling is used for `get`). */
  containerId: string;
  kind: 'init' | 'sidecar' | 'app' | 'ephemeral';
  running: boolean;
  /** ms since epoch; 0 if the instance never started. */
  startedAt: number;
}

export interface PodView {
  pod: Pod;
  podIP: string;
  instances: Map<string, ContainerInstance>;
}

/** The manager as a worker sees it. */
export interface WorkerHost {
  readonly clock: Clock;
  readonly runtime: RuntimeService;
  readonly events: EventRecorder;
  view(podUid: string): PodView | undefined;
  hasWorker(podUid: string, container: string, kind: ProbeKind): boolean;
  result(containerId: string, kind: ProbeKind): ProbeResult | undefined;
  setResult(podUid: string, containerId: string, kind: ProbeKind, result: ProbeResult): void;
  removeResult(podUid: string, containerId: string, kind: ProbeKind): void;
  /** The kubelet probes readiness right away once a container counts as started (UpdatePodStatus). */
  triggerReadiness(podUid: string, container: string): void;
  workerExited(worker: ProbeWorker): void;
}

/** prober.go maxProbeRetries: a probe that errors (cannot run) is retried this many times per tick. */
const MAX_PROBE_RETRIES = 3;

type Step = { keepGoing: false } | { keepGoing: true; wakeAt?: number };

export class ProbeWorker {
  readonly podUid: string;
  readonly container: Container;
  readonly kind: ProbeKind;
  readonly timing: ProbeTiming;
  readonly #host: WorkerHost;
  readonly #isSidecar: boolean;
  #containerId = '';
  #lastResult: ProbeResult | undefined;
  #resultRun = 0;
  #onHold = false;
  #stopped = false;
  #wake: AbortController | undefined;
  /** A trigger that arrived while probing: the next probe runs without waiting. */
  #triggered = false;
  #probeAbort = new AbortController();
  /** Set when the loop has exited; the manager keeps finished workers so they are not recreated. */
  finished = false;
  #done: Promise<void> = Promise.resolve();

  constructor(host: WorkerHost, podUid: string, container: Container, kind: ProbeKind, isSidecar: boolean) {
    this.#host = host;
    this.podUid = podUid;
    this.container = container;
    this.kind = kind;
    this.#isSidecar = isSidecar;
    this.timing = probeTiming(probeOf(container, kind)!);
  }

  /** Starts the loop; the manager calls it once the worker is registered (the startup gate looks it up). */
  start(): void {
    this.#done = this.#run();
  }

  /** Resolves when the loop has exited. */
  get done(): Promise<void> {
    return this.#done;
  }

  /**
   * Takes note of the container's current instance. A new instance starts fresh: the kind's initial value is
   * recorded at once (so the planner sees it right after updatePod), no run of results, probing resumes.
   */
  adopt(inst: ContainerInstance | undefined): void {
    if (!inst?.containerId || inst.containerId === this.#containerId || this.finished) return;
    if (this.#containerId) this.#host.removeResult(this.podUid, this.#containerId, this.kind);
    this.#containerId = inst.containerId;
    this.#lastResult = undefined;
    this.#resultRun = 0;
    this.#onHold = false;
    this.#host.setResult(this.podUid, this.#containerId, this.kind, INITIAL_RESULT[this.kind]);
  }

  /** Stops the loop; idempotent. The worker removes its results as it exits, like upstream. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#probeAbort.abort();
    this.#wake?.abort();
  }

  /** Runs the next probe now instead of at the next period (manualTriggerCh). */
  trigger(): void {
    this.#triggered = true;
    this.#wake?.abort();
  }

  async #run(): Promise<void> {
    const clock = this.#host.clock;
    const periodMs = this.timing.periodSeconds * 1000;
    try {
      while (!this.#stopped) {
        const tickStart = clock.now();
        this.#triggered = false;
        let step: Step;
        try {
          step = await this.#doProbe();
        } catch {
          // Like doProbe's recover(): a panic in one probe (e.g. an event sink that throws) keeps the worker.
          step = { keepGoing: true };
        }
        if (!step.keepGoing || this.#stopped) break;
        let next = tickStart + periodMs;
        if (step.wakeAt !== undefined) next = Math.min(next, step.wakeAt);
        if (this.#triggered) continue;
        const wake = new AbortController();
        this.#wake = wake;
        try {
          await clock.sleep(Math.max(0, next - clock.now()), wake.signal);
        } catch {
          // Woken early by trigger() or stop().
        } finally {
          this.#wake = undefined;
        }
      }
    } finally {
      this.finished = true;
      if (this.#containerId) this.#host.removeResult(this.podUid, this.#containerId, this.kind);
      this.#host.workerExited(this);
    }
  }

  async #doProbe(): Promise<Step> {
    const host = this.#host;
    const view = host.view(this.podUid);
    if (!view) return { keepGoing: true };
    const pod = view.pod;
    const phase = pod.status?.phase;
    // Worker should terminate if the pod is terminated.
    if (phase === 'Succeeded' || phase === 'Failed') return { keepGoing: false };

    const inst = view.instances.get(this.container.name);
    // Not created yet, or removed: wait for more information.
    if (!inst?.containerId) return { keepGoing: true };

    this.adopt(inst);
    if (this.#onHold) return { keepGoing: true };

    if (!inst.running) {
      host.setResult(this.podUid, this.#containerId, this.kind, 'failure');
      // Abort if the container will not be restarted (sidecars restart under every policy).
      const terminated = inst.startedAt > 0;
      const restarts = this.#isSidecar || pod.spec?.restartPolicy !== 'Never';
      return { keepGoing: !terminated || restarts };
    }

    // Graceful shutdown: liveness and startup go quiet; readiness keeps running during termination.
    if (pod.metadata?.deletionTimestamp && (this.kind === 'liveness' || this.kind === 'startup')) {
      host.setResult(this.podUid, this.#containerId, this.kind, 'success');
      return { keepGoing: false };
    }

    // Probes are disabled for initialDelaySeconds (whole seconds since the instance started, as upstream).
    const now = host.clock.now();
    const delayMs = this.timing.initialDelaySeconds * 1000;
    if (Math.floor((now - inst.startedAt) / 1000) < this.timing.initialDelaySeconds) {
      return { keepGoing: true, wakeAt: inst.startedAt + delayMs };
    }

    const started = host.hasWorker(this.podUid, this.container.name, 'startup')
      ? host.result(this.#containerId, 'startup') === 'success'
      : true;
    if (started) {
      // The startup worker idles once the container has started (kept for the next instance).
      if (this.kind === 'startup') return { keepGoing: true };
    } else if (this.kind !== 'startup') {
      // Other probes wait until the container has started.
      return { keepGoing: true };
    }

    const containerId = this.#containerId;
    const outcome = await this.#probeWithRetries(view, inst);
    if (this.#stopped || containerId !== this.#containerId) return { keepGoing: true };
    const ref = containerRef(pod, this.container.name);
    const title = probeKindTitle(this.kind);
    if (outcome.result === 'unknown') {
      // Prober error: reported, and the result is thrown away.
      host.events.event(
        ref,
        'Warning',
        'Unhealthy',
        `${title} probe errored and resulted in unknown state: ${outcome.error ?? ''}`,
      );
      return { keepGoing: true };
    }
    let result: ProbeResult;
    if (outcome.result === 'failure') {
      host.events.event(ref, 'Warning', 'Unhealthy', `${title} probe failed: ${outcome.output}`);
      result = 'failure';
    } else {
      if (outcome.result === 'warning') {
        host.events.event(ref, 'Warning', 'ProbeWarning', `${title} probe warning: ${outcome.output}`);
      }
      result = 'success';
    }

    if (this.#lastResult === result) {
      this.#resultRun++;
    } else {
      this.#lastResult = result;
      this.#resultRun = 1;
    }
    if (
      (result === 'failure' && this.#resultRun < this.timing.failureThreshold) ||
      (result === 'success' && this.#resultRun < this.timing.successThreshold)
    ) {
      // Below threshold: leave the recorded result unchanged.
      return { keepGoing: true };
    }

    host.setResult(this.podUid, containerId, this.kind, result);
    if (this.kind === 'startup' && result === 'success')
      host.triggerReadiness(this.podUid, this.container.name);
    if ((this.kind === 'liveness' || this.kind === 'startup') && result === 'failure') {
      // The container will be restarted: stop probing until a new instance appears.
      this.#onHold = true;
      this.#resultRun = 0;
    }
    return { keepGoing: true };
  }

  async #probeWithRetries(view: PodView, inst: ContainerInstance): Promise<ProbeOutcome> {
    const probe = probeOf(this.container, this.kind)!;
    let outcome: ProbeOutcome = { result: 'unknown', output: '' };
    for (let i = 0; i < MAX_PROBE_RETRIES && !this.#stopped; i++) {
      outcome = await runProbeHandler(probe, {
        runtime: this.#host.runtime,
        containerId: inst.containerId,
        podIP: view.podIP,
        timeoutSeconds: this.timing.timeoutSeconds,
        clock: this.#host.clock,
        signal: this.#probeAbort.signal,
        container: this.container,
        pod: view.pod,
        purpose: 'probe',
      });
      if (outcome.result !== 'unknown') break;
    }
    return outcome;
  }
}
