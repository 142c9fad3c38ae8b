// Wall-clock arithmetic in IANA time zones through Intl, with Go's time package semantics where a cron schedule
// depends on them: time.LoadLocation's names and errors, and time.Date's choice of instant for a wall time
// that a daylight-saving change skips or repeats.

/** A loaded location: `UTC`, or an IANA name Intl knows. */
export type Zone = string;

const formatters = new Map<Zone, Intl.DateTimeFormat>();

function formatter(zone: Zone): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The process's own zone: what Go calls time.Local. */
export function localZone(): Zone {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * time.LoadLocation: "" and "UTC" are UTC, "Local" is the process's zone, anything else must be a zone name
 * as the tz database spells it (case matters, as in Go). Throws `unknown time zone <name>`.
 */
export function loadLocation(name: string): Zone {
  if (name === '' || name === 'UTC') return 'UTC';
  if (name === 'Local') return localZone();
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    throw new Error(`unknown time zone ${name}`);
  }
  // Intl folds case ("europe/paris"); the tz database's file names do not.
  if (resolved !== name && resolved.toLowerCase() === name.toLowerCase()) {
    throw new Error(`unknown time zone ${name}`);
  }
  return name;
}

export interface WallTime {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday */
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** The wall clock in `zone` at the instant `ms` (whole seconds). */
export function wallTime(ms: number, zone: Zone): WallTime {
  if (zone === 'UTC') {
    const d = new Date(ms);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      weekday: d.getUTCDay(),
    };
  }
  const w: WallTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, weekday: 0 };
  for (const p of formatter(zone).formatToParts(new Date(ms))) {
    if (p.type === 'weekday') w.weekday = WEEKDAYS[p.value] ?? 0;
    else if (p.type in w) (w as unknown as Record<string, number>)[p.type] = Number(p.value);
  }
  return w;
}

/** The zone's offset from UTC at `ms`, in milliseconds. */
function offsetAt(ms: number, zone: Zone): number {
  if (zone === 'UTC') return 0;
  const w = wallTime(ms, zone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * time.Date(y, mo, d, h, mi, s, 0, zone): out-of-range fields normalise (month 13 is January next year), and
 * a wall time that does not exist or exists twice takes the offset in force just before the change, as Go's
 * lookup does.
 */
export function dateIn(
  zone: Zone,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  if (zone === 'UTC') return wall;
  let offset = offsetAt(wall, zone);
  const utc = wall - offset;
  const actual = offsetAt(utc, zone);
  if (actual !== offset) offset = actual;
  return wall - offset;
}

/** RFC 3339 in `zone` at second precision, as Go's time.RFC3339 prints it (`Z` for UTC). */
export function formatRFC3339(ms: number, zone: Zone): string {
  const w = wallTime(ms, zone);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const base = `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
  const off = Math.round(offsetAt(ms, zone) / 60_000);
  // Go's Z07:00 prints Z for any zero offset, not only for UTC.
  if (off === 0) return `${base}Z`;
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${base}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}
