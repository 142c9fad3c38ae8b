// The WebSocket tunnel's writes of SPDY frames, one binary message per frame, each framed in front of the
// frame's own buffer (spdy/sink.ts leaves room) and written to the connection's socket as one buffer, one
// write at a time. Through ws, every message would go out as two buffers (its header and the payload, corked
// into a writev), which Node's TLS layer copies together before encrypting: one more copy of every byte
// forwarded. ws keeps everything else (the handshake, reading the client's masked messages, pings, the
// close). Its own writes (a pong) go to the socket at once, between two of these messages, which WebSocket
// allows for control frames; the tunnel's end waits for the queue (SpdyConnection.close flushes first), so
// that ws's close frame comes after the last message.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { type FrameSink, SerialWriter } from '../spdy/sink.js';

/** FIN + binary opcode: a whole message in one frame. */
const FIN_BINARY = 0x82;

/** The server's (unmasked) frame header for a payload of `length` bytes: 2, 4 or 10 bytes. */
export function frameHeaderLength(length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}

/**
 * Writes the header of a binary message of `length` bytes into the bytes just before `buf[at]`; returns where
 * the header begins.
 */
export function writeBinaryHeader(buf: Buffer, at: number, length: number): number {
  const h = frameHeaderLength(length);
  const start = at - h;
  buf[start] = FIN_BINARY;
  if (h === 2) buf[start + 1] = length;
  else if (h === 4) {
    buf[start + 1] = 126;
    buf.writeUInt16BE(length, start + 2);
  } else {
    buf[start + 1] = 127;
    buf.writeUInt32BE(Math.floor(length / 2 ** 32), start + 2);
    buf.writeUInt32BE(length >>> 0, start + 6);
  }
  return start;
}

export function webSocketSink(ws: WebSocket): FrameSink {
  // ws keeps its socket in `_socket` (not in its typings); it is set by the time the handshake's callback runs.
  const socket = (ws as unknown as { _socket: Socket })._socket;
  const writer = new SerialWriter(socket);
  return {
    headroom: 10,
    frame: writeBinaryHeader,
    write(buf, done) {
      if (ws.readyState !== ws.OPEN) {
        done?.();
        return true;
      }
      return writer.write(buf, done);
    },
    flush: (then) => writer.flush(then),
    drains: writer,
  };
}
