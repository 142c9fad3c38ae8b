// Real kubectl against a podrun: its own KUBECONFIG and discovery cache, nothing from the user's ~/.kube.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `PODRUN_KUBECTL` chooses a kubectl binary (e.g. the bundled kubectl.1.32); `kubectl` on PATH by default. */
export const KUBECTL = process.env.PODRUN_KUBECTL || 'kubectl';

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class Kubectl {
  readonly cacheDir: string;

  constructor(readonly kubeconfig: string) {
    this.cacheDir = mkdtempSync(join(tmpdir(), 'podrun-kubectl-cache-'));
  }

  #env(): NodeJS.ProcessEnv {
    return { ...process.env, KUBECONFIG: this.kubeconfig, NO_COLOR: '1' };
  }

  #args(args: string[]): string[] {
    return [`--cache-dir=${this.cacheDir}`, ...args];
  }

  /** Runs kubectl to completion; never rejects for a non-zero exit (the caller asserts on `code`). */
  async run(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
    const child = spawn(KUBECTL, this.#args(args), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: this.#env(),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString('utf8');
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    const timeoutMs = options.timeoutMs ?? 60_000;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    clearTimeout(timer);
    if (signal === 'SIGKILL') stderr += `\n[test: kubectl ${args.join(' ')} killed after ${timeoutMs} ms]\n`;
    return { code, stdout, stderr };
  }

  /** Runs kubectl and fails with its stderr unless it exits 0. */
  async ok(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.run(args, options);
    if (r.code !== 0) {
      throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    }
    return r.stdout;
  }

  async json<T>(args: string[]): Promise<T> {
    return JSON.parse(await this.ok([...args, '-o', 'json'])) as T;
  }

  /** kubectl apply -f - with the given manifest text. */
  apply(manifest: string): Promise<string> {
    return this.ok(['apply', '-f', '-'], { input: manifest });
  }

  /** kubectl create -f - -o json: the object as the server stored it (its resourceVersion starts a watch). */
  async create<T>(manifest: string): Promise<T> {
    return JSON.parse(await this.ok(['create', '-f', '-', '-o', 'json'], { input: manifest })) as T;
  }

  /** A long-running kubectl (`-w`, `logs -f`), output collected as it comes. */
  spawn(args: string[]): StreamingKubectl {
    return new StreamingKubectl(
      spawn(KUBECTL, this.#args(args), { stdio: ['ignore', 'pipe', 'pipe'], env: this.#env() }),
    );
  }
}

export class StreamingKubectl {
  stdout = '';
  stderr = '';
  readonly #listeners = new Set<() => void>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (b: Buffer) => {
      this.stdout += b.toString('utf8');
      for (const l of this.#listeners) l();
    });
    child.stderr?.on('data', (b: Buffer) => {
      this.stderr += b.toString('utf8');
    });
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        for (const l of this.#listeners) l();
        resolve({ code, signal });
      });
    });
  }

  onData(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }
}
