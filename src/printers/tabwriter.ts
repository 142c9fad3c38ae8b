// Go's text/tabwriter as kubectl configures it (k8s.io/cli-runtime/pkg/printers/tabwriter.go, which uses
// the github.com/liggitt/tabwriter fork): minwidth 6, tabwidth 4, padding 3, padchar ' ', RememberWidths.
// Cells are tab-terminated; the last cell of a line is not part of a column and is never padded.

export interface TabWriterOptions {
  /** Minimal cell width, padding included. */
  minwidth: number;
  /** Added to the widest cell of a column. */
  padding: number;
  /** Keep the widest width seen per column across calls (kubectl's watch output never shrinks columns). */
  rememberWidths: boolean;
}

export const KUBECTL_TABWRITER: TabWriterOptions = { minwidth: 6, padding: 3, rememberWidths: true };

/** Go counts a cell's width in runes (utf8.RuneCount), which is code points, not UTF-16 units. */
function runeCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export class TabWriter {
  private maxwidths: number[] = [];

  constructor(private readonly options: TabWriterOptions = KUBECTL_TABWRITER) {}

  /**
   * Lays out `text` (cells separated by `\t` or `\v`, lines by `\n`) and returns it aligned.
   * Text after the last newline is kept as it is, as a partial line.
   */
  write(text: string): string {
    const rawLines = text.split('\n');
    const lines = rawLines.map((l) => l.split(/[\t\v]/));
    const out: string[] = [];
    const widths: number[] = [];
    const { minwidth, padding, rememberWidths } = this.options;

    const writeLines = (line0: number, line1: number) => {
      for (let i = line0; i < line1; i++) {
        const line = lines[i]!;
        let s = '';
        for (let j = 0; j < line.length; j++) {
          const cell = line[j]!;
          s += cell;
          if (j < widths.length) s += ' '.repeat(Math.max(0, widths[j]! - runeCount(cell)));
        }
        out.push(i + 1 === lines.length ? s : `${s}\n`);
      }
    };

    // text/tabwriter's format(): a column block is a run of consecutive lines that have a cell in the
    // column; its width is the widest cell plus padding, at least minwidth.
    const format = (start: number, line1: number) => {
      let line0 = start;
      const col = widths.length;
      for (let cur = line0; cur < line1; cur++) {
        if (col >= lines[cur]!.length - 1) continue;
        writeLines(line0, cur);
        line0 = cur;
        let width = minwidth;
        for (; cur < line1; cur++) {
          const line = lines[cur]!;
          if (col >= line.length - 1) break;
          const w = runeCount(line[col]!) + padding;
          if (w > width) width = w;
        }
        if (rememberWidths) {
          if (this.maxwidths.length < widths.length)
            this.maxwidths.push(...widths.slice(this.maxwidths.length));
          const remembered = this.maxwidths[widths.length];
          if (remembered === undefined) this.maxwidths.push(width);
          else if (remembered > width) width = remembered;
          else if (remembered < width) this.maxwidths[widths.length] = width;
        }
        widths.push(width);
        format(line0, cur);
        widths.pop();
        line0 = cur;
      }
      writeLines(line0, line1);
    };

    format(0, lines.length);
    return out.join('');
  }
}
