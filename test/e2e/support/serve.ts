// `bin/podrun serve` as a child process, the way a user runs it: port 0, its own state directory, a short
// CrashLoopBackOff so that crash-loop tests take seconds. Every e2e file starts its own.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..', '..');
export const PODRUN = join(REPO, 'bin', 'podrun');

export interface ServeOptions {
  /** Reuse a state directory (restart tests); a new temporary one otherwise. */
  stateDir?: string;
  backoffInitial?: string;
  backoffMax?: string;
  /**
   * `--images`: default `host`, since most e2e manifests run the host's binaries and nothing may be pulled
   * from the internet; the image tests say `pull` and name a loopback registry in `registriesConf`.
   */
  images?: 'pull' | 'host';
  /** `--registries-conf`. */
  registriesConf?: string;
  /** More `podrun serve` flags (`--metric-resolution 1s`). */
  extraArgs?: string[];
  /** How long to wait for `podrun serving …`. */
  readyTimeoutMs?: number;
}

export interface Serve {
  stateDir: string;
  kubeconfig: string;
  url: string;
  pid: number;
  child: ChildProcess;
  /** Everything the server wrote to stderr so far (for failure messages). */
  output(): string;
  /** Resolves when the process has exited (at once when it already has). */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then waits up to `timeoutMs` for the exit. Rejects when it does not exit in time. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL: the server dies without stopping anything. */
  kill9(): Promise<void>;
}

export function tempStateDir(prefix = 'podrun-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startServe(options: ServeOptions = {}): Promise<Serve> {
  const stateDir = options.stateDir ?? tempStateDir();
  const args = [
    PODRUN,
    'serve',
    '--port',
    '0',
    '--state-dir',
    stateDir,
    '--backoff-initial',
    options.backoffInitial ?? '1s',
    '--backoff-max',
    options.backoffMax ?? '4s',
    '--images',
    options.images ?? 'host',
    ...(options.registriesConf ? ['--registries-conf', options.registriesConf] : []),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString('utf8');
  });
  child.stderr?.on('data', (b: Buffer) => {
    out += b.toString('utf8');
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitedP = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });

  const timeout = options.readyTimeoutMs ?? 30_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`podrun serve did not report "podrun serving" within ${timeout} ms:\n${out}`));
    }, timeout);
    const check = () => {
      const m = /podrun serving (https?:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        child.stderr?.off('data', check);
        resolve(m[1]);
      }
    };
    child.stderr?.on('data', check);
    exitedP.then((e) => {
      clearTimeout(timer);
      reject(new Error(`podrun serve exited (${e.code ?? e.signal}) before serving:\n${out}`));
    });
  });

  const serve: Serve = {
    stateDir,
    kubeconfig: join(stateDir, 'kubeconfig'),
    url,
    pid: child.pid ?? 0,
    child,
    output: () => out,
    exited: () => exitedP,
    async stop(timeoutMs = 60_000) {
      if (exit) return exit;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        exitedP,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`podrun serve did not exit within ${timeoutMs} ms of SIGTERM:\n${out}`)),
            timeoutMs,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      return result;
    },
    async kill9() {
      if (exit) return;
      child.kill('SIGKILL');
      await exitedP;
    },
  };
  return serve;
}

/** Runs `bin/podrun ARGS` to completion (for `up`, `validate`, `kubeconfig`). */
export async function runPodrun(
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [PODRUN, ...args], {
    cwd: options.cwd ?? REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    stdout += b.toString('utf8');
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString('utf8');
  });
  const timeoutMs = options.timeoutMs ?? 120_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  if (signal === 'SIGKILL') {
    stderr += `\n[test: podrun ${args.join(' ')} killed after ${timeoutMs} ms]\n`;
  }
  return { code, signal, stdout, stderr };
}

/** Starts `bin/podrun ARGS` and returns at once (for commands that run until interrupted). */
export function spawnPodrun(args: string[], options: { env?: NodeJS.ProcessEnv } = {}) {
  const child = spawn(process.execPath, [PODRUN, ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (b: Buffer) => {
    out.stdout += b.toString('utf8');
  });
  child.stderr.on('data', (b: Buffer) => {
    out.stderr += b.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, out, exited };
}
