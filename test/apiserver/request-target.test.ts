// The request target read as sent: `..` and `%2e%2e` segments are names, not directions, and a path with a
// long run of slashes is trimmed in one pass; a collection DELETE across namespaces is not served (upstream
// serves only list and watch there).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requestTarget, trimTrailingSlashes } from '../../src/apiserver/http/request-url.js';
import { call, startTestServer, type TestServer } from './helpers.js';

describe('requestTarget', () => {
  test('keeps dot segments and escapes as sent, and splits off the query', () => {
    const t = requestTarget('/api/v1/namespaces/%2e%2e/pods/../x?labelSelector=a%3Db&watch=1');
    assert.equal(t.pathname, '/api/v1/namespaces/%2e%2e/pods/../x');
    assert.equal(t.searchParams.get('labelSelector'), 'a=b');
    assert.equal(requestTarget('https://example.test/api/v1/pods/?x=1').path, '/api/v1/pods');
    assert.equal(requestTarget(undefined).path, '/');
    assert.equal(requestTarget('///').path, '/');
  });

  test('trims trailing slashes only, also after a run of them inside the path', () => {
    const run = '/'.repeat(200_000);
    assert.equal(trimTrailingSlashes(`/a${run}x${run}`), `/a${run}x`);
    assert.equal(trimTrailingSlashes('/api/v1/'), '/api/v1');
  });
});

describe('paths that would reach further than they say', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    await call(t, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'victim' } } });
    for (const ns of ['default', 'victim']) {
      await call(t, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { metadata: { name: 'keep' } } });
    }
  });
  after(() => t.close());

  const configMaps = async () =>
    (await t.registry.list('configmaps', undefined, {})).items.map((o) => o.metadata.namespace).sort();

  test('a collection DELETE across namespaces is 405, and deletes nothing', async () => {
    const res = await call(t, 'DELETE', '/api/v1/configmaps');
    assert.equal(res.status, 405);
    assert.equal(res.json.reason, 'MethodNotAllowed');
    assert.deepEqual(await configMaps(), ['default', 'victim']);
  });

  test('%2e%2e as a namespace is a namespace named "..", not the cluster', async () => {
    // A namespace that does not exist has nothing to delete (200 and an empty list).
    const res = await call(t, 'DELETE', '/api/v1/namespaces/%2e%2e/configmaps', { rawPath: true });
    assert.deepEqual(res.json.items, []);
    assert.deepEqual(await configMaps(), ['default', 'victim']);
  });

  test('%2e%2e as a name is not the namespace above it', async () => {
    const get = await call(t, 'GET', '/api/v1/namespaces/victim/configmaps/%2E%2E', { rawPath: true });
    assert.equal(get.status, 404);
    const del = await call(t, 'DELETE', '/api/v1/namespaces/victim/configmaps/%2e%2e', { rawPath: true });
    assert.equal(del.status, 404);
    const ns = await call(t, 'GET', '/api/v1/namespaces/victim');
    assert.equal(ns.json.status.phase, 'Active');
  });

  test('a long run of slashes inside the path is answered', async () => {
    const res = await call(t, 'GET', `/a${'/'.repeat(100_000)}x`, { rawPath: true, token: null });
    assert.equal(res.status, 401);
  });
});
