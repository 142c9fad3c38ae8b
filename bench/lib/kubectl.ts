// Runs kubectl against the server under test and times it (wall clock, spawn to exit).
import { spawn } from 'node:child_process';
import { elapsedMs, now } from './stats.js';

export interface KubectlRun {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(
  args: string[],
  kubeconfig: string,
  cacheDir: string,
  timeoutMs = 120_000,
  env: Record<string, string> = {},
): Promise<KubectlRun> {
  return new Promise((resolve, reject) => {
    const start = now();
    const child = spawn('kubectl', [`--cache-dir=${cacheDir}`, ...args], {
      env: { ...process.env, KUBECONFIG: kubeconfig, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`kubectl ${args.join(' ')}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        ms: elapsedMs(start),
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** Runs kubectl and throws with its stderr unless it exits 0. */
export async function kubectlOk(
  args: string[],
  kubeconfig: string,
  cacheDir: string,
  timeoutMs?: number,
): Promise<KubectlRun> {
  const r = await kubectl(args, kubeconfig, cacheDir, timeoutMs);
  if (r.code !== 0)
    throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim().slice(0, 500)}`);
  return r;
}
