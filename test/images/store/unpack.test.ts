// Layer unpacking as root: every tar entry type, ownership, modes, times and xattrs survive; whiteouts become
// overlayfs whiteouts; entries cannot escape the layer directory; malformed archives and bombs are refused.
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  createReadStream,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDecompressed } from '../../../src/images/store/decompress.js';
import { readTar } from '../../../src/images/store/tar-reader.js';
import { unpackLayer } from '../../../src/images/store/unpack.js';
import { getxattr, setxattr, sh, sha256, tarLayer, ustarArchive, ustarEntry } from './fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'podrun-unpack-'));
after(() => rmSync(work, { recursive: true, force: true }));

const longDir = `deep/${'a'.repeat(120)}`;
const capability = '0100000200200000000000000000000000000000'; // cap_net_raw=ep, VFS_CAP_REVISION_2
let src = '';

async function* chunksOf(data: Buffer): AsyncGenerator<Buffer> {
  // Odd-sized chunks, so headers and data straddle chunk boundaries.
  for (let i = 0; i < data.length; i += 777) yield data.subarray(i, i + 777);
}

async function unpackFile(path: string, into: string, parents: string[] = []) {
  const { stream } = await openDecompressed(path, path);
  mkdirSync(into, { recursive: true });
  return unpackLayer(stream, into, parents);
}

before(() => {
  src = join(work, 'src');
  mkdirSync(join(src, 'bin'), { recursive: true });
  mkdirSync(join(src, 'dev'));
  mkdirSync(join(src, 'run'));
  mkdirSync(join(src, 'tmp'));
  mkdirSync(join(src, longDir), { recursive: true });
  writeFileSync(join(src, 'bin', 'tool'), 'tool\n');
  chownSync(join(src, 'bin', 'tool'), 1000, 2000);
  chmodSync(join(src, 'bin', 'tool'), 0o4755);
  setxattr(join(src, 'bin', 'tool'), 'security.capability', capability);
  setxattr(join(src, 'bin', 'tool'), 'user.bin', 'ff00fe');
  linkSync(join(src, 'bin', 'tool'), join(src, 'bin', 'tool-link'));
  symlinkSync('tool', join(src, 'bin', 'sh'));
  sh('mknod', [join(src, 'dev', 'null'), 'c', '1', '3']);
  sh('mkfifo', [join(src, 'run', 'fifo')]);
  chmodSync(join(src, 'tmp'), 0o1777);
  writeFileSync(join(src, longDir, 'file'), 'deep\n');
  utimesSync(join(src, 'bin', 'tool'), 1_000_000_000, 1_000_000_000);
  utimesSync(join(src, 'run'), 1_100_000_000, 1_100_000_000);
});

describe('unpacking a layer made by GNU tar (pax, --xattrs)', () => {
  for (const compression of ['none', 'gzip', 'zstd'] as const) {
    test(`${compression}: file types, owners, modes, times and xattrs survive and the diffID is the tar's sha256`, async () => {
      const layer = tarLayer(work, src, compression, `all-${compression}`);
      const blob = join(work, `all-${compression}.blob`);
      writeFileSync(blob, layer.blob);
      const out = join(work, `out-${compression}`);
      const r = await unpackFile(blob, out);
      assert.equal(r.diffID, layer.diffID);

      const tool = lstatSync(join(out, 'bin', 'tool'));
      assert.equal(readFileSync(join(out, 'bin', 'tool'), 'utf8'), 'tool\n');
      assert.equal(tool.mode & 0o7777, 0o4755, 'setuid survives the chown');
      assert.equal(tool.uid, 1000);
      assert.equal(tool.gid, 2000);
      assert.equal(tool.mtimeMs, 1_000_000_000_000);
      assert.equal(getxattr(join(out, 'bin', 'tool'), 'security.capability'), capability);
      assert.equal(
        getxattr(join(out, 'bin', 'tool'), 'user.bin'),
        'ff00fe',
        'binary xattr values are kept as bytes',
      );
      assert.equal(lstatSync(join(out, 'bin', 'tool-link')).ino, tool.ino, 'the hardlink shares the inode');
      assert.equal(readlinkSync(join(out, 'bin', 'sh')), 'tool');
      const dev = lstatSync(join(out, 'dev', 'null'));
      assert.ok(dev.isCharacterDevice());
      assert.equal(dev.rdev, statSync('/dev/null').rdev);
      assert.ok(lstatSync(join(out, 'run', 'fifo')).isFIFO());
      assert.equal(
        lstatSync(join(out, 'run')).mtimeMs,
        1_100_000_000_000,
        'directory times are set after their children',
      );
      assert.equal(lstatSync(join(out, 'tmp')).mode & 0o7777, 0o1777, 'the sticky bit survives');
      assert.equal(
        readFileSync(join(out, longDir, 'file'), 'utf8'),
        'deep\n',
        'a >100-byte name (PAX path) survives',
      );
    });
  }

  test('GNU-format long names (././@LongLink) are read', async () => {
    const tarPath = join(work, 'gnu.tar');
    sh('tar', ['--format=gnu', '-C', src, '-cf', tarPath, longDir]);
    const names: string[] = [];
    for await (const e of readTar(createReadStream(tarPath) as AsyncIterable<Buffer>)) names.push(e.name);
    assert.deepEqual(names, [`${longDir}/`, `${longDir}/file`]);
  });
});

describe('whiteouts become overlayfs whiteouts', () => {
  test('.wh.<name> is a 0:0 character device owned like the entry, .wh..wh..opq an opaque xattr; neither marker is written', async () => {
    const tar = ustarArchive([
      ustarEntry('opt/.wh..wh..opq', '0'),
      ustarEntry('opt/', '5', { mode: 0o755 }),
      ustarEntry('opt/new', '0', { data: Buffer.from('new\n') }),
      ustarEntry('bin/.wh.wget', '0'),
    ]);
    const out = join(work, 'wh');
    mkdirSync(out);
    const r = await unpackLayer(chunksOf(tar), out, []);
    assert.equal(r.diffID, sha256(tar));
    const wh = lstatSync(join(out, 'bin', 'wget'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    assert.equal(getxattr(join(out, 'opt'), 'trusted.overlay.opaque'), Buffer.from('y').toString('hex'));
    assert.deepEqual(readdirSync(join(out, 'bin')), ['wget']);
    assert.deepEqual(readdirSync(join(out, 'opt')), ['new']);
  });

  test('an entry replacing an earlier one of the same layer wins, a directory included', async () => {
    const tar = ustarArchive([
      ustarEntry('d/', '5', { mode: 0o755 }),
      ustarEntry('d/x', '0'),
      ustarEntry('d', '0', { data: Buffer.from('file now\n') }),
      ustarEntry('l', '2', { linkname: 'd' }),
      ustarEntry('l/', '5', { mode: 0o700 }),
    ]);
    const out = mkdtempSync(join(work, 'replace-'));
    await unpackLayer(chunksOf(tar), out, []);
    assert.equal(readFileSync(join(out, 'd'), 'utf8'), 'file now\n');
    assert.ok(
      lstatSync(join(out, 'l')).isDirectory(),
      'a directory entry replaces a symlink, not what it points to',
    );
  });

  test('a whiteout naming nothing (".wh." or ".wh..") is refused', async () => {
    for (const name of ['a/.wh.', 'a/.wh..']) {
      const out = mkdtempSync(join(work, 'badwh-'));
      await assert.rejects(
        unpackLayer(chunksOf(ustarArchive([ustarEntry(name, '0')])), out, []),
        /not a valid whiteout/,
      );
    }
  });

  test('a directory the tar implies takes its owner and mode from the layer below (containerd mkparent)', async () => {
    const lower = join(work, 'lower-parent');
    mkdirSync(join(lower, 'srv'), { recursive: true });
    chownSync(join(lower, 'srv'), 33, 33);
    chmodSync(join(lower, 'srv'), 0o750);
    const out = join(work, 'implied');
    mkdirSync(out);
    await unpackLayer(chunksOf(ustarArchive([ustarEntry('srv/x', '0'), ustarEntry('other/y', '0')])), out, [
      lower,
    ]);
    assert.equal(lstatSync(join(out, 'srv')).uid, 33);
    assert.equal(lstatSync(join(out, 'srv')).mode & 0o7777, 0o750);
    assert.equal(lstatSync(join(out, 'other')).mode & 0o7777, 0o755);
  });
});

describe('path safety', () => {
  const outside = join(work, 'outside');

  test('a name climbing out with ".." is refused', async () => {
    const out = join(work, 'esc1', 'layer');
    mkdirSync(out, { recursive: true });
    await assert.rejects(
      unpackLayer(
        chunksOf(ustarArchive([ustarEntry('a/../../escaped', '0', { data: Buffer.from('x') })])),
        out,
        [],
      ),
      /climbs out of the layer/,
    );
    assert.equal(existsSync(join(work, 'esc1', 'escaped')), false);
  });

  test('an absolute name lands inside the layer', async () => {
    const out = join(work, 'abs');
    mkdirSync(out);
    await unpackLayer(
      chunksOf(ustarArchive([ustarEntry(`${outside}/abs`, '0', { data: Buffer.from('x') })])),
      out,
      [],
    );
    assert.equal(existsSync(join(outside, 'abs')), false);
    assert.equal(readFileSync(join(out, outside, 'abs'), 'utf8'), 'x');
  });

  test('a symlink in the layer is followed inside the layer, never out of it', async () => {
    for (const target of [outside, `../../../../../../..${outside}`]) {
      const out = mkdtempSync(join(work, 'symesc-'));
      await unpackLayer(
        chunksOf(
          ustarArchive([
            ustarEntry('evil', '2', { linkname: target }),
            ustarEntry('evil/pwned', '0', { data: Buffer.from('x') }),
          ]),
        ),
        out,
        [],
      );
      assert.equal(existsSync(join(outside, 'pwned')), false, `through ${target}`);
      assert.equal(readFileSync(join(out, outside, 'pwned'), 'utf8'), 'x');
    }
  });

  test('a hardlink to a file outside the layer is refused', async () => {
    const out = join(work, 'hlesc', 'layer');
    mkdirSync(out, { recursive: true });
    await assert.rejects(
      unpackLayer(
        chunksOf(ustarArchive([ustarEntry('passwd', '1', { linkname: '../../../../etc/passwd' })])),
        out,
        [],
      ),
      /climbs out of the layer/,
    );
    await assert.rejects(
      unpackLayer(chunksOf(ustarArchive([ustarEntry('passwd2', '1', { linkname: 'etc/passwd' })])), out, []),
      /not a file earlier in this layer/,
    );
  });
});

describe('malformed archives', () => {
  test('garbage, a bad checksum, a truncated entry and an empty stream each get a clear error', async () => {
    const good = ustarArchive([ustarEntry('a', '0', { data: Buffer.alloc(2000, 1) })]);
    const corrupt = Buffer.from(good);
    corrupt[10] = 0x41;
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.alloc(1024, 0x41), /not a tar archive/],
      [corrupt, /bad checksum/],
      [good.subarray(0, 1500), /archive ends inside the entry's data/],
      [Buffer.alloc(0), /empty/],
    ];
    for (const [data, re] of cases) {
      const out = mkdtempSync(join(work, 'bad-'));
      await assert.rejects(unpackLayer(chunksOf(data), out, []), re);
    }
  });

  test('a corrupt gzip or zstd layer fails with the decompressor named', async () => {
    const layer = tarLayer(work, src, 'gzip', 'corrupt-gz');
    const zst = tarLayer(work, src, 'zstd', 'corrupt-zst');
    for (const [blob, re] of [
      [layer.blob, /gzip: /],
      [zst.blob, /zstd decompression failed/],
    ] as const) {
      const bad = Buffer.from(blob);
      bad.fill(0x55, 40, 400);
      const path = join(work, `corrupt-${bad.length}`);
      writeFileSync(path, bad);
      await assert.rejects(unpackFile(path, mkdtempSync(join(work, 'corrupt-out-'))), re);
    }
  });

  test("input ending right after the last file's data (umoci 0.4.7's layers) is a clean end, as in Go's archive/tar", async () => {
    const entry = ustarEntry('f', '0', { data: Buffer.from('lower\n') });
    const cut = entry.subarray(0, 512 + 6);
    const out = mkdtempSync(join(work, 'nopad-'));
    const r = await unpackLayer(chunksOf(cut), out, []);
    assert.equal(r.diffID, sha256(cut));
    assert.equal(readFileSync(join(out, 'f'), 'utf8'), 'lower\n');
  });

  test('a layer larger than the limits is refused as a tar bomb', async () => {
    const tar = ustarArchive([
      ustarEntry('big', '0', { data: Buffer.alloc(100_000) }),
      ustarEntry('b', '0'),
      ustarEntry('c', '0'),
    ]);
    await assert.rejects(
      unpackLayer(chunksOf(tar), mkdtempSync(join(work, 'bomb-')), [], { maxBytes: 50_000, maxEntries: 100 }),
      /tar bomb/,
    );
    await assert.rejects(
      unpackLayer(chunksOf(tar), mkdtempSync(join(work, 'bomb-')), [], { maxBytes: 1e9, maxEntries: 2 }),
      /more than 2 entries/,
    );
  });
});
