// printEvent (pkg/printers/internalversion/printers.go, v1.32): LAST SEEN TYPE REASON OBJECT MESSAGE, and
// under -o wide SUBOBJECT SOURCE FIRST SEEN COUNT NAME.
import type { Event, KubeObject } from '../api/types.js';
import { translateMicroTimestampSince, translateTimestampSince } from './duration.js';
import { column, OBJECT_META_DOC } from './meta.js';
import type { PrintedTable, TableCell, TableColumnDefinition } from './types.js';

export const eventColumnDefinitions: TableColumnDefinition[] = [
  column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
  column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
  column(
    'Reason',
    'string',
    "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
  ),
  column('Object', 'string', 'The object that this event is about.'),
  column(
    'Subobject',
    'string',
    'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: "spec.containers{name}" (where "name" refers to the name of the container that triggered the event) or if no container name is specified "spec.containers[2]" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.',
    1,
  ),
  column(
    'Source',
    'string',
    'The component reporting this event. Should be a short machine understandable string.',
    1,
  ),
  column('Message', 'string', 'A human-readable description of the status of this operation.'),
  column(
    'First Seen',
    'string',
    'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
    1,
  ),
  column('Count', 'string', 'The number of times this event has occurred.', 1),
  column('Name', 'string', OBJECT_META_DOC.name, 1, 'name'),
];

/** formatEventSource: `component, host`, falling back to reportingController / reportingInstance. */
function formatEventSource(ev: Event): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const instance = ev.source?.host || ev.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

export function printEventRow(ev: Event, now: number): TableCell[] {
  let firstSeen = translateTimestampSince(ev.firstTimestamp, now);
  if (!ev.firstTimestamp) firstSeen = translateMicroTimestampSince(ev.eventTime, now);
  let lastSeen = ev.lastTimestamp ? translateTimestampSince(ev.lastTimestamp, now) : firstSeen;
  let count = ev.count ?? 0;
  if (ev.series) {
    lastSeen = translateMicroTimestampSince(ev.series.lastObservedTime, now);
    count = ev.series.count ?? 0;
  } else if (count === 0) {
    // Singleton events of the events.k8s.io API carry no count.
    count = 1;
  }
  const involved = ev.involvedObject ?? {};
  const kind = (involved.kind ?? '').toLowerCase();
  const target = involved.name ? `${kind}/${involved.name}` : kind;
  return [
    lastSeen,
    ev.type ?? '',
    ev.reason ?? '',
    target,
    involved.fieldPath ?? '',
    formatEventSource(ev),
    (ev.message ?? '').trim(),
    firstSeen,
    count,
    ev.metadata?.name ?? '',
  ];
}

export function printEvents(objects: KubeObject[], now: number): PrintedTable {
  return {
    columnDefinitions: eventColumnDefinitions,
    rows: objects.map((object) => ({ cells: printEventRow(object as unknown as Event, now), object })),
  };
}
