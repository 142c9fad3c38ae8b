// Shared test scaffolding: a registry over an in-memory SQLite store, a running API server in a temporary
// state directory, an HTTPS client that trusts its CA, and a fake kubelet log source.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '../../src/api/types.js';
import { type ApiServer, startApiServer } from '../../src/apiserver/http/server.js';
import { ensureBootstrapPolicy, installRbac } from '../../src/apiserver/rbac/index.js';
import { createRegistry, type Registry } from '../../src/apiserver/registry.js';
import { type ContainerLogSource, LogError, type LogOptions } from '../../src/kubelet/types.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { type Clock, systemClock } from '../../src/util/clock.js';

export async function newRegistry(clock: Clock = systemClock, historySize?: number): Promise<Registry> {
  const store = openSqliteStore(':memory:', historySize ? { historySize } : {});
  return createRegistry({ store, clock, nodeName: 'local' });
}

export function pod(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name } },
    spec: { containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'sleep 3600'] }] },
    ...extra,
  };
}

/** A log source that serves fixed lines per container and, for follow, lines pushed by the test. */
export class FakeLogs implements ContainerLogSource {
  lines = new Map<string, string[]>();
  previous = new Map<string, string[]>();
  calls: Array<{ pod: string; options: LogOptions }> = [];
  #followers = new Set<{ container: string; out: (c: string) => void; done: () => void }>();

  async containerLogs(
    pod: Pod,
    options: LogOptions,
    out: (chunk: string) => void,
    signal: AbortSignal,
    selected?: (containerID: string) => void,
  ): Promise<void> {
    const name = pod.metadata?.name ?? '';
    this.calls.push({ pod: name, options });
    const key = `${name}/${options.container}`;
    if (options.previous) {
      const prev = this.previous.get(key);
      if (!prev)
        throw new LogError(`previous terminated container "${options.container}" in pod "${name}" not found`);
      selected?.(`fake://${key}/previous`);
      for (const l of prev) out(`${l}\n`);
      return;
    }
    const lines = this.lines.get(key);
    if (!lines)
      throw new LogError(
        `container "${options.container}" in pod "${name}" is waiting to start: ContainerCreating`,
      );
    selected?.(`fake://${key}`);
    let shown =
      options.tailLines !== undefined ? lines.slice(Math.max(0, lines.length - options.tailLines)) : lines;
    if (options.timestamps) shown = shown.map((l) => `2026-01-01T12:00:00.000000000Z ${l}`);
    for (const l of shown) out(`${l}\n`);
    if (!options.follow) return;
    await new Promise<void>((resolve) => {
      const f = { container: key, out, done: resolve };
      this.#followers.add(f);
      signal.addEventListener('abort', () => {
        this.#followers.delete(f);
        resolve();
      });
    });
  }

  /** Writes a line to followers of `pod/container`; `end` stops them (the container exited). */
  push(key: string, line: string | undefined): void {
    for (const f of this.#followers) {
      if (f.container !== key) continue;
      if (line === undefined) {
        this.#followers.delete(f);
        f.done();
      } else f.out(`${line}\n`);
    }
  }

  get followers(): number {
    return this.#followers.size;
  }
}

export interface TestServer {
  registry: Registry;
  server: ApiServer;
  logs: FakeLogs;
  stateDir: string;
  ca: string;
  close(): Promise<void>;
}

export async function startTestServer(
  options: { clock?: Clock; historySize?: number; bookmarkIntervalMs?: number; rbac?: boolean } = {},
): Promise<TestServer> {
  const stateDir = await mkdtemp(join(tmpdir(), 'podrun-apiserver-'));
  const registry = await newRegistry(options.clock ?? systemClock, options.historySize);
  const logs = new FakeLogs();
  // RBAC as `podrun serve` has it (without the aggregation controller): the authorizer and the bootstrap policy.
  const authorizer = options.rbac ? installRbac(registry) : undefined;
  if (options.rbac) await ensureBootstrapPolicy(registry, () => {});
  const server = await startApiServer({
    ...(authorizer ? { authorizer } : {}),
    registry,
    address: '127.0.0.1',
    port: 0,
    stateDir,
    logs,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.bookmarkIntervalMs ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
  });
  const ca = await readFile(server.caFile, 'utf8');
  return {
    registry,
    server,
    logs,
    stateDir,
    ca,
    async close() {
      await server.close();
      await registry.store.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests poke into arbitrary JSON bodies.
  json: any;
}

export function call(
  t: TestServer,
  method: string,
  path: string,
  options: {
    body?: unknown;
    contentType?: string;
    accept?: string;
    token?: string | null;
    raw?: string;
    /** Send `path` exactly as given (`//api` stays a path, not a host), and no default Content-Type. */
    rawPath?: boolean;
    headers?: Record<string, string>;
  } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const url = new URL(t.server.url);
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== null) headers.Authorization = `Bearer ${options.token ?? t.server.token}`;
    if (options.accept) headers.Accept = options.accept;
    let payload: string | undefined;
    if (options.raw !== undefined) payload = options.raw;
    else if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined) {
      const contentType = options.contentType ?? (options.rawPath ? undefined : 'application/json');
      if (contentType) headers['Content-Type'] = contentType;
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const target = options.rawPath
      ? path
      : (() => {
          const u = new URL(path, t.server.url);
          return u.pathname + u.search;
        })();
    const req = httpsRequest(
      { host: url.hostname, port: url.port, path: target, method, headers, ca: t.ca },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export interface WatchStream {
  status: Promise<number>;
  /** Resolves with the next event (parsed line). */
  // biome-ignore lint/suspicious/noExplicitAny: watch events are arbitrary JSON.
  next(timeoutMs?: number): Promise<any>;
  ended: Promise<void>;
  close(): void;
}

export function watch(t: TestServer, path: string, accept?: string): WatchStream {
  const url = new URL(path, t.server.url);
  // biome-ignore lint/suspicious/noExplicitAny: watch events are arbitrary JSON.
  const queue: any[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: watch events are arbitrary JSON.
  const waiters: Array<(v: any) => void> = [];
  let buf = '';
  let resolveStatus: (n: number) => void = () => {};
  let resolveEnded: () => void = () => {};
  const status = new Promise<number>((r) => {
    resolveStatus = r;
  });
  const ended = new Promise<void>((r) => {
    resolveEnded = r;
  });
  const headers: Record<string, string> = { Authorization: `Bearer ${t.server.token}` };
  if (accept) headers.Accept = accept;
  const req = httpsRequest(url, { method: 'GET', headers, ca: t.ca }, (res) => {
    resolveStatus(res.statusCode ?? 0);
    res.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) {
          const ev = JSON.parse(line);
          const w = waiters.shift();
          if (w) w(ev);
          else queue.push(ev);
        }
        nl = buf.indexOf('\n');
      }
    });
    res.on('end', () => resolveEnded());
    res.on('close', () => resolveEnded());
  });
  req.on('error', () => resolveEnded());
  req.end();
  return {
    status,
    ended,
    next(timeoutMs = 3000) {
      if (queue.length > 0) return Promise.resolve(queue.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no watch event within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((v) => {
          clearTimeout(timer);
          resolve(v);
        });
      });
    },
    close() {
      req.destroy();
    },
  };
}
