// A small HTTPS API server for client tests: it answers each request with the first route that matches (a
// recorded response, or a function), records what it was sent (method, path and query, headers, the client
// certificate's CN), and asks for client certificates signed by the CA of its credentials.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ServingCredentials } from '../../src/apiserver/http/tls.js';

export interface SeenRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  /** The verified client certificate's CN, if one was sent. */
  certUser?: string;
  body: string;
}

export type Route = (req: SeenRequest, res: ServerResponse) => boolean | Promise<boolean>;

export interface FakeApiServer {
  url: string;
  seen: SeenRequest[];
  routes: Route[];
  close(): Promise<void>;
}

/** A route answering `method path` (query ignored unless `query` is given and matches) with JSON. */
export function json(
  method: string,
  path: string,
  body: unknown,
  status = 200,
  query?: Record<string, string>,
): Route {
  return (req, res) => {
    if (req.method !== method || req.url.pathname !== path) return false;
    for (const [k, v] of Object.entries(query ?? {})) if (req.url.searchParams.get(k) !== v) return false;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
    return true;
  };
}

export async function startFakeApiServer(
  creds: ServingCredentials,
  routes: Route[] = [],
): Promise<FakeApiServer> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer(
    { cert: creds.cert, key: creds.key, ca: creds.ca, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', async () => {
        const socket = req.socket as TLSSocket;
        const cn = socket.authorized ? socket.getPeerCertificate().subject?.CN : undefined;
        const r: SeenRequest = {
          method: req.method ?? 'GET',
          url: new URL(req.url ?? '/', 'https://fake'),
          headers: req.headers,
          ...(cn ? { certUser: String(cn) } : {}),
          body,
        };
        seen.push(r);
        for (const route of routes) if (await route(r, res)) return;
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            reason: 'NotFound',
            code: 404,
            message: `fake: no route for ${r.method} ${r.url.pathname}`,
          }),
        );
      });
    },
  );
  server.on('secureConnection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    routes,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
