// Issue 12: secrets in a state directory left 0755 with 0644 files (an older podrun, another tool, a loose
// umask) must end up private: the directory 0700, the store, its -wal/-shm, the token, the kubeconfig and
// everything under pki/ 0600. Files created now are 0600 even under umask 0.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureServingCredentials } from '../../src/apiserver/http/tls.js';
import { ensureStateDir, stateLayout } from '../../src/server/state-dir.js';
import { openSqliteStore } from '../../src/store/sqlite.js';

async function mode(path: string): Promise<string> {
  return ((await stat(path)).mode & 0o777).toString(8);
}

let secrets = 0;
async function writeSomething(storeFile: string): Promise<void> {
  const store = openSqliteStore(storeFile);
  const name = `s${secrets++}`;
  await store.create(
    { groupResource: 'secrets', namespace: 'default', name },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: 'default' },
      data: { password: 'aHVudGVyMg==' },
    },
  );
  // Checked while open: the -wal and -shm files exist only then.
  for (const f of [storeFile, `${storeFile}-wal`, `${storeFile}-shm`]) assert.equal(await mode(f), '600', f);
  await store.close();
}

describe('state directory permissions', () => {
  let base: string;
  let umask: number;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'podrun-perm-'));
    // umask 0: nothing below may rely on the umask to take bits away.
    umask = process.umask(0);
  });
  after(async () => {
    process.umask(umask);
    await rm(base, { recursive: true, force: true });
  });

  it('a directory and files left world-readable become 0700 and 0600', async () => {
    const dir = join(base, 'old');
    const layout = stateLayout(dir);
    // An earlier run's state, then everything opened up as a careless tool would leave it.
    await mkdir(dir);
    await writeSomething(layout.storeFile);
    await ensureServingCredentials(dir, '127.0.0.1');
    await writeFile(layout.kubeconfig, 'apiVersion: v1\n');
    await chmod(dir, 0o755);
    await chmod(join(dir, 'pki'), 0o755);
    for (const f of await readdir(join(dir, 'pki'))) await chmod(join(dir, 'pki', f), 0o644);
    for (const f of [layout.storeFile, layout.kubeconfig, join(dir, 'token')]) await chmod(f, 0o644);

    await ensureStateDir(dir);
    assert.equal(await mode(dir), '700');
    assert.equal(await mode(layout.kubeconfig), '600');
    await writeSomething(layout.storeFile);
    await ensureServingCredentials(dir, '127.0.0.1');
    assert.equal(await mode(join(dir, 'token')), '600');
    assert.equal(await mode(join(dir, 'pki')), '700');
    const pki = await readdir(join(dir, 'pki'));
    assert.ok(pki.includes('ca.key') && pki.includes('apiserver.crt'));
    for (const f of pki) assert.equal(await mode(join(dir, 'pki', f)), '600', f);
  });

  it('the serving credentials alone make an existing 0755 state directory private', async () => {
    const dir = join(base, 'creds');
    await mkdir(dir);
    await chmod(dir, 0o755);
    await ensureServingCredentials(dir, '127.0.0.1');
    assert.equal(await mode(dir), '700');
    assert.equal(await mode(join(dir, 'token')), '600');
  });

  it('a new state directory and store are private from the start, whatever the umask', async () => {
    const dir = join(base, 'new', 'nested');
    const layout = await ensureStateDir(dir);
    assert.equal(await mode(dir), '700');
    await writeSomething(layout.storeFile);
    // A store opened where no directory exists yet creates it private too, and leaves existing ones alone.
    const elsewhere = join(base, 'fresh', 'store.db');
    await writeSomething(elsewhere);
    assert.equal(await mode(join(base, 'fresh')), '700');
    const shared = join(base, 'shared');
    await mkdir(shared, { mode: 0o755 });
    await writeSomething(join(shared, 'store.db'));
    assert.equal(await mode(shared), '755');
  });
});
