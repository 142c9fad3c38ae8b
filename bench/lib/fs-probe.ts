// How much creating a file costs where podrun keeps its state. Each pod makes about a dozen files and
// directories there (log files and their directories, the pod's directory, its hosts file), so on a
// filesystem where a creation is slow that is a visible part of podrun's CPU per pod. Seen on the
// benchmark machines (ext4 without a journal): a creation costs ~25 µs in a quiet directory and ~500 µs in
// one where thousands of files were deleted in the last minutes, because ext4 without a journal passes over
// each recently deleted inode (recently_deleted() in fs/ext4/ialloc.c: 60 s, 360 s while its block is
// dirty) before it reuses one; a benchmark run deletes thousands of files at its end.
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** CPU time (user + system) of creating one empty file in a new directory under `parent`, in µs. */
export function fileCreateMicros(parent: string, files = 200): number {
  const dir = mkdtempSync(join(parent, 'fs-probe-'));
  try {
    const before = process.cpuUsage();
    for (let i = 0; i < files; i++) closeSync(openSync(join(dir, `f${i}`), 'w'));
    const used = process.cpuUsage(before);
    return (used.user + used.system) / files;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
