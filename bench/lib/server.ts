// Starts the server under test as a child process and stops it: `podrun serve` when the CLI has it, else
// (only if the caller allows) an API-server-only stand-in (bench/lib/apiserver-child.ts) built from the same
// registry, store and HTTP server. Either way the benchmark talks to it black-box through the kubeconfig it
// writes, and reads its memory from /proc/<pid>/status.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deferCleanup } from './cleanup.js';
import { KubeClient } from './kube-client.js';
import { podrunForm } from './podrun-form.js';
import { elapsedMs, now } from './stats.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PODRUN_BIN = join(REPO_ROOT, 'bin', 'podrun');
const FALLBACK = join(REPO_ROOT, 'bench', 'lib', 'apiserver-child.ts');
const FAKE_RUNTIME = join(REPO_ROOT, 'bench', 'lib', 'fake-runtime-child.mjs');

export type ServerKind = 'podrun serve' | 'apiserver-only stand-in' | 'podrun on the fake runtime';

export interface ServerHandle {
  kind: ServerKind;
  pid: number;
  stateDir: string;
  kubeconfigPath: string;
  client: KubeClient;
  /** From spawn to the kubeconfig written and /readyz answering. */
  startupMs: number;
  /** The last lines the server wrote to stderr (for error messages). */
  stderrTail(): string;
  /** Whether the process is still alive. */
  alive(): boolean;
  /**
   * SIGTERM, then SIGKILL after `graceMs`; removes the state directory unless keepState, or unless something
   * is still mounted under it (removing through a bind mount would delete what it points to).
   */
  stop(options?: {
    graceMs?: number;
    keepState?: boolean;
  }): Promise<{ exitedCleanly: boolean; removed: boolean; mountsLeft: string[] }>;
}

/** Mount points (as this process sees them) at or below `dir`. */
export function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    // Field 5 is the mount point, with spaces and the like octal-escaped.
    const point = line
      .split(' ')[4]
      ?.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    if (point !== undefined && (point === dir || point.startsWith(`${dir}/`))) out.push(point);
  }
  return out;
}

let serveAvailable: boolean | undefined;

/** Whether `podrun serve` exists in this checkout (its --help exits 0). */
export function podrunServeAvailable(): boolean {
  if (serveAvailable === undefined) {
    const r = spawnSync(process.execPath, [PODRUN_BIN, 'serve', '--help'], {
      cwd: REPO_ROOT,
      timeout: 60_000,
      stdio: 'ignore',
    });
    serveAvailable = r.status === 0;
  }
  return serveAvailable;
}

export interface StartOptions {
  /** Extra arguments to `podrun serve` (e.g. ['--runtime', 'host']). */
  serveArgs?: string[];
  /** Use the API-server-only stand-in when `podrun serve` is missing. */
  allowFallback: boolean;
  /** podrun with the fake runtime admitting this many pods (bench/lib/fake-runtime-child.mjs), not `podrun serve`. */
  fakeRuntimeMaxPods?: number;
  /** Sockets the benchmark client may open at once. */
  maxSockets?: number;
  timeoutMs?: number;
  /** Options for the server's node (e.g. `--heapsnapshot-signal=SIGUSR2`). */
  nodeArgs?: string[];
  /** More environment for the server. */
  env?: Record<string, string>;
  /** Hears every whole line the server writes to stderr. */
  onStderrLine?: (line: string) => void;
}

export async function startServer(options: StartOptions): Promise<ServerHandle> {
  const stateDir = await mkdtemp(join(tmpdir(), 'podrun-bench-'));
  const kubeconfigPath = join(stateDir, 'kubeconfig');
  let kind: ServerKind;
  let args: string[];
  if (options.fakeRuntimeMaxPods !== undefined) {
    kind = 'podrun on the fake runtime';
    const max = String(options.fakeRuntimeMaxPods);
    args =
      podrunForm() === 'dist'
        ? [FAKE_RUNTIME, stateDir, max, 'dist']
        : ['--import', 'tsx', FAKE_RUNTIME, stateDir, max, 'src'];
  } else if (podrunServeAvailable()) {
    kind = 'podrun serve';
    args = [PODRUN_BIN, 'serve', '--port', '0', '--state-dir', stateDir, ...(options.serveArgs ?? [])];
  } else if (options.allowFallback) {
    kind = 'apiserver-only stand-in';
    args = ['--import', 'tsx', FALLBACK, stateDir];
  } else {
    await rm(stateDir, { recursive: true, force: true });
    throw new Error('`podrun serve` is not available in this checkout (bin/podrun serve --help failed)');
  }

  // BENCH_CPU_PROF=DIR: the server writes a V8 CPU profile there when it exits (open it in Chrome DevTools).
  const profDir = process.env.BENCH_CPU_PROF;
  if (profDir) args.unshift('--cpu-prof', `--cpu-prof-dir=${profDir}`);
  if (options.nodeArgs) args.unshift(...options.nodeArgs);
  const start = now();
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production', ...options.env },
  });
  const stderr: string[] = [];
  let partial = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr.push(chunk);
    if (stderr.length > 200) stderr.splice(0, stderr.length - 200);
    if (!options.onStderrLine) return;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) options.onStderrLine(line);
  });
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const tail = () => stderr.join('').split('\n').slice(-20).join('\n');

  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let client: KubeClient | undefined;
  try {
    while (!client) {
      if (exited) throw new Error(`${kind} exited before it was ready:\n${tail()}`);
      if (Date.now() > deadline)
        throw new Error(`${kind} was not ready after ${options.timeoutMs ?? 120_000} ms:\n${tail()}`);
      if (existsSync(kubeconfigPath)) {
        try {
          const c = KubeClient.fromKubeconfig(kubeconfigPath, options.maxSockets);
          const r = await c.request('GET', '/readyz');
          if (r.status === 200) client = c;
          else c.close();
        } catch {
          // Written but not yet complete, or not listening yet.
        }
      }
      if (!client) await new Promise((r) => setTimeout(r, 25));
    }
  } catch (err) {
    child.kill('SIGKILL');
    await exitPromise;
    if (mountsUnder(stateDir).length === 0) await rm(stateDir, { recursive: true, force: true });
    throw err;
  }
  const startupMs = elapsedMs(start);
  const ready = client;

  const handle: ServerHandle = {
    kind,
    pid: child.pid!,
    stateDir,
    kubeconfigPath,
    client: ready,
    startupMs,
    stderrTail: tail,
    alive: () => !exited,
    async stop({ graceMs = 30_000, keepState = false } = {}) {
      ready.close();
      let exitedCleanly = true;
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          exitedCleanly = false;
          child.kill('SIGKILL');
        }, graceMs);
        await exitPromise;
        clearTimeout(timer);
      }
      const mountsLeft = mountsUnder(stateDir);
      const removed = !keepState && mountsLeft.length === 0;
      if (removed) await rm(stateDir, { recursive: true, force: true });
      return { exitedCleanly, removed, mountsLeft };
    },
  };
  const forget = deferCleanup(async () => {
    // Long enough for podrun to stop a few hundred pods on SIGTERM; the host benchmark kills what is left.
    await handle.stop({ graceMs: 60_000 });
  });
  const stop = handle.stop;
  handle.stop = (o) => {
    forget();
    return stop(o);
  };
  return handle;
}
