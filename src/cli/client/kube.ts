// The kubectl-style commands' client (`podrun get`, `describe`, `logs`, `delete`, `events`, `version`): the
// Kubernetes API of the `podrun serve` of a state directory, over the HTTPS and token of the kubeconfig it
// wrote (as `podrun image` and `podrun timeline` find it). Failures keep the server's Status, so commands can
// word them as kubectl does (`Error from server (NotFound): pods "x" not found`).
import { existsSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { runningServer } from '../../server/podrun.js';
import { stateLayout } from '../../server/state-dir.js';
import { type Endpoint, readKubeconfig } from './http.js';
import { NoServerError } from './images.js';
import { onWatchLines, resourcePath } from './wire.js';

/** A refusal of the API server, with its Status' reason (`NotFound`, `Conflict`, …) and message. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }

  /** kubectl's words: `Error from server (NotFound): pods "x" not found`. */
  get kubectlText(): string {
    return `Error from server${this.reason ? ` (${this.reason})` : ''}: ${this.message}`;
  }
}

export interface KubeList {
  metadata?: { resourceVersion?: string };
  items: KubeObject[];
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
}

export interface KubeClient {
  readonly server: string;
  /** GET a path; JSON in, JSON out; KubeApiError for a 4xx/5xx. */
  getJson<T>(path: string): Promise<T>;
  list(r: ResourceInfo, namespace: string | undefined, options?: ListOptions): Promise<KubeList>;
  get(r: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject>;
  /** DELETE with a DeleteOptions body; returns what the server answered (the object, or a Status). */
  delete(r: ResourceInfo, namespace: string | undefined, name: string, body?: object): Promise<KubeObject>;
  /** POST a new object; returns it as stored. */
  create(r: ResourceInfo, namespace: string | undefined, body: object): Promise<KubeObject>;
  /** PATCH with a strategic merge patch (kubectl's default for built-in kinds). */
  patch(r: ResourceInfo, namespace: string | undefined, name: string, patch: object): Promise<KubeObject>;
  /** Watch events from `resourceVersion` until `stop()` or the server ends the stream (then `onEnd`). */
  watch(
    r: ResourceInfo,
    namespace: string | undefined,
    options: ListOptions,
    onEvent: (e: WatchEvent) => void,
    onEnd: (err?: Error) => void,
  ): Promise<() => void>;
  /** GET a path whose body is text, handing each chunk over as it comes; resolves when the body ends. */
  stream(path: string, onChunk: (text: string) => void, signal?: AbortSignal): Promise<void>;
}

function query(options: ListOptions & { watch?: boolean }): string {
  const q = new URLSearchParams();
  if (options.labelSelector) q.set('labelSelector', options.labelSelector);
  if (options.fieldSelector) q.set('fieldSelector', options.fieldSelector);
  if (options.resourceVersion !== undefined) q.set('resourceVersion', options.resourceVersion);
  if (options.watch) {
    q.set('watch', 'true');
    q.set('allowWatchBookmarks', 'true');
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

function statusError(status: number, text: string): KubeApiError {
  try {
    const s = JSON.parse(text) as { reason?: string; message?: string };
    return new KubeApiError(status, s.reason ?? '', s.message ?? (text.trim() || `HTTP ${status}`));
  } catch {
    return new KubeApiError(status, '', text.trim() || `HTTP ${status}`);
  }
}

/** The client of the server serving `stateDir`; NoServerError (saying how to start one) when none does. */
export async function connectKube(stateDir: string): Promise<KubeClient> {
  const layout = stateLayout(stateDir);
  if (!(await runningServer(layout.serveInfo)) || !existsSync(layout.kubeconfig)) {
    throw new NoServerError(
      `no podrun serve runs on state directory ${stateDir}: start one with \`podrun serve --state-dir ${stateDir}\` (or give the --state-dir it uses)`,
    );
  }
  return kubeClient(await readKubeconfig(layout.kubeconfig));
}

export function kubeClient(ep: Endpoint): KubeClient {
  const open = (
    method: string,
    path: string,
    body: unknown,
    onResponse: (res: import('node:http').IncomingMessage) => void,
    onError: (err: Error) => void,
    contentType = 'application/json',
  ) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = httpsRequest(
      new URL(path, ep.server),
      {
        method,
        ca: ep.ca,
        headers: {
          authorization: `Bearer ${ep.token}`,
          accept: 'application/json',
          ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}),
        },
      },
      onResponse,
    );
    req.on('error', (err) =>
      onError(new Error(`could not reach podrun serve at ${ep.server}: ${err.message}`, { cause: err })),
    );
    req.end(payload);
    return req;
  };

  const call = <T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> =>
    new Promise((resolve, reject) => {
      open(
        method,
        path,
        body,
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 400) reject(statusError(status, text));
            else resolve(JSON.parse(text) as T);
          });
          res.on('error', reject);
        },
        reject,
        contentType,
      );
    });

  return {
    server: ep.server,
    getJson: (path) => call('GET', path),
    list: (r, ns, options = {}) => call('GET', `${resourcePath(r, ns)}${query(options)}`),
    get: (r, ns, name) => call('GET', resourcePath(r, ns, name)),
    delete: (r, ns, name, body) => call('DELETE', resourcePath(r, ns, name), body ?? {}),
    create: (r, ns, body) => call('POST', resourcePath(r, ns), body),
    patch: (r, ns, name, patch) =>
      call('PATCH', resourcePath(r, ns, name), patch, 'application/strategic-merge-patch+json'),
    watch: (r, ns, options, onEvent, onEnd) =>
      new Promise((resolve, reject) => {
        let stopped = false;
        const req = open(
          'GET',
          `${resourcePath(r, ns)}${query({ ...options, watch: true })}`,
          undefined,
          (res) => {
            const status = res.statusCode ?? 0;
            if (status >= 400) {
              let text = '';
              res.setEncoding('utf8');
              res.on('data', (c: string) => {
                text += c;
              });
              res.on('end', () => reject(statusError(status, text)));
              return;
            }
            onWatchLines(res, onEvent);
            res.on('end', () => {
              if (!stopped) onEnd();
            });
            res.on('error', (err) => {
              if (!stopped) onEnd(err);
            });
            resolve(() => {
              stopped = true;
              req.destroy();
            });
          },
          reject,
        );
      }),
    stream: (path, onChunk, signal) =>
      new Promise((resolve, reject) => {
        const req = open(
          'GET',
          path,
          undefined,
          (res) => {
            const status = res.statusCode ?? 0;
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => {
              if (status >= 400) text += c;
              else onChunk(c);
            });
            res.on('end', () => (status >= 400 ? reject(statusError(status, text)) : resolve()));
            res.on('error', (err) => (signal?.aborted ? resolve() : reject(err)));
          },
          (err) => (signal?.aborted ? resolve() : reject(err)),
        );
        signal?.addEventListener('abort', () => {
          req.destroy();
          resolve();
        });
      }),
  };
}
