// The CRI container log format (pkg/kubelet/kuberuntime/logs/logs.go), one record per line:
//   2016-10-06T00:17:09.669794202Z stdout F log content 2
//   2016-10-06T00:17:09.669794202Z stdout P a line that continues in the next record
// `F` ends a line (the content keeps its newline when read back); `P` is a partial line whose newline is not
// part of the content, so consecutive records join. Docker's JSON lines are read too, as upstream does.

export type LogStream = 'stdout' | 'stderr';

export interface CriTime {
  /** ms since epoch, whole milliseconds */
  ms: number;
  /** nanoseconds within the millisecond, 0–999999 */
  subMsNanos: number;
  /** The time as the kubelet writes it with `timestamps=true` (RFC3339NanoFixed, 9 fraction digits). */
  fixed: string;
}

export interface CriLogMessage {
  time: CriTime;
  stream: LogStream;
  /** The content; ends with '\n' for a full line, not for a partial one. */
  log: string;
}

const TS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

/** time.Parse(RFC3339NanoLenient); null when the text is not a timestamp. */
export function parseCriTime(text: string): CriTime | null {
  const m = TS.exec(text);
  if (!m) return null;
  const zone = m[3] === 'z' ? 'Z' : m[3]!;
  const whole = Date.parse(`${m[1]}${zone}`);
  if (Number.isNaN(whole)) return null;
  const frac = (m[2] ?? '').padEnd(9, '0');
  const ms = whole + Number(frac.slice(0, 3));
  const outZone = zone === '+00:00' || zone === '-00:00' ? 'Z' : zone;
  return { ms, subMsNanos: Number(frac.slice(3)), fixed: `${m[1]}.${frac}${outZone}` };
}

/** Is `t` strictly before `sinceMs` (time.Before, with the sub-millisecond part)? */
export function isBefore(t: CriTime, sinceMs: number): boolean {
  return t.ms < Math.floor(sinceMs) || (t.ms === Math.floor(sinceMs) && t.subMsNanos < (sinceMs % 1) * 1e6);
}

/**
 * parseCRILog for one line read from the file, including its trailing '\n' if it had one. Returns null for
 * a line that is not CRI format.
 */
export function parseCriLine(line: string): CriLogMessage | null {
  const a = line.indexOf(' ');
  if (a < 0) return null;
  const time = parseCriTime(line.slice(0, a));
  if (!time) return null;
  const b = line.indexOf(' ', a + 1);
  if (b < 0) return null;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return null;
  const c = line.indexOf(' ', b + 1);
  if (c < 0) return null;
  // Tags are ':'-separated and may grow; only the first (P or F) matters.
  const partial = line.slice(b + 1, c).split(':')[0] === 'P';
  let log = line.slice(c + 1);
  if (partial && log.endsWith('\n')) log = log.slice(0, -1);
  return { time, stream, log };
}

/** parseDockerJSONLog: `{"log":"content\n","stream":"stdout","time":"2016-10-20T18:39:20.57606443Z"}`. */
export function parseDockerJsonLine(line: string): CriLogMessage | null {
  try {
    const v = JSON.parse(line) as { log?: unknown; stream?: unknown; time?: unknown };
    if (typeof v !== 'object' || v === null || typeof v.time !== 'string') return null;
    const time = parseCriTime(v.time);
    if (!time) return null;
    const stream = v.stream === 'stderr' ? 'stderr' : v.stream === 'stdout' ? 'stdout' : null;
    if (!stream) return null;
    return { time, stream, log: typeof v.log === 'string' ? v.log : '' };
  } catch {
    return null;
  }
}

export type LineParser = (line: string) => CriLogMessage | null;

/** getParseFunc: the format is decided by the first line, as upstream does. */
export function parserFor(firstLine: string): LineParser | null {
  if (parseCriLine(firstLine)) return parseCriLine;
  if (parseDockerJsonLine(firstLine)) return parseDockerJsonLine;
  return null;
}

/**
 * RFC3339Nano as containerd writes it (trailing zeros of the fraction dropped). `time` is ms since the
 * epoch (fractions allowed) or a bigint of ns since the epoch.
 */
export function formatCriTime(time: number | bigint | Date): string {
  let ns: bigint;
  if (typeof time === 'bigint') ns = time;
  else {
    const ms = time instanceof Date ? time.getTime() : time;
    ns = BigInt(Math.floor(ms)) * 1_000_000n + BigInt(Math.round((ms % 1) * 1e6));
  }
  const ms = Number(ns / 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}${frac ? `.${frac}` : ''}Z`;
}

/**
 * One CRI log record. `text` must not contain '\n'; use CriLineSplitter to turn a process's output into
 * records.
 */
export function formatCriLogLine(
  time: number | bigint | Date,
  stream: LogStream,
  text: string,
  partial: boolean,
): string {
  return `${formatCriTime(time)} ${stream} ${partial ? 'P' : 'F'} ${text}\n`;
}

/** containerd's default maximum record size; longer lines are split into P records. */
export const MAX_CRI_LINE_BYTES = 16 * 1024;

/**
 * Turns a stream's raw output into CRI records, as containerd's log redirector does: complete lines become
 * F records, lines longer than maxLineBytes are cut into P records, and output without a newline waits for
 * the rest of its line (or for end()).
 */
export class CriLineSplitter {
  #pending: Buffer = Buffer.alloc(0);
  readonly #stream: LogStream;
  readonly #write: (record: string) => void;
  readonly #now: () => number | bigint;
  readonly #max: number;

  constructor(
    stream: LogStream,
    write: (record: string) => void,
    options: { now?: () => number | bigint; maxLineBytes?: number } = {},
  ) {
    this.#stream = stream;
    this.#write = write;
    this.#now = options.now ?? (() => Date.now());
    this.#max = options.maxLineBytes ?? MAX_CRI_LINE_BYTES;
  }

  push(chunk: Buffer | string): void {
    let buf = Buffer.concat([this.#pending, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
    for (;;) {
      const nl = buf.indexOf(0x0a);
      if (nl >= 0 && nl <= this.#max) {
        this.#emit(buf.subarray(0, nl), false);
        buf = buf.subarray(nl + 1);
        continue;
      }
      if (buf.length > this.#max) {
        this.#emit(buf.subarray(0, this.#max), true);
        buf = buf.subarray(this.#max);
        continue;
      }
      break;
    }
    this.#pending = Buffer.from(buf);
  }

  /** Flushes a last line that had no newline, as a full record. */
  end(): void {
    if (this.#pending.length > 0) this.#emit(this.#pending, false);
    this.#pending = Buffer.alloc(0);
  }

  #emit(bytes: Buffer, partial: boolean): void {
    // A '\r' of a CRLF line stays in the content, as it does with containerd.
    this.#write(formatCriLogLine(this.#now(), this.#stream, bytes.toString('utf8'), partial));
  }
}
