// The default scheduler's loop: pods without a node wait in a queue and are tried one at a time against the
// nodes and the pods already bound to them. A pod that fits is bound (Scheduled event); one that does not
// gets PodScheduled=False/Unschedulable and a FailedScheduling event with the reasons, and waits among the
// unschedulable pods until something that could make room happens (a bound pod goes away or finishes, a node
// changes, the pod itself changes) or 5 minutes pass (podMaxInUnschedulablePodsDuration).
import { jsonEqual } from '../../api/json-equal.js';
import type { Node, Pod, PodCondition } from '../../api/types.js';
import type { EventRecorder } from '../../kubelet/types.js';
import type { Clock } from '../../util/clock.js';
import { MinHeap } from '../../util/min-heap.js';
import type { BoundPods } from './cache.js';
import type { NodeInfo } from './filters.js';
import { type ScheduleResult, schedulePodOnNodes, skipReason } from './schedule.js';

export interface SchedulerDeps {
  clock: Clock;
  events: EventRecorder;
  listNodes(): Promise<Node[]>;
  /**
   * The pods bound to a node that are not Succeeded or Failed: a list, or the scheduler's cache's view of
   * them with their requests already summed.
   */
  listBoundPods(nodeName: string): Promise<Pod[] | BoundPods>;
  getPod(namespace: string, name: string): Promise<Pod | undefined>;
  /** pods/binding: sets spec.nodeName and PodScheduled=True. */
  bind(namespace: string, name: string, uid: string, nodeName: string): Promise<void>;
  /** After a successful bind: the pod counts on the node from now on (the cache's AssumePod). */
  bound?(pod: Pod, nodeName: string): void;
  /** Writes the pod's PodScheduled condition into its status (pods/status). */
  setScheduledCondition(pod: Pod, condition: PodCondition): Promise<void>;
  onError(pod: string, err: unknown): void;
  /** Filters outside this module that may keep the pod Pending (volume binding); false: not bound now. */
  admit?(pod: Pod): Promise<boolean>;
}

/** podMaxInUnschedulablePodsDuration. */
export const UNSCHEDULABLE_RETRY_MS = 5 * 60_000;

const GATED_MESSAGE = 'Scheduling is blocked due to non-empty scheduling gates';

function keyOf(pod: Pod): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
}

function sameExceptStatus(a: Pod, b: Pod): boolean {
  const strip = (p: Pod) => {
    const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...meta } = p.metadata ?? {};
    return { ...p, metadata: meta, status: undefined };
  };
  return jsonEqual(strip(a), strip(b));
}

function toTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export class Scheduler {
  readonly #deps: SchedulerDeps;
  /** Pods waiting for a node, by namespace/name, as last seen. */
  readonly #waiting = new Map<string, Pod>();
  readonly #active = new Set<string>();
  /**
   * The active pods in the order they are tried: created first, then by key. Entries are dropped lazily: one
   * whose key is no longer active, or whose pod was created again since, is skipped when it comes up.
   */
  readonly #order = new MinHeap<{ at: string; key: string }>(
    (a, b) => a.at < b.at || (a.at === b.at && a.key < b.key),
  );
  readonly #unschedulable = new Set<string>();
  #draining: Promise<void> | undefined;
  #stop: AbortController | undefined;
  #ticker: Promise<void> | undefined;

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
  }

  /** Starts the periodic retry of unschedulable pods. */
  start(): void {
    if (this.#stop) return;
    const stop = new AbortController();
    this.#stop = stop;
    this.#ticker = (async () => {
      for (;;) {
        try {
          await this.#deps.clock.sleep(UNSCHEDULABLE_RETRY_MS, stop.signal);
        } catch {
          return;
        }
        this.retryUnschedulable();
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stop?.abort();
    await this.#ticker;
    await this.#draining;
    this.#stop = undefined;
  }

  /** An unbound pod was added or changed: it is (re)tried. */
  podUpserted(pod: Pod): void {
    const key = keyOf(pod);
    const skip = skipReason(pod);
    if (skip && skip !== 'gated') {
      this.podRemoved(pod);
      return;
    }
    const before = this.#waiting.get(key);
    this.#waiting.set(key, pod);
    // Its own status writes (the PodScheduled condition) are no reason to try a pod again (isPodUpdated).
    if (before && this.#unschedulable.has(key) && sameExceptStatus(before, pod)) return;
    this.#unschedulable.delete(key);
    this.#activate(key);
    this.#drain();
  }

  podRemoved(pod: Pod): void {
    const key = keyOf(pod);
    this.#waiting.delete(key);
    this.#active.delete(key);
    this.#unschedulable.delete(key);
  }

  /** Something that may make room happened: every unschedulable pod is tried again. */
  retryUnschedulable(): void {
    if (this.#unschedulable.size === 0) return;
    for (const key of this.#unschedulable) this.#activate(key);
    this.#unschedulable.clear();
    this.#drain();
  }

  /** Resolves once the queue is empty (tests, and shutdown). */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = (async () => {
      try {
        for (;;) {
          const key = this.#next();
          if (!key) return;
          this.#active.delete(key);
          const pod = this.#waiting.get(key);
          if (!pod) continue;
          try {
            await this.#scheduleOne(key, pod);
          } catch (e) {
            // A failed write is tried again with the unschedulable pods.
            this.#unschedulable.add(key);
            this.#deps.onError(key, e);
          }
        }
      } finally {
        this.#draining = undefined;
      }
    })();
  }

  #activate(key: string): void {
    if (this.#active.has(key)) return;
    this.#active.add(key);
    this.#order.push({ at: this.#createdAt(key), key });
  }

  #createdAt(key: string): string {
    return this.#waiting.get(key)?.metadata?.creationTimestamp ?? '';
  }

  /** The active pod created first (the activeQ's order among pods of one priority). */
  #next(): string | undefined {
    for (;;) {
      const entry = this.#order.pop();
      if (!entry) return undefined;
      if (!this.#active.has(entry.key)) continue;
      const at = this.#createdAt(entry.key);
      if (entry.at === at) return entry.key;
      // Replaced by a pod of the same name created later: queued again in its own place.
      this.#order.push({ at, key: entry.key });
    }
  }

  async #scheduleOne(key: string, seen: Pod): Promise<void> {
    const deps = this.#deps;
    const ns = seen.metadata?.namespace ?? 'default';
    const name = seen.metadata?.name ?? '';
    const pod = await deps.getPod(ns, name);
    if (!pod || pod.metadata?.uid !== seen.metadata?.uid) {
      if (!pod) this.podRemoved(seen);
      return;
    }
    const skip = skipReason(pod);
    if (skip === 'gated') {
      await this.#setCondition(pod, 'SchedulingGated', GATED_MESSAGE);
      return;
    }
    if (skip) {
      this.podRemoved(pod);
      return;
    }
    const nodes = await deps.listNodes();
    const infos: NodeInfo[] = [];
    for (const node of nodes) {
      const bound = await deps.listBoundPods(node.metadata?.name ?? '');
      infos.push(Array.isArray(bound) ? { node, pods: bound } : { node, ...bound });
    }
    const result: ScheduleResult = schedulePodOnNodes(pod, infos);
    const ref = { apiVersion: 'v1', kind: 'Pod', namespace: ns, name, uid: pod.metadata?.uid };
    if (result.fits) {
      if (deps.admit && !(await deps.admit(pod))) return;
      await deps.bind(ns, name, pod.metadata?.uid ?? '', result.nodeName);
      deps.bound?.(pod, result.nodeName);
      this.podRemoved(pod);
      deps.events.event(
        ref,
        'Normal',
        'Scheduled',
        `Successfully assigned ${ns}/${name} to ${result.nodeName}`,
      );
      return;
    }
    this.#unschedulable.add(key);
    await this.#setCondition(pod, 'Unschedulable', result.message);
    deps.events.event(ref, 'Warning', 'FailedScheduling', result.message);
  }

  /** PodScheduled=False with `reason`; written only when it differs from the pod's current condition. */
  async #setCondition(pod: Pod, reason: string, message: string): Promise<void> {
    const current = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
    if (current && current.status === 'False' && current.reason === reason && current.message === message)
      return;
    const transition =
      current?.status === 'False' && current.lastTransitionTime
        ? current.lastTransitionTime
        : toTime(this.#deps.clock.now());
    await this.#deps.setScheduledCondition(pod, {
      type: 'PodScheduled',
      status: 'False',
      // The API server stores an unset lastProbeTime as null, as the binding does.
      lastProbeTime: null as unknown as string,
      lastTransitionTime: transition,
      reason,
      message,
    });
  }
}
