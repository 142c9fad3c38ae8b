// Layer and archive decompression, chosen by sniffing the first bytes as containerd does
// (pkg/archive/compression): the media type is not trusted. gzip uses node:zlib. zstd shells out to Debian's
// `zstd -dc`: Node 20's zlib has no zstd, and the pure-JS fzstd is limited to a 32 MiB window and would be a
// new dependency; the `zstd` binary handles any window and streams.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { StoreError } from './digest.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return 'gzip';
  if (head.length >= 4) {
    const le = head.readUInt32LE(0);
    if (le === 0xfd2fb528 || (le & 0xfffffff0) === 0x184d2a50) return 'zstd';
  }
  return 'none';
}

async function readHead(stream: Readable, n: number): Promise<{ head: Buffer; rest: Readable }> {
  const chunks: Buffer[] = [];
  let got = 0;
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  while (got < n) {
    const r = await it.next();
    if (r.done) break;
    chunks.push(r.value);
    got += r.value.length;
  }
  const head = Buffer.concat(chunks);
  const rest = new PassThrough();
  (async () => {
    rest.write(head);
    for (;;) {
      if (rest.destroyed) {
        // The reader gave up (an error further down): close the source file too.
        await it.return?.();
        return;
      }
      const r = await it.next();
      if (r.done) break;
      if (!rest.write(r.value)) {
        // Both listeners go once either fires: leaving 'close' behind leaked one per full buffer.
        await new Promise<void>((res) => {
          const done = () => {
            rest.off('drain', done);
            rest.off('close', done);
            res();
          };
          rest.once('drain', done);
          rest.once('close', done);
        });
      }
    }
    rest.end();
  })().catch((err: Error) => rest.destroy(err));
  return { head, rest };
}

function zstdDecompress(input: Readable, what: string): Readable {
  const child = spawn('zstd', ['-dc', '-q', '--no-progress'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out = new PassThrough();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.on('error', (err) =>
    out.destroy(
      new StoreError(`${what}: cannot run zstd to decompress it (${err.message}); install Debian's zstd`),
    ),
  );
  input.on('error', (err) => {
    child.kill();
    out.destroy(err);
  });
  child.stdin.on('error', () => {});
  input.pipe(child.stdin);
  child.stdout.pipe(out, { end: false });
  let exited: number | null | undefined;
  let stdoutDone = false;
  const finish = () => {
    if (exited === undefined || !stdoutDone) return;
    if (exited === 0) out.end();
    else
      out.destroy(new StoreError(`${what}: zstd decompression failed: ${stderr.trim() || `exit ${exited}`}`));
  };
  child.stdout.on('end', () => {
    stdoutDone = true;
    finish();
  });
  child.on('close', (code) => {
    exited = code;
    finish();
  });
  out.on('close', () => {
    if (exited === undefined) child.kill();
  });
  return out;
}

/** The decompressed content of `path` (gzip, zstd or plain), and which compression it had. */
export async function openDecompressed(
  path: string,
  what: string,
): Promise<{ stream: Readable; compression: Compression }> {
  // Large reads and output chunks: a layer is streamed through several async steps per chunk (sniffing,
  // hashing, the tar reader), so zlib's 16 KiB default costs more in hops than in inflating.
  return decompressStream(createReadStream(path, { highWaterMark: 1024 * 1024 }), what);
}

export async function decompressStream(
  src: Readable,
  what: string,
): Promise<{ stream: Readable; compression: Compression }> {
  const { head, rest } = await readHead(src, 4);
  const compression = sniffCompression(head);
  if (compression === 'none') return { stream: rest, compression };
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    rest.on('error', (err) => gunzip.destroy(err));
    const out = rest.pipe(gunzip);
    return {
      stream: out.on('error', (err) => {
        if (!(err instanceof StoreError) && !err.message.startsWith(what))
          err.message = `${what}: gzip: ${err.message}`;
      }),
      compression,
    };
  }
  return { stream: zstdDecompress(rest, what), compression };
}
