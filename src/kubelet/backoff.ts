// client-go's flowcontrol.Backoff as plain data, so the planner can read it and return the next state
// instead of hiding it in an object (pkg/kubelet/kubelet.go newCrashLoopBackOff, doBackOff).
import type { BackoffConfig } from './types.js';

export interface BackoffEntry {
  /** The current delay. */
  backoffMs: number;
  /** When the delay was last advanced (the last restart). */
  lastUpdateMs: number;
}

/** Keyed by backoffKey (crash loops) or `<podUID>_<image>` (image pulls). */
export type BackoffState = Readonly<Record<string, BackoffEntry>>;

/**
 * HasExpiredFunc: the entry is forgotten when the event (the container's finish) came more than resetAfter
 * after the last restart, i.e. the container ran long enough before failing.
 */
function hasExpired(entry: BackoffEntry, eventTimeMs: number, config: BackoffConfig): boolean {
  return eventTimeMs - entry.lastUpdateMs > config.resetAfterMs;
}

/**
 * IsInBackOffSince: still waiting when less than the current delay passed since `eventTimeMs`. Returns the
 * end of the wait, or undefined when a restart may happen now.
 */
export function backoffUntil(
  state: BackoffState,
  key: string,
  eventTimeMs: number,
  nowMs: number,
  config: BackoffConfig,
): number | undefined {
  const entry = state[key];
  if (!entry || hasExpired(entry, eventTimeMs, config)) return undefined;
  const until = eventTimeMs + entry.backoffMs;
  return nowMs < until ? until : undefined;
}

/** Next: the first restart starts the delay at `initialMs`; each further one doubles it up to `maxMs`. */
export function nextBackoff(
  state: BackoffState,
  key: string,
  eventTimeMs: number,
  nowMs: number,
  config: BackoffConfig,
): BackoffEntry {
  const entry = state[key];
  if (!entry || hasExpired(entry, eventTimeMs, config)) {
    return { backoffMs: Math.min(config.initialMs, config.maxMs), lastUpdateMs: nowMs };
  }
  return { backoffMs: Math.min(entry.backoffMs * 2, config.maxMs), lastUpdateMs: nowMs };
}

/** IsInBackOffSinceUpdate (image pulls): waiting while less than the delay passed since the last failure. */
export function backoffSinceUpdateUntil(state: BackoffState, key: string, nowMs: number): number | undefined {
  const entry = state[key];
  if (!entry) return undefined;
  const until = entry.lastUpdateMs + entry.backoffMs;
  return nowMs < until ? until : undefined;
}

/** The delay an entry currently holds, for messages (`back-off 20s restarting …`). */
export function currentBackoffMs(state: BackoffState, key: string): number {
  return state[key]?.backoffMs ?? 0;
}
