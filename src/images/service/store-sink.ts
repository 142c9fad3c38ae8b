// The pull client's BlobSink over the image store's BlobStore, so pulled blobs land in the store directly.
// Downloads go to `<store>/tmp/pull-<pid>-<nonce><hex>`: stable for one service (a cut download resumes
// from its size), distinct between processes and services, and removed by ImageStore.open once the process
// that wrote it is gone. A blob appears under its name only by rename(2) of a verified, fsynced file.
import { randomBytes } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobSink } from '../registry/sink.js';
import { hexOf } from '../store/digest.js';
import type { BlobStore } from '../store/index.js';

export class StoreBlobSink implements BlobSink {
  private readonly nonce = randomBytes(4).toString('hex');

  constructor(
    private readonly blobs: BlobStore,
    /** Told of every blob stored through the sink, with its size (progress lines). */
    private readonly onStored: (digest: string, size: number) => void = () => {},
  ) {}

  hasBlob(digest: string): Promise<boolean> {
    return this.blobs.has(digest);
  }

  async tempPath(digest: string): Promise<string> {
    // path() refuses a digest the store cannot keep (not sha256) before any byte is fetched.
    this.blobs.path(digest);
    return join(this.blobs.tmpDir, `pull-${process.pid}-${this.nonce}${hexOf(digest)}`);
  }

  async commitBlob(digest: string, verifiedPath: string): Promise<void> {
    const fh = await open(verifiedPath, 'r+');
    let size: number;
    try {
      await fh.sync();
      size = (await fh.stat()).size;
    } finally {
      await fh.close();
    }
    // The directory is flushed once per image, by addImage before the index names the blob.
    await rename(verifiedPath, this.blobs.path(digest));
    this.onStored(digest, size);
  }

  async writeBlob(digest: string, data: Buffer): Promise<void> {
    if (!(await this.blobs.has(digest))) await this.blobs.put(data, digest);
    this.onStored(digest, data.length);
  }

  async readBlob(digest: string, maxBytes: number): Promise<Buffer | undefined> {
    if (!(await this.blobs.has(digest))) return undefined;
    return this.blobs.read(digest, maxBytes);
  }
}
