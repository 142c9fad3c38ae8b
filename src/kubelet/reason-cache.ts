// ReasonCache (pkg/kubelet/reason_cache.go): the last start failure per container, shown as `state.waiting`
// (CrashLoopBackOff, ErrImagePull, CreateContainerConfigError, …) until a start succeeds.
import type { SyncResult } from './executor-types.js';

export interface FailureReason {
  reason: string;
  message: string;
}

export type ReasonCache = ReadonlyMap<string, FailureReason>;

/** Update: each StartContainer result sets (failed) or clears (succeeded) its container's entry. */
export function updateReasonCache(
  cache: ReasonCache,
  results: readonly SyncResult[],
): Map<string, FailureReason> {
  const next = new Map(cache);
  for (const r of results) {
    if (r.action !== 'StartContainer') continue;
    if (r.error) next.set(r.target, { reason: r.error, message: r.message ?? '' });
    else next.delete(r.target);
  }
  return next;
}
