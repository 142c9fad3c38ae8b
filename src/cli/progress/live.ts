// Lines that scroll, with a few status lines kept below them (one per pull under way) and redrawn in place.
// On a terminal the status lines are erased before each scrolling line and drawn again after it; anywhere
// else (a file, a pipe, a test) there are no status lines and scrolling lines are written as they are.

export interface LiveOutput {
  /** A line that stays (no newline at its end). */
  line(text: string): void;
  /** Replaces the status lines (none: `[]`). */
  status(lines: string[]): void;
  /** Whether status lines are drawn at all: callers write plain lines for the same facts otherwise. */
  readonly live: boolean;
}

interface Stream {
  write(text: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

/** `plain`: lines only, even on a terminal (`--output plain`, or `CI` set). */
export function liveOutput(stream: Stream, options: { plain?: boolean } = {}): LiveOutput {
  if (!stream.isTTY || options.plain) {
    return {
      live: false,
      line: (text) => {
        stream.write(`${text}\n`);
      },
      status: () => {},
    };
  }
  let shown: string[] = [];
  // Cursor up one line and erase it, once per status line drawn (ECMA-48 CUU and EL).
  const erase = () => (shown.length > 0 ? '\x1b[1A\x1b[2K'.repeat(shown.length) : '');
  // A status line wider than the terminal would wrap and leave a stray line behind when erased.
  const fit = (l: string) => {
    const width = stream.columns ?? 80;
    return l.length < width ? l : `${l.slice(0, Math.max(0, width - 2))}…`;
  };
  const draw = (lines: string[]) => lines.map((l) => `${fit(l)}\n`).join('');
  return {
    live: true,
    line(text) {
      stream.write(`${erase()}${text}\n${draw(shown)}`);
    },
    status(lines) {
      stream.write(`${erase()}${draw(lines)}`);
      shown = [...lines];
    },
  };
}
