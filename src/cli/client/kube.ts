// The kubectl-style commands' client (`podrun get`, `describe`, `logs`, `delete`, `events`, `version`): the
// Kubernetes API of the `podrun serve` of a state directory, over the HTTPS and token of the kubeconfig it
// wrote (as `podrun image` and `podrun timeline` find it). Failures keep the server's Status, so commands can
// word them as kubectl does (`Error from server (NotFound): pods "x" not found`).
import { existsSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { runningServer } from '../../server/podrun.js';
import { stateLayout } from '../../server/state-dir.js';
import { KubeApiError, NoServerError } from './errors.js';
import { podrunTransport, readBody, type Transport } from './transport.js';
import { onWatchLines, resourcePath } from './wire.js';

export { KubeApiError } from './errors.js';

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
  /** The namespace of the kubeconfig's context: what a command uses without `-n`. */
  readonly namespace: string;
  /** `podrun serve at https://…` or `context "other" (https://…)`. */
  readonly description: string;
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
  /** Server-side apply (`force`, strict field validation) as `fieldManager`; returns the object as stored. */
  apply(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    object: object,
    fieldManager: string,
  ): Promise<KubeObject>;
  /** Watch events from `resourceVersion` until `stop()` or the server ends the stream (then `onEnd`). */
  watch(
    r: ResourceInfo,
    namespace: string | undefined,
    options: ListOptions,
    onEvent: (e: WatchEvent) => void,
    onEnd: (err?: Error) => void,
  ): Promise<() => void>;
  /**
   * GET a path whose body is text, handing each chunk over as it comes; resolves when the body ends.
   * `accept` sees the response's headers first: when it returns false the body is not read.
   */
  stream(
    path: string,
    onChunk: (text: string) => void,
    signal?: AbortSignal,
    accept?: (headers: IncomingHttpHeaders) => boolean,
  ): Promise<void>;
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
      `no podrun serve runs on state directory ${stateDir}: start one with \`podrun serve --state-dir ${stateDir}\` (or give the --state-dir it uses), or name a cluster with --kubeconfig/--context`,
    );
  }
  return kubeClient(await podrunTransport(layout.kubeconfig));
}

export function kubeClient(transport: Transport): KubeClient {
  const call = async <T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> => {
    const res = await transport.send(method, path, {
      ...(body !== undefined ? { body } : {}),
      ...(contentType ? { contentType } : {}),
    });
    const text = await readBody(res);
    const status = res.statusCode ?? 0;
    if (status >= 400) throw statusError(status, text);
    return JSON.parse(text) as T;
  };

  return {
    server: transport.server,
    namespace: transport.namespace,
    description: transport.description,
    getJson: (path) => call('GET', path),
    list: (r, ns, options = {}) => call('GET', `${resourcePath(r, ns)}${query(options)}`),
    get: (r, ns, name) => call('GET', resourcePath(r, ns, name)),
    delete: (r, ns, name, body) => call('DELETE', resourcePath(r, ns, name), body ?? {}),
    create: (r, ns, body) => call('POST', resourcePath(r, ns), body),
    patch: (r, ns, name, patch) =>
      call('PATCH', resourcePath(r, ns, name), patch, 'application/strategic-merge-patch+json'),
    apply: (r, ns, name, object, fieldManager) =>
      call(
        'PATCH',
        `${resourcePath(r, ns, name)}?fieldManager=${encodeURIComponent(fieldManager)}&force=true&fieldValidation=Strict`,
        object,
        'application/apply-patch+yaml',
      ),
    async watch(r, ns, options, onEvent, onEnd) {
      const abort = new AbortController();
      let stopped = false;
      const res = await transport.send('GET', `${resourcePath(r, ns)}${query({ ...options, watch: true })}`, {
        signal: abort.signal,
      });
      const status = res.statusCode ?? 0;
      if (status >= 400) throw statusError(status, await readBody(res));
      const end = (err?: Error) => {
        if (stopped) return;
        stopped = true;
        onEnd(err);
      };
      onWatchLines(res, onEvent);
      res.on('end', () => end());
      res.on('error', (err) => end(err));
      // A connection cut before the body ended (a dropped watch) gives 'close' without 'end'.
      res.on('close', () => {
        if (!res.complete) end(new Error('the watch connection was closed'));
      });
      return () => {
        stopped = true;
        abort.abort();
      };
    },
    async stream(path, onChunk, signal, accept) {
      let res: IncomingMessage;
      try {
        res = await transport.send('GET', path, signal ? { signal } : {});
      } catch (err) {
        if (signal?.aborted) return;
        throw err;
      }
      const status = res.statusCode ?? 0;
      if (status >= 400) throw statusError(status, await readBody(res));
      if (accept && !accept(res.headers)) {
        res.destroy();
        return;
      }
      await new Promise<void>((resolve, reject) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => onChunk(c));
        res.on('end', () => resolve());
        res.on('error', (err) => (signal?.aborted ? resolve() : reject(err)));
        res.on('close', () => resolve());
        signal?.addEventListener('abort', () => resolve());
      });
    },
  };
}
