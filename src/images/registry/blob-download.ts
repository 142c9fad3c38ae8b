// One blob to a temp file: hashed as it arrives, resumed with Range after a cut connection, checked for
// size and digest, then handed to the sink. Concurrent requests for one digest share one download.

import type { Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat, truncate, unlink } from 'node:fs/promises';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { hasherFor } from '../digest.js';
import { RegistryError } from './errors.js';
import type { HttpResponse } from './http.js';
import type { Descriptor } from './manifest.js';
import type { BlobSink } from './sink.js';

/** Opens the blob, from `offset` when > 0 (the response may still be a full 200). */
export type BlobOpener = (offset: number) => Promise<HttpResponse>;

export interface DownloadOptions {
  /** Attempts per blob, counting the first; each resumes where the previous one stopped. */
  maxAttempts: number;
  /** Bytes of the blob in the temp file so far (resumed prefix included). */
  onProgress?: (bytes: number) => void;
  /**
   * Where else a download from its first byte goes as it arrives (a layer unpacked while it downloads). It
   * is ended after the last byte, before the digest is checked, and destroyed when the attempt fails; its
   * own failure or slowness never fails the download, though it does pace it (backpressure).
   */
  tee?: () => Writable | undefined;
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.size,
    () => 0,
  );
}

async function hashPrefix(path: string, digest: string, length: number): Promise<Hash> {
  const h = hasherFor(digest);
  if (length > 0)
    for await (const chunk of createReadStream(path, { end: length - 1 })) h.update(chunk as Buffer);
  return h;
}

export async function downloadBlob(
  sink: BlobSink,
  desc: Descriptor,
  open: BlobOpener,
  opts: DownloadOptions,
): Promise<void> {
  const tmp = await sink.tempPath(desc.digest);
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < opts.maxAttempts; attempt++) {
    let offset = await sizeOf(tmp);
    if (offset > desc.size) {
      await truncate(tmp, 0);
      offset = 0;
    }
    if (offset < desc.size || desc.size === 0) {
      let res: HttpResponse;
      try {
        res = await open(offset);
      } catch (err) {
        // A dropped connection before the answer is retried like one dropped in the body.
        if (!(err instanceof RegistryError) || err.reason !== 'Unavailable') throw err;
        lastError = err;
        continue;
      }
      if (res.status === 416) {
        res.body.resume();
        await truncate(tmp, 0);
        continue;
      }
      if (res.status === 200) offset = 0;
      else if (res.status === 206) {
        const start = /bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''))?.[1];
        if (Number(start) !== offset) {
          res.body.resume();
          await truncate(tmp, 0);
          continue;
        }
      } else {
        res.body.resume();
        throw new RegistryError(
          'UnexpectedStatus',
          `unexpected status from GET request to ${res.url}: ${res.status} ${res.statusMessage}`,
          res.status,
        );
      }
      const hash = await hashPrefix(tmp, desc.digest, offset);
      let done = offset;
      const onProgress = opts.onProgress;
      onProgress?.(done);
      const tee = offset === 0 ? openTee(opts.tee) : undefined;
      const hashing = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          done += chunk.length;
          onProgress?.(done);
          if (tee === undefined || tee.destroyed || tee.write(chunk)) cb(null, chunk);
          else waitForDrain(tee).then(() => cb(null, chunk));
        },
      });
      try {
        await pipeline(res.body, hashing, createWriteStream(tmp, { flags: offset > 0 ? 'a' : 'w' }));
        // A connection closed early ends the body without an error in some node versions.
        if (!res.body.complete) throw new Error('connection closed before the body was complete');
      } catch (err) {
        lastError = err as Error;
        tee?.destroy(lastError);
        continue;
      }
      tee?.end();
      return verifyAndCommit(sink, desc, tmp, hash);
    }
    return verifyAndCommit(sink, desc, tmp, await hashPrefix(tmp, desc.digest, offset));
  }
  throw new RegistryError(
    'Unavailable',
    `failed to copy: ${desc.digest}: download stopped ${opts.maxAttempts} times: ${lastError?.message ?? 'no progress'}`,
  );
}

function openTee(open: (() => Writable | undefined) | undefined): Writable | undefined {
  const tee = open?.();
  // Its errors are its own (the unpack reports them); the download goes on without it.
  tee?.on('error', () => {});
  return tee;
}

function waitForDrain(w: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      w.off('drain', done);
      w.off('close', done);
      resolve();
    };
    w.once('drain', done);
    w.once('close', done);
  });
}

async function verifyAndCommit(sink: BlobSink, desc: Descriptor, tmp: string, hash: Hash): Promise<void> {
  const size = await sizeOf(tmp);
  const ref = `layer-${desc.digest}`;
  if (size !== desc.size) {
    await unlink(tmp).catch(() => {});
    throw new RegistryError(
      'SizeMismatch',
      `failed commit on ref ${JSON.stringify(ref)}: ${JSON.stringify(ref)} failed size validation: ${size} != ${desc.size}: failed precondition`,
    );
  }
  const got = `${desc.digest.slice(0, desc.digest.indexOf(':'))}:${hash.digest('hex')}`;
  if (got !== desc.digest) {
    await unlink(tmp).catch(() => {});
    throw new RegistryError(
      'DigestMismatch',
      `failed commit on ref ${JSON.stringify(ref)}: unexpected commit digest ${got}, expected ${desc.digest}: failed precondition`,
    );
  }
  await sink.commitBlob(desc.digest, tmp);
}
