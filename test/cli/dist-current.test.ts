// bin/podrun runs the compiled dist/ only while it is current: the build's stamp is there and no source file
// changed since that build started.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUILD_STAMP, distIsCurrent } from '../../bin/dist-current.mjs';

test('dist/ is current until a file under src/ changes after the build started', async () => {
  const root = await mkdtemp(join(tmpdir(), 'podrun-dist-'));
  try {
    await mkdir(join(root, 'src', 'cli'), { recursive: true });
    await mkdir(join(root, 'dist'), { recursive: true });
    const source = join(root, 'src', 'cli', 'main.ts');
    await writeFile(source, '');
    const built = Date.now() + 60_000;
    const at = async (path: string, ms: number) => utimes(path, ms / 1000, ms / 1000);
    await at(source, built - 1_000);
    assert.equal(distIsCurrent(root), false, 'no stamp: not current');
    await writeFile(join(root, 'dist', BUILD_STAMP), 'not json');
    assert.equal(distIsCurrent(root), false, 'an unreadable stamp: not current');
    await writeFile(join(root, 'dist', BUILD_STAMP), JSON.stringify({ startedAtMs: built }));
    assert.equal(distIsCurrent(root), true);
    await at(source, built + 1_000);
    assert.equal(distIsCurrent(root), false, 'a nested source file changed after the build started');
    await at(source, built - 1_000);
    await writeFile(join(root, 'src', 'new.ts'), '');
    await at(join(root, 'src', 'new.ts'), built);
    assert.equal(distIsCurrent(root), false, 'a file changed as the build started counts as changed');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
