// kubectl's side of a SPDY/3.1 connection, reduced to what the streaming tests send and read: one deflater with
// the SPDY/3 dictionary for the whole connection (as spdystream), SYN_STREAMs with header blocks, data frames.
import type { Duplex } from 'node:stream';
import { createDeflate, constants as zconst } from 'node:zlib';
import { SPDY3_DICTIONARY } from '../../../src/apiserver/streaming/spdy/dictionary.js';
import {
  controlFrame,
  dataFrame,
  FrameReader,
  type SpdyFrame,
  SYN_STREAM,
  u32s,
} from '../../../src/apiserver/streaming/spdy/frames.js';
import { encodeHeaderBlock } from '../../../src/apiserver/streaming/spdy/headers.js';

/** kubectl's side of the SPDY connection, reduced to what these tests send and read. */
export class SpdyClient {
  readonly frames: SpdyFrame[] = [];
  #reader = new FrameReader();
  #deflate = createDeflate({ dictionary: SPDY3_DICTIONARY });
  #out: Buffer[] = [];
  #waiters: (() => void)[] = [];
  constructor(readonly socket: Duplex) {
    this.#deflate.on('data', (b: Buffer) => this.#out.push(b));
    socket.on('data', (b: Buffer) => {
      this.frames.push(...this.#reader.push(b));
      for (const w of this.#waiters.splice(0)) w();
    });
    const end = () => {
      this.ended = true;
      for (const w of this.#waiters.splice(0)) w();
    };
    socket.on('end', end);
    socket.on('close', end);
  }
  /** Whether the server ended the connection. */
  ended = false;
  async open(id: number, headers: Record<string, string>): Promise<void> {
    const block = encodeHeaderBlock(new Map(Object.entries(headers).map(([k, v]) => [k, [v]])));
    const compressed = await new Promise<Buffer>((resolve) => {
      this.#deflate.write(block);
      this.#deflate.flush(zconst.Z_SYNC_FLUSH, () => resolve(Buffer.concat(this.#out.splice(0))));
    });
    this.socket.write(
      controlFrame(SYN_STREAM, 0, Buffer.concat([u32s(id, 0), Buffer.from([0, 0]), compressed])),
    );
  }
  send(id: number, data: string, fin = false): void {
    this.socket.write(dataFrame(id, Buffer.from(data), fin));
  }
  /** Data received on a stream so far, and whether it was FINed. */
  stream(id: number): { text: string; fin: boolean } {
    const frames = this.frames.filter((f) => f.type === 'data' && f.streamId === id);
    return {
      text: frames.map((f) => (f.type === 'data' ? f.data.toString() : '')).join(''),
      fin: frames.some((f) => f.type === 'data' && f.fin),
    };
  }
  async until(check: () => boolean): Promise<void> {
    while (!check()) {
      if (this.ended) throw new Error('the server ended the connection first');
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }
}
