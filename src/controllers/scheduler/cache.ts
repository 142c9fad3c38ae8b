// The scheduler's cache (pkg/scheduler/backend/cache): the non-terminated pods bound to each node, with what
// they request summed as pods come and go, kept from watch events. Without it every attempt listed (and
// copied) every bound pod and summed their requests again: with 1,000 pods created at once that was the
// largest share of podrun's CPU, growing with the square of the pod count.
import type { Pod } from '../../api/types.js';
import { addAmounts, emptyAmounts, podRequests, type ResourceAmounts, subtractAmounts } from './requests.js';

/** A node's bound pods as the cache holds them: the pods, and their requests summed (NodeInfo.Requested). */
export interface BoundPods {
  pods: Pod[];
  requested: ResourceAmounts;
}

interface NodeEntry {
  pods: Map<string, { pod: Pod; requests: ResourceAmounts }>;
  requested: ResourceAmounts;
  /** The pods as an array, rebuilt only after a change. */
  list: Pod[] | undefined;
}

/** How many removed pods' uids are remembered, so that a late `assume` cannot bring one back. */
const REMOVED_KEPT = 4096;

function terminated(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export class BoundPodCache {
  readonly #nodes = new Map<string, NodeEntry>();
  /** Pod uid → the node the cache holds it on. */
  readonly #nodeOf = new Map<string, string>();
  /** Uids of pods removed lately (deleted or terminated), oldest first. */
  readonly #removed = new Set<string>();

  /** A pod from the watch of bound pods (ADDED or MODIFIED). Terminated pods leave the cache. */
  upsert(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const nodeName = pod.spec?.nodeName ?? '';
    if (terminated(pod) || nodeName === '') {
      this.remove(pod);
      return;
    }
    this.#removed.delete(uid);
    const before = this.#nodeOf.get(uid);
    if (before !== undefined && before !== nodeName) this.#drop(uid, before);
    const entry = this.#entry(nodeName);
    const old = entry.pods.get(uid);
    // Requests are immutable in a bound pod but for in-place resizes; the sum follows whatever the pod says.
    const requests = podRequests(pod);
    if (old) entry.requested = subtractAmounts(entry.requested, old.requests);
    entry.requested = addAmounts(entry.requested, requests);
    entry.pods.set(uid, { pod, requests });
    entry.list = undefined;
    this.#nodeOf.set(uid, nodeName);
  }

  /** A pod deleted (or no longer bound, or terminated). */
  remove(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const nodeName = this.#nodeOf.get(uid);
    if (nodeName !== undefined) this.#drop(uid, nodeName);
    this.#removed.add(uid);
    if (this.#removed.size > REMOVED_KEPT) {
      const oldest = this.#removed.values().next().value;
      if (oldest !== undefined) this.#removed.delete(oldest);
    }
  }

  /**
   * A pod this scheduler just bound (AssumePod): counted at once, so that the next attempt sees it even before
   * the watch delivers the binding. A pod the cache already holds, or has seen go, is left as the watch says.
   */
  assume(pod: Pod, nodeName: string): void {
    const uid = pod.metadata?.uid ?? '';
    if (this.#nodeOf.has(uid) || this.#removed.has(uid)) return;
    this.upsert({ ...pod, spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName } });
  }

  /** The node's bound pods and their summed requests. */
  boundPods(nodeName: string): BoundPods {
    const entry = this.#nodes.get(nodeName);
    if (!entry) return { pods: [], requested: emptyAmounts() };
    entry.list ??= [...entry.pods.values()].map((p) => p.pod);
    return { pods: entry.list, requested: entry.requested };
  }

  #entry(nodeName: string): NodeEntry {
    let entry = this.#nodes.get(nodeName);
    if (!entry) {
      entry = { pods: new Map(), requested: emptyAmounts(), list: undefined };
      this.#nodes.set(nodeName, entry);
    }
    return entry;
  }

  #drop(uid: string, nodeName: string): void {
    this.#nodeOf.delete(uid);
    const entry = this.#nodes.get(nodeName);
    const held = entry?.pods.get(uid);
    if (!entry || !held) return;
    entry.pods.delete(uid);
    entry.requested = subtractAmounts(entry.requested, held.requests);
    entry.list = undefined;
    if (entry.pods.size === 0) this.#nodes.delete(nodeName);
  }
}
