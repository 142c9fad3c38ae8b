// Cron schedules as the CronJob controller reads them: github.com/robfig/cron/v3's ParseStandard (five fields
// minute hour day-of-month month day-of-week, names jan–dec and sun–sat, `*`, `?`, ranges, steps and lists;
// the descriptors @yearly @annually @monthly @weekly @daily @midnight @hourly and @every <duration>; a
// `TZ=` or `CRON_TZ=` prefix), and SpecSchedule.Next's search with its five-year limit. Parse errors are
// robfig's words, which the API server returns as the spec.schedule message.
import { dateIn, loadLocation, wallTime, type Zone } from './zoned-time.js';

export interface Schedule {
  /** The first activation strictly after `ms` (whole seconds), or undefined when none comes in five years. */
  next(ms: number): number | undefined;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = {
  min: 1,
  max: 12,
  names: {
    jan: 1,
    feb: 2,
    mar: 3,
    apr: 4,
    may: 5,
    jun: 6,
    jul: 7,
    aug: 8,
    sep: 9,
    oct: 10,
    nov: 11,
    dec: 12,
  },
};
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

/** The values a field allows, and whether it was written as `*` or `?` (robfig's starBit). */
interface FieldSet {
  bits: boolean[];
  star: boolean;
}

function allOf(b: Bounds): FieldSet {
  const bits: boolean[] = [];
  for (let i = b.min; i <= b.max; i++) bits[i] = true;
  return { bits, star: true };
}

function only(...values: number[]): FieldSet {
  const bits: boolean[] = [];
  for (const v of values) bits[v] = true;
  return { bits, star: false };
}

/** strconv.Atoi's acceptance and its error text, then robfig's negative check. */
function mustParseInt(expr: string): number {
  if (!/^[+-]?\d+$/.test(expr)) {
    throw new Error(
      `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`,
    );
  }
  const n = Number(expr);
  if (!Number.isSafeInteger(n) || Math.abs(n) > 2 ** 63 - 1) {
    throw new Error(
      `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: value out of range`,
    );
  }
  if (n < 0) throw new Error(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, b: Bounds): number {
  const named = b.names?.[expr.toLowerCase()];
  return named ?? mustParseInt(expr);
}

/** getRange: `*`, `?`, `a`, `a-b`, each with an optional `/step`. */
function addRange(expr: string, b: Bounds, into: FieldSet): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  const singleDigit = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, b);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, b);
    else throw new Error(`too many hyphens: ${expr}`);
  }
  let step: number;
  if (rangeAndStep.length === 1) step = 1;
  else if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]!);
    // "N/step" means "N-max/step".
    if (singleDigit) end = b.max;
    if (step > 1) star = false;
  } else throw new Error(`too many slashes: ${expr}`);
  if (start < b.min) throw new Error(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new Error(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
  for (let i = start; i <= end; i += step) into.bits[i] = true;
  if (star) into.star = true;
}

function parseField(field: string, b: Bounds): FieldSet {
  const set: FieldSet = { bits: [], star: false };
  for (const expr of field.split(',')) if (expr !== '') addRange(expr, b, set);
  return set;
}

interface Spec {
  minute: FieldSet;
  hour: FieldSet;
  dom: FieldSet;
  month: FieldSet;
  dow: FieldSet;
  zone: Zone;
}

function dayMatches(s: Spec, day: number, weekday: number): boolean {
  const domMatch = s.dom.bits[day] === true;
  const dowMatch = s.dow.bits[weekday] === true;
  return s.dom.star || s.dow.star ? domMatch && dowMatch : domMatch || dowMatch;
}

/** SpecSchedule.Next, field by field, with a wrap back to the month whenever a field rolls over. */
function specNext(s: Spec, from: number): number | undefined {
  const zone = s.zone;
  // The upcoming whole second.
  let t = Math.floor(from / 1000) * 1000 + 1000;
  let added = false;
  const yearLimit = wallTime(t, zone).year + 5;
  wrap: for (;;) {
    let w = wallTime(t, zone);
    if (w.year > yearLimit) return undefined;
    while (!s.month.bits[w.month]) {
      if (!added) {
        added = true;
        t = dateIn(zone, w.year, w.month, 1, 0, 0, 0);
      }
      const c = wallTime(t, zone);
      t = dateIn(zone, c.year, c.month + 1, c.day, c.hour, c.minute, c.second);
      w = wallTime(t, zone);
      if (w.month === 1) continue wrap;
    }
    while (!dayMatches(s, w.day, w.weekday)) {
      if (!added) {
        added = true;
        t = dateIn(zone, w.year, w.month, w.day, 0, 0, 0);
      }
      const c = wallTime(t, zone);
      t = dateIn(zone, c.year, c.month, c.day + 1, c.hour, c.minute, c.second);
      w = wallTime(t, zone);
      // Where DST moves midnight, land on the day's first hour again.
      if (w.hour !== 0) {
        t += (w.hour > 12 ? 24 - w.hour : -w.hour) * 3_600_000;
        w = wallTime(t, zone);
      }
      if (w.day === 1) continue wrap;
    }
    while (!s.hour.bits[w.hour]) {
      if (!added) {
        added = true;
        t = dateIn(zone, w.year, w.month, w.day, w.hour, 0, 0);
      }
      t += 3_600_000;
      w = wallTime(t, zone);
      if (w.hour === 0) continue wrap;
    }
    while (!s.minute.bits[w.minute]) {
      if (!added) {
        added = true;
        t = Math.floor(t / 60_000) * 60_000;
      }
      t += 60_000;
      w = wallTime(t, zone);
      if (w.minute === 0) continue wrap;
    }
    // Seconds: the standard parser's are always 0.
    while (w.second !== 0) {
      if (!added) {
        added = true;
        t = Math.floor(t / 1000) * 1000;
      }
      t += 1000;
      w = wallTime(t, zone);
      if (w.second === 0) continue wrap;
    }
    return t;
  }
}

/** time.ParseDuration, enough of it for @every: a sequence of decimal numbers with units, optionally signed. */
function parseGoDuration(s: string): number {
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    μs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const bad = () => new Error(`time: invalid duration ${JSON.stringify(s)}`);
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw bad();
  let total = 0;
  while (rest !== '') {
    const num = /^\d*(?:\.\d*)?/.exec(rest)![0];
    if (num === '' || num === '.') throw bad();
    rest = rest.slice(num.length);
    const unitName = /^[^\d.]*/.exec(rest)![0];
    if (unitName === '') throw new Error(`time: missing unit in duration ${JSON.stringify(s)}`);
    const unit = units[unitName];
    if (unit === undefined) {
      throw new Error(`time: unknown unit ${JSON.stringify(unitName)} in duration ${JSON.stringify(s)}`);
    }
    total += Number(num) * unit;
    rest = rest.slice(unitName.length);
  }
  return sign * total;
}

function descriptor(spec: string, zone: Zone): Schedule {
  const make = (s: Omit<Spec, 'zone'>): Schedule => {
    const full = { ...s, zone };
    return { next: (ms) => specNext(full, ms) };
  };
  switch (spec) {
    case '@yearly':
    case '@annually':
      return make({ minute: only(0), hour: only(0), dom: only(1), month: only(1), dow: allOf(DOW) });
    case '@monthly':
      return make({ minute: only(0), hour: only(0), dom: only(1), month: allOf(MONTHS), dow: allOf(DOW) });
    case '@weekly':
      return make({ minute: only(0), hour: only(0), dom: allOf(DOM), month: allOf(MONTHS), dow: only(0) });
    case '@daily':
    case '@midnight':
      return make({ minute: only(0), hour: only(0), dom: allOf(DOM), month: allOf(MONTHS), dow: allOf(DOW) });
    case '@hourly':
      return make({
        minute: only(0),
        hour: allOf(HOURS),
        dom: allOf(DOM),
        month: allOf(MONTHS),
        dow: allOf(DOW),
      });
  }
  const every = '@every ';
  if (spec.startsWith(every)) {
    let ms: number;
    try {
      ms = parseGoDuration(spec.slice(every.length));
    } catch (err) {
      throw new Error(`failed to parse duration ${spec}: ${(err as Error).message}`);
    }
    // ConstantDelaySchedule: at least a second, in whole seconds.
    const delay = ms < 1000 ? 1000 : ms - (ms % 1000);
    return { next: (from) => Math.floor(from / 1000) * 1000 + delay };
  }
  throw new Error(`unrecognized descriptor: ${spec}`);
}

/**
 * cron.ParseStandard. A schedule without a `TZ=`/`CRON_TZ=` prefix runs in `defaultZone` (robfig's time.Local:
 * the controller's own zone, or the CronJob's spec.timeZone, which the controller writes as a `TZ=` prefix).
 */
export function parseStandard(spec: string, defaultZone: Zone = 'UTC'): Schedule {
  if (spec.length === 0) throw new Error('empty spec string');
  let zone = defaultZone;
  let rest = spec;
  if (rest.startsWith('TZ=') || rest.startsWith('CRON_TZ=')) {
    const i = rest.indexOf(' ');
    const eq = rest.indexOf('=');
    const name = i < 0 ? rest.slice(eq + 1) : rest.slice(eq + 1, i);
    try {
      zone = loadLocation(name);
    } catch (err) {
      throw new Error(`provided bad location ${name}: ${(err as Error).message}`);
    }
    rest = i < 0 ? '' : rest.slice(i).trim();
  }
  if (rest.startsWith('@')) return descriptor(rest, zone);
  const fields = rest.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) {
    throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  }
  const s: Spec = {
    minute: parseField(fields[0]!, MINUTES),
    hour: parseField(fields[1]!, HOURS),
    dom: parseField(fields[2]!, DOM),
    month: parseField(fields[3]!, MONTHS),
    dow: parseField(fields[4]!, DOW),
    zone,
  };
  return { next: (ms) => specNext(s, ms) };
}
