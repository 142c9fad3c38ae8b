// The API server's default table convertor (k8s.io/apiserver/pkg/registry/rest/table.go), used upstream
// for any resource that has no printer of its own: NAME and CREATED AT (RFC 3339, UTC, whole seconds).
import type { KubeObject } from '../api/types.js';
import { parseTimestamp } from './duration.js';
import { column, NAME_COLUMN, OBJECT_META_DOC } from './meta.js';
import type { PrintedTable, TableColumnDefinition } from './types.js';

export const defaultColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column('Created At', 'date', OBJECT_META_DOC.creationTimestamp),
];

/** Go's `t.UTC().Format(time.RFC3339)`; an unset time is Go's zero time. */
export function formatRFC3339(timestamp: string | undefined): string {
  const ms = parseTimestamp(timestamp);
  if (ms === undefined) return '0001-01-01T00:00:00Z';
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function defaultPrinter(objects: KubeObject[], _now: number): PrintedTable {
  return {
    columnDefinitions: defaultColumnDefinitions,
    rows: objects.map((object) => ({
      cells: [object.metadata?.name ?? '', formatRFC3339(object.metadata?.creationTimestamp)],
      object,
    })),
  };
}
