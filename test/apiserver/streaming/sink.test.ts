// How port-forward's frames reach the socket: a chunk read into a frame buffer goes out from where it was read
// (no copy) and the buffer comes back to its pool once written; a socket gets one write at a time, in order,
// and the end only after the last; the WebSocket header written in front of a frame is the one ws writes.
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { Duplex } from 'node:stream';
import { describe, test } from 'node:test';
import * as wsModule from 'ws';
import { writeBinaryHeader } from '../../../src/apiserver/streaming/portforward/ws-sink.js';
import { SpdyConnection, type SpdyStream } from '../../../src/apiserver/streaming/spdy/connection.js';
import { controlFrame, FrameReader, SYN_STREAM, u32s } from '../../../src/apiserver/streaming/spdy/frames.js';
import { encodeHeaderBlock, HeaderCompressor } from '../../../src/apiserver/streaming/spdy/headers.js';
import {
  FramePool,
  type FrameSink,
  MAX_HEADROOM,
  SerialWriter,
} from '../../../src/apiserver/streaming/spdy/sink.js';

/** A connected pair of TCP sockets on loopback. */
async function socketPair(): Promise<{ a: Socket; b: Socket; close: () => void }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const accepted = once(server, 'connection');
  const a = tcpConnect(port, '127.0.0.1');
  const [b] = (await accepted) as [Socket];
  await once(a, 'connect');
  return {
    a,
    b,
    close: () => {
      a.destroy();
      b.destroy();
      server.close();
    },
  };
}

// ws exports its Sender, but its typings do not declare it.
const { Sender } = wsModule as unknown as {
  Sender: {
    frame(
      data: Buffer,
      o: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean },
    ): Buffer[];
  };
};

describe('port-forward frame sinks', () => {
  test('a chunk read into readBuffer is sent from its own memory with the transport header in front; the buffer returns to the pool', async () => {
    const written: { buf: Buffer; done?: () => void }[] = [];
    const sink: FrameSink = {
      headroom: 10,
      frame: writeBinaryHeader,
      write(buf, done) {
        written.push({ buf, ...(done ? { done } : {}) });
        return true;
      },
      flush: (then) => then(),
      drains: new EventEmitter(),
    };
    const transport = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
    const conn = new SpdyConnection(transport, sink);
    const opened = once(conn, 'stream') as Promise<[SpdyStream]>;
    const block = new HeaderCompressor().compress(encodeHeaderBlock(new Map([['streamtype', ['data']]])));
    // A client's header block is inflated with the dictionary, as the server's is deflated: reuse the
    // server-side compressor to make one.
    transport.push(controlFrame(SYN_STREAM, 0, Buffer.concat([u32s(1, 0), Buffer.from([0, 0]), block])));
    const [s] = await opened;
    written.length = 0;

    const pool = new FramePool(1024);
    const target = s.readBuffer(pool);
    assert.equal(target.length, 1024);
    target.write('hello from the pod', 0);
    const chunk = target.subarray(0, 18);
    assert.equal(s.writeRead(chunk, pool), true);
    assert.equal(written.length, 1);
    const out = written[0]!.buf;
    assert.equal(out.buffer, chunk.buffer, 'sent from the memory it was read into');
    // WebSocket header (2 bytes for 26) + SPDY data head (8) + payload.
    assert.equal(out.length, 2 + 8 + 18);
    assert.deepEqual([...out.subarray(0, 2)], [0x82, 26]);
    const frames = new FrameReader().push(out.subarray(2));
    assert.equal(frames.length, 1);
    const f = frames[0]!;
    assert.ok(f.type === 'data');
    if (f.type === 'data') {
      assert.equal(f.streamId, 1);
      assert.equal(f.data.toString(), 'hello from the pod');
    }
    // Until written, the buffer is not reused; once done, it is the next one handed out.
    const other = s.readBuffer(pool);
    assert.notEqual(other.buffer, chunk.buffer);
    written[0]!.done?.();
    assert.equal(s.readBuffer(pool).buffer, chunk.buffer);

    // A chunk from memory of its own (a runtime that ignores `buffer`) is copied.
    const own = Buffer.from('elsewhere');
    s.writeRead(own, pool);
    own.fill(0);
    assert.equal(written[1]!.buf.subarray(2 + 8).toString(), 'elsewhere');
    conn.destroy();
  });

  test('SerialWriter: one write in flight, every byte in order, flush after the last', async () => {
    const { a, b, close } = await socketPair();
    try {
      const writer = new SerialWriter(a);
      const frames = Array.from({ length: 40 }, (_, i) => Buffer.alloc(256 * 1024, i));
      let done = 0;
      let full = false;
      for (const f of frames) {
        if (!writer.write(f, () => done++)) full = true;
        // Only the write in flight is in the socket; the rest waits in the writer.
        assert.ok(a.writableLength <= f.length, `socket holds ${a.writableLength} bytes`);
      }
      assert.equal(full, true, 'past the high-water mark the writer says wait');
      const drained = once(writer, 'drain');
      const received: Buffer[] = [];
      b.on('data', (c: Buffer) => received.push(c));
      const ended = once(b, 'end');
      writer.flush(() => a.end());
      await drained;
      await ended;
      assert.equal(done, frames.length);
      assert.ok(Buffer.concat(received).equals(Buffer.concat(frames)));
    } finally {
      close();
    }
  });

  test("the WebSocket header in front of a frame is ws's own, for each header length", () => {
    for (const length of [0, 125, 126, 65535, 65536, 300_000]) {
      const buf = Buffer.alloc(MAX_HEADROOM + length);
      const start = writeBinaryHeader(buf, MAX_HEADROOM, length);
      const [header] = Sender.frame(Buffer.alloc(length), {
        fin: true,
        opcode: 2,
        mask: false,
        readOnly: true,
        rsv1: false,
      });
      assert.deepEqual(buf.subarray(start, MAX_HEADROOM), header, `length ${length}`);
    }
  });
});
