// A streaming tar reader (ustar, PAX and GNU long names), written for the store instead of using an npm
// parser: tar@7 drops unknown PAX keys and tar-stream decodes PAX values as UTF-8, which mangles binary
// `SCHILY.xattr.security.capability`. Here PAX values stay bytes until a known key decodes them.
// Every malformation is an error naming the entry and what is wrong with it.

export type EntryType = 'file' | 'hardlink' | 'symlink' | 'chardev' | 'blockdev' | 'dir' | 'fifo';

export interface TarEntry {
  name: string;
  type: EntryType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch, possibly fractional (PAX). */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** From PAX `SCHILY.xattr.<name>`: raw bytes. */
  xattrs: Map<string, Buffer>;
  /** The entry's content; read it fully or not at all (the reader skips what is left). */
  body: AsyncIterable<Buffer>;
}

export class TarError extends Error {
  override name = 'TarError';
}

const BLOCK = 512;

/** Pulls exact byte counts out of an async chunk source. */
class ByteSource {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;
  readonly it: AsyncIterator<Buffer>;
  consumed = 0;

  constructor(src: AsyncIterable<Buffer>) {
    this.it = src[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<void> {
    while (this.buffered < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else if (r.value.length > 0) {
        this.chunks.push(r.value);
        this.buffered += r.value.length;
      }
    }
  }

  /** Exactly n bytes, or fewer only at end of input. */
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      // The common case: no copy.
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      this.consumed += n;
      return out;
    }
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n && this.chunks.length > 0) {
      const c = this.chunks[0]!;
      const take = Math.min(c.length, n - got);
      parts.push(c.subarray(0, take));
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
      got += take;
    }
    this.buffered -= got;
    this.consumed += got;
    return Buffer.concat(parts, got);
  }

  /** Up to n bytes as they arrive (at least one unless at end). */
  async readSome(n: number): Promise<Buffer> {
    if (this.buffered === 0) await this.fill(1);
    const first = this.chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    const out = first.subarray(0, Math.min(n, first.length));
    if (out.length === first.length) this.chunks.shift();
    else this.chunks[0] = first.subarray(out.length);
    this.buffered -= out.length;
    this.consumed += out.length;
    return out;
  }

  /** Reads the rest of the input (so a hash over it covers the trailing padding). */
  async drain(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
    while (!this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
    }
  }
}

function cstr(buf: Buffer, off: number, len: number): string {
  const field = buf.subarray(off, off + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? len : nul).toString('utf8');
}

function num(buf: Buffer, off: number, len: number, field: string, entry: string): number {
  const b = buf.subarray(off, off + len);
  if (b[0]! & 0x80) {
    // GNU base-256: big-endian two's complement with the top bit as the marker.
    if (b[0] === 0xff) throw new TarError(`tar entry ${entry}: negative ${field} in base-256`);
    let v = b[0]! & 0x7f;
    for (let i = 1; i < b.length; i++) v = v * 256 + b[i]!;
    if (!Number.isSafeInteger(v)) throw new TarError(`tar entry ${entry}: ${field} is too large`);
    return v;
  }
  const s = b.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s))
    throw new TarError(`tar entry ${entry}: ${field} ${JSON.stringify(s)} is not an octal number`);
  return Number.parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = h.subarray(148, 156).toString('latin1').replace(/\0.*$/s, '').trim();
  if (!/^[0-7]+$/.test(stored)) return false;
  const want = Number.parseInt(stored, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  return want === unsigned || want === signed;
}

/** Parses PAX records `"<len> <key>=<value>\n"`, keeping values as bytes. */
function parsePax(data: Buffer, entry: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < data.length) {
    if (data[off] === 0) break;
    const sp = data.indexOf(0x20, off);
    if (sp === -1) throw new TarError(`tar entry ${entry}: malformed PAX record at byte ${off}`);
    const lenStr = data.subarray(off, sp).toString('latin1');
    const len = /^[0-9]+$/.test(lenStr) ? Number.parseInt(lenStr, 10) : Number.NaN;
    if (
      !Number.isFinite(len) ||
      len <= sp - off + 1 ||
      off + len > data.length ||
      data[off + len - 1] !== 0x0a
    ) {
      throw new TarError(`tar entry ${entry}: malformed PAX record at byte ${off}`);
    }
    const rec = data.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq === -1) throw new TarError(`tar entry ${entry}: PAX record without "=" at byte ${off}`);
    out.set(rec.subarray(0, eq).toString('utf8'), Buffer.from(rec.subarray(eq + 1)));
    off += len;
  }
  return out;
}

const typeOf: Record<string, EntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'chardev',
  '4': 'blockdev',
  '5': 'dir',
  '6': 'fifo',
};

export interface TarReadOptions {
  /** Longest PAX or GNU long-name payload accepted. */
  maxMetaBytes?: number;
}

/**
 * Yields the entries of the tar stream `src`. The caller must finish with an entry's `body` (or ignore it)
 * before asking for the next entry. After the end-of-archive marker the rest of the input is read and
 * discarded, so a hash computed over `src` covers the whole stream.
 */
export async function* readTar(
  src: AsyncIterable<Buffer>,
  opts: TarReadOptions = {},
): AsyncGenerator<TarEntry> {
  const maxMeta = opts.maxMetaBytes ?? 1 << 20;
  const bs = new ByteSource(src);
  let globalPax = new Map<string, Buffer>();
  let pax: Map<string, Buffer> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  let last = '(start of archive)';
  let pendingSkip = 0;
  let pendingPad = 0;

  /** Skips n bytes; false if the input ended first. */
  const skip = async (n: number): Promise<boolean> => {
    let left = n;
    while (left > 0) {
      const b = await bs.readSome(Math.min(left, 1 << 20));
      if (b.length === 0) return false;
      left -= b.length;
    }
    return true;
  };

  for (;;) {
    if (pendingSkip > 0 && !(await skip(pendingSkip))) {
      throw new TarError(`tar entry ${last}: archive ends inside the entry's data`);
    }
    // Like Go's archive/tar (tryReadFull), input ending in the padding after the last entry's data is a clean
    // end: umoci 0.4.7 writes layers that stop right after the last file's bytes.
    if (pendingPad > 0 && !(await skip(pendingPad))) return;
    pendingSkip = 0;
    pendingPad = 0;
    const h = await bs.read(BLOCK);
    if (h.length === 0) {
      if (last === '(start of archive)') throw new TarError('not a tar archive: it is empty');
      // Some writers omit the end-of-archive blocks; Go's archive/tar accepts that at a header boundary.
      return;
    }
    if (h.length < BLOCK) throw new TarError(`tar archive ends in a header after ${last}`);
    if (h.every((c) => c === 0)) {
      await bs.drain();
      return;
    }
    if (!checksumOk(h)) {
      throw new TarError(
        last === '(start of archive)'
          ? 'not a tar archive (the first header has a bad checksum)'
          : `tar header after ${last} has a bad checksum (corrupt or truncated archive)`,
      );
    }
    const magic = h.subarray(257, 263).toString('latin1');
    const ustar = magic === 'ustar\0';
    let name = cstr(h, 0, 100);
    if (ustar) {
      const prefix = cstr(h, 345, 155);
      if (prefix !== '') name = `${prefix}/${name}`;
    }
    const flag = String.fromCharCode(h[156]!);
    const label = JSON.stringify(longName ?? name);
    let size = num(h, 124, 12, 'size', label);
    const padded = Math.ceil(size / BLOCK) * BLOCK;

    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > maxMeta) throw new TarError(`tar entry ${label}: ${size}-byte metadata record is too large`);
      const data = await bs.read(padded);
      if (data.length < padded)
        throw new TarError(`tar entry ${label}: archive ends inside a metadata record`);
      const payload = data.subarray(0, size);
      if (flag === 'x') pax = parsePax(payload, label);
      else if (flag === 'g') globalPax = new Map([...globalPax, ...parsePax(payload, label)]);
      else {
        const nul = payload.indexOf(0);
        const s = payload.subarray(0, nul === -1 ? payload.length : nul).toString('utf8');
        if (flag === 'L') longName = s;
        else longLink = s;
      }
      continue;
    }
    if (flag === 'V') {
      pendingSkip = size;
      pendingPad = padded - size;
      continue;
    }
    const type = typeOf[flag];
    if (type === undefined) {
      const what = flag === 'S' ? 'a GNU sparse file' : `type ${JSON.stringify(flag)}`;
      throw new TarError(`tar entry ${label}: ${what} is not supported in an image layer`);
    }
    const p = new Map([...globalPax, ...(pax ?? [])]);
    const text = (k: string) => p.get(k)?.toString('utf8');
    if ([...p.keys()].some((k) => k.startsWith('GNU.sparse.'))) {
      throw new TarError(`tar entry ${label}: a PAX sparse file is not supported in an image layer`);
    }
    name = text('path') ?? longName ?? name;
    let linkname = text('linkpath') ?? longLink ?? cstr(h, 157, 100);
    if (type !== 'hardlink' && type !== 'symlink') linkname = '';
    const paxNum = (k: string, fallback: number) => {
      const v = text(k);
      if (v === undefined) return fallback;
      if (!/^-?[0-9]+(\.[0-9]+)?$/.test(v))
        throw new TarError(
          `tar entry ${JSON.stringify(name)}: PAX ${k} ${JSON.stringify(v)} is not a number`,
        );
      return Number(v);
    };
    size = paxNum('size', size);
    if (!Number.isSafeInteger(size) || size < 0)
      throw new TarError(`tar entry ${JSON.stringify(name)}: bad size ${size}`);
    const xattrs = new Map<string, Buffer>();
    for (const [k, v] of p) if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice('SCHILY.xattr.'.length), v);
    const dataSize = type === 'file' ? size : 0;
    // Like Go's archive/tar, only regular files carry data; other types' size fields are ignored.
    const dataPadded = Math.ceil(dataSize / BLOCK) * BLOCK;
    last = JSON.stringify(name);
    pax = undefined;
    longName = undefined;
    longLink = undefined;

    let left = dataSize;
    const entryName = last;
    const body: AsyncIterable<Buffer> = {
      async *[Symbol.asyncIterator]() {
        while (left > 0) {
          const b = await bs.readSome(Math.min(left, 1 << 20));
          if (b.length === 0)
            throw new TarError(`tar entry ${entryName}: archive ends inside the entry's data`);
          left -= b.length;
          yield b;
        }
      },
    };
    const entry: TarEntry = {
      name,
      type,
      size: dataSize,
      mode: num(h, 100, 8, 'mode', last) & 0o7777,
      uid: paxNum('uid', num(h, 108, 8, 'uid', last)),
      gid: paxNum('gid', num(h, 116, 8, 'gid', last)),
      mtime: paxNum('mtime', num(h, 136, 12, 'mtime', last)),
      linkname,
      devmajor: type === 'chardev' || type === 'blockdev' ? num(h, 329, 8, 'devmajor', last) : 0,
      devminor: type === 'chardev' || type === 'blockdev' ? num(h, 337, 8, 'devminor', last) : 0,
      xattrs,
      body,
    };
    yield entry;
    // Whatever of the data the consumer left, plus the padding to the block boundary.
    pendingSkip = left;
    pendingPad = dataPadded - dataSize;
    left = 0;
  }
}
