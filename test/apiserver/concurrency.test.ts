// Many clients writing the same objects at once (issue 12, concurrency): optimistic concurrency loses no update,
// every refusal is a 409 (or a 404 for what another client deleted), never a 5xx, and the store stays
// consistent: what a watch saw, replayed, is what a list shows, with each write's resourceVersion seen once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rng } from '../support/fuzz.js';
import { call, startTestServer, type TestServer, watch } from './helpers.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

const NS = '/api/v1/namespaces/default/configmaps';

function configMap(name: string, data: Record<string, string>, resourceVersion?: string) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...(resourceVersion ? { resourceVersion } : {}) },
    data,
  };
}

describe('concurrent writers', () => {
  test('20 clients incrementing one counter with read-modify-write lose no increment; every refusal is a 409', async () => {
    const created = await call(t, 'POST', NS, { body: configMap('counter', { n: '0' }) });
    assert.equal(created.status, 201, created.text);
    const clients = 20;
    const each = 10;
    let conflicts = 0;
    const unexpected: string[] = [];
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = 0; i < each; i++) {
          for (;;) {
            const got = await call(t, 'GET', `${NS}/counter`);
            const n = Number(got.json.data.n);
            const put = await call(t, 'PUT', `${NS}/counter`, {
              body: configMap('counter', { n: String(n + 1) }, got.json.metadata.resourceVersion),
            });
            if (put.status === 200) break;
            if (put.status === 409 && put.json.reason === 'Conflict') conflicts++;
            else {
              unexpected.push(`${put.status} ${put.text}`);
              return;
            }
          }
        }
      }),
    );
    assert.deepEqual(unexpected, []);
    const final = await call(t, 'GET', `${NS}/counter`);
    assert.equal(final.json.data.n, String(clients * each), `${conflicts} conflicts along the way`);
    assert.ok(conflicts > 0, 'the clients never raced: the test proves nothing');
  });

  test('20 clients patching distinct keys into one object at once: every key is there', async () => {
    assert.equal((await call(t, 'POST', NS, { body: configMap('keys', {}) })).status, 201);
    const types = ['application/merge-patch+json', 'application/strategic-merge-patch+json'];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 3 === 2
          ? call(t, 'PATCH', `${NS}/keys`, {
              body: [{ op: 'add', path: `/data/k${i}`, value: String(i) }],
              contentType: 'application/json-patch+json',
            })
          : call(t, 'PATCH', `${NS}/keys`, {
              body: { data: { [`k${i}`]: String(i) } },
              contentType: types[i % 3]!,
            }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      results.map(() => 200),
      results.find((r) => r.status !== 200)?.text,
    );
    const final = await call(t, 'GET', `${NS}/keys`);
    assert.deepEqual(
      Object.keys(final.json.data).sort(),
      Array.from({ length: 20 }, (_, i) => `k${i}`).sort(),
    );
  });

  test('random creates, updates, patches and deletes of a few names: no 5xx, and the watch replays to the list', async () => {
    const start = await call(t, 'GET', NS);
    const fromRV = start.json.metadata.resourceVersion as string;
    const w = watch(t, `${NS}?watch=true&resourceVersion=${fromRV}`);
    assert.equal(await w.status, 200);
    const names = ['a', 'b', 'c', 'd'].map((n) => `mixed-${n}`);
    const acknowledged = new Set<string>();
    const statuses = new Map<string, number>();
    const clients = 16;
    const opsEach = 25;
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        const rand = rng(1000 + c).next;
        for (let i = 0; i < opsEach; i++) {
          const name = names[Math.floor(rand() * names.length)]!;
          const op = Math.floor(rand() * 4);
          let res: Awaited<ReturnType<typeof call>>;
          if (op === 0) res = await call(t, 'POST', NS, { body: configMap(name, { by: `c${c}` }) });
          else if (op === 1) {
            const got = await call(t, 'GET', `${NS}/${name}`);
            if (got.status !== 200) {
              statuses.set(`GET ${got.status}`, (statuses.get(`GET ${got.status}`) ?? 0) + 1);
              continue;
            }
            res = await call(t, 'PUT', `${NS}/${name}`, {
              body: configMap(name, { by: `c${c}`, i: String(i) }, got.json.metadata.resourceVersion),
            });
          } else if (op === 2)
            res = await call(t, 'PATCH', `${NS}/${name}`, {
              body: { data: { [`c${c}`]: String(i) } },
              contentType: 'application/merge-patch+json',
            });
          else res = await call(t, 'DELETE', `${NS}/${name}`);
          const key = `${['POST', 'PUT', 'PATCH', 'DELETE'][op]} ${res.status}`;
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          if (res.status < 300) {
            const rv = op === 3 ? undefined : res.json?.metadata?.resourceVersion;
            if (rv) acknowledged.add(rv);
          }
        }
      }),
    );
    const allowed = new Set([
      'POST 201',
      'POST 409',
      'PUT 200',
      'PUT 409',
      'PUT 404',
      'PATCH 200',
      'PATCH 404',
      'DELETE 200',
      'DELETE 404',
      'GET 404',
    ]);
    const odd = [...statuses.keys()].filter((k) => !allowed.has(k));
    assert.deepEqual(odd, [], JSON.stringify(Object.fromEntries(statuses)));

    // Replay the watch up to the list's resourceVersion.
    const list = await call(t, 'GET', NS);
    const listRV = BigInt(list.json.metadata.resourceVersion);
    const replay = new Map<string, { rv: string; data: unknown }>();
    const seen = new Set<string>();
    let last = BigInt(fromRV);
    while (last < listRV) {
      const ev = await w.next(10_000);
      const rv = ev.object.metadata.resourceVersion as string;
      assert.ok(BigInt(rv) > last, `resourceVersion ${rv} after ${last}: the watch went back`);
      last = BigInt(rv);
      assert.ok(!seen.has(rv), `resourceVersion ${rv} twice in the watch`);
      seen.add(rv);
      const name = ev.object.metadata.name as string;
      if (ev.type === 'DELETED') replay.delete(name);
      else replay.set(name, { rv, data: ev.object.data });
    }
    w.close();
    for (const rv of acknowledged)
      assert.ok(seen.has(rv), `the write acknowledged at ${rv} never reached the watch`);
    const listed = new Map(
      (list.json.items as { metadata: { name: string; resourceVersion: string }; data: unknown }[])
        .filter((o) => names.includes(o.metadata.name))
        .map((o) => [o.metadata.name, { rv: o.metadata.resourceVersion, data: o.data }]),
    );
    const replayed = new Map([...replay].filter(([n]) => names.includes(n)));
    assert.deepEqual(listed, replayed);
  });
});
