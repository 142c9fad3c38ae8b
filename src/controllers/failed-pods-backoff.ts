// flowcontrol.Backoff as the DaemonSet controller keeps it for failed daemon pods (failedPodsBackoff: 1 s
// doubling to 15 min, per DaemonSet and node): a node whose daemon pod keeps failing (a kubelet rejecting it)
// gets its replacement ever later instead of a hot loop of creates and deletes.
export const FAILED_POD_BACKOFF_INITIAL_MS = 1_000;
export const FAILED_POD_BACKOFF_MAX_MS = 15 * 60_000;

export class FailedPodsBackoff {
  readonly #entries = new Map<string, { delayMs: number; lastUpdate: number }>();

  /** The delay still to wait when `key` is backing off at `now` (IsInBackOffSinceUpdate), else undefined. */
  inBackoff(key: string, now: number): number | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    return now - e.lastUpdate < e.delayMs ? e.delayMs : undefined;
  }

  /** Next: the first failure waits the initial delay; each later one twice the last, up to the maximum. */
  next(key: string, now: number): void {
    const e = this.#entries.get(key);
    // An entry idle for twice the maximum starts over (hasExpired).
    if (!e || now - e.lastUpdate > 2 * FAILED_POD_BACKOFF_MAX_MS) {
      this.#entries.set(key, { delayMs: FAILED_POD_BACKOFF_INITIAL_MS, lastUpdate: now });
      return;
    }
    e.delayMs = Math.min(e.delayMs * 2, FAILED_POD_BACKOFF_MAX_MS);
    e.lastUpdate = now;
  }
}
