// pods/portforward's two transports, both ending in the same SPDY/3.1 connection (kubectl 1.32,
// client-go tools/portforward):
// - GET + WebSocket with subprotocol `SPDY/3.1+portforward.k8s.io`: SPDY frames inside binary messages, whose
//   boundaries mean nothing (the default since 1.31);
// - POST + `Upgrade: SPDY/3.1` with `X-Stream-Protocol-Version: portforward.k8s.io`: SPDY on the socket itself
//   (older kubectl, and KUBECTL_PORT_FORWARD_WEBSOCKETS=false).
// Errors before the switch are Status replies on the raw socket, so kubectl prints `error upgrading
// connection: <message>`; after it, dial errors travel on the streams (session.ts).

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { Pod } from '../../../api/types.js';
import type { PodPortDialer } from '../../../kubelet/port-forward.js';
import { ApiError, badRequest, unauthorized } from '../../errors.js';
import { requestTarget } from '../../http/request-url.js';
import { errorStatus } from '../../http/respond.js';
import type { Registry } from '../../registry.js';
import { SpdyConnection } from '../spdy/connection.js';
import { acceptSpdy } from '../spdy/handshake.js';
import { servePortForward } from './session.js';
import { webSocketSink } from './ws-sink.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const PORT_FORWARD_WEBSOCKET_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

const PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward\/?$/;

export interface PortForwardDeps {
  registry: Registry;
  /** Absent: the node cannot forward (the request is refused with a Status saying so). */
  dialer: PodPortDialer | undefined;
  /** Whether the request carried the server's token. */
  authorized: boolean;
}

// `ws` refuses `SPDY/3.1+portforward.k8s.io` (a `/` is no token character), so the subprotocol is checked here,
// the header removed before ws sees it, and the reply's header added back.
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
wss.on('headers', (headers, req: IncomingMessage & { podrunProtocol?: string }) => {
  if (req.podrunProtocol) headers.push(`Sec-WebSocket-Protocol: ${req.podrunProtocol}`);
});

/** Writes a Status as the reply to an Upgrade request that is not switched, and ends the connection. */
export function rejectUpgrade(socket: Duplex, err: unknown): void {
  const status = errorStatus(err);
  const body = JSON.stringify(status);
  const reason = status.code === 401 ? 'Unauthorized' : status.code === 404 ? 'Not Found' : 'Error';
  socket.end(
    `HTTP/1.1 ${status.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Handles an Upgrade request for pods/portforward; false when the path is not one (the caller answers). */
export function handlePortForwardUpgrade(
  deps: PortForwardDeps,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): boolean {
  // The path as sent, as the dispatcher that authorized it read it (no `..` resolution).
  const m = PATH.exec(requestTarget(req.url).pathname);
  if (!m) return false;
  socket.on('error', () => socket.destroy());
  upgrade(deps, req, socket, head, decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)).catch((e: unknown) =>
    rejectUpgrade(socket, e),
  );
  return true;
}

async function upgrade(
  deps: PortForwardDeps,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  namespace: string,
  name: string,
): Promise<void> {
  if (!deps.authorized) throw unauthorized();
  const method = req.method ?? 'GET';
  const upgradeTo = (req.headers.upgrade ?? '').toLowerCase();
  const websocket = method === 'GET' && upgradeTo === 'websocket';
  const spdy = method === 'POST' && upgradeTo === 'spdy/3.1';
  if (!websocket && !spdy) {
    throw badRequest(
      `pods/portforward needs GET with Upgrade: websocket or POST with Upgrade: SPDY/3.1, not ${method} with Upgrade: ${req.headers.upgrade ?? ''}`,
    );
  }
  const pod = (await deps.registry.get('pods', namespace, name)) as unknown as Pod;
  // The API server's PortForwardLocation: the pod must be on a node.
  if (!pod.spec?.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  const dialer = deps.dialer;
  if (!dialer) throw new ApiError(503, 'ServiceUnavailable', 'this podrun has no node to forward ports on');

  if (websocket) {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(PORT_FORWARD_WEBSOCKET_PROTOCOL)) {
      throw badRequest(
        `unable to upgrade: the client offers the subprotocols [${offered.join(' ')}]; this server speaks only ${PORT_FORWARD_WEBSOCKET_PROTOCOL}`,
      );
    }
    delete req.headers['sec-websocket-protocol'];
    (req as IncomingMessage & { podrunProtocol?: string }).podrunProtocol = PORT_FORWARD_WEBSOCKET_PROTOCOL;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      const conn = new SpdyConnection(stream, webSocketSink(ws));
      conn.on('error', () => {});
      servePortForward(conn, pod, dialer);
    });
    return;
  }

  const header = req.headers['x-stream-protocol-version'] ?? '';
  const offered = (Array.isArray(header) ? header.join(',') : header).split(',').map((p) => p.trim());
  if (!offered.includes(PORT_FORWARD_PROTOCOL)) {
    // httpstream.Handshake's refusal.
    throw new ApiError(
      403,
      'Forbidden',
      `unable to upgrade: unable to negotiate protocol: client supports [${offered.filter(Boolean).join(' ')}], server supports [${PORT_FORWARD_PROTOCOL}]`,
    );
  }
  acceptSpdy(socket, head, PORT_FORWARD_PROTOCOL);
  const conn = new SpdyConnection(socket);
  conn.on('error', () => {});
  servePortForward(conn, pod, dialer);
}
