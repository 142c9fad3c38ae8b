// bin/podrun runs the compiled dist/ only while it is current: the build's stamp lists every source file with
// its size and time as they were when the build started, and each is still so.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUILD_STAMP, distIsCurrent, sourceManifest } from '../../bin/dist-current.mjs';

test('dist/ is current while every source file is as the build found it', async () => {
  const root = await mkdtemp(join(tmpdir(), 'podrun-dist-'));
  try {
    await mkdir(join(root, 'src', 'cli'), { recursive: true });
    await mkdir(join(root, 'dist'), { recursive: true });
    const source = join(root, 'src', 'cli', 'main.ts');
    await writeFile(source, 'one');
    const at = (path: string, seconds: number) => utimes(path, seconds, seconds);
    await at(source, 1_000_000);
    assert.equal(distIsCurrent(root), false, 'no stamp: not current');
    await writeFile(join(root, 'dist', BUILD_STAMP), 'not json');
    assert.equal(distIsCurrent(root), false, 'an unreadable stamp: not current');
    const stamp = () =>
      writeFile(join(root, 'dist', BUILD_STAMP), JSON.stringify({ sources: sourceManifest(root) }));
    await stamp();
    assert.equal(distIsCurrent(root), true);
    await at(source, 1_000_001);
    assert.equal(distIsCurrent(root), false, 'a nested source file changed after the build');
    await at(source, 999_999);
    assert.equal(distIsCurrent(root), false, 'a file copied in with an older time (cp -p) counts as changed');
    await at(source, 1_000_000);
    await writeFile(source, 'three');
    await at(source, 1_000_000);
    assert.equal(distIsCurrent(root), false, 'same time, another size');
    await writeFile(source, 'one');
    await at(source, 1_000_000);
    assert.equal(distIsCurrent(root), true);
    await writeFile(join(root, 'src', 'new.ts'), '');
    assert.equal(distIsCurrent(root), false, 'a file added');
    await unlink(join(root, 'src', 'new.ts'));
    await stamp();
    await unlink(source);
    assert.equal(distIsCurrent(root), false, 'a file removed');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
