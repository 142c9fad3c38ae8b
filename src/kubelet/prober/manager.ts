// pkg/kubelet/prober/prober_manager.go: one worker per (pod, container, probe kind), created from the pod spec
// and fed the kubelet's latest view of the container instances. Results are read by the planner through
// ProbeResults; every change calls onChange(podUid) so the pod worker re-plans.
import type { Container, Pod } from '../../api/types.js';
import type { RuntimeService } from '../../runtime/types.js';
import type { Clock } from '../../util/clock.js';
import type { EventRecorder, ProbeKind, ProbeResult, ProbeResults } from '../types.js';
import { ProbeResultStore } from './results.js';
import { probeOf } from './spec.js';
import { type ContainerInstance, type PodView, ProbeWorker, type WorkerHost } from './worker.js';

export type { ContainerInstance } from './worker.js';

export interface ProberManagerDeps {
  runtime: RuntimeService;
  clock: Clock;
  events: EventRecorder;
  /** Called when any probe result of the pod changed (including a new instance's initial value). */
  onChange: (podUid: string) => void;
}

const KINDS: readonly ProbeKind[] = ['startup', 'readiness', 'liveness'];

function key(podUid: string, container: string, kind: ProbeKind): string {
  return `${podUid}/${container}/${kind}`;
}

export class ProberManager implements ProbeResults {
  readonly #results = new ProbeResultStore();
  readonly #workers = new Map<string, ProbeWorker>();
  readonly #views = new Map<string, PodView>();
  readonly #host: WorkerHost;
  #stopped = false;
  readonly #onChange: (podUid: string) => void;
  /** Pods with a change not yet reported; reported once per pod from a microtask, never inside updatePod. */
  readonly #dirty = new Set<string>();

  constructor(deps: ProberManagerDeps) {
    this.#onChange = deps.onChange;
    this.#host = {
      clock: deps.clock,
      runtime: deps.runtime,
      events: deps.events,
      view: (uid) => this.#views.get(uid),
      hasWorker: (uid, name, kind) => this.#workers.has(key(uid, name, kind)),
      result: (cid, kind) => this.#results.get(cid, kind),
      setResult: (uid, cid, kind, result) => {
        if (this.#results.set(cid, kind, result)) this.#notify(uid);
      },
      removeResult: (uid, cid, kind) => {
        if (this.#results.remove(cid, kind)) this.#notify(uid);
      },
      triggerReadiness: (uid, name) => this.#workers.get(key(uid, name, 'readiness'))?.trigger(),
      workerExited: () => {},
    };
  }

  /**
   * Tells the prober the pod's spec and its containers' current instances. Creates the workers the spec asks
   * for (app containers and sidecars; regular init containers cannot have probes) and wakes those whose
   * container has a new instance, so its initial result is visible without waiting a period.
   */
  updatePod(pod: Pod, containers: readonly ContainerInstance[], podIP: string): void {
    if (this.#stopped) return;
    const uid = pod.metadata?.uid ?? '';
    const prev = this.#views.get(uid);
    const instances = new Map(containers.map((c) => [c.name, { ...c }]));
    this.#views.set(uid, { pod, podIP, instances });

    const specs: { c: Container; sidecar: boolean }[] = [
      ...(pod.spec?.initContainers ?? [])
        .filter((c) => c.restartPolicy === 'Always')
        .map((c) => ({ c, sidecar: true })),
      ...(pod.spec?.containers ?? []).map((c) => ({ c, sidecar: false })),
    ];
    const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    for (const { c, sidecar } of specs) {
      for (const kind of KINDS) {
        if (!probeOf(c, kind)) continue;
        const k = key(uid, c.name, kind);
        const existing = this.#workers.get(k);
        if (!existing) {
          // A pod that already ended gets no new workers; finished workers stay so they are not recreated.
          if (terminal) continue;
          const w = new ProbeWorker(this.#host, uid, c, kind, sidecar);
          this.#workers.set(k, w);
          w.adopt(instances.get(c.name));
          w.start();
          continue;
        }
        if (existing.finished) continue;
        existing.adopt(instances.get(c.name));
        const before = prev?.instances.get(c.name);
        const now = instances.get(c.name);
        const changed =
          now !== undefined &&
          (before?.containerId !== now.containerId ||
            before.running !== now.running ||
            before.startedAt !== now.startedAt);
        const deleting = !!pod.metadata?.deletionTimestamp && !prev?.pod.metadata?.deletionTimestamp;
        if (changed || deleting || terminal) existing.trigger();
      }
    }
  }

  #notify(uid: string): void {
    if (this.#stopped) return;
    if (this.#dirty.size === 0) {
      queueMicrotask(() => {
        const uids = [...this.#dirty];
        this.#dirty.clear();
        if (this.#stopped) return;
        for (const u of uids) this.#onChange(u);
      });
    }
    this.#dirty.add(uid);
  }

  /** Stops the pod's workers (their results go with them) and forgets the pod. */
  removePod(uid: string): void {
    for (const [k, w] of this.#workers) {
      if (w.podUid === uid) {
        w.stop();
        this.#workers.delete(k);
      }
    }
    this.#views.delete(uid);
  }

  get(containerId: string, kind: ProbeKind): ProbeResult | undefined {
    return this.#results.get(containerId, kind);
  }

  /** Number of live workers (finished ones excluded); for tests and diagnostics. */
  get workerCount(): number {
    let n = 0;
    for (const w of this.#workers.values()) if (!w.finished) n++;
    return n;
  }

  /** Stops every worker and resolves once their loops have exited. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const all = [...this.#workers.values()];
    for (const w of all) w.stop();
    this.#workers.clear();
    this.#views.clear();
    await Promise.all(all.map((w) => w.done));
  }
}
