import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { KubeObject } from '../../src/api/types.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { type ObjectKey, StoreError, type StoreEvent } from '../../src/store/types.js';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'podrun-store-'));
  dirs.push(dir);
  return join(dir, 'state.db');
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function podKey(name: string, namespace = 'default'): ObjectKey {
  return { groupResource: 'pods', namespace, name };
}
function pod(name: string, namespace = 'default', extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { containers: [] }, ...extra };
}
/** Lets queued watch deliveries (microtasks) run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
function expectStoreError(reason: StoreError['reason']) {
  return (err: unknown) => {
    assert.ok(err instanceof StoreError, `expected StoreError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    return true;
  };
}

describe('sqlite store: objects and revisions', () => {
  test('create stamps a resourceVersion and get returns an equal, independent copy', async () => {
    const store = openSqliteStore(':memory:');
    const input = pod('a');
    const created = await store.create(podKey('a'), input);
    assert.equal(created.metadata.resourceVersion, '1');
    assert.equal(input.metadata.resourceVersion, undefined, 'the caller object is not mutated');
    const got = await store.get(podKey('a'));
    assert.deepEqual(got, created);
    got!.metadata.name = 'changed';
    assert.equal((await store.get(podKey('a')))!.metadata.name, 'a');
    assert.equal(store.revision(), 1);
    await store.close();
  });

  test('get of a missing object is undefined', async () => {
    const store = openSqliteStore(':memory:');
    assert.equal(await store.get(podKey('none')), undefined);
    await store.close();
  });

  test('create of an existing key fails with AlreadyExists and does not use a revision', async () => {
    const store = openSqliteStore(':memory:');
    await store.create(podKey('a'), pod('a'));
    await assert.rejects(store.create(podKey('a'), pod('a')), (err: unknown) => {
      assert.ok(err instanceof StoreError);
      assert.equal(err.reason, 'AlreadyExists');
      assert.equal(err.message, 'pods "a" already exists');
      return true;
    });
    assert.equal(store.revision(), 1);
    await store.close();
  });

  test('update with a stale expectedRevision fails with Conflict; with the current one it succeeds', async () => {
    const store = openSqliteStore(':memory:');
    const created = await store.create(podKey('a'), pod('a'));
    const rv = Number(created.metadata.resourceVersion);
    const updated = await store.update(
      podKey('a'),
      pod('a', 'default', { status: { phase: 'Running' } }),
      rv,
    );
    assert.equal(updated.metadata.resourceVersion, '2');
    await assert.rejects(store.update(podKey('a'), pod('a'), rv), (err: unknown) => {
      assert.ok(err instanceof StoreError);
      assert.equal(err.reason, 'Conflict');
      assert.match(err.message, /^Operation cannot be fulfilled on pods "a": the object has been modified/);
      return true;
    });
    assert.deepEqual((await store.get(podKey('a')))!.status, { phase: 'Running' });
    await store.close();
  });

  test('update and delete of a missing object fail with NotFound', async () => {
    const store = openSqliteStore(':memory:');
    await assert.rejects(store.update(podKey('x'), pod('x')), expectStoreError('NotFound'));
    await assert.rejects(store.delete(podKey('x')), (err: unknown) => {
      assert.ok(err instanceof StoreError && err.reason === 'NotFound');
      assert.equal(err.message, 'pods "x" not found');
      return true;
    });
    await store.close();
  });

  test('delete returns the object stamped with the deletion revision and honours expectedRevision', async () => {
    const store = openSqliteStore(':memory:');
    await store.create(podKey('a'), pod('a'));
    await store.create(podKey('b'), pod('b'));
    await assert.rejects(store.delete(podKey('a'), 2), expectStoreError('Conflict'));
    const deleted = await store.delete(podKey('a'), 1);
    assert.equal(deleted.metadata.name, 'a');
    assert.equal(deleted.metadata.resourceVersion, '3');
    assert.equal(await store.get(podKey('a')), undefined);
    assert.equal(store.revision(), 3);
    await store.close();
  });

  test('revisions never repeat after deletes: re-creating a deleted name gets a new revision', async () => {
    const store = openSqliteStore(':memory:');
    await store.create(podKey('a'), pod('a'));
    await store.delete(podKey('a'));
    const again = await store.create(podKey('a'), pod('a'));
    assert.equal(again.metadata.resourceVersion, '3');
    await store.close();
  });

  test('list returns items sorted by namespace then name, filters by namespace, and carries the revision', async () => {
    const store = openSqliteStore(':memory:');
    await store.create(podKey('b', 'ns2'), pod('b', 'ns2'));
    await store.create(podKey('z', 'ns1'), pod('z', 'ns1'));
    await store.create(podKey('a', 'ns1'), pod('a', 'ns1'));
    await store.create(
      { groupResource: 'configmaps', namespace: 'ns1', name: 'c' },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c', namespace: 'ns1' },
      },
    );
    const all = await store.list('pods');
    assert.deepEqual(
      all.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
      ['ns1/a', 'ns1/z', 'ns2/b'],
    );
    assert.equal(all.revision, 4);
    const ns1 = await store.list('pods', 'ns1');
    assert.deepEqual(
      ns1.items.map((o) => o.metadata.name),
      ['a', 'z'],
    );
    assert.deepEqual((await store.list('pods', 'empty')).items, []);
    assert.deepEqual((await store.list('services')).items, []);
    await store.close();
  });

  test('list with a predicate returns only the accepted objects, as copies', async () => {
    const store = openSqliteStore(':memory:');
    await store.create(podKey('a'), {
      ...pod('a'),
      metadata: { name: 'a', namespace: 'default', labels: { keep: 'yes' } },
    });
    await store.create(podKey('b'), pod('b'));
    const { items } = await store.list('pods', undefined, (o) => o.metadata.labels?.keep === 'yes');
    assert.deepEqual(
      items.map((o) => o.metadata.name),
      ['a'],
    );
    items[0]!.metadata.name = 'changed';
    assert.equal((await store.get(podKey('a')))?.metadata.name, 'a');
    await store.close();
  });
});

describe('sqlite store: shared results', () => {
  test('with shared, reads and writes hand over the stored object itself, frozen; without, a copy of its own', async () => {
    const store = openSqliteStore(':memory:');
    const created = await store.create(podKey('a'), pod('a'), { shared: true });
    assert.ok(Object.isFrozen(created) && Object.isFrozen(created.metadata));
    assert.equal(await store.get(podKey('a'), { shared: true }), created, 'the same object, not a copy');
    assert.throws(() => {
      created.metadata.name = 'changed';
    }, TypeError);
    const [listed] = (await store.list('pods', 'default', undefined, { shared: true })).items;
    assert.equal(listed, created);
    const updated = await store.update(podKey('a'), { ...pod('a'), status: { phase: 'Running' } }, 1, {
      shared: true,
    });
    assert.ok(Object.isFrozen(updated.status));
    assert.equal(await store.get(podKey('a'), { shared: true }), updated);
    const own = await store.get(podKey('a'));
    assert.notEqual(own, updated);
    assert.ok(!Object.isFrozen(own));
    own!.metadata.name = 'mine';
    const copy = await store.update(podKey('a'), pod('a'));
    assert.ok(!Object.isFrozen(copy) && !Object.isFrozen(copy.metadata));
    await store.close();
  });
});

describe('sqlite store: versions share what did not change', () => {
  test('an update shares the unchanged parts of the version before; what it stores reads back the same after a reopen', async () => {
    const file = tempFile();
    const store = openSqliteStore(file);
    const spec = { containers: [{ name: 'app', image: 'busybox', env: [{ name: 'A', value: '1' }] }] };
    const v1 = await store.create(podKey('a'), pod('a', 'default', { spec, status: { phase: 'Pending' } }), {
      shared: true,
    });
    const v2 = await store.update(
      podKey('a'),
      pod('a', 'default', { spec, status: { phase: 'Running' } }),
      1,
      {
        shared: true,
      },
    );
    assert.equal(v2.spec, v1.spec, 'the spec of both versions is one object');
    assert.notEqual(v2.status, v1.status);
    assert.equal(v1.metadata.resourceVersion, '1', 'the earlier version is as it was');
    assert.deepEqual(v1.status, { phase: 'Pending' });
    await store.close();
    const reopened = openSqliteStore(file);
    assert.deepEqual(await reopened.get(podKey('a')), JSON.parse(JSON.stringify(v2)));
    await reopened.close();
  });
});

describe('sqlite store: group commit', () => {
  test('writes made without waiting keep their call order, and conditions see the writes queued before them', async () => {
    const store = openSqliteStore(tempFile());
    const seen: string[] = [];
    store.watch({ groupResource: 'pods' }, (e) =>
      seen.push(`${e.type} ${e.object.metadata.name} ${e.revision}`),
    );
    const created = store.create(podKey('a'), pod('a'));
    const updated = store.update(podKey('a'), pod('a', 'default', { status: { phase: 'Running' } }), 1);
    // Rejections are checked at once: the commit the others wait for comes in a later turn of the event loop.
    const duplicate = assert.rejects(store.create(podKey('a'), pod('a')), expectStoreError('AlreadyExists'));
    const stale = assert.rejects(store.update(podKey('a'), pod('a'), 1), expectStoreError('Conflict'));
    const other = store.create(podKey('b'), pod('b'));
    const deleted = store.delete(podKey('a'), 2);
    assert.equal((await created).metadata.resourceVersion, '1');
    assert.equal((await updated).metadata.resourceVersion, '2');
    await duplicate;
    await stale;
    assert.equal((await other).metadata.resourceVersion, '3');
    assert.equal((await deleted).metadata.resourceVersion, '4');
    assert.equal(store.revision(), 4);
    await settle();
    assert.deepEqual(seen, ['ADDED a 1', 'MODIFIED a 2', 'ADDED b 3', 'DELETED a 4']);
    await store.close();
  });

  test('a write resolves only once it is in the file, and a read of a queued write waits for its commit', async () => {
    const path = tempFile();
    const store = openSqliteStore(path);
    const write = store.create(podKey('a'), pod('a'));
    // Nothing is handed out before the commit: another key's read does not include it, this key's read does.
    assert.equal((await store.list('configmaps')).revision, 0);
    assert.equal((await store.get(podKey('a')))?.metadata.resourceVersion, '1');
    await write;
    const second = await store.create(podKey('b'), pod('b'));
    assert.equal(second.metadata.resourceVersion, '2');
    const reader = openSqliteStore(path);
    assert.deepEqual(
      (await reader.list('pods')).items.map((o) => o.metadata.resourceVersion),
      ['1', '2'],
    );
    await reader.close();
    await store.close();
  });

  test('a key created, changed, deleted and created again within one commit is one row, as reopening shows', async () => {
    const path = tempFile();
    const store = openSqliteStore(path);
    await store.create(podKey('a'), pod('a'));
    const writes = [
      store.update(podKey('a'), pod('a', 'default', { status: { phase: 'Running' } }), 1),
      store.delete(podKey('a'), 2),
      store.create(podKey('a'), pod('a', 'default', { status: { phase: 'Pending' } })),
      store.update(podKey('a'), pod('a', 'default', { status: { phase: 'Succeeded' } }), 4),
      store.create(podKey('b'), pod('b')),
      store.delete(podKey('b'), 6),
    ];
    await Promise.all(writes);
    await store.close();
    const reopened = openSqliteStore(path);
    const { items } = await reopened.list('pods');
    assert.deepEqual(
      items.map((o) => `${o.metadata.name} ${o.metadata.resourceVersion} ${JSON.stringify(o.status)}`),
      ['a 5 {"phase":"Succeeded"}'],
    );
    assert.equal(reopened.revision(), 7);
    await reopened.close();
    const db = new Database(path, { readonly: true });
    assert.equal(db.prepare('SELECT count(*) FROM objects').pluck().get(), 1);
    db.close();
  });

  test('close commits the writes still queued', async () => {
    const path = tempFile();
    const store = openSqliteStore(path);
    const write = store.create(podKey('a'), pod('a'));
    await store.close();
    assert.equal((await write).metadata.resourceVersion, '1');
    const reopened = openSqliteStore(path);
    assert.equal((await reopened.get(podKey('a')))?.metadata.resourceVersion, '1');
    await reopened.close();
  });
});

describe('sqlite store: durability', () => {
  test('objects and the revision survive close and reopen, and the counter continues after deletes', async () => {
    const file = tempFile();
    const first = openSqliteStore(file);
    await first.create(podKey('a'), pod('a'));
    await first.create(podKey('b'), pod('b'));
    await first.delete(podKey('b'));
    await first.close();

    const second = openSqliteStore(file);
    assert.equal(second.revision(), 3);
    assert.equal((await second.get(podKey('a')))!.metadata.resourceVersion, '1');
    assert.equal(await second.get(podKey('b')), undefined);
    const c = await second.create(podKey('c'), pod('c'));
    assert.equal(c.metadata.resourceVersion, '4');
    await second.close();
  });

  test('a store written by an earlier podrun (objects WITHOUT ROWID) is migrated with its objects and revision', async () => {
    const file = tempFile();
    const old = new Database(file);
    old.exec(`CREATE TABLE objects (group_resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
      revision INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY (group_resource, namespace, name)) WITHOUT ROWID;
      CREATE TABLE store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO store_meta (key, value) VALUES ('revision', 5);`);
    const insert = old.prepare('INSERT INTO objects VALUES (?, ?, ?, ?, ?)');
    for (const [name, rv] of [
      ['b', 4],
      ['a', 2],
    ] as const) {
      const value = { ...pod(name), metadata: { name, namespace: 'default', resourceVersion: String(rv) } };
      insert.run('pods', 'default', name, rv, JSON.stringify(value));
    }
    old.close();

    const store = openSqliteStore(file);
    assert.equal(store.revision(), 5);
    assert.deepEqual(
      (await store.list('pods')).items.map((o) => `${o.metadata.name} ${o.metadata.resourceVersion}`),
      ['a 2', 'b 4'],
    );
    await assert.rejects(store.create(podKey('a'), pod('a')), expectStoreError('AlreadyExists'));
    assert.equal((await store.update(podKey('b'), pod('b'), 4)).metadata.resourceVersion, '6');
    await store.close();

    const check = new Database(file, { readonly: true });
    const sql = check.prepare("SELECT sql FROM sqlite_master WHERE name = 'objects'").pluck().get();
    check.close();
    assert.doesNotMatch(String(sql), /WITHOUT ROWID/i);
    const reopened = openSqliteStore(file);
    assert.equal((await reopened.get(podKey('b')))?.metadata.resourceVersion, '6');
    await reopened.close();
  });

  test('a writer killed with SIGKILL loses no write it had acknowledged', async () => {
    const file = tempFile();
    const writer = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', writer, file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // Kill mid-stream, once a good number of writes were acknowledged.
        if (out.split('\n').length > 300) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`writer exited early: ${stderr}`)));
    });
    assert.equal(await exited, 'SIGKILL');
    const acknowledged = out
      .split('\n')
      .filter((line) => /^p\d+ \d+$/.test(line))
      .map((line) => line.split(' ') as [string, string]);
    assert.ok(acknowledged.length >= 300);

    const store = openSqliteStore(file);
    for (const [name, rv] of acknowledged) {
      const got = await store.get(podKey(name));
      assert.ok(got, `acknowledged write ${name} (revision ${rv}) was lost`);
      assert.equal(got.metadata.resourceVersion, rv);
    }
    const last = Number(acknowledged.at(-1)![1]);
    assert.ok(store.revision() >= last);
    const next = await store.create(podKey('after-kill'), pod('after-kill'));
    assert.ok(
      Number(next.metadata.resourceVersion) > store.revision() - 1 &&
        Number(next.metadata.resourceVersion) > last,
    );
    await store.close();
  });
});

describe('sqlite store: watch', () => {
  test('a live watch receives ADDED, MODIFIED and DELETED in revision order', async () => {
    const store = openSqliteStore(':memory:');
    const events: StoreEvent[] = [];
    const w = store.watch({ groupResource: 'pods' }, (e) => events.push(e));
    await store.create(podKey('a'), pod('a'));
    await store.update(podKey('a'), pod('a', 'default', { status: { phase: 'Running' } }));
    await store.delete(podKey('a'));
    await settle();
    assert.deepEqual(
      events.map((e) => [e.type, e.revision, e.object.metadata.resourceVersion]),
      [
        ['ADDED', 1, '1'],
        ['MODIFIED', 2, '2'],
        ['DELETED', 3, '3'],
      ],
    );
    assert.deepEqual(events[2]!.object.status, { phase: 'Running' }, 'DELETED carries the last state');
    w.stop();
    await store.close();
  });

  test('a watch sees only its resource and, when given, its namespace', async () => {
    const store = openSqliteStore(':memory:');
    const seen: string[] = [];
    store.watch({ groupResource: 'pods', namespace: 'ns1' }, (e) => seen.push(e.object.metadata.name!));
    await store.create(podKey('in', 'ns1'), pod('in', 'ns1'));
    await store.create(podKey('out', 'ns2'), pod('out', 'ns2'));
    await store.create(
      { groupResource: 'configmaps', namespace: 'ns1', name: 'cm' },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cm', namespace: 'ns1' },
      },
    );
    await settle();
    assert.deepEqual(seen, ['in']);
    await store.close();
  });

  test('a watch from a past revision replays history, then continues live without duplicates', async () => {
    const store = openSqliteStore(':memory:');
    await store.create(podKey('a'), pod('a'));
    await store.create(podKey('b'), pod('b'));
    await store.update(podKey('a'), pod('a'));
    const revs: number[] = [];
    store.watch({ groupResource: 'pods', afterRevision: 1 }, (e) => revs.push(e.revision));
    await store.create(podKey('c'), pod('c'));
    await settle();
    assert.deepEqual(revs, [2, 3, 4]);
    await store.close();
  });

  test('history is delivered after watch() returns, so the listener can stop its own watch', async () => {
    const store = openSqliteStore(':memory:');
    await store.create(podKey('a'), pod('a'));
    await store.create(podKey('b'), pod('b'));
    const seen: number[] = [];
    const w = store.watch({ groupResource: 'pods', afterRevision: 0.5 }, (e) => {
      seen.push(e.revision);
      w.stop();
    });
    await settle();
    assert.deepEqual(seen, [1]);
    await store.close();
  });

  test('a watch older than the kept history fails with Expired and the upstream message', async () => {
    const store = openSqliteStore(':memory:', { historySize: 3 });
    for (const n of ['a', 'b', 'c', 'd', 'e']) await store.create(podKey(n), pod(n));
    // Revisions 3, 4, 5 are kept, so a watch may resume after 2 or later.
    assert.throws(
      () => store.watch({ groupResource: 'pods', afterRevision: 1 }, () => {}),
      (err: unknown) => {
        assert.ok(err instanceof StoreError);
        assert.equal(err.reason, 'Expired');
        assert.equal(err.oldestRevision, 3, 'the oldest revision still in history');
        assert.equal(err.message, 'too old resource version: 1 (2)');
        return true;
      },
    );
    const revs: number[] = [];
    store.watch({ groupResource: 'pods', afterRevision: 2 }, (e) => revs.push(e.revision));
    await settle();
    assert.deepEqual(revs, [3, 4, 5]);
    await store.close();
  });

  test('after a restart history is empty: resuming from before the restart is Expired, from now is live', async () => {
    const file = tempFile();
    const first = openSqliteStore(file);
    await first.create(podKey('a'), pod('a'));
    await first.create(podKey('b'), pod('b'));
    await first.close();
    const second = openSqliteStore(file);
    assert.throws(
      () => second.watch({ groupResource: 'pods', afterRevision: 1 }, () => {}),
      expectStoreError('Expired'),
    );
    const revs: number[] = [];
    second.watch({ groupResource: 'pods', afterRevision: 2 }, (e) => revs.push(e.revision));
    await second.create(podKey('c'), pod('c'));
    await settle();
    assert.deepEqual(revs, [3]);
    await second.close();
  });

  test('events reach every watcher in revision order even when a listener writes to the store', async () => {
    const store = openSqliteStore(':memory:');
    const first: number[] = [];
    const second: number[] = [];
    store.watch({ groupResource: 'pods' }, (e) => {
      first.push(e.revision);
      if (e.object.metadata.name === 'trigger') void store.create(podKey('reaction'), pod('reaction'));
    });
    store.watch({ groupResource: 'pods' }, (e) => second.push(e.revision));
    await store.create(podKey('trigger'), pod('trigger'));
    await store.create(podKey('other'), pod('other'));
    await settle();
    await settle();
    assert.deepEqual(
      first,
      [...first].sort((a, b) => a - b),
    );
    assert.deepEqual(
      second,
      [...second].sort((a, b) => a - b),
    );
    assert.deepEqual(new Set(second), new Set([1, 2, 3]));
    await store.close();
  });

  test('each watcher gets its own copy of the object, and a throwing listener does not affect others', async () => {
    const store = openSqliteStore(':memory:');
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const got: KubeObject[] = [];
    store.watch({ groupResource: 'pods' }, (e) => {
      e.object.metadata.name = 'mutated';
      throw new Error('boom');
    });
    store.watch({ groupResource: 'pods' }, (e) => got.push(e.object));
    await store.create(podKey('a'), pod('a'));
    await settle();
    await settle();
    process.off('warning', onWarning);
    assert.equal(got[0]!.metadata.name, 'a');
    assert.ok(warnings.some((m) => m.includes('boom')));
    await store.close();
  });

  test('shared watchers get the stored object itself, frozen all through; the others a copy of their own', async () => {
    const store = openSqliteStore(':memory:');
    const shared: KubeObject[] = [];
    const copies: KubeObject[] = [];
    store.watch({ groupResource: 'pods', shared: true }, (e) => shared.push(e.object));
    store.watch({ groupResource: 'pods', shared: true }, (e) => shared.push(e.object));
    store.watch({ groupResource: 'pods' }, (e) => copies.push(e.object));
    const created = await store.create(podKey('a'), { ...pod('a'), spec: { containers: [{ name: 'c' }] } });
    await store.delete(podKey('a'));
    await settle();
    assert.equal(shared.length, 4);
    assert.equal(shared[0], shared[1], 'one object for every shared watcher');
    assert.ok(Object.isFrozen(shared[0]) && Object.isFrozen(shared[0]!.metadata));
    const containers = (shared[0]!.spec as { containers: object[] }).containers;
    assert.ok(Object.isFrozen(containers) && Object.isFrozen(containers[0]));
    assert.throws(() => {
      shared[0]!.metadata.name = 'changed';
    }, TypeError);
    assert.ok(Object.isFrozen(shared[2]), 'the deletion too');
    assert.ok(!Object.isFrozen(copies[0]) && !Object.isFrozen(copies[0]!.metadata));
    copies[0]!.metadata.name = 'mine';
    assert.equal(shared[0]!.metadata.name, 'a');
    assert.ok(!Object.isFrozen(created), "the writer's answer is its own copy");
    await store.close();
  });

  test('accept sees each change in order before any copy, and a refused change is not delivered', async () => {
    const store = openSqliteStore(':memory:');
    const offered: string[] = [];
    const got: string[] = [];
    store.watch(
      {
        groupResource: 'pods',
        accept: (type, object, revision) => {
          offered.push(`${type} ${object.metadata.name} ${revision}`);
          return object.metadata.name !== 'skip';
        },
      },
      (e) => got.push(`${e.type} ${e.object.metadata.name} ${e.revision}`),
    );
    await store.create(podKey('a'), pod('a'));
    await store.create(podKey('skip'), pod('skip'));
    await store.delete(podKey('a'));
    await settle();
    assert.deepEqual(offered, ['ADDED a 1', 'ADDED skip 2', 'DELETED a 3']);
    assert.deepEqual(got, ['ADDED a 1', 'DELETED a 3']);
    await store.close();
  });

  test('a stopped watch receives nothing more', async () => {
    const store = openSqliteStore(':memory:');
    const seen: number[] = [];
    const w = store.watch({ groupResource: 'pods' }, (e) => seen.push(e.revision));
    await store.create(podKey('a'), pod('a'));
    await settle();
    w.stop();
    await store.create(podKey('b'), pod('b'));
    await settle();
    assert.deepEqual(seen, [1]);
    await store.close();
  });
});

describe('sqlite store: opening', () => {
  test('a store file in a directory that does not exist yet is created with its directory', async () => {
    const file = join(tempFile(), '..', 'nested', 'deeper', 'state.db');
    const store = openSqliteStore(file);
    await store.create(podKey('a'), pod('a'));
    await store.close();
    const again = openSqliteStore(file);
    assert.equal(again.revision(), 1);
    await again.close();
  });

  test('a store that cannot be opened says where and what to check', () => {
    // A regular file where the state directory should be.
    const blocker = tempFile();
    writeFileSync(blocker, '');
    assert.throws(
      () => openSqliteStore(join(blocker, 'state.db')),
      (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.ok(
          err.message.startsWith(`cannot open the object store at ${join(blocker, 'state.db')}: `),
          err.message,
        );
        assert.match(err.message, /check that the state directory is writable$/);
        return true;
      },
    );
  });
});

describe('sqlite store: dependent counts', () => {
  const owned = (name: string, ...uids: string[]): KubeObject => ({
    ...pod(name),
    metadata: {
      name,
      namespace: 'default',
      ownerReferences: uids.map((uid) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid })),
    },
  });

  test('follows creates, updates that change the owners, deletes, queued writes, and a reopen', async () => {
    const file = tempFile();
    const store = openSqliteStore(file);
    await store.create(podKey('a'), owned('a', 'rs-1'));
    // Queued, not yet committed: counted all the same.
    const queued = store.create(podKey('b'), owned('b', 'rs-1', 'rs-2', 'rs-2'));
    assert.equal(store.dependentCount('rs-1'), 2);
    assert.equal(store.dependentCount('rs-2'), 1, 'one object naming an owner twice is one dependent');
    await queued;
    assert.equal(store.dependentCount('nobody'), 0);
    const a = (await store.get(podKey('a')))!;
    await store.update(podKey('a'), { ...a, metadata: { ...owned('a', 'rs-2').metadata } });
    assert.deepEqual([store.dependentCount('rs-1'), store.dependentCount('rs-2')], [1, 2]);
    await store.delete(podKey('b'));
    assert.deepEqual([store.dependentCount('rs-1'), store.dependentCount('rs-2')], [0, 1]);
    await store.close();
    const reopened = openSqliteStore(file);
    assert.deepEqual([reopened.dependentCount('rs-1'), reopened.dependentCount('rs-2')], [0, 1]);
    await reopened.close();
  });
});
