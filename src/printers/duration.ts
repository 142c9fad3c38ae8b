// apimachinery's duration.HumanDuration / ShortHumanDuration (staging/src/k8s.io/apimachinery/pkg/util/duration),
// the text of every AGE, RESTARTS "(… ago)", LAST SEEN and DURATION cell.
// Go truncates towards zero when it converts a Duration to whole units; Math.trunc does the same.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** ~2–3 significant figures: `45s`, `3m20s`, `2h5m`, `3d4h`, `400d`, `2y10d`. */
export function humanDuration(ms: number): string {
  // A deviation of up to 2 s (excluded) is tolerated as clock skew between machines: "almost now".
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

/** One unit only: `45s`, `3m`, `2h`, `3d`, `2y`. */
export function shortHumanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/**
 * Milliseconds since the epoch of an RFC 3339 metav1.MicroTime (`eventTime`, `series.lastObservedTime`),
 * or undefined when it is absent or unreadable: what Go's `IsZero()` means for an unset field.
 */
export function parseMicroTime(timestamp: string | undefined | null): number | undefined {
  if (!timestamp) return undefined;
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Milliseconds since the epoch of a metav1.Time (creationTimestamp, finishedAt, startTime, …), truncated
 * to the second: metav1.Time is stored and served with whole seconds, so that is all a real API server's
 * printer ever sees, whatever precision the object was written with.
 */
export function parseTimestamp(timestamp: string | undefined | null): number | undefined {
  const ms = parseMicroTime(timestamp);
  return ms === undefined ? undefined : Math.floor(ms / 1000) * 1000;
}

/** printers.go translateTimestampSince: HumanDuration of `now - timestamp`, `<unknown>` for an unset one. */
export function translateTimestampSince(timestamp: string | undefined | null, now: number): string {
  const ms = parseTimestamp(timestamp);
  return ms === undefined ? '<unknown>' : humanDuration(now - ms);
}

/** printers.go translateMicroTimestampSince, for MicroTime fields. */
export function translateMicroTimestampSince(timestamp: string | undefined | null, now: number): string {
  const ms = parseMicroTime(timestamp);
  return ms === undefined ? '<unknown>' : humanDuration(now - ms);
}
