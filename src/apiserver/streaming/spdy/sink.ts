// Where a SPDY connection's frames go, and how they get there without copies. Each frame is built in one
// buffer with room in front for the transport's own framing (the WebSocket tunnel's message header), and what
// a pod sends through a port-forward is read straight into such a buffer (FramePool), so its bytes are not
// copied in JavaScript at all. Writes to a socket go one at a time (SerialWriter): Node's TLS layer encrypts a
// single buffer where it is, but copies several queued ones (a writev, which a busy net.Socket makes of
// whatever was written meanwhile) into a new buffer first.
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import type { Duplex, Writable } from 'node:stream';

/** Past this much queued for a socket, writers wait: well above one frame, so a transfer does not stall on each. */
export const SOCKET_HIGH_WATER = 1024 * 1024;

/** The most a transport's framing may put in front of a frame (a WebSocket message header is at most 10). */
export const MAX_HEADROOM = 16;

export interface FrameSink {
  /** Bytes of framing the transport puts in front of a frame (at most MAX_HEADROOM). */
  readonly headroom: number;
  /**
   * Writes the transport's framing for the `length`-byte frame at `buf[at]` into the bytes just before it
   * (`at` ≥ headroom); returns where the framing begins.
   */
  frame(buf: Buffer, at: number, length: number): number;
  /**
   * Writes a framed buffer, which is the sink's until `done` is called (the bytes have gone to the
   * transport); false when the writer should wait for `drains`' 'drain'.
   */
  write(buf: Buffer, done?: () => void): boolean;
  /** Calls `then` once everything written so far has been handed to the transport. */
  flush(then: () => void): void;
  /** Emits 'drain' when writes are taken again. */
  readonly drains: EventEmitter;
}

/**
 * One write in flight at a time on a socket; the rest waits here, in order. 'drain' is emitted once the queue
 * is empty after a write returned false.
 */
export class SerialWriter extends EventEmitter {
  readonly #socket: Writable;
  readonly #queue: { buf: Buffer; done: (() => void) | undefined }[] = [];
  #queued = 0;
  #busy = false;
  #needDrain = false;
  #flushed: (() => void)[] = [];

  constructor(socket: Writable) {
    super();
    this.#socket = socket;
  }

  write(buf: Buffer, done?: () => void): boolean {
    this.#queue.push({ buf, done });
    this.#queued += buf.length;
    this.#pump();
    if (this.#queued + this.#socket.writableLength < SOCKET_HIGH_WATER) return true;
    this.#needDrain = true;
    return false;
  }

  flush(then: () => void): void {
    if (!this.#busy && this.#queue.length === 0) then();
    else this.#flushed.push(then);
  }

  #pump(): void {
    while (!this.#busy) {
      const next = this.#queue.shift();
      if (!next) {
        for (const f of this.#flushed.splice(0)) f();
        if (this.#needDrain) {
          this.#needDrain = false;
          this.emit('drain');
        }
        return;
      }
      this.#queued -= next.buf.length;
      if (this.#socket.destroyed || this.#socket.writableEnded) {
        next.done?.();
        continue;
      }
      this.#busy = true;
      // The callback comes once the bytes are encrypted and handed to the kernel (or the socket failed).
      this.#socket.write(next.buf, () => {
        this.#busy = false;
        next.done?.();
        this.#pump();
      });
    }
  }
}

/** Frames written to the transport itself (raw SPDY over TLS or TCP, or any duplex in tests). */
export function transportSink(transport: Duplex): FrameSink {
  if (transport instanceof Socket) {
    const writer = new SerialWriter(transport);
    return {
      headroom: 0,
      frame: (_buf, at) => at,
      write: (buf, done) => writer.write(buf, done),
      flush: (then) => writer.flush(then),
      drains: writer,
    };
  }
  return {
    headroom: 0,
    frame: (_buf, at) => at,
    write: (buf, done) => transport.write(buf, () => done?.()),
    flush: (then) => then(),
    drains: transport,
  };
}

/** Read buffers in use at most at once per pool's worth; more are allocated, and dropped when returned. */
const POOL_SIZE = 8;

/**
 * Buffers for data frames read in place: MAX_HEADROOM + 8 (the data frame's head) + `payload` bytes, the
 * payload read straight into their end. They come back once written, so a transfer reuses a few of them
 * (a fresh buffer this size per read is a new mapping, paged in and zeroed by the kernel each time).
 */
export class FramePool {
  readonly #free: Buffer[] = [];
  constructor(readonly payload: number) {}

  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(MAX_HEADROOM + 8 + this.payload);
  }

  give(buf: Buffer): void {
    if (this.#free.length < POOL_SIZE) this.#free.push(buf);
  }
}
