// The server's side of one SPDY/3.1 connection as kubectl's spdystream speaks it, over any byte stream (a TCP
// socket after `Upgrade: SPDY/3.1`, or the WebSocket tunnel's stream). Every SYN_STREAM gets a SYN_REPLY at
// once (the client waits up to 30 s for it), PINGs are echoed, SETTINGS and WINDOW_UPDATE are ignored and no
// window is ever enforced (spdystream sends no WINDOW_UPDATE, so enforcing 64 KiB would stall every transfer).
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  controlFrame,
  FLAG_FIN,
  FrameReader,
  GOAWAY,
  HEADERS,
  MAX_DATA_LENGTH,
  PING,
  parseSynStream,
  RST_CANCEL,
  RST_STREAM,
  type SpdyFrame,
  SYN_REPLY,
  SYN_STREAM,
  streamIdOf,
  u32s,
  writeDataHead,
} from './frames.js';
import {
  decodeHeaderBlock,
  encodeHeaderBlock,
  HeaderCompressor,
  HeaderDecompressor,
  type HeaderMap,
} from './headers.js';
import { type FramePool, type FrameSink, MAX_HEADROOM, transportSink } from './sink.js';

export { type FrameSink, SOCKET_HIGH_WATER, transportSink } from './sink.js';

/** Frames waiting behind a header block being inflated; above this the transport is paused. */
const MAX_QUEUED_FRAMES = 64;

/** One stream the client opened. Events: `data` (Buffer), `end` (the client's FIN), `reset` (RST_STREAM). */
export class SpdyStream extends EventEmitter {
  #localFin = false;
  #remoteFin = false;
  #reset = false;

  constructor(
    readonly id: number,
    readonly headers: HeaderMap,
    readonly connection: SpdyConnection,
  ) {
    super();
  }

  header(name: string): string | undefined {
    return this.headers.get(name)?.[0];
  }

  /**
   * Sends data; false when the transport's buffer is full (wait for the connection's `drain`). The bytes are
   * copied before this returns: the caller may reuse `data`'s memory.
   */
  write(data: Buffer): boolean {
    if (this.#localFin || this.#reset) return true;
    let ok = true;
    for (let at = 0; at < data.length; at += MAX_DATA_LENGTH) {
      ok = this.connection.sendData(this.id, data.subarray(at, at + MAX_DATA_LENGTH), false);
    }
    return ok;
  }

  /**
   * Memory for the next read of what this stream forwards: a frame's payload, which `writeRead` then sends
   * where it is (no copy). Taken from `pool`; a chunk from elsewhere is copied as by `write`.
   */
  readBuffer(pool: FramePool): Buffer {
    return this.connection.readBuffer(pool);
  }

  /** Sends a chunk read into memory from readBuffer (or copies one that is not); false as write. */
  writeRead(chunk: Buffer, pool: FramePool): boolean {
    if (this.#localFin || this.#reset) return true;
    return this.connection.sendRead(this.id, chunk, pool);
  }

  /** Half-closes this side (an empty data frame with FIN). */
  end(data?: Buffer): void {
    if (data?.length) this.write(data);
    if (this.#localFin || this.#reset) return;
    this.#localFin = true;
    this.connection.sendData(this.id, Buffer.alloc(0), true);
    this.#maybeDone();
  }

  /** Aborts the stream (RST_STREAM CANCEL). */
  reset(status = RST_CANCEL): void {
    if (this.#reset) return;
    this.#reset = true;
    this.connection.send(controlFrame(RST_STREAM, 0, u32s(this.id, status)));
    this.connection.forget(this.id);
  }

  get ended(): boolean {
    return this.#remoteFin || this.#reset;
  }

  /** @internal */
  receive(data: Buffer, fin: boolean): void {
    if (this.#reset) return;
    if (data.length > 0) this.emit('data', data);
    if (fin && !this.#remoteFin) {
      this.#remoteFin = true;
      this.emit('end');
      this.#maybeDone();
    }
  }

  /** @internal the peer reset the stream, or the connection ended */
  abort(): void {
    if (this.#reset) return;
    this.#reset = true;
    this.emit('reset');
    this.connection.forget(this.id);
  }

  #maybeDone(): void {
    if (this.#localFin && this.#remoteFin) this.connection.forget(this.id);
  }
}

/**
 * Events: `stream` (SpdyStream, after its SYN_REPLY went out), `drain` (the transport takes writes again),
 * `close` (the transport ended; every stream was aborted), `error` (a protocol error; the transport is
 * destroyed).
 */
export class SpdyConnection extends EventEmitter {
  readonly #transport: Duplex;
  readonly #sink: FrameSink;
  readonly #reader = new FrameReader();
  readonly #compressor = new HeaderCompressor();
  readonly #decompressor = new HeaderDecompressor();
  readonly #streams = new Map<number, SpdyStream>();
  /** Buffers handed out by readBuffer and not yet sent, by their memory. */
  readonly #issued = new WeakMap<ArrayBufferLike, Buffer>();
  readonly #queue: SpdyFrame[] = [];
  #processing = false;
  /** Streams whose destination is full: the transport reads nothing until each has drained. */
  #held = 0;
  #closed = false;

  /** `sink`: where frames are written, the transport itself unless given (it is still what is read). */
  constructor(transport: Duplex, sink: FrameSink = transportSink(transport)) {
    super();
    this.#transport = transport;
    this.#sink = sink;
    transport.on('data', (chunk: Buffer) => {
      let frames: SpdyFrame[];
      try {
        frames = this.#reader.push(chunk);
      } catch (e) {
        this.#fail(e as Error);
        return;
      }
      this.#queue.push(...frames);
      this.#drainQueue();
    });
    sink.drains.on('drain', () => this.emit('drain'));
    transport.on('close', () => this.#onClose());
    transport.on('end', () => this.#onClose());
    transport.on('error', () => this.#onClose());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Writes an encoded frame; false when the transport's buffer is full. */
  send(frame: Buffer): boolean {
    if (this.#closed || this.#transport.destroyed) return true;
    const at = this.#sink.headroom;
    const buf = Buffer.allocUnsafe(at + frame.length);
    frame.copy(buf, at);
    return this.#sink.write(buf.subarray(this.#sink.frame(buf, at, frame.length)));
  }

  /** Writes one data frame (at most MAX_DATA_LENGTH bytes), copying `data` once; false as send. */
  sendData(streamId: number, data: Buffer, fin: boolean): boolean {
    if (this.#closed || this.#transport.destroyed) return true;
    const at = this.#sink.headroom;
    const buf = Buffer.allocUnsafe(at + 8 + data.length);
    writeDataHead(buf, at, streamId, data.length, fin);
    data.copy(buf, at + 8);
    return this.#sink.write(buf.subarray(this.#sink.frame(buf, at, 8 + data.length)));
  }

  /** @internal see SpdyStream.readBuffer */
  readBuffer(pool: FramePool): Buffer {
    const base = pool.take();
    this.#issued.set(base.buffer, base);
    return base.subarray(MAX_HEADROOM + 8);
  }

  /** @internal see SpdyStream.writeRead */
  sendRead(streamId: number, chunk: Buffer, pool: FramePool): boolean {
    const base = this.#issued.get(chunk.buffer);
    if (
      !base ||
      chunk.byteOffset !== base.byteOffset + MAX_HEADROOM + 8 ||
      this.#sink.headroom > MAX_HEADROOM
    ) {
      return this.sendData(streamId, chunk, false);
    }
    this.#issued.delete(chunk.buffer);
    if (this.#closed || this.#transport.destroyed) {
      pool.give(base);
      return true;
    }
    writeDataHead(base, MAX_HEADROOM, streamId, chunk.length, false);
    const start = this.#sink.frame(base, MAX_HEADROOM, 8 + chunk.length);
    return this.#sink.write(base.subarray(start, MAX_HEADROOM + 8 + chunk.length), () => pool.give(base));
  }

  /** Stops reading from the transport until `release` (a stream's destination is full). */
  hold(): void {
    this.#held++;
    this.#transport.pause();
  }

  release(): void {
    if (this.#held > 0) this.#held--;
    if (this.#held === 0 && !this.#processing && !this.#closed) this.#transport.resume();
  }

  /** @internal */
  forget(id: number): void {
    this.#streams.delete(id);
  }

  /** Ends the connection: GOAWAY, then, once every frame has been written, the transport. */
  close(): void {
    if (this.#closed) return;
    this.send(controlFrame(GOAWAY, 0, u32s(0, 0)));
    const transport = this.#transport;
    this.#sink.flush(() => transport.end());
    this.#onClose();
  }

  destroy(): void {
    this.#transport.destroy();
    this.#onClose();
  }

  /**
   * Frames are handled in order; a SYN_STREAM's header block is inflated asynchronously, and the frames after
   * it wait. While they wait, the transport is paused once too many pile up.
   */
  #drainQueue(): void {
    if (this.#processing) {
      if (this.#queue.length > MAX_QUEUED_FRAMES) this.#transport.pause();
      return;
    }
    this.#processing = true;
    void (async () => {
      try {
        while (this.#queue.length > 0 && !this.#closed) {
          const frame = this.#queue.shift()!;
          if (frame.type === 'data') this.#streams.get(frame.streamId)?.receive(frame.data, frame.fin);
          else await this.#control(frame.frameType, frame.flags, frame.payload);
        }
      } catch (e) {
        this.#fail(e as Error);
      } finally {
        this.#processing = false;
        if (!this.#closed && this.#held === 0 && this.#transport.isPaused()) this.#transport.resume();
      }
    })();
  }

  async #control(type: number, flags: number, payload: Buffer): Promise<void> {
    switch (type) {
      case SYN_STREAM: {
        const syn = parseSynStream(payload);
        const headers = decodeHeaderBlock(await this.#decompressor.decompress(syn.headerBlock));
        if (this.#closed) return;
        const reply = Buffer.concat([
          u32s(syn.streamId),
          this.#compressor.compress(encodeHeaderBlock(new Map())),
        ]);
        this.send(controlFrame(SYN_REPLY, 0, reply));
        const stream = new SpdyStream(syn.streamId, headers, this);
        this.#streams.set(syn.streamId, stream);
        this.emit('stream', stream);
        if (flags & FLAG_FIN) stream.receive(Buffer.alloc(0), true);
        return;
      }
      case HEADERS: {
        // Keeps the inflater in step; podrun's streams take no headers after the SYN_STREAM.
        await this.#decompressor.decompress(payload.subarray(4));
        if (flags & FLAG_FIN) this.#streams.get(streamIdOf(payload))?.receive(Buffer.alloc(0), true);
        return;
      }
      case RST_STREAM:
        this.#streams.get(streamIdOf(payload))?.abort();
        return;
      case PING:
        this.send(controlFrame(PING, 0, payload.subarray(0, 4)));
        return;
      case GOAWAY:
        // The client is leaving: what it has open still finishes; the transport's end closes the rest.
        return;
      default:
        // SETTINGS, WINDOW_UPDATE, SYN_REPLY, CREDENTIAL: nothing to do on this side.
        return;
    }
  }

  #fail(e: Error): void {
    if (this.#closed) return;
    this.emit('error', e);
    this.destroy();
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    for (const s of [...this.#streams.values()]) s.abort();
    this.#streams.clear();
    this.#decompressor.close();
    this.emit('close');
  }
}
