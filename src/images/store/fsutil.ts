// Small filesystem helpers for crash-safe writes: a file is written beside its destination, fsynced, renamed,
// and the directory fsynced, so after a crash either the old or the new content is there, never a mix.
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export function tempName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(6).toString('hex')}`;
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replaces `path` with `data` through a rename, so that a reader sees the old content or the new, never a mix.
 * With `sync` (the default) the file and its directory are fsynced too, so that a crash of the machine keeps
 * that promise; without it a crash may leave the file empty or absent (each fsync costs milliseconds).
 */
export async function writeFileAtomic(
  path: string,
  data: string | Buffer,
  options: { sync?: boolean } = {},
): Promise<void> {
  const sync = options.sync ?? true;
  const tmp = join(dirname(path), `.${tempName(basename(path))}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    if (sync) await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  if (sync) await fsyncDir(dirname(path));
}

/** writeFileAtomic without fsync, synchronously: for small records on a latency-sensitive path. */
export function replaceFileSync(path: string, data: string | Buffer): void {
  const tmp = join(dirname(path), `.${tempName(basename(path))}.tmp`);
  try {
    writeFileSync(tmp, data, { flag: 'wx', mode: 0o644 });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

/** Serialises async critical sections within this process (the index file has one writer at a time). */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => {
      release = r;
    });
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
