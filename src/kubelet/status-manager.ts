// The kubelet's status manager (pkg/kubelet/status/status_manager.go): a pod worker hands it the pod's newest
// status and goes on with its sync; the manager writes statuses to the API, one write per pod at a time. A
// status set while that pod's write is in flight waits, and a newer one replaces it, so only the newest goes
// out (upstream's syncBatch writes the cached status, not every status that was set). Under load this is what
// keeps a pod whose init containers end in quick succession from costing a write for each of them.
import type { Pod, PodStatus } from '../api/types.js';
import type { Clock } from '../util/clock.js';
import type { PodStatusWriter } from './types.js';

export interface StatusManagerOptions {
  clock: Clock;
  /** A failed write is tried again after this long, unless a newer status replaced it meanwhile. */
  retryMs: number;
  /** Reports a failed write (the manager keeps trying). */
  onError: (podUid: string, error: unknown) => void;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface PodStatuses {
  /** The newest status not yet written, with the pod it belongs to. */
  pending: { pod: Pod; status: PodStatus } | undefined;
  /** Whether a write (or the wait before retrying one) is under way. */
  writing: Promise<void> | undefined;
  waiters: Waiter[];
}

export class StatusManager {
  readonly #writer: PodStatusWriter;
  readonly #o: StatusManagerOptions;
  readonly #pods = new Map<string, PodStatuses>();
  #stop = new AbortController();

  constructor(writer: PodStatusWriter, options: StatusManagerOptions) {
    this.#writer = writer;
    this.#o = options;
  }

  /** SetPodStatus: the pod's newest status, written as soon as the pod has no write in flight. */
  set(pod: Pod, status: PodStatus): void {
    const uid = pod.metadata?.uid ?? '';
    let entry = this.#pods.get(uid);
    if (!entry) {
      entry = { pending: undefined, writing: undefined, waiters: [] };
      this.#pods.set(uid, entry);
    }
    entry.pending = { pod, status };
    if (!entry.writing && !this.#stop.signal.aborted) entry.writing = this.#drain(uid, entry);
  }

  /**
   * Resolves once every status set for the pod so far is written; rejects with the error of a write that
   * failed meanwhile (the manager still retries it).
   */
  flush(podUid: string): Promise<void> {
    const entry = this.#pods.get(podUid);
    if (!entry?.writing) return Promise.resolve();
    return new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
  }

  /** The pod is gone: a status still waiting is dropped (a write in flight finishes on its own). */
  forget(podUid: string): void {
    const entry = this.#pods.get(podUid);
    if (entry) entry.pending = undefined;
  }

  /**
   * Drops every status still waiting and waits for the writes in flight, so that nothing writes after the
   * kubelet stopped. A kubelet that starts again writes what it observes then.
   */
  async stop(): Promise<void> {
    this.#stop.abort();
    const writing: Promise<void>[] = [];
    for (const entry of this.#pods.values()) {
      entry.pending = undefined;
      if (entry.writing) writing.push(entry.writing);
    }
    await Promise.all(writing);
    this.#stop = new AbortController();
  }

  async #drain(uid: string, entry: PodStatuses): Promise<void> {
    while (entry.pending && !this.#stop.signal.aborted) {
      const next = entry.pending;
      entry.pending = undefined;
      try {
        await this.#writer.updateStatus(next.pod, next.status);
      } catch (error) {
        this.#o.onError(uid, error);
        for (const w of entry.waiters.splice(0)) w.reject(error);
        entry.pending ??= next;
        await this.#o.clock.sleep(this.#o.retryMs, this.#stop.signal).catch(() => {});
      }
    }
    entry.writing = undefined;
    for (const w of entry.waiters.splice(0)) w.resolve();
    if (!entry.pending && this.#pods.get(uid) === entry) this.#pods.delete(uid);
  }
}
