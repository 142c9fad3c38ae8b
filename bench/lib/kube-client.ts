// A minimal Kubernetes API client for the benchmarks, built from a kubeconfig: JSON requests over one
// keep-alive HTTPS agent, and watch streams read as newline-delimited JSON. Loopback only: it refuses a
// server that is not on 127.0.0.1, ::1 or localhost.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { parse } from 'yaml';

export interface KubeEndpoint {
  server: string;
  ca: string;
  token: string;
}

export function readKubeconfig(path: string): KubeEndpoint {
  const config = parse(readFileSync(path, 'utf8')) as {
    clusters?: { cluster?: { server?: string; 'certificate-authority-data'?: string } }[];
    users?: { user?: { token?: string } }[];
  };
  const cluster = config.clusters?.[0]?.cluster;
  const token = config.users?.[0]?.user?.token;
  if (!cluster?.server || !cluster['certificate-authority-data'] || !token) {
    throw new Error(
      `${path}: expected a cluster with server and certificate-authority-data, and a user token`,
    );
  }
  const host = new URL(cluster.server).hostname;
  if (!['127.0.0.1', '[::1]', 'localhost'].includes(host)) {
    throw new Error(
      `${path}: server ${cluster.server} is not on loopback; the benchmarks only talk to loopback`,
    );
  }
  return {
    server: cluster.server,
    ca: Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8'),
    token,
  };
}

export interface Response<T> {
  status: number;
  body: T;
}

export interface WatchEvent {
  type: string;
  object: KubeObjectLike;
}

export interface KubeObjectLike {
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  status?: Record<string, unknown> & { phase?: string };
  [key: string]: unknown;
}

export interface WatchStream {
  /**
   * Resolves once the response headers arrived. A server may hold them back until the first event (Node sends
   * headers with the first body chunk unless flushed), so waiting on this alone can hang: prime the watch with
   * a change instead, or rely on resourceVersion to replay what happened meanwhile.
   */
  ready: Promise<void>;
  close(): void;
}

export class KubeClient {
  readonly endpoint: KubeEndpoint;
  readonly #agent: Agent;

  constructor(endpoint: KubeEndpoint, maxSockets = 64) {
    this.endpoint = endpoint;
    this.#agent = new Agent({ keepAlive: true, maxSockets, ca: endpoint.ca });
  }

  static fromKubeconfig(path: string, maxSockets?: number): KubeClient {
    return new KubeClient(readKubeconfig(path), maxSockets);
  }

  request<T = KubeObjectLike>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<Response<T>> {
    const url = new URL(path, this.endpoint.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.#agent,
          headers: {
            Authorization: `Bearer ${this.endpoint.token}`,
            Accept: 'application/json',
            ...(payload !== undefined
              ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            // Health endpoints answer text/plain; everything else here is JSON.
            if (!String(res.headers['content-type'] ?? '').includes('json')) {
              resolve({ status: res.statusCode ?? 0, body: text as T });
              return;
            }
            try {
              resolve({ status: res.statusCode ?? 0, body: (text === '' ? {} : JSON.parse(text)) as T });
            } catch {
              reject(
                new Error(
                  `${method} ${path}: HTTP ${res.statusCode}, body is not JSON: ${text.slice(0, 200)}`,
                ),
              );
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** Like request, but throws unless the status is 2xx. */
  async must<T = KubeObjectLike>(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<T> {
    const res = await this.request<T>(method, path, body, contentType);
    if (res.status < 200 || res.status >= 300) {
      const message = (res.body as { message?: string }).message ?? JSON.stringify(res.body).slice(0, 300);
      throw new Error(`${method} ${path}: HTTP ${res.status}: ${message}`);
    }
    return res.body;
  }

  /**
   * Opens a watch on `path` (which must include watch=true) on its own connection, calling onEvent for each
   * event as it arrives; `onEnd` is called if the server ends the stream.
   */
  watch(path: string, onEvent: (event: WatchEvent) => void, onEnd?: (err?: Error) => void): WatchStream {
    const url = new URL(path, this.endpoint.server);
    let closed = false;
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    const ready = new Promise<void>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    const req = request(
      url,
      {
        method: 'GET',
        // A watch holds its connection: it must not take a socket from the pooled agent.
        agent: false,
        ca: this.endpoint.ca,
        headers: { Authorization: `Bearer ${this.endpoint.token}`, Accept: 'application/json' },
      },
      (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            readyReject(
              new Error(`watch ${path}: HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString()}`),
            ),
          );
          return;
        }
        readyResolve();
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let nl = buffered.indexOf('\n');
          while (nl >= 0) {
            const line = buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
            if (line.trim() !== '') onEvent(JSON.parse(line) as WatchEvent);
            nl = buffered.indexOf('\n');
          }
        });
        res.on('end', () => {
          if (!closed) onEnd?.();
        });
        res.on('error', (e) => {
          if (!closed) onEnd?.(e);
        });
      },
    );
    req.on('error', (e) => {
      readyReject(e);
      if (!closed) onEnd?.(e);
    });
    req.end();
    ready.catch(() => {
      // Reported through onEnd as well; callers that never await ready must not see an unhandled rejection.
    });
    return {
      ready,
      close() {
        closed = true;
        req.destroy();
      },
    };
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
