// A region at the bottom of a terminal that is redrawn in place, with lines that scroll above it (log lines).
// Each redraw is one write inside a synchronized update (DEC mode 2026: terminals that know it show the frame
// at once, others ignore it), rewrites only the lines that changed, and keeps the cursor hidden while the
// region is live; the cursor comes back on close and on any exit of the process, forced ones too.
//
// The region's lines are cut to the width by the caller (render.ts), so the cursor always sits at the start
// of the line below the region and moving up by the region's height reaches its first line.

export interface TtyStream {
  write(text: string): boolean;
  columns?: number;
  rows?: number;
}

const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const SYNC_BEGIN = '\x1b[?2026h';
const SYNC_END = '\x1b[?2026l';
const ERASE_LINE = '\x1b[2K';
const ERASE_BELOW = '\x1b[J';

const up = (n: number) => (n > 0 ? `\x1b[${n}A` : '');

export class Screen {
  readonly #stream: TtyStream;
  #shown: string[] = [];
  #closed = false;
  readonly #restore = () => {
    if (!this.#closed) this.#stream.write(SHOW_CURSOR);
  };

  constructor(stream: TtyStream) {
    this.#stream = stream;
    stream.write(HIDE_CURSOR);
    // process.exit() (a second Ctrl-C, a failure) skips close(): the terminal must not keep a hidden cursor.
    process.on('exit', this.#restore);
  }

  /** Redraws the region as `lines`, touching only the lines that differ from what is shown. */
  frame(lines: string[]): void {
    if (this.#closed) return;
    let out = `${SYNC_BEGIN}${up(this.#shown.length)}\r`;
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] !== this.#shown[i]) out += `\r${ERASE_LINE}${lines[i]}`;
      out += '\r\n';
    }
    if (lines.length < this.#shown.length) out += ERASE_BELOW;
    this.#shown = [...lines];
    this.#stream.write(`${out}${SYNC_END}`);
  }

  /** Writes lines above the region (they scroll away with the terminal) and draws the region again below them. */
  scroll(text: string): void {
    if (this.#closed) {
      this.#stream.write(text);
      return;
    }
    const region = this.#shown;
    let out = `${SYNC_BEGIN}${up(region.length)}\r${ERASE_BELOW}${text}`;
    for (const l of region) out += `${l}\n`;
    this.#stream.write(`${out}${SYNC_END}`);
  }

  /** After a resize: the old lines may have been cut for another width, so the whole region is drawn anew. */
  redraw(lines: string[]): void {
    if (this.#closed) return;
    const old = this.#shown.length;
    this.#shown = [];
    this.#stream.write(`${SYNC_BEGIN}${up(old)}\r${ERASE_BELOW}${SYNC_END}`);
    this.frame(lines);
  }

  /** Leaves `lines` as the last frame (the summary) and gives the cursor back. */
  close(lines: string[]): void {
    if (this.#closed) return;
    this.frame(lines);
    this.#closed = true;
    process.off('exit', this.#restore);
    this.#stream.write(SHOW_CURSOR);
  }
}
