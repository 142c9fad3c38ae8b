// The blob store, the layer store and the image index: verification before anything is stored, crash
// leftovers never used, layers shared by chain ID, tags moving and going, gc and usage.
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { chainIDs, ImageStore, loadArchive } from '../../../src/images/store/index.js';
import { type BuiltLayer, sha256, tarLayer, ustarArchive, ustarEntry, writeLayout } from './fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'podrun-store-'));
after(() => rmSync(work, { recursive: true, force: true }));

const deadPid = 2 ** 22 + 17; // above pid_max's default, so never a live process
let base: BuiltLayer;
let top: BuiltLayer;

before(() => {
  const b = join(work, 'base');
  mkdirSync(join(b, 'etc'), { recursive: true });
  writeFileSync(join(b, 'etc', 'os-release'), 'ID=test\n');
  base = tarLayer(work, b, 'gzip', 'base');
  const t = join(work, 'top');
  mkdirSync(join(t, 'app'), { recursive: true });
  writeFileSync(join(t, 'app', 'run'), 'run\n');
  top = tarLayer(work, t, 'zstd', 'top');
});

async function openStore(name: string): Promise<ImageStore> {
  return ImageStore.open(join(work, name), { gcGraceMs: 0 });
}

describe('blobs', () => {
  test('ingest stores content under its digest only after checking digest and size', async () => {
    const s = await openStore('blobs');
    const data = Buffer.from('hello blob');
    const d = sha256(data);
    assert.equal(await s.blobs.has(d), false);
    const w = s.blobs.ingest(d, data.length);
    await pipeline(async function* () {
      yield data.subarray(0, 3);
      yield data.subarray(3);
    }, w);
    assert.equal(w.digest, d);
    assert.equal(await s.blobs.has(d), true);

    const other = sha256(Buffer.from('other'));
    await assert.rejects(
      s.blobs.put(data, other),
      /content digest mismatch: expected sha256:[0-9a-f]+, got sha256:/,
    );
    await assert.rejects(
      s.blobs.putStream([Buffer.from('abc')], undefined, 2),
      /got 3 bytes or more, the descriptor says 2/,
    );
    await assert.rejects(
      s.blobs.putStream([Buffer.from('a')], undefined, 2),
      /got 1 bytes, the descriptor says 2/,
    );
    assert.equal(await s.blobs.has(other), false);
    assert.deepEqual(readdirSync(s.blobs.tmpDir), [], 'failed ingests leave no temp file');
    assert.throws(() => s.blobs.ingest('sha256:abc'), /not a sha256 digest/);
  });

  test('a crash mid-ingest leaves a temp file that is never a blob and is removed at open', async () => {
    const root = join(work, 'crash-ingest');
    const s = await openStore('crash-ingest');
    const data = Buffer.from('half written');
    // What a crash leaves: the temp file of a dead process, named for nothing.
    writeFileSync(join(root, 'tmp', `ingest-${deadPid}-abcdef`), data.subarray(0, 4));
    assert.equal(await s.blobs.has(sha256(data)), false);
    assert.deepEqual(await s.blobs.list(), []);
    // And a half-written index: the temp file beside images.json.
    writeFileSync(join(root, `.images.json-${deadPid}-abcdef.tmp`), '{"version":1,"ima');
    const reopened = await openStore('crash-ingest');
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
    assert.equal(existsSync(join(root, `.images.json-${deadPid}-abcdef.tmp`)), false);
    assert.deepEqual(reopened.list(), []);
  });
});

describe('images', () => {
  test('a two-layer image (gzip + zstd) is added, its layers unpacked once per chain and shared', async () => {
    const s = await openStore('images');
    const layout = writeLayout(join(work, 'layout1'), [base, top], { refName: 'example.com/app:1' });
    const [img] = await loadArchive(s, layout.dir);
    assert.ok(img);
    assert.equal(img.id, layout.configDigest);
    assert.deepEqual(img.repoTags, ['example.com/app:1']);
    assert.deepEqual(img.repoDigests, [`example.com/app@${layout.manifestDigest}`]);
    assert.deepEqual(img.chainIDs, chainIDs([base.diffID, top.diffID]));
    assert.equal(img.chainIDs[0], base.diffID);
    assert.equal(img.size, img.manifest.config.size + base.blob.length + top.blob.length);

    // A second image on the same base shares the base layer directory.
    const layout2 = writeLayout(join(work, 'layout2'), [base], {
      refName: 'example.com/base:1',
      config: { Cmd: ['x'] },
    });
    const [img2] = await loadArchive(s, layout2.dir);
    assert.equal(img2?.chainIDs[0], img.chainIDs[0]);
    assert.equal((await s.layers.list()).length, 2);

    // Lookups: by normalised name, ID, ID prefix, repo digest; a bare name means :latest.
    assert.equal(s.get('example.com/app:1')?.id, img.id);
    assert.equal(s.get(img.id)?.id, img.id);
    assert.equal(s.get(img.id.slice(7, 19))?.id, img.id);
    assert.equal(s.get(`example.com/app@${layout.manifestDigest}`)?.id, img.id);
    assert.equal(s.get('example.com/app'), undefined);
    assert.equal(s.list().length, 2);

    // The index survives a reopen.
    const again = await openStore('images');
    assert.deepEqual(
      again
        .list()
        .map((i) => i.id)
        .sort(),
      [img.id, img2!.id].sort(),
    );
  });

  test("a wrong diffID is refused with containerd's error and leaves no layer", async () => {
    const s = await openStore('wrong-diff');
    const wrong = sha256(Buffer.from('not the layer'));
    const layout = writeLayout(join(work, 'layout-wrong'), [base], { refName: 'x/y:1', diffIDs: [wrong] });
    await assert.rejects(
      loadArchive(s, layout.dir),
      new RegExp(`wrong diff id calculated on extraction "${wrong}": layer 0 .* unpacks to ${base.diffID}`),
    );
    assert.deepEqual(await s.layers.list(), []);
    assert.deepEqual(s.list(), []);
    assert.deepEqual(readdirSync(join(work, 'wrong-diff', 'tmp')), []);
  });

  test('a crash mid-unpack leaves nothing used: a truncated layer fails cleanly, a dead unpack dir is removed at open', async () => {
    const s = await openStore('crash-unpack');
    const full = ustarArchive([ustarEntry('big', '0', { data: Buffer.alloc(4096, 7) })]);
    const truncated = full.subarray(0, 2048);
    const layer: BuiltLayer = {
      blob: truncated,
      diffID: sha256(full),
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
    };
    const layout = writeLayout(join(work, 'layout-trunc'), [layer], { refName: 'x/trunc:1' });
    await assert.rejects(
      loadArchive(s, layout.dir),
      /failed to extract layer .*archive ends inside the entry's data/,
    );
    assert.deepEqual(await s.layers.list(), []);

    const half = join(work, 'crash-unpack', 'tmp', `layer-${deadPid}-0123ab`);
    mkdirSync(join(half, 'fs', 'etc'), { recursive: true });
    await openStore('crash-unpack');
    assert.equal(existsSync(half), false);
  });

  test('tags move between images; remove untags, and the image goes with its last name; gc frees what nothing uses', async () => {
    const s = await openStore('tags');
    const l1 = writeLayout(join(work, 'tags1'), [base], { refName: 'busybox:1.36' });
    const l2 = writeLayout(join(work, 'tags2'), [base, top], { refName: 'busybox:1.36' });
    const [a] = await loadArchive(s, l1.dir);
    assert.deepEqual(a?.repoTags, ['docker.io/library/busybox:1.36']);
    await s.addImage({ manifestDigest: l1.manifestDigest, names: ['busybox:stable'] });
    const [b] = await loadArchive(s, l2.dir);
    assert.deepEqual(
      s.get(a!.id)?.repoTags,
      ['docker.io/library/busybox:stable'],
      'the tag moved to the new image',
    );
    assert.equal(s.get('busybox:1.36')?.id, b!.id);

    assert.deepEqual(await s.remove('busybox:stable'), {
      untagged: ['docker.io/library/busybox:stable', `docker.io/library/busybox@${l1.manifestDigest}`],
      deleted: a!.id,
    });
    assert.equal(s.get(a!.id), undefined);
    assert.deepEqual(await s.remove('busybox:stable'), { untagged: [] }, 'removing again is a no-op');

    const before = await s.usage();
    const freed = await s.gc();
    assert.deepEqual(freed.layers, [], 'the base layer is still used by the other image');
    assert.deepEqual([...freed.blobs].sort(), [l1.manifestDigest, l1.configDigest].sort());
    assert.ok((await s.usage()).usedBytes < before.usedBytes);

    const r = await s.removeImage('docker.io/library/busybox:1.36');
    assert.equal(r.deleted, b!.id);
    const all = await s.gc();
    assert.equal(all.layers.length, 2);
    assert.deepEqual(await s.blobs.list(), []);
    const u = await s.usage();
    assert.equal(u.images, 0);
    assert.ok(u.capacityBytes > u.availableBytes && u.availableBytes > 0);
  });
});

describe('layers unpacked from their downloads', () => {
  /** Writes `data` into `w` in small chunks, as a download would, waiting when it asks to. */
  async function feed(w: NodeJS.WritableStream, data: Buffer, upTo = data.length): Promise<void> {
    for (let off = 0; off < upTo; off += 4096) {
      if (!w.write(data.subarray(off, Math.min(off + 4096, upTo)))) {
        await new Promise((resolve) => w.once('drain', resolve));
      }
    }
  }

  test('each layer is unpacked from its bytes as they arrive, without its blob in the store', async () => {
    const s = await openStore('streamed');
    const ids = chainIDs([base.diffID, top.diffID]);
    const baseIn = s.layers.streamUnpack({ blob: sha256(base.blob), diffID: base.diffID }, 0, ids[0]!, []);
    const topIn = s.layers.streamUnpack({ blob: sha256(top.blob), diffID: top.diffID }, 1, ids[1]!, [
      ids[0]!,
    ]);
    assert.ok(baseIn && topIn);
    // Asked again while on its way, a layer has no second writer.
    assert.equal(
      s.layers.streamUnpack({ blob: sha256(base.blob), diffID: base.diffID }, 0, ids[0]!, []),
      undefined,
    );
    // The upper layer arrives first: both unpack at once.
    await feed(topIn, top.blob);
    topIn.end();
    await feed(baseIn, base.blob);
    baseIn.end();
    // No blob is stored, so ensure can only have waited for the streamed unpacks.
    assert.equal(await s.blobs.has(sha256(base.blob)), false);
    const got = await s.layers.ensure([
      { blob: sha256(base.blob), diffID: base.diffID },
      { blob: sha256(top.blob), diffID: top.diffID },
    ]);
    assert.deepEqual(got, ids);
    assert.equal(readFileSync(join(s.layers.fsDir(ids[0]!), 'etc', 'os-release'), 'utf8'), 'ID=test\n');
    assert.equal(readFileSync(join(s.layers.fsDir(ids[1]!), 'app', 'run'), 'utf8'), 'run\n');
    assert.deepEqual(readdirSync(join(work, 'streamed', 'tmp')), []);
  });

  test('a download cut short leaves the layer to be unpacked from its stored blob', async () => {
    const s = await openStore('streamed-cut');
    const src = { blob: sha256(base.blob), diffID: base.diffID };
    const input = s.layers.streamUnpack(src, 0, base.diffID, []);
    assert.ok(input);
    await feed(input, base.blob, Math.floor(base.blob.length / 2));
    input.destroy(new Error('connection reset'));
    await s.blobs.put(base.blob, src.blob);
    assert.deepEqual(await s.layers.ensure([src]), [base.diffID]);
    assert.equal(readFileSync(join(s.layers.fsDir(base.diffID), 'etc', 'os-release'), 'utf8'), 'ID=test\n');
    assert.deepEqual(readdirSync(join(work, 'streamed-cut', 'tmp')), []);
  });

  test('a directory the upper layer implies takes its attributes from the lower one, whichever finishes first', async () => {
    const s = await openStore('streamed-implied');
    const lower = ustarArchive([ustarEntry('srv/', '5', { mode: 0o750 }), ustarEntry('srv/a', '0')]);
    const upper = ustarArchive([ustarEntry('srv/b', '0')]);
    const lowerSrc = { blob: sha256(lower), diffID: sha256(lower) };
    const upperSrc = { blob: sha256(upper), diffID: sha256(upper) };
    const ids = chainIDs([lowerSrc.diffID, upperSrc.diffID]);
    const lowerIn = s.layers.streamUnpack(lowerSrc, 0, ids[0]!, []);
    const upperIn = s.layers.streamUnpack(upperSrc, 1, ids[1]!, [ids[0]!]);
    assert.ok(lowerIn && upperIn);
    upperIn.end(upper);
    await new Promise((resolve) => setTimeout(resolve, 20));
    lowerIn.end(lower);
    await s.layers.ensure([lowerSrc, upperSrc]);
    assert.equal(lstatSync(join(s.layers.fsDir(ids[1]!), 'srv')).mode & 0o7777, 0o750);
  });
});
