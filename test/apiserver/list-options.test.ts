// A list's own parameters, decoded and checked as upstream's ListOptions: limit is an int64, and
// resourceVersionMatch takes Exact or NotOlderThan with a resourceVersion.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, startTestServer, type TestServer } from './helpers.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(() => t.close());

const PODS = '/api/v1/namespaces/default/pods';

test('limit must be an integer', async () => {
  const res = await call(t, 'GET', `${PODS}?limit=abc`);
  assert.equal(res.status, 400);
  assert.equal(res.json.message, 'strconv.ParseInt: parsing "abc": invalid syntax');
  assert.equal((await call(t, 'GET', `${PODS}?limit=500`)).status, 200);
});

test('resourceVersionMatch: a supported value, with a resourceVersion', async () => {
  const bogus = await call(t, 'GET', `${PODS}?resourceVersionMatch=Bogus&resourceVersion=1`);
  assert.equal(bogus.status, 422);
  assert.equal(
    bogus.json.message,
    'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Bogus": supported values: "Exact", "NotOlderThan", ""',
  );
  const alone = await call(t, 'GET', `${PODS}?resourceVersionMatch=NotOlderThan`);
  assert.equal(alone.status, 422);
  assert.match(alone.json.message, /resourceVersionMatch is forbidden unless resourceVersion is provided/);
  const ok = await call(t, 'GET', `${PODS}?resourceVersionMatch=NotOlderThan&resourceVersion=0`);
  assert.equal(ok.status, 200, ok.text);
});

test('a watch and a collection delete decode limit too; a collection delete checks resourceVersionMatch', async () => {
  const watch = await call(t, 'GET', `${PODS}?watch=1&limit=abc`);
  assert.equal(watch.status, 400);
  await call(t, 'POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'kept' } } });
  const del = await call(t, 'DELETE', '/api/v1/namespaces/default/configmaps?limit=abc');
  assert.equal(del.status, 400);
  const match = await call(t, 'DELETE', '/api/v1/namespaces/default/configmaps?resourceVersionMatch=Bogus');
  assert.equal(match.status, 422);
  assert.equal((await call(t, 'GET', '/api/v1/namespaces/default/configmaps/kept')).status, 200);
});
