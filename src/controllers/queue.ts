// A de-duplicating work queue with one worker: a key queued while it is being processed is processed again
// afterwards, never concurrently (client-go's workqueue guarantee). Failed keys are retried after a delay
// taken from the injected clock.
import type { Clock } from '../util/clock.js';

export type SyncResult = { requeueAfterMs?: number } | undefined;

export class WorkQueue {
  readonly #pending = new Set<string>();
  readonly #clock: Clock;
  readonly #sync: (key: string) => Promise<SyncResult>;
  readonly #onError: (key: string, err: unknown) => void;
  readonly #abort = new AbortController();
  #running = false;
  #idle: Promise<void> = Promise.resolve();

  constructor(options: {
    clock: Clock;
    sync: (key: string) => Promise<SyncResult>;
    onError: (key: string, err: unknown) => void;
  }) {
    this.#clock = options.clock;
    this.#sync = options.sync;
    this.#onError = options.onError;
  }

  add(key: string): void {
    if (this.#abort.signal.aborted) return;
    this.#pending.add(key);
    if (!this.#running) this.#idle = this.#drain();
  }

  addAfter(key: string, ms: number): void {
    this.#clock.sleep(ms, this.#abort.signal).then(
      () => this.add(key),
      () => {},
    );
  }

  /** Resolves when the queue has nothing left to do (for tests). */
  async settled(): Promise<void> {
    while (this.#running || this.#pending.size > 0) await this.#idle;
  }

  shutDown(): void {
    this.#abort.abort();
    this.#pending.clear();
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#pending.size > 0 && !this.#abort.signal.aborted) {
        const key = this.#pending.values().next().value as string;
        this.#pending.delete(key);
        try {
          const result = await this.#sync(key);
          if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
        } catch (err) {
          this.#onError(key, err);
          this.addAfter(key, 1000);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
