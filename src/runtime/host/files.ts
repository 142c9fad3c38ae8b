// Small file helpers: records are written whole to a temporary name and renamed, so a reader (or a podrun
// restarted after kill -9) sees the old record or the new one, never half of one.

import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';

export function writeFileAtomic(path: string, data: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** writeFileAtomic off the event loop (the libuv thread pool does the I/O). */
export async function writeFileAtomicAsync(path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

export function readJson<T>(path: string): T | undefined {
  // Usually asked of an exit file that does not exist yet: a stat without an exception is cheaper than a
  // failed read's thrown ENOENT.
  if (!statSync(path, { throwIfNoEntry: false })) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
