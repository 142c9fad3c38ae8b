// Small file helpers: records are written whole to a temporary name and renamed, so a reader (or a podrun
// restarted after kill -9) sees the old record or the new one, never half of one.

import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeFileAtomic(path: string, data: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
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
