// Where pulled content goes. The image store implements BlobSink; DirectoryBlobSink is the simplest
// one (an OCI-layout-like `blobs/<alg>/<hex>` tree), used by the tests and usable on its own.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestAlgorithm, digestHex } from '../digest.js';

export interface BlobSink {
  hasBlob(digest: string): Promise<boolean>;
  /**
   * The file a download of `digest` goes to. It may already hold the first bytes from an earlier,
   * interrupted attempt: the client resumes from its size. Must be on the sink's filesystem. One client
   * downloads a digest once at a time; a sink shared by several clients (or processes) must give each
   * its own path or lock.
   */
  tempPath(digest: string): Promise<string>;
  /** Takes a downloaded file whose size and digest the client has verified (typically a rename). */
  commitBlob(digest: string, verifiedPath: string): Promise<void>;
  /** Stores small verified content held in memory (manifests and indexes). */
  writeBlob(digest: string, data: Buffer): Promise<void>;
  /**
   * Content already stored, when the sink can read it back (up to `maxBytes`), else undefined: spares
   * fetching a config again. The client checks the digest of what it gets.
   */
  readBlob?(digest: string, maxBytes: number): Promise<Buffer | undefined>;
}

export class DirectoryBlobSink implements BlobSink {
  constructor(readonly root: string) {}

  blobPath(digest: string): string {
    return join(this.root, 'blobs', digestAlgorithm(digest), digestHex(digest));
  }

  async hasBlob(digest: string): Promise<boolean> {
    return stat(this.blobPath(digest)).then(
      () => true,
      () => false,
    );
  }

  async tempPath(digest: string): Promise<string> {
    const dir = join(this.root, 'ingest');
    await mkdir(dir, { recursive: true });
    return join(dir, `${digestAlgorithm(digest)}-${digestHex(digest)}.partial`);
  }

  async commitBlob(digest: string, verifiedPath: string): Promise<void> {
    await mkdir(join(this.root, 'blobs', digestAlgorithm(digest)), { recursive: true });
    await rename(verifiedPath, this.blobPath(digest));
  }

  async writeBlob(digest: string, data: Buffer): Promise<void> {
    await mkdir(join(this.root, 'blobs', digestAlgorithm(digest)), { recursive: true });
    // Unique per writer: two pulls of one image write the same manifest at the same time.
    const tmp = `${this.blobPath(digest)}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, this.blobPath(digest));
  }

  open(digest: string): NodeJS.ReadableStream {
    return createReadStream(this.blobPath(digest));
  }
}
