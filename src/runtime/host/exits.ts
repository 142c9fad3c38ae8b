// How a container's end is learnt: the exit file its shim writes, else /proc (the shim is gone), else what
// podrun itself sent it.

import { type FSWatcher, watch } from 'node:fs';
import { join } from 'node:path';
import { readJson } from './files.js';
import { isSameProcess } from './proc.js';
import type { ContainerRecord } from './records.js';

/** Written by the shim when the container exits (finish in podrun-shim.pl). */
export interface ExitFile {
  exitCode: number;
  signal: number;
  finishedAt: number;
  oomKilled: boolean;
  startError: string | null;
}

export function readExit(exitsDir: string, id: string): ExitFile | undefined {
  return readJson<ExitFile>(join(exitsDir, id));
}

/**
 * The end of a running container that has ended, with a message when its status is unknown; undefined while
 * it runs. `sameBoot`: the record is of this boot (else its pids mean nothing). `sentSignal`: the last
 * signal podrun sent it.
 */
export function pendingExit(
  rec: ContainerRecord,
  exitsDir: string,
  sameBoot: boolean,
  sentSignal: number | undefined,
): { exit: ExitFile; message: string } | undefined {
  if (rec.state !== 'running') return undefined;
  const exit = readExit(exitsDir, rec.id);
  if (exit) return { exit, message: '' };
  if (sameBoot && isSameProcess(rec.shimPid, rec.shimStart)) return undefined;
  // The shim is gone without a record. Look again (it may have written just now), then ask /proc.
  const late = readExit(exitsDir, rec.id);
  if (late) return { exit: late, message: '' };
  if (sameBoot && isSameProcess(rec.pid, rec.pidStart)) return undefined;
  // Nobody recorded the exit. If podrun killed it, that is how it ended; otherwise the status is lost.
  return {
    exit: {
      exitCode: sentSignal ? 128 + sentSignal : 255,
      signal: sentSignal ?? 0,
      finishedAt: Date.now(),
      oomKilled: false,
      startError: null,
    },
    message: sentSignal
      ? ''
      : 'the container exited while its shim was not running: its exit status is unknown',
  };
}

/** Puts an exit in the record, with containerd's reasons; returns whether the container was running. */
export function recordExit(rec: ContainerRecord, exit: ExitFile, message: string): boolean {
  const wasRunning = rec.state === 'running';
  rec.state = 'exited';
  rec.exitCode = exit.exitCode;
  rec.signal = exit.signal;
  rec.finishedAt = exit.finishedAt;
  rec.reason = exit.startError
    ? 'StartError'
    : exit.oomKilled
      ? 'OOMKilled'
      : exit.exitCode === 0
        ? 'Completed'
        : 'Error';
  rec.message = exit.startError ?? message;
  return wasRunning;
}

/** Calls `onExit(id)` for each exit file the shims write in `exitsDir` (renamed into place from `*.tmp`). */
export function watchExits(exitsDir: string, onExit: (id: string) => void, onGone: () => void): FSWatcher {
  const watcher = watch(exitsDir, (_event, filename) => {
    const id = filename?.toString();
    if (id && !id.endsWith('.tmp')) onExit(id);
  });
  watcher.on('error', onGone);
  return watcher;
}
