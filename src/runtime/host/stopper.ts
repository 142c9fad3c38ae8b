// Stopping a container: SIGTERM, a grace period, SIGKILL, and waiting for the end to be observed. Remembers
// the last signal sent, which tells how a container ended when its shim is gone and wrote no exit file.

import type { Clock } from '../../util/clock.js';
import { isSameProcess } from './proc.js';
import type { ContainerRecord } from './records.js';

const KILL_WAIT_MS = 10_000;
/**
 * How often a stop looks for the end itself while the exit files are watched: the watch wakes it at once, so
 * this is only the net for an end that no file tells (its shim killed too). Polling every 20–200 ms, 1,000
 * pods being stopped read each one's exit file and /proc entry ten times a second.
 */
const WATCHED_POLL_MS = 1_000;

export class ContainerStopper {
  readonly #clock: Clock;
  /** Brings a record up to date with its exit file and /proc (the runtime's observe). */
  readonly #observe: (rec: ContainerRecord) => void;
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #sent = new Map<string, number>();
  /** Whether exit files are being watched (the runtime's watch calls exited() as each one appears). */
  readonly #exitsWatched: () => boolean;

  constructor(clock: Clock, observe: (rec: ContainerRecord) => void, exitsWatched: () => boolean) {
    this.#clock = clock;
    this.#observe = observe;
    this.#exitsWatched = exitsWatched;
  }

  /** The last signal podrun sent to the container, if any. */
  sentSignal(id: string): number | undefined {
    return this.#sent.get(id);
  }

  /** The container's end was seen: wakes those waiting for it and forgets the signal. */
  exited(id: string): void {
    for (const wake of this.#waiters.get(id) ?? []) wake();
    this.#waiters.delete(id);
    this.#sent.delete(id);
  }

  /** SIGTERM, up to `graceMs` for the container to exit, then SIGKILL (at once when graceMs is 0, as containerd). */
  async kill(rec: ContainerRecord, graceMs: number): Promise<void> {
    const signal = (sig: NodeJS.Signals) => {
      if (!isSameProcess(rec.pid, rec.pidStart)) return;
      try {
        this.#sent.set(rec.id, sig === 'SIGKILL' ? 9 : 15);
        process.kill(rec.pid, sig);
      } catch {
        // it exited meanwhile
      }
    };
    if (graceMs > 0) {
      signal('SIGTERM');
      if (await this.#waitExited(rec, graceMs)) return;
    }
    // SIGKILL to the PID namespace's first process: the kernel then kills every process of the namespace.
    signal('SIGKILL');
    await this.#waitExited(rec, KILL_WAIT_MS);
  }

  async #waitExited(rec: ContainerRecord, ms: number): Promise<boolean> {
    const deadline = this.#clock.now() + ms;
    const watched = this.#exitsWatched();
    for (let poll = watched ? WATCHED_POLL_MS : 20; ; poll = watched ? poll : Math.min(poll * 2, 200)) {
      this.#observe(rec);
      if (rec.state !== 'running') return true;
      const left = deadline - this.#clock.now();
      if (left <= 0) return false;
      const abort = new AbortController();
      const waiters = this.#waiters.get(rec.id) ?? new Set();
      this.#waiters.set(rec.id, waiters);
      const wake = () => abort.abort();
      waiters.add(wake);
      await this.#clock.sleep(Math.min(left, poll), abort.signal).catch(() => {});
      waiters.delete(wake);
    }
  }
}
