// Times counted from a grace period. Any int64 is a valid grace period (DeleteOptions.gracePeriodSeconds,
// spec.terminationGracePeriodSeconds), and upstream's arithmetic on it never fails: Go's time.Duration
// multiplication wraps and time.Time.Add saturates. A JS Date past ±8.64e15 ms is "Invalid time value",
// though, and an RFC3339 timestamp has a four-digit year; so every `now + grace` goes through here and lands
// on a time the API can store and read back.

/** 9999-12-31T23:59:59Z: the last second an RFC3339 timestamp, as metav1.Time writes it, can hold. */
export const MAX_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59);
/** 0001-01-01T00:00:00Z, the first (Go's zero time). */
export const MIN_TIMESTAMP_MS = Date.parse('0001-01-01T00:00:00Z');

export function clampTimestamp(ms: number): number {
  return Math.min(MAX_TIMESTAMP_MS, Math.max(MIN_TIMESTAMP_MS, ms));
}

/** When a grace period of `graceSeconds` that starts at `nowMs` ends, as a time that can be stored. */
export function graceDeadline(nowMs: number, graceSeconds: number): number {
  return clampTimestamp(nowMs + graceSeconds * 1000);
}

/**
 * A deletion's deadline after its grace period was shortened from `currentSeconds` to `graceSeconds`
 * (rest.BeforeDelete: the old deadline less the old grace plus the new). A deadline that was clamped no longer
 * tells when the deletion started; the shortened grace then counts from now, which can only be later than
 * the true start's deadline, never earlier, so no container loses time it was promised.
 */
export function shortenedDeadline(
  deadlineMs: number,
  currentSeconds: number,
  graceSeconds: number,
  nowMs: number,
): number {
  if (deadlineMs >= MAX_TIMESTAMP_MS) return graceDeadline(nowMs, graceSeconds);
  return clampTimestamp(deadlineMs - (currentSeconds - graceSeconds) * 1000);
}

/**
 * The longest wait a timer can take: Node fires a setTimeout of more than 2^31 - 1 ms at once (with a
 * TimeoutOverflowWarning), so a grace period waited on longer than this would end immediately instead.
 */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** A grace period in seconds as something to wait for: at most MAX_TIMER_SECONDS (about 24.8 days). */
export function waitableGraceSeconds(graceSeconds: number): number {
  return Math.min(graceSeconds, MAX_TIMER_SECONDS);
}
