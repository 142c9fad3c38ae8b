// A minimal terminal, enough to read back what a command drew on a pseudo-terminal: printable characters with
// autowrap, CR/LF with scrolling, cursor moves (CUU, CUD, CUF, CUB, CHA, CUP), erasing (EL, ED), and the modes
// a live view toggles (cursor visibility, synchronized update), counted. Colours (SGR) are dropped.
// `run` drives a command through test/e2e/support/run_on_pty.py.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export class Terminal {
  rows: number;
  cols: number;
  grid: string[][] = [];
  row = 0;
  col = 0;
  /** Lines that scrolled off the top, oldest first. */
  scrollback: string[] = [];
  /** Characters that reached past the last column and wrapped: a live view should never cause one. */
  wraps = 0;
  cursorVisible = true;
  /** How often a synchronized update ended (one per frame the command drew). */
  syncFrames = 0;
  /** The screen at the end of each synchronized update: the frames a live view drew. */
  frames: string[][] = [];
  /** Wraps inside synchronized updates: lines of a live view that did not fit. */
  wrapsInFrames = 0;
  #inSync = false;
  #rest = '';

  constructor(rows: number, cols: number) {
    this.rows = rows;
    this.cols = cols;
    for (let i = 0; i < rows; i++) this.grid.push([]);
  }

  resize(rows: number, cols: number): void {
    while (this.grid.length < rows) this.grid.push([]);
    while (this.grid.length > rows) this.scrollback.push(this.#text(this.grid.shift()!));
    this.row = Math.min(this.row, rows - 1);
    this.rows = rows;
    this.cols = cols;
    for (const line of this.grid) line.length = Math.min(line.length, cols);
    this.col = Math.min(this.col, cols - 1);
  }

  #text(cells: string[]): string {
    return Array.from(cells, (c) => c ?? ' ')
      .join('')
      .trimEnd();
  }

  /** The screen's lines, trailing blanks dropped. */
  screen(): string[] {
    const lines = this.grid.map((l) => this.#text(l));
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines;
  }

  /** Everything, scrolled-off lines first. */
  all(): string[] {
    return [...this.scrollback, ...this.screen()];
  }

  #lineFeed(): void {
    if (this.row === this.rows - 1) {
      this.scrollback.push(this.#text(this.grid.shift()!));
      this.grid.push([]);
    } else this.row++;
  }

  #csi(params: string, final: string): void {
    const priv = params.startsWith('?');
    const nums = (priv ? params.slice(1) : params).split(';').map((p) => (p === '' ? undefined : Number(p)));
    const n = nums[0] ?? 1;
    const line = this.grid[this.row]!;
    switch (final) {
      case 'A':
        this.row = Math.max(0, this.row - n);
        break;
      case 'B':
        this.row = Math.min(this.rows - 1, this.row + n);
        break;
      case 'C':
        this.col = Math.min(this.cols - 1, this.col + n);
        break;
      case 'D':
        this.col = Math.max(0, this.col - n);
        break;
      case 'G':
        this.col = Math.min(this.cols - 1, n - 1);
        break;
      case 'H':
        this.row = Math.min(this.rows - 1, (nums[0] ?? 1) - 1);
        this.col = Math.min(this.cols - 1, (nums[1] ?? 1) - 1);
        break;
      case 'K': {
        const mode = nums[0] ?? 0;
        if (mode === 2) line.length = 0;
        else if (mode === 0) line.length = Math.min(line.length, this.col);
        else for (let i = 0; i <= this.col; i++) line[i] = ' ';
        break;
      }
      case 'J': {
        const mode = nums[0] ?? 0;
        if (mode === 0) {
          line.length = Math.min(line.length, this.col);
          for (let r = this.row + 1; r < this.rows; r++) this.grid[r] = [];
        } else if (mode === 2 || mode === 3) this.grid = this.grid.map(() => []);
        break;
      }
      case 'h':
      case 'l':
        if (priv && nums[0] === 25) this.cursorVisible = final === 'h';
        if (priv && nums[0] === 2026) {
          this.#inSync = final === 'h';
          if (final === 'l') {
            this.syncFrames++;
            this.frames.push(this.screen());
          }
        }
        break;
      default:
        // SGR (m) and anything else: no effect on the text.
        break;
    }
  }

  write(data: string): void {
    const text = this.#rest + data;
    this.#rest = '';
    const chars = [...text];
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (c === '\x1b') {
        const next = chars[i + 1];
        if (next === undefined) {
          this.#rest = chars.slice(i).join('');
          return;
        }
        if (next === '[') {
          let j = i + 2;
          while (j < chars.length && !/[@-~]/.test(chars[j]!)) j++;
          if (j >= chars.length) {
            this.#rest = chars.slice(i).join('');
            return;
          }
          this.#csi(chars.slice(i + 2, j).join(''), chars[j]!);
          i = j;
        } else if (next === ']') {
          let j = i + 2;
          while (j < chars.length && chars[j] !== '\x07') j++;
          if (j >= chars.length) {
            this.#rest = chars.slice(i).join('');
            return;
          }
          i = j;
        } else i++;
        continue;
      }
      if (c === '\r') this.col = 0;
      else if (c === '\n') this.#lineFeed();
      else if (c === '\b') this.col = Math.max(0, this.col - 1);
      else if (c >= ' ') {
        if (this.col >= this.cols) {
          this.wraps++;
          if (this.#inSync) this.wrapsInFrames++;
          this.col = 0;
          this.#lineFeed();
        }
        const line = this.grid[this.row]!;
        while (line.length < this.col) line.push(' ');
        line[this.col] = c;
        this.col++;
      }
    }
  }
}

export interface PtyRun {
  term: Terminal;
  child: ChildProcess;
  /** Everything the command wrote, escape sequences included. */
  raw(): string;
  resize(rows: number, cols: number): void;
  /** Types Ctrl-C. */
  interrupt(): void;
  exited: Promise<number | null>;
}

/** Runs `argv` on a pseudo-terminal of `rows`×`cols` and feeds what it draws to a Terminal. */
export function runOnPty(
  argv: string[],
  options: { rows: number; cols: number; env?: NodeJS.ProcessEnv; cwd?: string },
): PtyRun {
  const term = new Terminal(options.rows, options.cols);
  const child = spawn(
    'python3',
    [join(import.meta.dirname, 'run_on_pty.py'), String(options.rows), String(options.cols), ...argv],
    {
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  let raw = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (s: string) => {
    raw += s;
    term.write(s);
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    term,
    child,
    raw: () => raw,
    resize(rows, cols) {
      child.stdin!.write(`resize ${rows} ${cols}\n`);
      term.resize(rows, cols);
    },
    interrupt() {
      child.stdin!.write('intr\n');
    },
    exited,
  };
}
