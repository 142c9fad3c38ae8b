// SPDY/3 header blocks: a u32 count, then per entry a u32-length name and a u32-length value (several values
// NUL-separated), zlib-compressed with the SPDY/3 dictionary in ONE zlib stream per direction for the whole
// connection (spdystream's Framer), each block ending on a sync flush.
//
// Outgoing blocks use deflate's stored (uncompressed) blocks: still one valid zlib stream with the dictionary's
// id in its header, which the peer's inflater reads like any other, but made synchronously. So a SYN_REPLY is
// a plain Buffer written in order with data frames, with no async zlib queue between them; the server's blocks
// are a few bytes (an empty SYN_REPLY), where compression gains nothing.
import { createInflate, type Inflate, constants as zconst } from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';

export type HeaderMap = Map<string, string[]>;

export function encodeHeaderBlock(headers: HeaderMap): Buffer {
  const parts: Buffer[] = [u32(headers.size)];
  for (const [name, values] of headers) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(values.join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): HeaderMap {
  const headers: HeaderMap = new Map();
  let at = 0;
  const take = (what: string): Buffer => {
    if (block.length - at < 4) throw new Error(`SPDY header block ends inside the length of ${what}`);
    const len = block.readUInt32BE(at);
    at += 4;
    if (block.length - at < len) throw new Error(`SPDY header block ends inside ${what} (${len} bytes)`);
    const b = block.subarray(at, at + len);
    at += len;
    return b;
  };
  if (block.length < 4) throw new Error('SPDY header block shorter than its entry count');
  const count = block.readUInt32BE(0);
  at = 4;
  for (let i = 0; i < count; i++) {
    const name = take('a header name').toString('utf8');
    const value = take(`the value of header ${JSON.stringify(name)}`).toString('utf8');
    if (name !== name.toLowerCase())
      throw new Error(
        `SPDY header ${JSON.stringify(name)} is not lowercase (spdystream: header was not lowercased)`,
      );
    if (headers.has(name)) throw new Error(`SPDY header ${JSON.stringify(name)} appears twice`);
    headers.set(name, value.split('\0'));
  }
  return headers;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** Adler-32 (RFC 1950), for the zlib header's dictionary id. */
export function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const MAX_STORED = 0xffff;
const SYNC_FLUSH = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

/** The compressing side of one direction: a zlib stream of stored blocks, started with the dictionary's id. */
export class HeaderCompressor {
  #started = false;

  compress(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.#started) {
      this.#started = true;
      // CMF 0x78 (deflate, 32 KiB window); FLG 0x20 = FDICT with FCHECK 0, as 0x7820 is a multiple of 31.
      parts.push(Buffer.from([0x78, 0x20]), u32(adler32(SPDY3_DICTIONARY)));
    }
    for (let at = 0; at < block.length; at += MAX_STORED) {
      const piece = block.subarray(at, at + MAX_STORED);
      // BFINAL 0, BTYPE 00, padded to the byte; then LEN and its one's complement, little-endian.
      const head = Buffer.alloc(5);
      head.writeUInt16LE(piece.length, 1);
      head.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(head, piece);
    }
    // The sync-flush marker (an empty stored block) as zlib's Z_SYNC_FLUSH ends a block: Go's inflater hands
    // out what it holds only on reaching it, and otherwise reads on past the frame and fails the next one.
    parts.push(SYNC_FLUSH);
    return Buffer.concat(parts);
  }
}

/**
 * The decompressing side of one direction: one inflater for the connection, fed block by block. Calls must
 * not overlap (the connection handles frames one at a time).
 */
export class HeaderDecompressor {
  #inflate: Inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
  #chunks: Buffer[] = [];
  #error: Error | undefined;

  constructor() {
    this.#inflate.on('data', (b: Buffer) => this.#chunks.push(b));
    this.#inflate.on('error', (e: Error) => {
      this.#error = e;
    });
  }

  decompress(compressed: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.#error) return reject(this.#error);
      this.#inflate.write(compressed);
      this.#inflate.flush(zconst.Z_SYNC_FLUSH, () => {
        if (this.#error)
          return reject(new Error(`SPDY header block does not inflate: ${this.#error.message}`));
        const out = Buffer.concat(this.#chunks);
        this.#chunks = [];
        resolve(out);
      });
    });
  }

  close(): void {
    this.#inflate.close();
  }
}
