// The kubelet's status manager (pkg/kubelet/status/status_manager.go): a pod worker hands it the pod's newest
// status and goes on with its sync; the manager writes statuses to the API, one write per pod at a time. A
// status set while that pod's write is in flight waits, and a newer one replaces it, so only the newest goes
// out (upstream's syncBatch writes the cached status, not every status that was set). Under load this is what
// keeps a pod whose init containers end in quick succession from costing a write for each of them.
import type { Pod, PodStatus } from '../api/types.js';
import { type IllegalTransition, illegalStateTransitions } from '../api/validation/pod-status.js';
import type { Clock } from '../util/clock.js';
import type { PodStatusWriter } from './types.js';

export interface StatusManagerOptions {
  clock: Clock;
  /** A failed write is tried again after this long, or at once when a newer status is set meanwhile. */
  retryMs: number;
  /** Reports a failed write (the manager keeps trying). */
  onError: (podUid: string, error: unknown) => void;
}

/** Why flush() failed: the manager stopped with the pod's newest status unwritten. */
export class StatusManagerStoppedError extends Error {
  constructor(podUid: string) {
    super(`pod ${podUid}: the kubelet stopped before the pod's status was written`);
    this.name = 'StatusManagerStoppedError';
  }
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface PodStatuses {
  /** The newest status not yet written, with the pod it belongs to. */
  pending: { pod: Pod; status: PodStatus } | undefined;
  /** The writes (and waits before retrying one) under way, until none is left to make. */
  writing: Promise<void> | undefined;
  /** Ends the wait before a retry: a newer status, forget() or stop(). */
  retryWait: AbortController | undefined;
  /** forget() was called: a failed write is not tried again. */
  forgotten: boolean;
  /** stop() dropped a status waiting to be written. */
  dropped: boolean;
  waiters: Waiter[];
}

/** One shared reason: abort() without one builds a DOMException each time. */
const RETRY_NOW = Object.freeze({ name: 'AbortError', message: 'status retry wait ended' });

export class StatusManager {
  readonly #writer: PodStatusWriter;
  readonly #o: StatusManagerOptions;
  readonly #pods = new Map<string, PodStatuses>();
  /** Each known pod's newest status set (upstream's status cache): what the next one is checked against. */
  readonly #latest = new Map<string, PodStatus>();
  /** `<pod uid>/<container>` already reported as kept terminated. */
  readonly #keptReported = new Set<string>();
  #stopped = false;

  constructor(writer: PodStatusWriter, options: StatusManagerOptions) {
    this.#writer = writer;
    this.#o = options;
  }

  /** Pods with a status waiting or being written (tests: nothing is kept for a pod once it is done). */
  get size(): number {
    return this.#pods.size;
  }

  /**
   * SetPodStatus: the pod's newest status, written as soon as the pod has no write in flight. A container
   * that ended for good (checkContainerStateTransition's rule: pod-status.ts) stays terminated in what is
   * written, even when a rebuilt sandbox runs it again: upstream aborts the whole status there, which left
   * the pod's phase and Ready condition as they were (kubernetes#83705); podrun writes the rest of it and
   * reports the container once.
   */
  set(pod: Pod, status: PodStatus): void {
    const uid = pod.metadata?.uid ?? '';
    let entry = this.#pods.get(uid);
    const before = this.#latest.get(uid) ?? pod.status;
    const illegal = illegalStateTransitions(before, status, pod.spec);
    if (illegal.length > 0) status = this.#keepTerminated(uid, before!, status, illegal);
    this.#latest.set(uid, status);
    if (!entry) {
      entry = {
        pending: undefined,
        writing: undefined,
        retryWait: undefined,
        forgotten: false,
        dropped: false,
        waiters: [],
      };
      this.#pods.set(uid, entry);
    }
    entry.pending = { pod, status };
    entry.forgotten = false;
    // A write that failed is waiting to be tried again: the newer status goes out now instead.
    entry.retryWait?.abort(RETRY_NOW);
    if (!entry.writing && !this.#stopped) entry.writing = this.#drain(uid, entry);
  }

  /**
   * Resolves once every status set for the pod so far is written; rejects with the error of a write that
   * failed meanwhile (the manager still retries it), or a StatusManagerStoppedError when stop() dropped it.
   */
  flush(podUid: string): Promise<void> {
    const entry = this.#pods.get(podUid);
    if (!entry) return Promise.resolve();
    if (!entry.writing) {
      return entry.pending ? Promise.reject(new StatusManagerStoppedError(podUid)) : Promise.resolve();
    }
    return new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
  }

  /** The pod is gone: a status still waiting is dropped, and a failed write is not tried again. */
  forget(podUid: string): void {
    this.#latest.delete(podUid);
    for (const key of this.#keptReported) if (key.startsWith(`${podUid}/`)) this.#keptReported.delete(key);
    const entry = this.#pods.get(podUid);
    if (!entry) return;
    entry.pending = undefined;
    entry.forgotten = true;
    entry.retryWait?.abort(RETRY_NOW);
    if (!entry.writing) this.#pods.delete(podUid);
  }

  /**
   * Drops every status still waiting and waits for the writes in flight, so that nothing writes after the
   * kubelet stopped (a kubelet that starts again writes what it observes then). `quiesce` (the pod workers'
   * stop) runs once nothing new is written and no retry waits any more, so that a worker waiting in flush()
   * is let go at once; statuses set meanwhile are dropped too. Whoever waits in flush() for a dropped status
   * gets a StatusManagerStoppedError.
   */
  async stop(quiesce?: () => Promise<unknown>): Promise<void> {
    this.#stopped = true;
    this.#dropWaiting();
    try {
      await quiesce?.();
    } finally {
      this.#dropWaiting();
      await Promise.all([...this.#pods.values()].map((e) => e.writing));
      this.#stopped = false;
    }
  }

  #dropWaiting(): void {
    for (const [uid, entry] of this.#pods) {
      if (entry.pending) entry.dropped = true;
      entry.pending = undefined;
      entry.retryWait?.abort(RETRY_NOW);
      if (!entry.writing) this.#pods.delete(uid);
    }
  }

  async #drain(uid: string, entry: PodStatuses): Promise<void> {
    try {
      while (entry.pending && !this.#stopped) {
        const next = entry.pending;
        entry.pending = undefined;
        try {
          await this.#writer.updateStatus(next.pod, next.status);
        } catch (error) {
          this.#report(uid, error);
          for (const w of entry.waiters.splice(0)) w.reject(error);
          if (entry.forgotten || this.#stopped) continue;
          entry.pending ??= next;
          entry.retryWait = new AbortController();
          await this.#o.clock.sleep(this.#o.retryMs, entry.retryWait.signal).catch(() => {});
          entry.retryWait = undefined;
        }
      }
    } finally {
      entry.writing = undefined;
      const stopped = entry.dropped || (this.#stopped && entry.pending !== undefined);
      if (stopped) entry.pending = undefined;
      for (const w of entry.waiters.splice(0)) {
        if (stopped) w.reject(new StatusManagerStoppedError(uid));
        else w.resolve();
      }
      entry.dropped = false;
      if (!entry.pending && this.#pods.get(uid) === entry) this.#pods.delete(uid);
    }
  }

  /** `status` with each container of `illegal` as `before` has it (terminated), reported once a container. */
  #keepTerminated(
    uid: string,
    before: PodStatus,
    status: PodStatus,
    illegal: IllegalTransition[],
  ): PodStatus {
    const out: PodStatus = { ...status };
    for (const t of illegal) {
      const kept = before[t.list]?.[t.index];
      const list = out[t.list];
      if (!kept || !list) continue;
      out[t.list] = list.map((c) => (c.name === t.name ? kept : c));
      const key = `${uid}/${t.name}`;
      if (this.#keptReported.has(key)) continue;
      this.#keptReported.add(key);
      const what = t.list === 'initContainerStatuses' ? 'init container' : 'container';
      this.#report(
        uid,
        new Error(
          `terminated ${what} ${t.name} may not be transitioned to a non-terminated state: its status stays terminated`,
        ),
      );
    }
    return out;
  }

  /** onError is the caller's; one that throws must not leave the pod's writes stuck. */
  #report(uid: string, error: unknown): void {
    try {
      this.#o.onError(uid, error);
    } catch {
      // Reporting failed; the write is retried all the same.
    }
  }
}
