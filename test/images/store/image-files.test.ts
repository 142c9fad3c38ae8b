// readImageFile reads a file as the merged image shows it, without mounting: topmost layer wins, whiteouts
// and opaque directories hide lower layers, symlinks are followed inside the image root.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readImageFile } from '../../../src/images/store/image-files.js';
import { ImageStore, loadArchive } from '../../../src/images/store/index.js';
import { tarLayer, writeLayout } from './fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'podrun-image-files-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A layer made from `files`: path → content, `->target` for a symlink. */
function layer(name: string, files: Record<string, string>) {
  const root = join(work, `root-${name}`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    if (content.startsWith('->')) symlinkSync(content.slice(2), join(root, path));
    else writeFileSync(join(root, path), content);
  }
  return tarLayer(work, root, 'gzip', name);
}

async function image(name: string, layers: ReturnType<typeof layer>[]) {
  const store = await ImageStore.open(join(work, `store-${name}`), { gcGraceMs: 0 });
  const [img] = await loadArchive(
    store,
    writeLayout(join(work, `layout-${name}`), layers, { refName: `t/${name}:1` }).dir,
  );
  assert.ok(img);
  return async (path: string) => (await readImageFile(store, img, path))?.toString('utf8');
}

test('the topmost layer wins, and a whiteout hides the file below', async () => {
  const read = await image('whiteout', [
    layer('w1', { 'etc/passwd': 'lower\n', 'etc/group': 'g\n' }),
    layer('w2', { 'etc/passwd': 'upper\n' }),
    layer('w3', { 'etc/.wh.group': '' }),
  ]);
  assert.equal(await read('/etc/passwd'), 'upper\n');
  assert.equal(await read('/etc/group'), undefined);
});

test('a directory made opaque hides what the layers below had in it', async () => {
  const read = await image('opaque', [
    layer('o1', { 'etc/passwd': 'lower\n', 'usr/x': 'x' }),
    layer('o2', { 'etc/.wh..wh..opq': '', 'etc/hostname': 'h\n' }),
  ]);
  assert.equal(await read('/etc/passwd'), undefined);
  assert.equal(await read('/etc/hostname'), 'h\n');
  assert.equal(await read('/usr/x'), 'x');
});

test('symlinks are followed inside the image, across layers, never out of it', async () => {
  const read = await image('links', [
    layer('l1', { 'lib/pw': 'from lib\n', 'outside-name': 'image file\n' }),
    layer('l2', {
      'etc/passwd': '->../lib/pw',
      'etc/group': '->/../../../../outside-name',
      'etc/loop': '->loop',
      cfg: '->etc',
    }),
  ]);
  assert.equal(await read('/etc/passwd'), 'from lib\n');
  assert.equal(await read('/cfg/passwd'), 'from lib\n');
  assert.equal(await read('/etc/group'), 'image file\n');
  assert.equal(await read('/etc/loop'), undefined);
});
