// ReadLogs (pkg/kubelet/kuberuntime/logs/logs.go): renders one CRI log file per PodLogOptions: tail, since,
// timestamps, limitBytes, stream, and follow (keep reading as the file grows until the container stops, then
// drain and end). Rotation while following: when the path names a new file, the old one is finished first.
import { type FSWatcher, watch as fsWatch } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../util/clock.js';
import { goQuote } from '../../util/go-format.js';
import { LogError, type LogSink } from '../types.js';
import { type CriLogMessage, isBefore, type LineParser, parserFor } from './cri.js';

export interface ReadLogOptions {
  /** Last N lines; -1 for all. */
  tail: number;
  /** Byte budget for the output (timestamps included); -1 for no limit. */
  limitBytes: number;
  /** Skip records older than this (ms since epoch, 0 for none). */
  sinceMs: number;
  timestamps: boolean;
  stream: 'All' | 'Stdout' | 'Stderr';
  follow: boolean;
}

export interface FollowHooks {
  /** Whether the container still runs; the follower ends after draining once it does not. */
  isRunning(): Promise<boolean>;
  clock: Clock;
  /** How often to look at the file without a change notification (upstream logForceCheckPeriod, 1 s). */
  pollMs?: number;
}

const BLOCK = 64 * 1024;

function wants(stream: ReadLogOptions['stream'], s: CriLogMessage['stream']): boolean {
  return stream === 'All' || (stream === 'Stdout' ? s === 'stdout' : s === 'stderr');
}

/** Quick look at a raw line's stream field, for tail counting without a full parse. */
function lineStream(line: Buffer): string {
  const a = line.indexOf(0x20);
  const b = a < 0 ? -1 : line.indexOf(0x20, a + 1);
  if (b > a && a >= 0) return line.subarray(a + 1, b).toString();
  // Docker JSON lines.
  const m = /"stream"\s*:\s*"(stdout|stderr)"/.exec(line.toString());
  return m?.[1] ?? '';
}

/**
 * tail.FindTailLineStartIndex: the offset where the last `n` lines start. With a stream filter only lines of
 * that stream count.
 */
async function findTailStart(
  fh: fs.FileHandle,
  n: number,
  stream: ReadLogOptions['stream'],
): Promise<number> {
  if (n < 0) return 0;
  const size = (await fh.stat()).size;
  if (stream === 'All') {
    let left = 0;
    let cnt = 0;
    let buf = Buffer.alloc(0);
    for (let right = size; right > 0 && cnt <= n; right -= BLOCK) {
      left = Math.max(0, right - BLOCK);
      buf = Buffer.alloc(right - left);
      await fh.read(buf, 0, buf.length, left);
      for (const b of buf) if (b === 0x0a) cnt++;
    }
    for (; cnt > n; cnt--) {
      const idx = buf.indexOf(0x0a) + 1;
      buf = buf.subarray(idx);
      left += idx;
    }
    return left;
  }
  const want = stream === 'Stdout' ? 'stdout' : 'stderr';
  const starts: number[] = [];
  let offset = 0;
  let carry = Buffer.alloc(0);
  const block = Buffer.alloc(BLOCK);
  for (let pos = 0; pos < size; ) {
    const { bytesRead } = await fh.read(block, 0, BLOCK, pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    let data = Buffer.concat([carry, block.subarray(0, bytesRead)]);
    for (;;) {
      const nl = data.indexOf(0x0a);
      if (nl < 0) break;
      if (lineStream(data.subarray(0, nl)) === want) starts.push(offset);
      offset += nl + 1;
      data = data.subarray(nl + 1);
    }
    carry = Buffer.from(data);
  }
  if (carry.length > 0 && lineStream(carry) === want) starts.push(offset);
  if (n === 0) return size;
  return starts.length <= n ? 0 : starts[starts.length - n]!;
}

/** Waits for a change to the log file (fs.watch on its directory) or the poll period, whichever is first. */
class ChangeWaiter {
  #watcher: FSWatcher | undefined;
  #changed = false;
  #wake: (() => void) | undefined;

  constructor(file: string) {
    try {
      const base = path.basename(file);
      this.#watcher = fsWatch(path.dirname(file), (_event, name) => {
        if (name === null || name === base || name.startsWith(`${base}.`)) {
          this.#changed = true;
          this.#wake?.();
        }
      });
      this.#watcher.on('error', () => this.close());
    } catch {
      // No notifications (e.g. the directory is gone): polling alone still works.
      this.#watcher = undefined;
    }
  }

  async wait(clock: Clock, pollMs: number, signal: AbortSignal): Promise<void> {
    if (this.#changed) {
      this.#changed = false;
      return;
    }
    const timer = new AbortController();
    const onAbort = () => timer.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.#wake = () => timer.abort();
    try {
      await clock.sleep(pollMs, timer.signal);
    } catch {
      // Woken by a change or by the caller's abort.
    } finally {
      this.#wake = undefined;
      this.#changed = false;
      signal.removeEventListener('abort', onAbort);
    }
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}

async function openLog(file: string): Promise<fs.FileHandle> {
  // Like ReadLogs, resolve symlinks first; its error is the one users see for a vanished log file.
  let resolved: string;
  try {
    resolved = await fs.realpath(file);
  } catch (err) {
    throw new LogError(
      `failed to try resolving symlinks in path ${goQuote(file)}: lstat ${file}: ${errnoText(err)}`,
    );
  }
  try {
    return await fs.open(resolved, 'r');
  } catch (err) {
    throw new LogError(`failed to open log file ${goQuote(resolved)}: open ${resolved}: ${errnoText(err)}`);
  }
}

function errnoText(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
      return 'permission denied';
    case 'ENOTDIR':
      return 'not a directory';
    default:
      return (err as Error).message ?? String(err);
  }
}

async function sameFile(fh: fs.FileHandle, file: string): Promise<boolean | 'missing'> {
  try {
    const [a, b] = await Promise.all([fh.stat(), fs.stat(file)]);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return 'missing';
  }
}

/**
 * Writes the log at `file` to `out`, one chunk per record. Resolves when everything asked for was written,
 * when following ends (the container stopped and the file was drained), or when `signal` aborts.
 * Backpressure: the records of one block are handed over before the next block is read, and a promise
 * returned by `out` is awaited first, so a slow consumer stops the reading (the file keeps the rest).
 */
export async function readLogs(
  file: string,
  opts: ReadLogOptions,
  out: LogSink,
  signal: AbortSignal,
  hooks?: FollowHooks,
): Promise<void> {
  let fh = await openLog(file);
  let waiter: ChangeWaiter | undefined;
  try {
    let pos = await findTailStart(fh, opts.tail, opts.stream);
    const limitedMode = opts.tail >= 0 && !opts.follow;
    let limitedNum = opts.tail;
    let remain = opts.limitBytes >= 0 ? opts.limitBytes : Number.POSITIVE_INFINITY;
    let parse: LineParser | null = null;
    let isNewLine = true;
    let found = true;
    let carry = Buffer.alloc(0);
    const block = Buffer.alloc(BLOCK);
    // Records rendered from the current block, handed to `out` by `flush` before the next read.
    let queued: string[] = [];
    const flush = async (): Promise<void> => {
      const chunks = queued;
      queued = [];
      for (const chunk of chunks) {
        if (signal.aborted) return;
        const wait = out(chunk);
        if (wait instanceof Promise) await wait;
      }
    };

    /** Returns false when output must stop (byte limit or tail count reached). */
    const handle = (raw: Buffer): boolean => {
      const line = raw.toString('utf8');
      if (!parse) {
        parse = parserFor(line);
        if (!parse)
          throw new LogError(`failed to get parse function: unsupported log format: ${goQuote(line)}`);
      }
      const msg = parse(line);
      if (!msg || !wants(opts.stream, msg.stream)) return true;
      if (!isBefore(msg.time, opts.sinceMs)) {
        let text = msg.log;
        if (opts.timestamps && isNewLine) text = `${msg.time.fixed} ${text}`;
        let bytes = Buffer.from(text, 'utf8');
        if (bytes.length > remain) bytes = bytes.subarray(0, remain);
        if (bytes.length > 0) queued.push(bytes.toString('utf8'));
        remain -= bytes.length;
        if (remain <= 0) return false;
      }
      if (limitedMode) limitedNum--;
      isNewLine = msg.log === '' || msg.log.endsWith('\n');
      return !(limitedMode && limitedNum === 0);
    };

    if (limitedMode && limitedNum === 0) return;
    for (;;) {
      if (signal.aborted) return;
      const { bytesRead } = await fh.read(block, 0, BLOCK, pos);
      if (bytesRead > 0) {
        pos += bytesRead;
        let data = carry.length
          ? Buffer.concat([carry, block.subarray(0, bytesRead)])
          : block.subarray(0, bytesRead);
        let more = true;
        for (;;) {
          const nl = data.indexOf(0x0a);
          if (nl < 0) break;
          more = handle(data.subarray(0, nl + 1));
          if (!more) break;
          data = data.subarray(nl + 1);
        }
        await flush();
        if (!more) return;
        carry = Buffer.from(data);
        continue;
      }
      // End of file.
      if (!opts.follow || !hooks) {
        // An incomplete last line is still shown.
        if (carry.length > 0) handle(carry);
        await flush();
        return;
      }
      if (!found) {
        if (carry.length > 0) handle(carry);
        await flush();
        return;
      }
      const same = await sameFile(fh, file);
      if (same === false) {
        // Rotated: the old file is finished; continue with the new one from its start.
        const more = carry.length === 0 || handle(carry);
        await flush();
        if (!more) return;
        carry = Buffer.alloc(0);
        await fh.close();
        fh = await openLog(file);
        pos = 0;
        continue;
      }
      if (!(await hooks.isRunning())) {
        // Read once more up to the end, then stop.
        found = false;
        continue;
      }
      waiter ??= new ChangeWaiter(file);
      await waiter.wait(hooks.clock, hooks.pollMs ?? 1000, signal);
    }
  } finally {
    waiter?.close();
    await fh.close().catch(() => {});
  }
}
