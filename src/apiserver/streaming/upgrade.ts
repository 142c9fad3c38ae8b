// The HTTP server's 'upgrade' event: every request with an Upgrade header comes here (WebSocket and SPDY
// alike), is authenticated, and goes to the route for its pods subresource (exec, attach; port-forward adds
// its own with addRoute). What cannot be served is answered on the raw socket with a Status, before any
// 101, so that kubectl falls back or shows the reason.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { type ApiError, badRequest, pathNotFound } from '../errors.js';
import { decodePathSegments } from '../http/paths.js';
import { requestTarget } from '../http/request-url.js';
import { errorStatus } from '../http/respond.js';
import { TextRefusal } from './spdy/handshake.js';
import { requestTimings } from './timings.js';

/** A pods subresource request, parsed: `/api/v1/namespaces/{namespace}/pods/{name}/{subresource}`. */
export interface PodSubresourceRequest {
  namespace: string;
  name: string;
  subresource: string;
  query: URLSearchParams;
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  /**
   * Completes the WebSocket handshake, answering with `protocol` as the Sec-WebSocket-Protocol (the route
   * has checked the client offered it). Routes that speak no listed protocol use the WebSocketServer.
   */
  upgrade(protocol: string, done: (ws: WebSocket) => void): void;
  /** The shared WebSocket server (noServer), for routes that complete the handshake themselves. */
  wss: WebSocketServer;
}

/** Serves one upgrade. Throwing an ApiError before the handshake answers with its Status. */
export type UpgradeRoute = (request: PodSubresourceRequest) => Promise<void>;

export interface UpgradeDispatcher {
  addRoute(subresource: string, route: UpgradeRoute): void;
  /** Whether a path (decoded segments) is one of the routes: without an Upgrade it is a 400. */
  routes(segments: string[]): boolean;
  /** The 'upgrade' listener of the HTTP server. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every open stream (code 1001, going away). */
  close(): void;
}

/** Writes `err`'s Status as the whole HTTP answer on a socket that has not been upgraded. */
export function refuseUpgrade(socket: Duplex, err: unknown): void {
  if (socket.destroyed) return;
  if (err instanceof TextRefusal) {
    // http.Error's shape: text with a newline.
    const text = `${err.message}\n`;
    socket.end(
      `HTTP/1.1 ${err.code} ${statusText(err.code)}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `X-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
    return;
  }
  const status = errorStatus(err);
  const body = `${JSON.stringify(status)}\n`;
  socket.end(
    `HTTP/1.1 ${status.code} ${statusText(status.code)}\r\nContent-Type: application/json\r\n` +
      `Cache-Control: no-cache, private\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function statusText(code: number): string {
  const texts: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    500: 'Internal Server Error',
  };
  return texts[code] ?? 'Error';
}

/** Why a request that is neither a WebSocket handshake nor a SPDY upgrade is refused. */
export function notWebSocket(req: IncomingMessage, subresource: string): ApiError | undefined {
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'websocket' && req.method === 'GET') return undefined;
  return badRequest(
    `pods/${subresource} needs a WebSocket upgrade (GET with Upgrade: websocket) or SPDY/3.1 (POST with Upgrade: SPDY/3.1), not ${req.method} with Upgrade: ${upgrade}`,
  );
}

function isPodSubresource(s: string[]): boolean {
  return s.length === 7 && s[0] === 'api' && s[1] === 'v1' && s[2] === 'namespaces' && s[4] === 'pods';
}

/**
 * `admit` authenticates (and authorizes) an upgrade request, throwing the ApiError (401, 403) that refuses
 * it.
 */
export function createUpgradeDispatcher(admit: (req: IncomingMessage) => Promise<void>): UpgradeDispatcher {
  const routes = new Map<string, UpgradeRoute>();
  // ws picks the first protocol offered unless told: the route's choice is kept per request.
  const chosen = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (_offered, req) => chosen.get(req) ?? false,
  });
  return {
    addRoute(subresource, route) {
      routes.set(subresource, route);
    },
    handle(req, socket, head) {
      socket.on('error', () => {});
      const timings = requestTimings(req);
      const serve = async (): Promise<void> => {
        await admit(req);
        timings.mark('admitted');
        const url = requestTarget(req.url);
        const s = decodePathSegments(url.path);
        const route = isPodSubresource(s) ? routes.get(s[6]!) : undefined;
        if (!route) throw pathNotFound();
        await route({
          namespace: s[3]!,
          name: s[5]!,
          subresource: s[6]!,
          query: url.searchParams,
          req,
          socket,
          head,
          wss,
          upgrade(protocol, done) {
            chosen.set(req, protocol);
            wss.handleUpgrade(req, socket, head, done);
          },
        });
      };
      serve().catch((e: unknown) => refuseUpgrade(socket, e));
    },
    routes(segments) {
      return isPodSubresource(segments) && routes.has(segments[6]!);
    },
    close() {
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
      }, 1000).unref();
    },
  };
}
