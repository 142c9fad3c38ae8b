// Events expire a while after their last write (kube-apiserver --event-ttl, an etcd lease upstream). The
// sweep runs lazily from event writes and lists, at most once a minute, so there is no timer to stop.
import type { KubeObject } from '../../api/types.js';
import { type Store, StoreError } from '../../store/types.js';
import type { Clock } from '../../util/clock.js';

const SWEEP_INTERVAL_MS = 60_000;

export class EventExpiry {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  #lastSweep: number;

  constructor(store: Store, clock: Clock, ttlSeconds: number) {
    this.#store = store;
    this.#clock = clock;
    this.#ttlMs = ttlSeconds * 1000;
    this.#lastSweep = clock.now();
  }

  /** Removes events whose last write is older than the TTL, unless a sweep ran less than a minute ago. */
  async sweep(): Promise<void> {
    const now = this.#clock.now();
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    const expired = (e: Readonly<KubeObject>): boolean => {
      const stamp = [e.lastTimestamp, e.eventTime, e.metadata.creationTimestamp].find(
        (t) => typeof t === 'string',
      );
      const last = Date.parse(String(stamp));
      return Number.isFinite(last) && now - last > this.#ttlMs;
    };
    // Only the expired events are copied out of the store: a node keeps thousands of live ones.
    const { items } = await this.#store.list('events', undefined, expired);
    for (const e of items) {
      const key = {
        groupResource: 'events',
        namespace: e.metadata.namespace ?? '',
        name: e.metadata.name ?? '',
      };
      await this.#store.delete(key, Number(e.metadata.resourceVersion)).catch((err: unknown) => {
        if (!(err instanceof StoreError)) throw err;
      });
    }
  }
}
