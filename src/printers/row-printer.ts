// A kind's table printer from its column definitions and its row function (upstream's printers register
// the same pair per kind: TableGenerator.TableHandler).
import type { KubeObject } from '../api/types.js';
import type { PrintedTable, TableCell, TableColumnDefinition } from './types.js';

export function printer<T>(
  columnDefinitions: TableColumnDefinition[],
  row: (obj: T, now: number) => TableCell[],
): (objects: KubeObject[], now: number) => PrintedTable {
  return (objects, now) => ({
    columnDefinitions,
    rows: objects.map((object) => ({ cells: row(object as unknown as T, now), object })),
  });
}
