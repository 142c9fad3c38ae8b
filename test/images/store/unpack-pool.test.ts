// The unpack worker: a layer unpacked on it is the same as one unpacked on the calling thread, from a blob
// file or from streamed bytes (more than its credit window); lower layers asked for late are answered; a
// stream cut mid-way, a corrupt layer and a worker that dies each fail that unpack alone, and the next one
// runs on a new worker.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { defaultUnpackLimits } from '../../../src/images/store/unpack.js';
import {
  terminateUnpackWorker,
  UnpackFailure,
  type UnpackInput,
  UnpackPool,
} from '../../../src/images/store/unpack-pool.js';
import { tarLayer } from './fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'podrun-unpack-pool-'));
after(() => rmSync(work, { recursive: true, force: true }));

const worker = new UnpackPool({ worker: true });
const inline = new UnpackPool({ worker: false });
let n = 0;

function tree(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const p = join(rel, name);
    const st = statSync(join(root, p), { throwIfNoEntry: false });
    out.push(`${p} ${st?.mode.toString(8)} ${st?.uid}:${st?.gid} ${st?.size}`);
    if (st?.isDirectory()) out.push(...tree(root, p));
  }
  return out;
}

function freshRoot(): string {
  const root = join(work, `out-${n++}`);
  mkdirSync(root, { recursive: true });
  return root;
}

function streamOf(data: Buffer, chunk: number, failAt?: number): Readable {
  return Readable.from(
    (async function* () {
      for (let i = 0; i < data.length; i += chunk) {
        if (failAt !== undefined && i >= failAt) throw new Error('connection reset by the registry');
        yield data.subarray(i, i + chunk);
      }
    })(),
  );
}

function unpack(pool: UnpackPool, input: UnpackInput, lowers: string[] | (() => Promise<string[]>) = []) {
  const root = freshRoot();
  return pool
    .unpack({ root, what: 'layer 0 (blob test)', input, lowers, limits: defaultUnpackLimits })
    .then((r) => ({ ...r, root }));
}

const src = join(work, 'src');
mkdirSync(join(src, 'etc', 'app'), { recursive: true });
writeFileSync(join(src, 'etc', 'app', 'conf'), 'x=1\n');
chownSync(join(src, 'etc', 'app', 'conf'), 1000, 1000);
// Past the 4 MiB credit window once compressed (random bytes do not shrink).
writeFileSync(join(src, 'big.bin'), randomBytes(9 * 1024 * 1024));
const layer = tarLayer(work, src, 'gzip', 'layer');
const blobPath = join(work, 'layer.tar.gz');
writeFileSync(blobPath, layer.blob);

describe('the unpack worker', () => {
  test('unpacks a blob file and a streamed layer exactly as the calling thread does', async () => {
    const fromFile = await unpack(worker, { kind: 'file', path: blobPath });
    const streamed = await unpack(worker, { kind: 'stream', stream: streamOf(layer.blob, 64 * 1024) });
    const here = await unpack(inline, { kind: 'file', path: blobPath });
    for (const r of [fromFile, streamed, here]) assert.equal(r.diffID, layer.diffID);
    assert.deepEqual(tree(fromFile.root), tree(here.root));
    assert.deepEqual(tree(streamed.root), tree(here.root));
    assert.equal(streamed.entries, here.entries);
  });

  test('asks for the lower layers only when it needs them, and uses the answer', async () => {
    const lowerRoot = freshRoot();
    mkdirSync(join(lowerRoot, 'srv'), { mode: 0o750 });
    chownSync(join(lowerRoot, 'srv'), 7, 7);
    const onlyFile = join(work, 'only-file');
    mkdirSync(join(onlyFile, 'srv'), { recursive: true });
    writeFileSync(join(onlyFile, 'srv', 'data'), 'd');
    // A tar that lists srv/data but not srv: srv is implied and copies its attributes from the lower layer.
    const tarPath = join(work, 'implied-only.tar');
    execFileSync('tar', ['--format=pax', '--numeric-owner', '-C', onlyFile, '-cf', tarPath, 'srv/data']);
    let asked = 0;
    const r = await unpack(worker, { kind: 'file', path: tarPath }, async () => {
      asked++;
      return [lowerRoot];
    });
    assert.equal(asked, 1);
    const st = statSync(join(r.root, 'srv'));
    assert.equal(st.uid, 7);
    assert.equal(st.mode & 0o777, 0o750);
  });

  test('a stream cut mid-way fails that unpack with the reason', async () => {
    const err = await unpack(worker, {
      kind: 'stream',
      stream: streamOf(layer.blob, 64 * 1024, 2 * 1024 * 1024),
    }).then(
      () => assert.fail('the unpack should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof UnpackFailure);
    assert.match(err.message, /connection reset by the registry/);
  });

  test('a corrupt layer fails with the decompressor words, and the worker goes on', async () => {
    const bad = Buffer.from(layer.blob);
    bad.fill(0x55, 1000, 3000);
    const badPath = join(work, 'bad.tar.gz');
    writeFileSync(badPath, bad);
    const err = await unpack(worker, { kind: 'file', path: badPath }).then(
      () => assert.fail('the unpack should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof UnpackFailure);
    assert.equal(err.phase, 'unpack');
    assert.match(err.message, /gzip|invalid|incorrect/i);
    assert.equal((await unpack(worker, { kind: 'file', path: blobPath })).diffID, layer.diffID);
  });

  test('a worker that dies fails the unpacks in flight; the next one runs on a new worker', async () => {
    const slow = new Readable({ read() {} });
    slow.push(layer.blob.subarray(0, 100_000));
    const pending = unpack(worker, { kind: 'stream', stream: slow });
    await new Promise((r) => setTimeout(r, 50));
    await terminateUnpackWorker();
    const err = await pending.then(
      () => assert.fail('the unpack should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof UnpackFailure);
    assert.match(err.message, /the unpack worker stopped/);
    slow.destroy();
    assert.equal((await unpack(worker, { kind: 'file', path: blobPath })).diffID, layer.diffID);
  });

  test('an idle worker does not keep a process alive: one that warmed a store and did nothing exits', () => {
    // Before, listeners added after unref() referenced the worker's port again and such a process never ended.
    const script = join(work, 'warm.mts');
    const pool = new URL('../../../src/images/store/unpack-pool.ts', import.meta.url).pathname;
    writeFileSync(
      script,
      `import { UnpackPool } from ${JSON.stringify(pool)};\nnew UnpackPool({ worker: true }).warm();\n`,
    );
    const tsx = new URL('../../../node_modules/.bin/tsx', import.meta.url).pathname;
    // A hang is the failure: 60 s is far beyond the ~1 s such a process takes, even on a loaded machine.
    execFileSync(tsx, [script], { timeout: 60_000, stdio: 'pipe' });
  });
});
