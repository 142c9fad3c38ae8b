// The content-addressed blob store: `<root>/blobs/sha256/<hex>`. A blob only ever appears under its name by
// rename(2) of a fully written, fsynced temp file whose size and sha256 were checked, so a crash mid-write
// leaves at most a temp file in `<root>/tmp`, which is never read as a blob and is removed at the next open.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkDigest, hexOf, StoreError } from './digest.js';
import { errnoCode, tempName } from './fsutil.js';

export class BlobStore {
  readonly dir: string;
  readonly tmpDir: string;

  constructor(root: string) {
    this.dir = join(root, 'blobs', 'sha256');
    this.tmpDir = join(root, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
  }

  path(digest: string): string {
    return join(this.dir, hexOf(checkDigest(digest, 'blob digest')));
  }

  async has(digest: string): Promise<boolean> {
    try {
      return (await stat(this.path(digest))).isFile();
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  async size(digest: string): Promise<number> {
    return (await stat(this.path(digest))).size;
  }

  /**
   * A writable that stores what is written as a blob. On end it checks the byte count against `size` and the
   * sha256 against `expected` (when given), then renames the temp file into place; `digest` resolves to the
   * blob's digest. Any failure (or destroy) removes the temp file and nothing is stored.
   */
  ingest(expected?: string, size?: number): BlobWriter {
    if (expected !== undefined) checkDigest(expected, 'expected digest');
    return new BlobWriter(this, expected, size);
  }

  /** Stores `data`, returning its digest; with `expected`, refuses data that does not hash to it. */
  async put(data: Buffer, expected?: string): Promise<string> {
    const w = this.ingest(expected, data.length);
    await pipeline(async function* () {
      yield data;
    }, w);
    return w.digest;
  }

  /** Stores what `source` yields; see `ingest`. */
  async putStream(
    source: Readable | Iterable<Buffer> | AsyncIterable<Buffer>,
    expected?: string,
    size?: number,
  ): Promise<string> {
    const w = this.ingest(expected, size);
    await pipeline(source, w);
    return w.digest;
  }

  async read(digest: string, maxBytes: number): Promise<Buffer> {
    const p = this.path(digest);
    const st = await stat(p).catch((err: unknown) => {
      if (errnoCode(err) === 'ENOENT') throw new StoreError(`blob ${digest} is not in the store`);
      throw err;
    });
    if (st.size > maxBytes) {
      throw new StoreError(`blob ${digest} is ${st.size} bytes, more than the ${maxBytes} allowed for it`);
    }
    return readFile(p);
  }

  openRead(digest: string): Readable {
    return createReadStream(this.path(digest));
  }

  async list(): Promise<string[]> {
    const names = await readdir(this.dir);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }
}

export class BlobWriter extends Writable {
  private readonly hash: Hash = createHash('sha256');
  private fh: FileHandle | undefined;
  private readonly tmp: string;
  private written = 0;
  private result: string | undefined;

  constructor(
    private readonly store: BlobStore,
    private readonly expected: string | undefined,
    private readonly expectedSize: number | undefined,
  ) {
    super();
    this.tmp = join(store.tmpDir, tempName('ingest'));
  }

  /** The stored blob's digest; valid once the stream has finished. */
  get digest(): string {
    if (this.result === undefined) throw new StoreError('blob ingest has not finished');
    return this.result;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.tmp, 'wx', 0o644).then(
      (fh) => {
        this.fh = fh;
        callback();
      },
      (err: Error) => callback(err),
    );
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.written += chunk.length;
    if (this.expectedSize !== undefined && this.written > this.expectedSize) {
      callback(this.sizeError());
      return;
    }
    this.hash.update(chunk);
    this.fh!.write(chunk).then(
      () => callback(),
      (err: Error) => callback(err),
    );
  }

  private sizeError(): StoreError {
    const what = this.expected ?? 'blob';
    return new StoreError(
      `${what}: got ${this.written} bytes${this.written > this.expectedSize! ? ' or more' : ''}, the descriptor says ${this.expectedSize}`,
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.commit().then(
      () => callback(),
      (err: Error) => callback(err),
    );
  }

  private async commit(): Promise<void> {
    if (this.expectedSize !== undefined && this.written !== this.expectedSize) throw this.sizeError();
    const actual = `sha256:${this.hash.digest('hex')}`;
    if (this.expected !== undefined && actual !== this.expected) {
      throw new StoreError(
        `content digest mismatch: expected ${this.expected}, got ${actual} (${this.written} bytes)`,
      );
    }
    const fh = this.fh!;
    await fh.sync();
    await fh.close();
    this.fh = undefined;
    // The directory is flushed once per image, by addImage before the index names the blob.
    await rename(this.tmp, this.store.path(actual));
    this.result = actual;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const fh = this.fh;
    this.fh = undefined;
    const cleanup = async () => {
      if (fh !== undefined) await fh.close().catch(() => {});
      if (this.result === undefined) await rm(this.tmp, { force: true });
    };
    cleanup().then(
      () => callback(error),
      () => callback(error),
    );
  }
}
