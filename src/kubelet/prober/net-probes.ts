// The network halves of probes and hooks: an HTTP GET (pkg/probe/http) and a TCP dial (pkg/probe/tcp), with
// Go's error texts so that events read like a real kubelet's:
//   Get "http://10.244.0.5:8080/healthz": dial tcp 10.244.0.5:8080: connect: connection refused
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { HTTPGetAction } from 'kubernetes-types/core/v1.js';
import type { Container } from '../../api/types.js';
import type { Clock } from '../../util/clock.js';
import { joinHostPort } from '../../util/go-format.js';

/** The kubelet reads at most 10 KiB of a probe's response body or exec output (maxRespBodyLength, maxReadLength). */
export const MAX_OUTPUT_BYTES = 10 * 1024;

/** The Kubernetes minor version podrun speaks, for `User-Agent: kube-probe/1.32`. */
export const KUBE_VERSION = '1.32';

/** probe.Result: `warning` is a success the kubelet reports (e.g. a redirect to another host). */
export type NetProbeResult = 'success' | 'warning' | 'failure';

export interface NetProbeOutcome {
  result: NetProbeResult;
  output: string;
}

/**
 * probe.ResolveContainerPort: a number, a named port of the container, or a number written as a string.
 * Throws with Go's message (`strconv.Atoi: parsing "http": invalid syntax`, `invalid port number: 0`).
 */
export function resolveContainerPort(port: number | string, container: Container | undefined): number {
  let n: number;
  if (typeof port === 'number') {
    n = port;
  } else {
    const named = container?.ports?.find((p) => p.name === port);
    if (named) n = named.containerPort;
    else if (/^[+-]?\d+$/.test(port)) n = Number.parseInt(port, 10);
    else throw new Error(`strconv.Atoi: parsing ${JSON.stringify(port)}: invalid syntax`);
  }
  if (n > 0 && n < 65536) return n;
  throw new Error(`invalid port number: ${n}`);
}

export interface HttpTarget {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** Path and query as written in the spec, e.g. `/healthz?full=1`. */
  path: string;
  headers: [string, string][];
}

/** NewRequestForHTTPGetAction: host defaults to the pod IP, scheme to HTTP. */
export function httpTargetFor(
  action: HTTPGetAction,
  container: Container | undefined,
  podIP: string,
  purpose: 'probe' | 'lifecycle',
): HttpTarget {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase() === 'https' ? 'https' : 'http';
  const headers: [string, string][] = (action.httpHeaders ?? []).map((h) => [h.name, h.value]);
  const has = (name: string) => headers.some(([n]) => n.toLowerCase() === name.toLowerCase());
  if (!has('User-Agent')) headers.push(['User-Agent', `kube-${purpose}/${KUBE_VERSION}`]);
  if (!has('Accept')) headers.push(['Accept', '*/*']);
  // An Accept header set to '' means "send none" (newProbeRequest).
  const kept = headers.filter(([n, v]) => !(n.toLowerCase() === 'accept' && v === ''));
  return {
    scheme,
    host: action.host || podIP,
    port: resolveContainerPort(action.port, container),
    path: action.path ?? '',
    headers: kept,
  };
}

/** The URL as Go prints it in `Get "<url>": …`. */
export function displayUrl(t: Pick<HttpTarget, 'scheme' | 'host' | 'port' | 'path'>): string {
  const path = t.path === '' || t.path.startsWith('/') ? t.path : `/${t.path}`;
  return `${t.scheme}://${joinHostPort(t.host, t.port)}${path}`;
}

/** Translates a Node socket error into the tail of Go's net error text (`connect: connection refused`). */
export function goNetError(err: unknown, op: { network: 'tcp'; address: string; host: string }): string {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const dial = `dial tcp ${op.address}`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `${dial}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `${dial}: connect: no route to host`;
    case 'ENETUNREACH':
      return `${dial}: connect: network is unreachable`;
    case 'EADDRNOTAVAIL':
      return `${dial}: connect: cannot assign requested address`;
    case 'ETIMEDOUT':
      return `${dial}: i/o timeout`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${op.host}: no such host`;
    case 'ECONNRESET':
      return e.message === 'socket hang up' ? 'EOF' : 'read: connection reset by peer';
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return 'http: server gave HTTP response to HTTPS client';
    default:
      if (/wrong version number/i.test(e.message ?? ''))
        return 'http: server gave HTTP response to HTTPS client';
      return e.message ?? String(err);
  }
}

export type Raced<T> = { kind: 'done'; value: T } | { kind: 'timeout' } | { kind: 'aborted' };

/**
 * Runs `op` against a deadline kept by the injected clock (so tests with a FakeClock control it) and the
 * caller's signal. `op` receives a signal that fires on either, to close its sockets.
 */
export async function raceDeadline<T>(
  clock: Clock,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  op: (cancel: AbortSignal) => Promise<T>,
): Promise<Raced<T>> {
  if (signal?.aborted) return { kind: 'aborted' };
  const cancel = new AbortController();
  const timer = new AbortController();
  let settle!: (r: Raced<T> | { kind: 'error'; err: unknown }) => void;
  const outcome = new Promise<Raced<T> | { kind: 'error'; err: unknown }>((resolve) => {
    settle = resolve;
  });
  const onAbort = () => {
    settle({ kind: 'aborted' });
    cancel.abort();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (timeoutMs > 0) {
    clock.sleep(timeoutMs, timer.signal).then(
      () => {
        settle({ kind: 'timeout' });
        cancel.abort();
      },
      () => {},
    );
  }
  // Whichever settles first wins; later settlements are ignored by the promise.
  op(cancel.signal).then(
    (value) => settle({ kind: 'done', value }),
    (err) => settle({ kind: 'error', err }),
  );
  try {
    const r = await outcome;
    if (r.kind === 'error') throw r.err;
    return r;
  } finally {
    timer.abort();
    signal?.removeEventListener('abort', onAbort);
  }
}

interface OneResponse {
  status: number;
  location: string | undefined;
  body: string;
}

function getOnce(t: HttpTarget, cancel: AbortSignal): Promise<OneResponse> {
  return new Promise<OneResponse>((resolve, reject) => {
    // Go's http.Header: names are case-insensitive, and a name given twice sends both values. The names come
    // from the pod spec, so they go into an object without a prototype (`__proto__` is a valid header name).
    const byName = new Map<string, [string, string[]]>();
    for (const [name, value] of t.headers) {
      const seen = byName.get(name.toLowerCase());
      if (seen) seen[1].push(value);
      else byName.set(name.toLowerCase(), [name, [value]]);
    }
    const headers: Record<string, string | string[]> = Object.create(null);
    for (const [name, values] of byName.values()) headers[name] = values.length === 1 ? values[0]! : values;
    // Go sends the URL's host:port unless a Host header is given, and closes the connection after one request.
    const hostHeader = t.headers.find(([n]) => n.toLowerCase() === 'host');
    if (!hostHeader) headers.Host = joinHostPort(t.host, t.port);
    headers.Connection = 'close';
    const options: https.RequestOptions = {
      host: t.host,
      port: t.port,
      path: t.path === '' ? '/' : t.path.startsWith('/') ? t.path : `/${t.path}`,
      method: 'GET',
      headers,
      agent: false,
      // The kubelet does not verify a probe's TLS certificate (InsecureSkipVerify).
      rejectUnauthorized: false,
    };
    const req = (t.scheme === 'https' ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        res.removeAllListeners();
        req.destroy();
        resolve({
          status: res.statusCode ?? 0,
          location: res.headers.location,
          body: Buffer.concat(chunks).subarray(0, MAX_OUTPUT_BYTES).toString('utf8'),
        });
      };
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        size += c.length;
        if (size >= MAX_OUTPUT_BYTES) done();
      });
      res.on('end', done);
      res.on('error', done);
    });
    const onCancel = () => req.destroy();
    cancel.addEventListener('abort', onCancel, { once: true });
    req.on('error', (err) => {
      cancel.removeEventListener('abort', onCancel);
      reject(
        new Error(goNetError(err, { network: 'tcp', address: joinHostPort(t.host, t.port), host: t.host })),
      );
    });
    req.on('close', () => cancel.removeEventListener('abort', onCancel));
    req.end();
  });
}

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

/**
 * pkg/probe/http DoHTTPProbe: 200 ≤ code < 300 succeeds; 300 ≤ code < 400 is a warning (redirects to the same
 * host are followed, up to 10, as Go's client does with the kubelet's redirect checker); anything else fails
 * with `HTTP probe failed with statuscode: <code>`. Transport errors fail with Go's `Get "<url>": …` text.
 */
export async function doHttpGet(
  target: HttpTarget,
  timeoutMs: number,
  clock: Clock,
  signal?: AbortSignal,
): Promise<{ outcome: NetProbeOutcome; status?: number; aborted?: boolean }> {
  let current = target;
  let url = displayUrl(current);
  const raced = await raceDeadline(clock, timeoutMs, signal, async (cancel) => {
    for (let hops = 0; ; hops++) {
      let res: OneResponse;
      try {
        res = await getOnce(current, cancel);
      } catch (err) {
        return { error: (err as Error).message };
      }
      if (!REDIRECT_CODES.has(res.status) || !res.location) return { res };
      const next = new URL(
        res.location,
        `${current.scheme}://${joinHostPort(current.host, current.port)}${current.path || '/'}`,
      );
      const nextHost = next.hostname.replace(/^\[|\]$/g, '');
      // A redirect to another host ends the chain: its 3xx response is the result (ErrUseLastResponse).
      if (nextHost !== target.host) return { res };
      const scheme = next.protocol === 'https:' ? 'https' : 'http';
      current = {
        ...current,
        scheme,
        host: nextHost,
        port: next.port ? Number(next.port) : scheme === 'https' ? 443 : 80,
        path: `${next.pathname}${next.search}`,
      };
      url = displayUrl(current);
      if (hops + 1 >= 10) return { error: 'stopped after 10 redirects' };
    }
  });
  if (raced.kind === 'aborted')
    return { outcome: { result: 'failure', output: `Get "${url}": context canceled` }, aborted: true };
  if (raced.kind === 'timeout') {
    return {
      outcome: {
        result: 'failure',
        output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      },
    };
  }
  const v = raced.value;
  if ('error' in v) return { outcome: { result: 'failure', output: `Get "${url}": ${v.error}` } };
  const { status, body } = v.res;
  if (status >= 200 && status < 400) {
    if (status >= 300) {
      return {
        outcome: { result: 'warning', output: `Probe terminated redirects, Response body: ${body}` },
        status,
      };
    }
    return { outcome: { result: 'success', output: body }, status };
  }
  // Upstream keeps the body out of this message on purpose (issue 99425).
  return { outcome: { result: 'failure', output: `HTTP probe failed with statuscode: ${status}` }, status };
}

/** pkg/probe/tcp DoTCPProbe: success when a connection opens; the error text otherwise. */
export async function doTcpDial(
  host: string,
  port: number,
  timeoutMs: number,
  clock: Clock,
  signal?: AbortSignal,
): Promise<NetProbeOutcome & { aborted?: boolean }> {
  const address = joinHostPort(host, port);
  const raced = await raceDeadline(clock, timeoutMs, signal, (cancel) => {
    return new Promise<string | null>((resolve) => {
      const sock = net.connect({ host, port });
      const onCancel = () => sock.destroy();
      cancel.addEventListener('abort', onCancel, { once: true });
      sock.once('connect', () => {
        cancel.removeEventListener('abort', onCancel);
        sock.destroy();
        resolve(null);
      });
      sock.once('error', (err) => {
        cancel.removeEventListener('abort', onCancel);
        resolve(goNetError(err, { network: 'tcp', address, host }));
      });
    });
  });
  if (raced.kind === 'aborted')
    return { result: 'failure', output: `dial tcp ${address}: operation was canceled`, aborted: true };
  if (raced.kind === 'timeout') return { result: 'failure', output: `dial tcp ${address}: i/o timeout` };
  if (raced.value === null) return { result: 'success', output: '' };
  return { result: 'failure', output: raced.value };
}
