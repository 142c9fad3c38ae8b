// kubectl events' own printer (pkg/cmd/events/event_printer.go, v1.32), not the server's Event table:
// LAST SEEN (with `(xN over AGE)` for repeated events) TYPE REASON OBJECT (`Pod/web`, the kind as it is)
// MESSAGE, NAMESPACE first with -A; events sorted by their last time (SortableEvents).
import type { Event } from '../../api/types.js';
import { translateMicroTimestampSince, translateTimestampSince } from '../../printers/duration.js';
import { TabWriter } from '../../printers/tabwriter.js';

function escapeTerminal(text: string): string {
  return text.replaceAll('\x1b', '^[').replaceAll('\r', '\\r');
}

function interval(e: Event, now: number): string {
  const first = e.eventTime
    ? translateMicroTimestampSince(e.eventTime, now)
    : translateTimestampSince(e.firstTimestamp, now);
  if (e.series) {
    return `${translateMicroTimestampSince(e.series.lastObservedTime, now)} (x${e.series.count ?? 0} over ${first})`;
  }
  if ((e.count ?? 0) > 1)
    return `${translateTimestampSince(e.lastTimestamp, now)} (x${e.count} over ${first})`;
  return first;
}

/** The time SortableEvents orders by: the series' last observation, else lastTimestamp, else eventTime. */
export function eventTime(e: Event): number {
  const t = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime;
  const ms = t ? Date.parse(t) : Number.NaN;
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

export function sortEvents(events: Event[]): Event[] {
  return [...events].sort((a, b) => eventTime(a) - eventTime(b));
}

/** Prints events a batch at a time, the header once, columns never narrower than before (kubectl -w). */
export class EventPrinter {
  private readonly writer = new TabWriter();
  private headersPrinted = false;

  constructor(private readonly options: { noHeaders?: boolean; allNamespaces?: boolean }) {}

  print(events: Event[], now: number): string {
    let text = '';
    if (!this.options.noHeaders && !this.headersPrinted) {
      text += `${this.options.allNamespaces ? 'NAMESPACE\t' : ''}LAST SEEN\tTYPE\tREASON\tOBJECT\tMESSAGE\n`;
      this.headersPrinted = true;
    }
    for (const e of events) {
      if (this.options.allNamespaces) text += `${e.metadata?.namespace ?? ''}\t`;
      const o = e.involvedObject ?? {};
      text += `${interval(e, now)}\t${escapeTerminal(e.type ?? '')}\t${escapeTerminal(e.reason ?? '')}\t${escapeTerminal(o.kind ?? '')}/${escapeTerminal(o.name ?? '')}\t${escapeTerminal((e.message ?? '').trim())}\n`;
    }
    return this.writer.write(text);
  }
}
