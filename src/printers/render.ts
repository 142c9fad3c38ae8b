// The text kubectl prints for a Table (k8s.io/cli-runtime/pkg/printers/tableprinter.go, v0.32):
// decorateTable adds NAMESPACE first, -L label columns and LABELS last, and kind/name prefixes;
// printTable upper-cases headers, drops priority-1 columns unless wide, and writes tab-separated cells
// that the tabwriter aligns (3 spaces between columns, at least 6 wide).
import { formatLabels } from './meta.js';
import { TabWriter } from './tabwriter.js';
import type { PrintedTable, TableCell, TableColumnDefinition } from './types.js';

export interface RenderOptions {
  /** `-o wide`: show priority-1 columns too. */
  wide?: boolean;
  /** `-A` / `--all-namespaces`: NAMESPACE as the first column. */
  withNamespace?: boolean;
  /** `--no-headers`. */
  noHeaders?: boolean;
  /** `--show-labels`: LABELS as the last column, `k=v,k2=v2` sorted, `<none>` when empty. */
  showLabels?: boolean;
  /** `-L key`: one column per key, headed by the key's last path segment upper-cased. */
  columnLabels?: string[];
  /**
   * Prefix the name column with `kind/`, as `kubectl get all` and multi-type gets do. The group-qualified
   * kind as kubectl spells it (`pod`, `deployment.apps`); it is lower-cased.
   */
  withKind?: string;
  /**
   * `--output-watch-events`: the watch event type (`ADDED`, `MODIFIED`, `DELETED`, `ERROR`) as a first
   * EVENT column, padded to eight characters as kubectl pads it.
   */
  watchEvent?: string;
}

const FORMATTED_EVENT_TYPE: Readonly<Record<string, string>> = {
  ADDED: 'ADDED   ',
  MODIFIED: 'MODIFIED',
  DELETED: 'DELETED ',
  ERROR: 'ERROR   ',
};

/** The escaping kubectl applies to every cell (printers.WriteEscaped, against terminal escape attacks). */
function escapeTerminal(text: string): string {
  return text.replaceAll('\x1b', '^[').replaceAll('\r', '\\r');
}

function cellText(cell: TableCell | undefined): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell !== 'string') return escapeTerminal(String(cell));
  // Truncate at the first newline, carriage return or form feed (a newline to the tabwriter).
  const brk = cell.search(/[\f\n\r]/);
  return brk >= 0 ? `${escapeTerminal(cell.slice(0, brk))}...` : escapeTerminal(cell);
}

interface DecoratedTable {
  columns: TableColumnDefinition[];
  rows: (TableCell | undefined)[][];
}

function labelHeader(key: string): string {
  const parts = key.split('/');
  return parts[parts.length - 1]!.toUpperCase();
}

function decorate(table: PrintedTable, options: RenderOptions): DecoratedTable {
  const extra = (name: string): TableColumnDefinition => ({
    name,
    type: 'string',
    format: '',
    description: '',
    priority: 0,
  });
  const columnLabels = options.columnLabels ?? [];
  const columns: TableColumnDefinition[] = [
    ...(options.withNamespace ? [extra('Namespace')] : []),
    ...table.columnDefinitions,
    ...columnLabels.map((key) => extra(labelHeader(key))),
    ...(options.showLabels ? [extra('Labels')] : []),
  ];
  const nameColumn = options.withKind
    ? table.columnDefinitions.findIndex((c) => c.format === 'name' && c.type === 'string')
    : -1;
  const rows = table.rows.map((row) => {
    const cells: (TableCell | undefined)[] = [...row.cells];
    if (nameColumn >= 0) cells[nameColumn] = `${options.withKind!.toLowerCase()}/${cells[nameColumn] ?? ''}`;
    const meta = row.object?.metadata;
    if (options.withNamespace) cells.unshift(meta?.namespace ?? '');
    if (columnLabels.length > 0 || options.showLabels) {
      // The label cells go right after the table's own cells, whatever their count.
      const labels = meta?.labels ?? {};
      for (const key of columnLabels) cells.push(labels[key] ?? '');
      if (options.showLabels) cells.push(formatLabels(labels));
    }
    return cells;
  });
  if (options.watchEvent) {
    const event = FORMATTED_EVENT_TYPE[options.watchEvent] ?? options.watchEvent;
    return { columns: [extra('Event'), ...columns], rows: rows.map((cells) => [event, ...cells]) };
  }
  return { columns, rows };
}

/** The tab-separated text printTable hands to the tabwriter. */
export function tableText(table: PrintedTable, options: RenderOptions = {}): string {
  const { columns, rows } = decorate(table, options);
  const shown = (c: TableColumnDefinition) => options.wide || c.priority === 0;
  let text = '';
  if (!options.noHeaders) {
    // No header either when there is nothing to show; kubectl says "No resources found" instead.
    if (rows.length === 0) return '';
    text += `${columns
      .filter(shown)
      .map((c) => c.name.toUpperCase())
      .join('\t')}\n`;
  }
  for (const cells of rows) {
    const out: string[] = [];
    for (let i = 0; i < cells.length && i < columns.length; i++) {
      if (shown(columns[i]!)) out.push(cellText(cells[i]));
    }
    text += `${out.join('\t')}\n`;
  }
  return text;
}

function sameColumns(a: TableColumnDefinition[], b: TableColumnDefinition[] | undefined): boolean {
  return b !== undefined && (a === b || JSON.stringify(a) === JSON.stringify(b));
}

/**
 * Renders tables one after another as kubectl's HumanReadablePrinter does under `kubectl get -w`: the header
 * is printed once while the columns stay the same, a table without column definitions reuses the last ones
 * (watch events may omit them), and the tabwriter remembers the widest width of every column, so later
 * rows line up under the first header.
 */
export class TableRenderer {
  private readonly writer = new TabWriter();
  private printedHeaders = false;
  private lastColumns: TableColumnDefinition[] | undefined;

  render(table: PrintedTable, options: RenderOptions = {}): string {
    const local = { ...options };
    let columns = table.columnDefinitions;
    if (this.printedHeaders && (columns.length === 0 || sameColumns(columns, this.lastColumns))) {
      local.noHeaders = true;
    }
    if (columns.length === 0) {
      columns = this.lastColumns ?? [];
    } else if (!sameColumns(columns, this.lastColumns)) {
      this.lastColumns = columns;
      this.printedHeaders = false;
    }
    if (table.rows.length > 0) this.printedHeaders = true;
    return this.writer.write(tableText({ ...table, columnDefinitions: columns }, local));
  }
}

/** The text `kubectl get` prints for a table: aligned columns, one line per row, each ending in a newline. */
export function renderTable(table: PrintedTable, options: RenderOptions = {}): string {
  return new TableRenderer().render(table, options);
}
