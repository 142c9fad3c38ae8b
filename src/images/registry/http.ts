// One HTTP exchange with a registry over node:http(s), following redirects as containerd does: at most
// 10, and the registry's Authorization header is never sent to another host.
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { RegistryError, transportError } from './errors.js';

export const maxRedirects = 10;

export interface HttpRequest {
  method: 'GET' | 'HEAD';
  url: string;
  headers?: Record<string, string>;
  /** Headers sent only to the first URL's host (the registry's Authorization). */
  hostHeaders?: Record<string, string>;
  /** Skip TLS verification (registries marked insecure that still speak HTTPS). */
  insecureSkipVerify?: boolean;
  /** Drop the connection when no byte arrives for this long (headers or body). */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  /** The URL that answered, after redirects. */
  url: string;
  body: IncomingMessage;
}

/** localhost, 127.0.0.0/8 and ::1: containerd's `IsLocalhost`, where plain HTTP is the default. */
export function isLoopbackHost(hostPort: string): boolean {
  let host = hostPort;
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']'));
  else if (host.includes(':') && isIP(host) !== 6) host = host.slice(0, host.lastIndexOf(':'));
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

export async function send(req: HttpRequest): Promise<HttpResponse> {
  const origin = new URL(req.url).host;
  let url = req.url;
  for (let hop = 0; ; hop++) {
    const sameHost = new URL(url).host === origin;
    const headers = { ...req.headers, ...(sameHost ? req.hostHeaders : {}) };
    const res = await once(req.method, url, headers, req);
    const location = res.headers.location;
    if (res.statusCode !== undefined && [301, 302, 303, 307, 308].includes(res.statusCode) && location) {
      res.resume();
      if (hop >= maxRedirects) {
        throw new RegistryError(
          'TooManyRedirects',
          `failed to do request: ${req.method} ${JSON.stringify(req.url)}: stopped after ${maxRedirects} redirects`,
        );
      }
      url = new URL(location, url).toString();
      continue;
    }
    return {
      status: res.statusCode ?? 0,
      statusMessage: res.statusMessage ?? '',
      headers: res.headers,
      url,
      body: res,
    };
  }
}

function once(
  method: string,
  url: string,
  headers: Record<string, string>,
  req: HttpRequest,
): Promise<IncomingMessage> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const r = mod.request(
      u,
      {
        method,
        headers: { 'User-Agent': 'podrun', ...headers },
        ...(u.protocol === 'https:' && req.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
      },
      resolve,
    );
    if (req.idleTimeoutMs !== undefined) {
      const ms = req.idleTimeoutMs;
      r.setTimeout(ms, () => {
        const err: NodeJS.ErrnoException = new Error(`no data for ${ms} ms`);
        err.code = 'ETIMEDOUT';
        r.destroy(err);
      });
    }
    r.on('error', (err: NodeJS.ErrnoException) => reject(transportError(method, url, err)));
    r.end();
  });
}

export async function readBody(res: HttpResponse, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      res.body.destroy();
      throw new RegistryError(
        'ManifestTooLarge',
        `content at ${res.url} exceeds the limit of ${limit} bytes`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
