// Map keys that are names of Object.prototype members (`__proto__`, `constructor`, `toString`, …) are
// ordinary keys in Kubernetes: a ConfigMap or Secret may hold them. Every way of writing an object keeps
// them, and none of them reaches a prototype (issue 12).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, startTestServer, type TestServer, watch } from './helpers.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

const CM = '/api/v1/namespaces/default/configmaps';
const KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

/** The data of a ConfigMap as its JSON text says, parsed so that `__proto__` stays a key. */
async function dataOf(name: string): Promise<Record<string, string>> {
  const res = await call(t, 'GET', `${CM}/${name}`);
  assert.equal(res.status, 200, res.text);
  return Object.fromEntries(Object.entries(JSON.parse(res.text).data ?? {})) as Record<string, string>;
}

function sorted(o: Record<string, string>): Array<[string, string]> {
  return Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1));
}

function body(name: string, data: Record<string, string>): string {
  // JSON.stringify of an object literal would not carry `__proto__`; write the text by hand.
  const pairs = Object.entries(data).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
  return `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}"},"data":{${pairs.join(',')}}}`;
}

function withKeys(value: (k: string) => string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const k of KEYS) out[k] = value(k);
  return { ...out };
}

describe('keys named after Object.prototype members', () => {
  test('create, get, list and watch keep them', async () => {
    const w = watch(t, `${CM}?watch=true`);
    assert.equal(await w.status, 200);
    const res = await call(t, 'POST', CM, {
      raw: body(
        'create',
        withKeys((k) => `v-${k}`),
      ),
    });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(sorted(await dataOf('create')), sorted(withKeys((k) => `v-${k}`)));
    const list = await call(t, 'GET', CM);
    const item = JSON.parse(list.text).items.find(
      (i: { metadata: { name: string } }) => i.metadata.name === 'create',
    );
    assert.deepEqual(Object.keys(item.data).sort(), [...KEYS].sort());
    const ev = await w.next();
    assert.equal(ev.type, 'ADDED');
    w.close();
  });

  for (const [contentType, patch] of [
    ['application/merge-patch+json', 'merge'],
    ['application/strategic-merge-patch+json', 'strategic'],
  ] as const) {
    test(`a ${patch} patch sets, changes and deletes them`, async () => {
      const name = `${patch}-patch`;
      assert.equal((await call(t, 'POST', CM, { raw: body(name, { a: 'b' }) })).status, 201);
      let res = await call(t, 'PATCH', `${CM}/${name}`, {
        raw: `{"data":{${KEYS.map((k) => `"${k}":"set"`).join(',')}}}`,
        contentType,
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(sorted(await dataOf(name)), sorted({ a: 'b', ...withKeys(() => 'set') }));
      res = await call(t, 'PATCH', `${CM}/${name}`, {
        raw: `{"data":{"__proto__":null,"constructor":"changed"}}`,
        contentType,
      });
      assert.equal(res.status, 200, res.text);
      const after = await dataOf(name);
      assert.equal(Object.hasOwn(after, '__proto__'), false);
      assert.equal(after.constructor, 'changed');
      assert.equal(after.toString, 'set');
    });
  }

  test('a JSON patch adds, copies, moves, tests and removes them', async () => {
    assert.equal((await call(t, 'POST', CM, { raw: body('json-patch', { a: 'b' }) })).status, 201);
    const res = await call(t, 'PATCH', `${CM}/json-patch`, {
      body: [
        { op: 'add', path: '/data/__proto__', value: 'p' },
        { op: 'copy', from: '/data/__proto__', path: '/data/constructor' },
        { op: 'move', from: '/data/a', path: '/data/toString' },
        { op: 'test', path: '/data/constructor', value: 'p' },
        { op: 'add', path: '/data/valueOf', value: 'gone' },
        { op: 'remove', path: '/data/valueOf' },
      ],
      contentType: 'application/json-patch+json',
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(sorted(await dataOf('json-patch')), [
      ['__proto__', 'p'],
      ['constructor', 'p'],
      ['toString', 'b'],
    ]);
    // A key that is only inherited is not there: test and remove of it fail as for any missing key.
    const missing = await call(t, 'PATCH', `${CM}/json-patch`, {
      body: [{ op: 'remove', path: '/data/hasOwnProperty' }],
      contentType: 'application/json-patch+json',
    });
    assert.equal(missing.status, 422, missing.text);
  });

  test('server-side apply creates and merges them (YAML parsing included)', async () => {
    const apply = (text: string, manager = 'test') =>
      call(t, 'PATCH', `${CM}/applied?fieldManager=${manager}`, {
        raw: text,
        contentType: 'application/apply-patch+yaml',
      });
    let res = await apply(
      body(
        'applied',
        withKeys(() => 'one'),
      ),
    );
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(sorted(await dataOf('applied')), sorted(withKeys(() => 'one')));
    // Another manager (forcing), so that the keys this configuration omits stay with the first one.
    res = await apply(
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  __proto__: two\n  toString: null\n',
      'other&force=true',
    );
    assert.equal(res.status, 200, res.text);
    const data = await dataOf('applied');
    assert.equal(Object.hasOwn(data, 'toString'), false);
    const expected = withKeys((k) => (k === '__proto__' ? 'two' : 'one'));
    assert.deepEqual(
      sorted(data),
      sorted(expected).filter(([k]) => k !== 'toString'),
    );
  });

  test('a YAML body keeps them', async () => {
    const yaml = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml-body\ndata:\n${KEYS.map((k) => `  ${k}: v\n`).join('')}`;
    const res = await call(t, 'POST', CM, { raw: yaml, contentType: 'application/yaml' });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(await dataOf('yaml-body')).sort(), [...KEYS].sort());
  });

  test('the table printer and an update with PUT keep them', async () => {
    const got = await call(t, 'GET', `${CM}/create`);
    const put = await call(t, 'PUT', `${CM}/create`, { raw: got.text.replace('"v-__proto__"', '"w"') });
    assert.equal(put.status, 200, put.text);
    assert.equal(Object.getOwnPropertyDescriptor(await dataOf('create'), '__proto__')?.value, 'w');
    const yaml = await call(t, 'GET', `${CM}/create`, { accept: 'application/yaml' });
    assert.equal(yaml.status, 200, yaml.text);
    for (const k of KEYS) assert.match(yaml.text, new RegExp(`\\n  "?${k.replace(/\$/g, '\\$')}"?: `), k);
    const table = await call(t, 'GET', `${CM}/create`, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    assert.equal(table.status, 200, table.text);
    assert.equal(table.json.rows[0].cells[1], KEYS.length);
  });
});
