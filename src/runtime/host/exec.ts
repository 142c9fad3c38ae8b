// ExecSync: the shim's `exec` mode runs a command inside a running container's namespaces; this collects its
// output (bounded) and enforces the timeout.

import { spawn } from 'node:child_process';
import type { Clock } from '../../util/clock.js';
import type { ExecResult } from '../types.js';

const EXEC_OUTPUT_LIMIT = 16 * 1024 * 1024;

/** Runs `perl <shim> exec` with `spec` on its stdin. Never rejects. */
export function runExec(
  perl: string,
  shim: string,
  spec: string,
  timeoutSeconds: number,
  clock: Clock,
): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve) => {
    const child = spawn(perl, [shim, 'exec'], { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
    const out = new Capture();
    const err = new Capture();
    let timedOut = false;
    const abort = new AbortController();
    child.stdout.on('data', (b: Buffer) => out.add(b));
    child.stderr.on('data', (b: Buffer) => err.add(b));
    child.stdin.on('error', () => {});
    child.stdin.end(spec);
    if (timeoutSeconds > 0) {
      clock
        .sleep(timeoutSeconds * 1000, abort.signal)
        .then(() => {
          timedOut = true;
          // The shim SIGKILLs the command on SIGTERM; SIGKILL the shim too if it does not go.
          child.kill('SIGTERM');
          return clock.sleep(2000, abort.signal).then(() => child.kill('SIGKILL'));
        })
        .catch(() => {});
    }
    const finish = (exitCode: number) => {
      abort.abort();
      resolve({ exitCode, stdout: out.text(), stderr: err.text(), timedOut });
    };
    child.on('error', (e) => {
      err.add(Buffer.from(`cannot run ${perl}: ${e.message}\n`));
      finish(126);
    });
    child.on('close', (code, sig) => finish(code ?? (sig === 'SIGKILL' ? 137 : 143)));
  });
}

class Capture {
  #chunks: Buffer[] = [];
  #size = 0;
  add(b: Buffer): void {
    if (this.#size >= EXEC_OUTPUT_LIMIT) return;
    this.#chunks.push(b);
    this.#size += b.length;
  }
  text(): string {
    return Buffer.concat(this.#chunks).subarray(0, EXEC_OUTPUT_LIMIT).toString('utf8');
  }
}
