// The SPDY/3 framer port-forward speaks: the dictionary, header blocks compressed against it in one zlib
// stream per direction (checked against node's real zlib both ways), frame cutting, and a connection that
// replies to SYN_STREAM, echoes PING and carries data in both directions.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Duplex } from 'node:stream';
import { describe, test } from 'node:test';
import { createDeflate, inflateSync, constants as zconst } from 'node:zlib';
import { SpdyConnection, type SpdyStream } from '../../../src/apiserver/streaming/spdy/connection.js';
import { SPDY3_DICTIONARY } from '../../../src/apiserver/streaming/spdy/dictionary.js';
import {
  controlFrame,
  dataFrame,
  FrameReader,
  PING,
  RST_STREAM,
  SYN_REPLY,
  SYN_STREAM,
  u32s,
} from '../../../src/apiserver/streaming/spdy/frames.js';
import {
  adler32,
  decodeHeaderBlock,
  encodeHeaderBlock,
  HeaderCompressor,
  HeaderDecompressor,
} from '../../../src/apiserver/streaming/spdy/headers.js';

/** What spdystream's client does per header block: one deflater with the dictionary, a sync flush each. */
class ClientDeflater {
  #deflate = createDeflate({ dictionary: SPDY3_DICTIONARY, level: 9 });
  #chunks: Buffer[] = [];
  constructor() {
    this.#deflate.on('data', (b: Buffer) => this.#chunks.push(b));
  }
  compress(block: Buffer): Promise<Buffer> {
    return new Promise((resolve) => {
      this.#deflate.write(block);
      this.#deflate.flush(zconst.Z_SYNC_FLUSH, () => {
        const out = Buffer.concat(this.#chunks);
        this.#chunks = [];
        resolve(out);
      });
    });
  }
}

const headers = (entries: Record<string, string>) =>
  new Map(Object.entries(entries).map(([k, v]) => [k, [v]] as [string, string[]]));

describe('SPDY/3 dictionary and header blocks', () => {
  test('the dictionary is spdystream headerDictionary: 1423 bytes, from "options" to "enq=0."', () => {
    assert.equal(SPDY3_DICTIONARY.length, 1423);
    assert.deepEqual([...SPDY3_DICTIONARY.subarray(0, 11)], [0, 0, 0, 7, ...Buffer.from('options')]);
    assert.equal(SPDY3_DICTIONARY.subarray(-6).toString(), 'enq=0.');
    assert.equal(
      createHash('sha256').update(SPDY3_DICTIONARY).digest('hex'),
      '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02',
    );
  });

  test('adler32 matches zlib on a known string', () => {
    assert.equal(adler32(Buffer.from('Wikipedia')), 0x11e60398);
  });

  test('a header block encodes and decodes, several values NUL-separated', () => {
    const block = encodeHeaderBlock(
      new Map([
        ['streamtype', ['data']],
        ['port', ['8080']],
        ['x-multi', ['a', 'b']],
      ]),
    );
    assert.deepEqual(
      decodeHeaderBlock(block),
      new Map([
        ['streamtype', ['data']],
        ['port', ['8080']],
        ['x-multi', ['a', 'b']],
      ]),
    );
    assert.throws(() => decodeHeaderBlock(block.subarray(0, block.length - 2)), /ends inside/);
  });

  test("the server's blocks are one zlib stream with the dictionary that real zlib inflates", () => {
    const c = new HeaderCompressor();
    const a = encodeHeaderBlock(headers({ streamtype: 'error', port: '80' }));
    const empty = encodeHeaderBlock(new Map());
    const big = encodeHeaderBlock(headers({ big: 'x'.repeat(70_000) }));
    const blocks = [c.compress(a), c.compress(empty), c.compress(big)];
    // Each block ends on a sync flush (an empty stored block), where Go's inflater hands its output out.
    for (const b of blocks) assert.deepEqual([...b.subarray(-5)], [0, 0, 0, 0xff, 0xff]);
    const stream = Buffer.concat(blocks);
    // Without the dictionary zlib refuses the stream: the header names it.
    assert.throws(() => inflateSync(stream, { finishFlush: zconst.Z_SYNC_FLUSH }), /dictionary/i);
    const out = inflateSync(stream, { dictionary: SPDY3_DICTIONARY, finishFlush: zconst.Z_SYNC_FLUSH });
    assert.deepEqual(out, Buffer.concat([a, empty, big]));
  });

  test("the client's blocks inflate one at a time with the context kept across blocks", async () => {
    const client = new ClientDeflater();
    const d = new HeaderDecompressor();
    const first = encodeHeaderBlock(headers({ streamtype: 'error', port: '8080', requestid: '0' }));
    const second = encodeHeaderBlock(headers({ streamtype: 'data', port: '8080', requestid: '0' }));
    const c1 = await client.compress(first);
    const c2 = await client.compress(second);
    assert.deepEqual(await d.decompress(c1), first);
    assert.deepEqual(await d.decompress(c2), second);
    // The second block refers back to the first: on its own, with a fresh context, it does not inflate.
    assert.throws(() => inflateSync(c2, { dictionary: SPDY3_DICTIONARY }));
    d.close();
  });
});

describe('SPDY/3 frames', () => {
  test('the reader cuts frames out of arbitrary chunks', () => {
    const bytes = Buffer.concat([
      controlFrame(PING, 0, u32s(7)),
      dataFrame(3, Buffer.from('hello'), true),
      controlFrame(RST_STREAM, 0, u32s(3, 5)),
    ]);
    const r = new FrameReader();
    const frames = [];
    for (let i = 0; i < bytes.length; i += 3) frames.push(...r.push(bytes.subarray(i, i + 3)));
    assert.equal(r.pending, 0);
    assert.deepEqual(
      frames.map((f) =>
        f.type === 'data' ? ['data', f.streamId, f.fin, f.data.toString()] : ['ctl', f.frameType],
      ),
      [
        ['ctl', PING],
        ['data', 3, true, 'hello'],
        ['ctl', RST_STREAM],
      ],
    );
  });

  test('a control frame of another SPDY version is refused', () => {
    const f = controlFrame(PING, 0, u32s(1));
    f.writeUInt16BE(0x8002, 0);
    assert.throws(() => new FrameReader().push(f), /version 2/);
  });
});

describe('SPDY/3 connection', () => {
  /** A client end: frames it sends, frames it gets back (decoded), over a pair of PassThroughs. */
  function pair() {
    const reader = new FrameReader();
    const got: ReturnType<FrameReader['push']> = [];
    const transport = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        got.push(...reader.push(chunk));
        cb();
      },
    });
    const conn = new SpdyConnection(transport);
    return { conn, send: (b: Buffer) => transport.push(b), got };
  }
  const tick = () => new Promise((r) => setTimeout(r, 20));

  test('SYN_STREAM gets a SYN_REPLY and a stream with its headers; data flows both ways; PING is echoed', async () => {
    const { conn, send, got } = pair();
    const streams: SpdyStream[] = [];
    conn.on('stream', (s: SpdyStream) => streams.push(s));
    const client = new ClientDeflater();
    const block = await client.compress(
      encodeHeaderBlock(headers({ streamtype: 'data', port: '80', requestid: '0' })),
    );
    send(controlFrame(SYN_STREAM, 0, Buffer.concat([u32s(3, 0), Buffer.from([0, 0]), block])));
    const received: string[] = [];
    send(dataFrame(3, Buffer.from('GET /'), false));
    send(controlFrame(PING, 0, u32s(1)));
    await tick();
    assert.equal(streams.length, 1);
    const s = streams[0]!;
    assert.equal(s.header('streamtype'), 'data');
    assert.equal(s.header('requestid'), '0');
    s.on('data', (b: Buffer) => received.push(b.toString()));
    send(dataFrame(3, Buffer.from(' HTTP'), true));
    await tick();
    assert.deepEqual(received, [' HTTP']);
    assert.equal(s.ended, true);
    s.write(Buffer.from('reply'));
    s.end();
    await tick();
    const kinds = got.map((f) =>
      f.type === 'data' ? `data:${f.streamId}:${f.data}:${f.fin}` : `ctl:${f.frameType}`,
    );
    assert.deepEqual(kinds, [`ctl:${SYN_REPLY}`, `ctl:${PING}`, 'data:3:reply:false', 'data:3::true']);
    const reply = got[0]!;
    assert.equal(reply.type, 'control');
    if (reply.type === 'control') {
      assert.equal(reply.payload.readUInt32BE(0), 3);
      // The reply's header block is an empty block in a zlib stream with the dictionary.
      const out = inflateSync(reply.payload.subarray(4), {
        dictionary: SPDY3_DICTIONARY,
        finishFlush: zconst.Z_SYNC_FLUSH,
      });
      assert.deepEqual(out, u32s(0));
    }
    const ping = got[1]!;
    assert.equal(ping.type === 'control' && ping.payload.readUInt32BE(0), 1);
    conn.destroy();
  });

  test('RST_STREAM from the client aborts the stream', async () => {
    const { conn, send } = pair();
    let reset = false;
    conn.on('stream', (s: SpdyStream) => s.on('reset', () => (reset = true)));
    const client = new ClientDeflater();
    const block = await client.compress(encodeHeaderBlock(headers({ streamtype: 'error' })));
    send(controlFrame(SYN_STREAM, 0, Buffer.concat([u32s(1, 0), Buffer.from([0, 0]), block])));
    send(controlFrame(RST_STREAM, 0, u32s(1, 5)));
    await tick();
    assert.equal(reset, true);
    conn.destroy();
  });
});
