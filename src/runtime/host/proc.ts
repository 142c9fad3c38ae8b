// Facts about processes and mounts read from /proc, and a small promise wrapper around spawn for one-shot
// helper commands (the shim in its short modes, `ip`).

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { isSameProcess, processStat } from '../../util/process-identity.js';

export { isSameProcess };

/** The start time of a live process (clock ticks since boot), as its liveness is checked by; or undefined. */
export function startTimeOf(pid: number): string | undefined {
  const stat = processStat(pid);
  return stat && stat.state !== 'Z' ? stat.starttime : undefined;
}

/** SIGKILL to `pid` if it is still the process that started at `starttime`; a process gone already is fine. */
export function killIfSame(pid: number, starttime: string): void {
  if (!isSameProcess(pid, starttime)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // it ended meanwhile
  }
}

export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a short helper command to completion. Never rejects for a non-zero exit; rejects if it cannot start. */
export function run(cmd: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? 128 + (signal ? signalNumber(signal) : 0),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

export function signalNumber(signal: string): number {
  return (constants.signals as Record<string, number>)[signal] ?? 0;
}
