// The contract of kubectl's server-side printing (metav1.Table). The API server answers `as=Table` with it,
// and the podrun CLI prints the same rows, so `podrun get` and `kubectl get` agree to the character.
import type { KubeObject } from '../api/types.js';

export interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  /** 0: always shown; 1: only with `-o wide`. */
  priority: number;
}

export type TableCell = string | number | boolean | null;

/** metav1.TableRowCondition: upstream marks rows of Succeeded/Failed pods `Completed`. */
export interface TableRowCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface TableRow {
  cells: TableCell[];
  /** The object the row was printed from (the API server turns it into PartialObjectMetadata or keeps it). */
  object: KubeObject;
  /** Row conditions, as upstream printers set them (only pods do, among podrun's kinds). */
  conditions?: TableRowCondition[];
}

export interface PrintedTable {
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/** Prints objects of one kind as kubectl's server-side printer would, at time `now` (ms since epoch). */
export type TablePrinter = (objects: KubeObject[], now: number) => PrintedTable;
