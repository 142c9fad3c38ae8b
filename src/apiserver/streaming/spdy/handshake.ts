// The SPDY upgrade as the kubelet answers it (k8s.io/apimachinery pkg/util/httpstream Handshake, spdy/upgrade.go):
// the client lists the protocols it speaks in X-Stream-Protocol-Version (several header lines, or one with
// commas), the server takes the first of them it also speaks, and replies 101 with Connection: Upgrade,
// Upgrade: SPDY/3.1 and the chosen protocol. Its refusals are plain text (http.Error), which client-go shows as
// `error: unable to upgrade connection: <text>`.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** A refusal answered as text/plain with an HTTP code, as the kubelet's http.Error and streaming.WriteError do. */
export class TextRefusal extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'TextRefusal';
  }
}

export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'spdy/3.1';
}

/** The protocol both sides speak, or a TextRefusal in upstream's words. */
export function negotiateSpdyProtocol(req: IncomingMessage, server: readonly string[]): string {
  const header = req.headers['x-stream-protocol-version'];
  const client = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (client.length === 0)
    throw new TextRefusal(400, 'unable to upgrade: X-Stream-Protocol-Version is required');
  const chosen = client.find((p) => server.includes(p));
  if (!chosen) {
    throw new TextRefusal(
      403,
      `unable to upgrade: unable to negotiate protocol: client supports [${client.join(' ')}], server accepts [${server.join(' ')}]`,
    );
  }
  return chosen;
}

/** Switches the connection to SPDY/3.1 with `protocol`; what the client sent past its request is put back. */
export function acceptSpdy(socket: Duplex, head: Buffer, protocol: string): void {
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`,
  );
  if (head.length > 0) socket.unshift(head);
}
