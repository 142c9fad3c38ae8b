// SPDY/3.1 frames as kubectl's side (moby/spdystream) reads and writes them: an incremental reader for what
// arrives (boundaries mean nothing: the WebSocket tunnel cuts frames anywhere) and encoders for what the
// server sends. Header blocks stay compressed here; headers.ts deals with them.

/** Control frame types (spdystream spdy/types.go). */
export const SYN_STREAM = 1;
export const SYN_REPLY = 2;
export const RST_STREAM = 3;
export const SETTINGS = 4;
export const PING = 6;
export const GOAWAY = 7;
export const HEADERS = 8;
export const WINDOW_UPDATE = 9;

export const FLAG_FIN = 0x01;
/** RST_STREAM statuses used here. */
export const RST_PROTOCOL_ERROR = 1;
export const RST_CANCEL = 5;

const VERSION = 3;
/** A data frame's length is 24 bits. */
export const MAX_DATA_LENGTH = (1 << 24) - 1;

export type SpdyFrame =
  | { type: 'data'; streamId: number; fin: boolean; data: Buffer }
  | { type: 'control'; frameType: number; flags: number; payload: Buffer };

/** Cuts a byte stream into frames; `push` returns the frames completed by a chunk. */
export class FrameReader {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): SpdyFrame[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const frames: SpdyFrame[] = [];
    let at = 0;
    while (this.#buf.length - at >= 8) {
      const length = this.#buf.readUIntBE(at + 5, 3);
      if (this.#buf.length - at < 8 + length) break;
      const flags = this.#buf[at + 4]!;
      const payload = this.#buf.subarray(at + 8, at + 8 + length);
      if (this.#buf[at]! & 0x80) {
        const version = this.#buf.readUInt16BE(at) & 0x7fff;
        if (version !== VERSION)
          throw new Error(`SPDY control frame of version ${version}: only SPDY/3 is spoken`);
        frames.push({ type: 'control', frameType: this.#buf.readUInt16BE(at + 2), flags, payload });
      } else {
        frames.push({
          type: 'data',
          streamId: this.#buf.readUInt32BE(at) & 0x7fffffff,
          fin: (flags & FLAG_FIN) !== 0,
          data: payload,
        });
      }
      at += 8 + length;
    }
    this.#buf = this.#buf.subarray(at);
    return frames;
  }

  /** Bytes of a frame not yet complete. */
  get pending(): number {
    return this.#buf.length;
  }
}

export function controlFrame(frameType: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | VERSION, 0);
  head.writeUInt16BE(frameType, 2);
  head[4] = flags;
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

/** One data frame; callers split payloads above MAX_DATA_LENGTH. */
export function dataFrame(streamId: number, data: Buffer, fin: boolean): Buffer {
  const frame = Buffer.allocUnsafe(8 + data.length);
  writeDataHead(frame, 0, streamId, data.length, fin);
  data.copy(frame, 8);
  return frame;
}

/** A data frame's 8-byte head at `at` in `buf`, for a payload of `length` bytes that follows it. */
export function writeDataHead(buf: Buffer, at: number, streamId: number, length: number, fin: boolean): void {
  buf.writeUInt32BE(streamId & 0x7fffffff, at);
  buf[at + 4] = fin ? FLAG_FIN : 0;
  buf.writeUIntBE(length, at + 5, 3);
}

export function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => {
    b.writeUInt32BE(v >>> 0, i * 4);
  });
  return b;
}

/** SYN_STREAM's fixed part: stream id, associated id, priority, slot; the header block follows at offset 10. */
export function parseSynStream(payload: Buffer): {
  streamId: number;
  associatedId: number;
  headerBlock: Buffer;
} {
  if (payload.length < 10) throw new Error(`SYN_STREAM of ${payload.length} bytes: at least 10 expected`);
  return {
    streamId: payload.readUInt32BE(0) & 0x7fffffff,
    associatedId: payload.readUInt32BE(4) & 0x7fffffff,
    headerBlock: payload.subarray(10),
  };
}

/** The stream id every per-stream control frame (SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE) starts with. */
export function streamIdOf(payload: Buffer): number {
  if (payload.length < 4) throw new Error(`SPDY control frame of ${payload.length} bytes: no stream id`);
  return payload.readUInt32BE(0) & 0x7fffffff;
}
