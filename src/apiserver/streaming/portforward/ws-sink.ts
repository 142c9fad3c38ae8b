// The WebSocket tunnel's writes of SPDY frames, one binary message per frame, each built whole in one buffer
// and written to the connection's socket. Through ws, every message would go out as two buffers (its header
// and the payload, corked into a writev), which Node's TLS layer copies together before encrypting: one more
// copy of every byte forwarded. ws keeps everything else (the handshake, reading the client's masked
// messages, pings, the close): its sender writes to the same socket at once, frame by frame, as long as it
// never queues, which it does only for compression (off here) or Blobs (never sent here), so frames cannot
// interleave.
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { type FrameSink, SOCKET_HIGH_WATER } from '../spdy/connection.js';

/** FIN + binary opcode: a whole message in one frame. */
const FIN_BINARY = 0x82;

/** The server's (unmasked) frame header for a payload of `length` bytes: 2, 4 or 10 bytes. */
export function frameHeaderLength(length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}

/** A buffer for a binary message of `length` bytes, its header filled, the payload to go in its last bytes. */
export function allocBinaryMessage(length: number): Buffer {
  const h = frameHeaderLength(length);
  const buf = Buffer.allocUnsafe(h + length);
  buf[0] = FIN_BINARY;
  if (h === 2) buf[1] = length;
  else if (h === 4) {
    buf[1] = 126;
    buf.writeUInt16BE(length, 2);
  } else {
    buf[1] = 127;
    buf.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    buf.writeUInt32BE(length >>> 0, 6);
  }
  return buf;
}

export function webSocketSink(ws: WebSocket): FrameSink {
  // ws keeps its socket in `_socket` (not in its typings); it is set by the time the handshake's callback runs.
  const socket = (ws as unknown as { _socket: Socket })._socket;
  return {
    alloc: allocBinaryMessage,
    write(buf) {
      if (ws.readyState !== ws.OPEN) return true;
      // The socket's own high-water mark (16 KiB) is below one frame; see SOCKET_HIGH_WATER.
      return socket.write(buf) || socket.writableLength < SOCKET_HIGH_WATER;
    },
    drains: socket as EventEmitter,
  };
}
