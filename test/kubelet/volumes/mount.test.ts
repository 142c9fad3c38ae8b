// Mounting through the long-lived mount helper: a tmpfs mounted with its size, seen as a mount point, and
// gone after the unmount; a failure worded as mount(8)'s; concurrent readers of the mount table each see
// what was mounted before they asked.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  isLikelyMountPoint,
  isMountPoint,
  listMounts,
  mountsUnder,
  mountTmpfs,
  unmount,
} from '../../../src/kubelet/volumes/mount.js';
import { MountHelper } from '../../../src/kubelet/volumes/mount-helper.js';
import { needsRoot } from './helpers.js';

describe('tmpfs mounts', needsRoot, () => {
  test('the helper is used here (x64 or arm64 with perl)', () => {
    assert.equal(MountHelper.available(), true);
  });

  test('mount with a size, seen as a mount point, then unmounted', async () => {
    const root = await mkdtemp(join(tmpdir(), 'podrun-mount-'));
    try {
      const dirs = await Promise.all(
        [1, 2, 3].map(async (i) => {
          const d = join(root, `v${i}`);
          await mkdir(d);
          return d;
        }),
      );
      assert.equal(await isLikelyMountPoint(dirs[0]!), false);
      await Promise.all(dirs.map((d) => mountTmpfs(d, 1024n * 1024n)));
      for (const d of dirs) {
        assert.equal(await isLikelyMountPoint(d), true);
        assert.equal(await isMountPoint(d), true);
      }
      const options = execFileSync('findmnt', ['-n', '-o', 'FSTYPE,OPTIONS', dirs[0]!], { encoding: 'utf8' });
      assert.match(options, /^tmpfs\s.*size=1024k/);
      assert.deepEqual((await mountsUnder(root)).map((m) => m.mountPoint).sort(), dirs);
      await Promise.all(dirs.map((d) => unmount(d)));
      assert.deepEqual(await mountsUnder(root), []);
      assert.equal(await isLikelyMountPoint(dirs[0]!), false);
    } finally {
      for (const m of await mountsUnder(root)) await unmount(m.mountPoint).catch(() => {});
      await rm(root, { recursive: true, force: true });
    }
  });

  test('mountsUnder: the directory and what is below it, deepest first, never a sibling sharing its prefix', async () => {
    const root = await mkdtemp(join(tmpdir(), 'podrun-mount-'));
    const a = join(root, 'a');
    const ab = join(a, 'b');
    const sibling = join(root, 'a-x');
    try {
      await mkdir(a);
      await mkdir(sibling);
      await mountTmpfs(a);
      await mkdir(ab);
      await mountTmpfs(ab);
      await mountTmpfs(ab); // stacked on the same point: both are listed, to be unmounted one by one
      await mountTmpfs(sibling);
      assert.deepEqual(
        (await mountsUnder(a)).map((m) => m.mountPoint),
        [ab, ab, a],
      );
      assert.deepEqual(
        (await mountsUnder(`${a}/`)).map((m) => m.mountPoint),
        [ab, ab],
        'with a trailing slash, only what is below',
      );
      assert.deepEqual(
        (await mountsUnder(sibling)).map((m) => m.mountPoint),
        [sibling],
      );
      assert.deepEqual(await mountsUnder(join(root, 'none')), []);
    } finally {
      for (const m of await mountsUnder(root)) await unmount(m.mountPoint).catch(() => {});
      await rm(root, { recursive: true, force: true });
    }
  });

  test('a failed mount and unmount say what failed as mount(8) would', async () => {
    const missing = join(tmpdir(), 'podrun-mount-missing-dir');
    await assert.rejects(mountTmpfs(missing, 4096n), (e: Error) => {
      assert.match(e.message, /^mount failed: exit status 32\nMounting command: mount\n/);
      assert.match(e.message, /Mounting arguments: -t tmpfs -o size=4096 tmpfs .*missing-dir/);
      assert.match(e.message, /No such file or directory/);
      return true;
    });
    await assert.rejects(unmount(tmpdir()), (e: Error) => {
      assert.match(e.message, /^umount failed: exit status 32\nUnmounting command: umount\n/);
      assert.match(e.message, /not mounted/);
      return true;
    });
  });

  test('readers that come while the table is being read get a read made after they asked', async () => {
    const root = await mkdtemp(join(tmpdir(), 'podrun-mount-'));
    try {
      const first = listMounts();
      await mkdir(join(root, 'late'));
      await mountTmpfs(join(root, 'late'));
      // Asked after the mount, while the first read may still be under way: it must see the mount.
      const second = listMounts();
      assert.ok((await second).some((m) => m.mountPoint === join(root, 'late')));
      await first;
    } finally {
      for (const m of await mountsUnder(root)) await unmount(m.mountPoint).catch(() => {});
      await rm(root, { recursive: true, force: true });
    }
  });
});
