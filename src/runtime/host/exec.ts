// ExecSync: the shim's `exec` mode runs a command inside a running container's namespaces; this collects its
// output (bounded) and enforces the timeout.

import { spawn } from 'node:child_process';
import type { Clock } from '../../util/clock.js';
import type { ExecResult } from '../types.js';
import { imageProcessEntries } from './image-container.js';
import { resolveCommand } from './mounts.js';
import type { ContainerRecord } from './records.js';
import { processEntries } from './request-specs.js';
import { encodeSpec, syscallEntries } from './spec.js';

const EXEC_OUTPUT_LIMIT = 16 * 1024 * 1024;

/**
 * The `exec` request for a command in a running container: in an image's root the shim looks the command up
 * in the container's PATH; on the host's filesystem it is found here, and a missing one is exit 127 at once.
 */
export function execSpec(
  rec: ContainerRecord,
  hostname: string | undefined,
  cmd: string[],
): string | ExecResult {
  const target = ['pid', String(rec.pid)] as const;
  if (rec.image) return encodeSpec([...syscallEntries(), target, ...imageProcessEntries(rec, cmd)]);
  const found = resolveCommand(
    cmd[0] ?? '',
    rec.config.envs,
    rec.config.workingDir || '/',
    rec.config.mounts,
  );
  if (!found.ok) return { exitCode: 127, stdout: '', stderr: `${found.message}\n`, timedOut: false };
  return encodeSpec([...syscallEntries(), target, ...processEntries(rec, hostname, found.path, cmd)]);
}

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
