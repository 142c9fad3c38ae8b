// Running the real kubectl against a test server: its own kubeconfig and --cache-dir per server, spawned
// asynchronously (the server runs in this process, so a synchronous spawn would deadlock it).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeKubeconfig } from '../../src/apiserver/http/server.js';
import { startTestServer, type TestServer } from './helpers.js';

/** `kubectl` on PATH (on these machines the Google Cloud SDK dispatcher). */
export const KUBECTL_ON_PATH =
  spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim() || undefined;

/** The kubectl 1.32 binary: the one bundled beside the dispatcher, else `kubectl` on PATH. */
export function findKubectl(): string | undefined {
  if (!KUBECTL_ON_PATH) return undefined;
  const bundled = join(dirname(realpathSync(KUBECTL_ON_PATH)), 'kubectl.1.32');
  return existsSync(bundled) ? bundled : KUBECTL_ON_PATH;
}

export const KUBECTL = findKubectl();
/** Locally without kubectl these tests skip; in CI (CI=true) they must run. */
export const SKIP_KUBECTL = !KUBECTL && process.env.CI !== 'true' ? 'kubectl is not installed' : false;

export interface KubectlEnv {
  t: TestServer;
  dir: string;
  kubeconfig: string;
  run(args: string[], options?: { timeoutMs?: number }): Promise<KubectlResult>;
  spawnLong(args: string[]): LongRunning;
  writeFile(name: string, text: string): Promise<string>;
  close(): Promise<void>;
}

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface LongRunning {
  /** Resolves once stdout contains `text`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<string>;
  stdout(): string;
  kill(): void;
  exited: Promise<KubectlResult>;
}

/** `dispatcher`: run `kubectl` from PATH (which picks its bundled version from /version) instead of 1.32. */
export async function kubectlEnv(options: { dispatcher?: boolean } = {}): Promise<KubectlEnv> {
  const binary = options.dispatcher ? KUBECTL_ON_PATH : KUBECTL;
  if (!binary) throw new Error('kubectl is required for this test (install it or unset CI)');
  const t = await startTestServer();
  const dir = await mkdtemp(join(tmpdir(), 'podrun-kubectl-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, {
    url: t.server.url,
    caData: await readFile(t.server.caFile, 'utf8'),
    token: t.server.token,
  });
  const cacheDir = join(dir, 'cache');
  const env = { ...process.env, KUBECONFIG: kubeconfig, HOME: dir };
  const fullArgs = (args: string[]) => [`--cache-dir=${cacheDir}`, ...args];

  const spawnLong = (args: string[]): LongRunning => {
    const child = spawn(binary, fullArgs(args), { env, cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const waiters: Array<() => void> = [];
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      for (const w of waiters.splice(0)) w();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<KubectlResult>((resolve) => {
      child.on('close', (code) => {
        for (const w of waiters.splice(0)) w();
        resolve({ code, stdout, stderr });
      });
    });
    return {
      exited,
      stdout: () => stdout,
      kill: () => child.kill('SIGTERM'),
      waitFor(text, timeoutMs = 10_000) {
        const matches = () => (typeof text === 'string' ? stdout.includes(text) : text.test(stdout));
        return new Promise((resolve, reject) => {
          const timer = setTimeout(
            () =>
              reject(
                new Error(
                  `kubectl ${args.join(' ')}: no ${String(text)} in output:\n${stdout}\nstderr:\n${stderr}`,
                ),
              ),
            timeoutMs,
          );
          const check = () => {
            if (matches()) {
              clearTimeout(timer);
              resolve(stdout);
            } else if (child.exitCode !== null) {
              clearTimeout(timer);
              reject(new Error(`kubectl exited ${child.exitCode}:\n${stdout}\n${stderr}`));
            } else waiters.push(check);
          };
          check();
        });
      },
    };
  };

  return {
    t,
    dir,
    kubeconfig,
    spawnLong,
    async run(args, options = {}) {
      const p = spawnLong(args);
      const timer = setTimeout(() => p.kill(), options.timeoutMs ?? 30_000);
      const res = await p.exited;
      clearTimeout(timer);
      return res;
    },
    async writeFile(name, text) {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    },
    async close() {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
