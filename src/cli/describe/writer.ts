// kubectl describe's text machinery (k8s.io/kubectl/pkg/describe/describe.go): a prefix writer that indents by
// two spaces a level, into Go's text/tabwriter as tabbedString sets it up (minwidth 0, padding 2, no
// remembered widths), flushed where describe flushes (before the Events table), plus the helpers most
// describers share: labels, annotations, tolerations and events.
import type { Event } from '../../api/types.js';
import { translateMicroTimestampSince, translateTimestampSince } from '../../printers/duration.js';
import { TabWriter } from '../../printers/tabwriter.js';
import { sortEvents } from '../kubectl/events-printer.js';

const SKIP_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);
const MAX_ANNOTATION_LEN = 140;

/** printers.WriteEscaped: terminal escapes made visible. */
function escapeTerminal(text: string): string {
  return text.replaceAll('\x1b', '^[').replaceAll('\r', '\\r');
}

export class PrefixWriter {
  private pending = '';
  private done = '';

  /** Text at an indentation level (two spaces a level); `text` carries its own tabs and newlines. */
  write(level: number, text: string): void {
    this.pending += escapeTerminal('  '.repeat(level) + text);
  }

  /** fmt.Sprintln: the text and a newline. */
  writeLine(text: string): void {
    this.pending += escapeTerminal(`${text}\n`);
  }

  /** Lays out what was written so far; what follows is aligned on its own. */
  flush(): void {
    this.done += new TabWriter({ minwidth: 0, padding: 2, rememberWidths: false }).write(this.pending);
    this.pending = '';
  }

  text(): string {
    this.flush();
    return this.done;
  }
}

/** printLabelsMultilineWithIndent. */
export function printLabelsMultiline(
  w: PrefixWriter,
  title: string,
  labels: Record<string, string> | undefined,
  initialIndent = '',
  innerIndent = '\t',
): void {
  w.write(0, `${initialIndent}${title}:${innerIndent}`);
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) {
    w.writeLine('<none>');
    return;
  }
  keys.forEach((key, i) => {
    if (i !== 0) w.write(0, `${initialIndent}${innerIndent}`);
    w.write(0, `${key}=${labels![key]}\n`);
  });
}

/** printAnnotationsMultiline: long or multi-line values on their own lines, cut at 138 characters. */
export function printAnnotationsMultiline(
  w: PrefixWriter,
  title: string,
  annotations: Record<string, string> | undefined,
): void {
  w.write(0, `${title}:\t`);
  const keys = Object.keys(annotations ?? {})
    .filter((k) => !SKIP_ANNOTATIONS.has(k))
    .sort();
  if (keys.length === 0) {
    w.writeLine('<none>');
    return;
  }
  const indent = '\t';
  keys.forEach((key, i) => {
    if (i !== 0) w.write(0, indent);
    const value = annotations![key]!.replace(/\n$/, '');
    if (value.length + key.length + 2 > MAX_ANNOTATION_LEN || value.includes('\n')) {
      w.write(0, `${key}:\n`);
      for (const s of value.split('\n')) {
        const cut = s.length > MAX_ANNOTATION_LEN - 2 ? `${s.slice(0, MAX_ANNOTATION_LEN - 2)}...` : s;
        w.write(0, `${indent}  ${cut}\n`);
      }
    } else {
      w.write(0, `${key}: ${value}\n`);
    }
  });
}

export interface TolerationLike {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** printTolerationsMultilineWithIndent: sorted by key, `key=value:Effect op=Exists for 300s`. */
export function printTolerationsMultiline(
  w: PrefixWriter,
  title: string,
  tolerations: TolerationLike[] | undefined,
  initialIndent = '',
  innerIndent = '\t',
): void {
  w.write(0, `${initialIndent}${title}:${innerIndent}`);
  if (!tolerations || tolerations.length === 0) {
    w.writeLine('<none>');
    return;
  }
  // sort.Slice is not stable; a stable sort gives the same result whenever keys differ.
  const sorted = [...tolerations].sort((a, b) =>
    (a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0,
  );
  sorted.forEach((t, i) => {
    if (i !== 0) w.write(0, `${initialIndent}${innerIndent}`);
    let s = t.key ?? '';
    if (t.value) s += `=${t.value}`;
    if (t.effect) s += `:${t.effect}`;
    if (t.operator === 'Exists' && !t.value) s += t.key || t.effect ? ' op=Exists' : 'op=Exists';
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null)
      s += ` for ${t.tolerationSeconds}s`;
    w.write(0, `${s}\n`);
  });
}

/** DescribeEvents: Type, Reason, Age (`10s (x3 over 1m)`), From, Message. */
export function describeEvents(events: Event[] | undefined, w: PrefixWriter, now: number): void {
  if (events === undefined) return;
  if (events.length === 0) {
    w.write(0, 'Events:\t<none>\n');
    return;
  }
  w.flush();
  w.write(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(1, '----\t------\t----\t----\t-------\n');
  for (const e of sortEvents(events)) {
    const first = e.eventTime
      ? translateMicroTimestampSince(e.eventTime, now)
      : translateTimestampSince(e.firstTimestamp, now);
    let interval = first;
    if (e.series) {
      interval = `${translateMicroTimestampSince(e.series.lastObservedTime, now)} (x${e.series.count ?? 0} over ${first})`;
    } else if ((e.count ?? 0) > 1) {
      interval = `${translateTimestampSince(e.lastTimestamp, now)} (x${e.count} over ${first})`;
    }
    const source = e.source?.component || e.reportingComponent || '';
    // v1.32 leaves the field path out (1.33 puts it before the message).
    const message = (e.message ?? '').trim();
    w.write(1, `${e.type ?? ''}\t${e.reason ?? ''}\t${interval}\t${source}\t${message}\n`);
  }
}

/** Go's `t.Format(time.RFC1123Z)` in the local time zone, as kubectl prints: `Sat, 05 Dec 2026 12:00:00 +0000`. */
export function rfc1123z(timestamp: string | undefined): string {
  const ms = timestamp ? Date.parse(timestamp) : Number.NaN;
  // Go's zero time, in UTC.
  if (Number.isNaN(ms)) return 'Mon, 01 Jan 0001 00:00:00 +0000';
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const zone = `${offset < 0 ? '-' : '+'}${p(Math.floor(Math.abs(offset) / 60))}${p(Math.abs(offset) % 60)}`;
  return `${days[d.getDay()]}, ${p(d.getDate())} ${months[d.getMonth()]} ${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${zone}`;
}

/** printController: `ReplicaSet/web-5d8f` of the controller owner reference. */
export function controlledBy(
  meta: { ownerReferences?: { kind: string; name: string; controller?: boolean }[] } | undefined,
): string {
  const ref = meta?.ownerReferences?.find((r) => r.controller);
  return ref ? `${ref.kind}/${ref.name}` : '';
}
