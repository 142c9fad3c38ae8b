// Container rootfs mounts as root with a real overlay: the umoci-built busybox image's whiteout and opaque
// directory hide lower content, hardlinks and device files survive, busybox runs in it, and gc() keeps the
// layers of a mounted rootfs.
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ImageStore,
  loadArchive,
  lowerDirs,
  mountRootfs,
  prepareRootfs,
  unmountRootfs,
  volatileOption,
} from '../../../src/images/store/index.js';
import { busyboxLayout, sh, tarLayer, writeLayout } from './fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'podrun-rootfs-'));
let store: ImageStore;

before(async () => {
  store = await ImageStore.open(join(work, 'store'), { gcGraceMs: 0 });
  await loadArchive(store, busyboxLayout(work), { baseName: 'busybox' });
});

after(async () => {
  for (const id of ['c1', 'many']) await unmountRootfs(store, id).catch(() => {});
  rmSync(work, { recursive: true, force: true });
});

describe('container rootfs', () => {
  test("lowerdirs are the layer directories, topmost (the manifest's last layer) first", () => {
    const img = store.get('busybox:t')!;
    const dirs = lowerDirs(store, img);
    assert.equal(dirs.length, 4);
    assert.equal(dirs[0], store.layers.fsDir(img.chainIDs[3]!));
    assert.equal(dirs[3], store.layers.fsDir(img.chainIDs[0]!));
  });

  test('the merged view: whiteouts and opaque dirs hide lower content; hardlinks, devices and fifos survive; busybox runs', async () => {
    const m = await mountRootfs(store, 'busybox:t', 'c1');
    const root = m.target;
    assert.ok(existsSync(join(root, 'bin', 'busybox')));
    assert.equal(existsSync(join(root, 'bin', 'wget')), false, 'the whiteout deletes bin/wget');
    assert.deepEqual(readdirSync(join(root, 'opt')), ['upper-file'], 'the opaque /opt hides opt/lower-file');
    const f = statSync(join(root, 'data', 'file'));
    assert.equal(statSync(join(root, 'data', 'file-link')).ino, f.ino);
    assert.equal(f.nlink, 2);
    const dev = lstatSync(join(root, 'dev', 'null-copy'));
    assert.ok(dev.isCharacterDevice());
    assert.equal(dev.rdev, statSync('/dev/null').rdev);
    assert.ok(lstatSync(join(root, 'data', 'fifo')).isFIFO());

    const out = sh('chroot', [
      root,
      '/bin/sh',
      '-c',
      'busybox cat /opt/upper-file; test -e /bin/wget || echo wget-gone; echo hi > /made',
    ]);
    assert.equal(out, 'upper\nwget-gone\n');
    assert.equal(
      readFileSync(join(m.upperDir, 'made'), 'utf8'),
      'hi\n',
      "writes go to the container's upperdir",
    );
    for (const d of m.lowerDirs) assert.equal(existsSync(join(d, 'made')), false);

    await assert.rejects(mountRootfs(store, 'busybox:t', 'c1'), /already has a rootfs/);
    // While mounted, the image can go but its layers stay.
    await store.removeImage('busybox:t');
    const freed = await store.gc();
    assert.deepEqual(freed.layers, []);
    for (const d of m.lowerDirs) assert.ok(existsSync(d));

    await unmountRootfs(store, 'c1');
    assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').includes(root), false);
    assert.equal(existsSync(join(store.containersDir, 'c1')), false);
    await unmountRootfs(store, 'c1');
    assert.equal((await store.gc()).layers.length, 4, 'unmounted and unreferenced, the layers go');
  });

  test('45 layers: lowerdirs too long for one mount option page are shortened relative to the layers directory', async () => {
    const layers = [];
    for (let i = 0; i < 45; i++) {
      const dir = join(work, 'many', String(i));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `f${i}`), `${i}\n`);
      layers.push(tarLayer(work, dir, 'none', `many-${i}`));
    }
    const layout = writeLayout(join(work, 'many-layout'), layers, { refName: 'example.com/many:1' });
    await loadArchive(store, layout.dir);
    const m = await mountRootfs(store, 'example.com/many:1', 'many');
    assert.ok(m.lowerDirs.join(':').length > 4096);
    assert.equal(readdirSync(m.target).length, 45);
    assert.equal(readFileSync(join(m.target, 'f0'), 'utf8'), '0\n');
    await unmountRootfs(store, 'many');
  });

  test('the overlay is volatile where the kernel has the option (5.10): its end syncs nothing', async () => {
    assert.equal(volatileOption('5.10.0-28-amd64'), ',volatile');
    assert.equal(volatileOption('6.1.0'), ',volatile');
    assert.equal(volatileOption('5.4.0-150-generic'), '');
    assert.equal(volatileOption('4.19.0'), '');
    const m = await mountRootfs(store, 'example.com/many:1', 'volatile');
    try {
      const line = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .find((l) => l.split(' ')[4] === m.target);
      assert.ok(line, `${m.target} is mounted`);
      // Linux 6 shows it as fsync=volatile.
      assert.equal(/[ ,](fsync=)?volatile(,|$)/.test(line), volatileOption() !== '', line);
    } finally {
      await unmountRootfs(store, 'volatile');
    }
  });

  test('a rootfs record a crash of the machine left empty (it is not fsynced) is skipped: gc goes on, and the rootfs is still removed', async () => {
    const p = await prepareRootfs(store, 'example.com/many:1', 'cut');
    writeFileSync(join(p.dir, 'rootfs.json'), '');
    await store.gc();
    await unmountRootfs(store, 'cut');
    assert.equal(existsSync(p.dir), false);
  });

  test('a container takes a spare directory made in the background, and gc ignores spares', async () => {
    const spares = () => readdirSync(store.containersDir).filter((n) => n.startsWith('spare-'));
    const a = await prepareRootfs(store, 'example.com/many:1', 'spare-a');
    // The pool is filled after each take; wait for the background mkdirs.
    for (let i = 0; i < 200 && spares().length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    const before = spares();
    assert.equal(before.length, 2);
    const b = await prepareRootfs(store, 'example.com/many:1', 'spare-b');
    assert.equal(before.filter((n) => existsSync(join(store.containersDir, n))).length, 1, 'one was taken');
    for (const d of [b.upperDir, b.workDir, b.target]) assert.deepEqual(readdirSync(d), []);
    assert.equal((await store.gc()).layers.length, 0, 'the containers keep their layers');
    await unmountRootfs(store, 'spare-a');
    await unmountRootfs(store, 'spare-b');
    assert.equal(existsSync(a.dir), false);
  });

  test('gc removes a mount-point layer with its image, unless a container still stacks it', async () => {
    const image = store.get('example.com/many:1');
    assert.ok(image);
    const hex = image.id.slice('sha256:'.length);
    const ofImage = join(store.mountpointsDir, `${hex}-0000000000000001`);
    const gone = join(store.mountpointsDir, `${'f'.repeat(64)}-0000000000000002`);
    const stacked = join(store.mountpointsDir, `${'e'.repeat(64)}-0000000000000003`);
    for (const d of [ofImage, gone, stacked]) mkdirSync(join(d, 'etc'), { recursive: true });
    await prepareRootfs(store, 'example.com/many:1', 'stacks', { topLower: stacked });
    const freed = await store.gc();
    assert.deepEqual(freed.mountpoints, [`${'f'.repeat(64)}-0000000000000002`]);
    assert.ok(existsSync(ofImage) && existsSync(stacked) && !existsSync(gone));
    await unmountRootfs(store, 'stacks');
    assert.deepEqual((await store.gc()).mountpoints, [`${'e'.repeat(64)}-0000000000000003`]);
    rmSync(ofImage, { recursive: true });
  });

  test('an unknown image or a bad container id is refused before anything is made', async () => {
    await assert.rejects(mountRootfs(store, 'nope:1', 'c2'), /not in the store; pull or load it first/);
    await assert.rejects(mountRootfs(store, 'example.com/many:1', '../x'), /container id/);
    assert.equal(existsSync(join(store.containersDir, 'c2')), false);
  });
});
