import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { prefixFromUserAgent } from '../../src/apiserver/managed-fields.js';
import { call, startTestServer, type TestServer } from './helpers.js';

const CM = '/api/v1/namespaces/default/configmaps';

function applyCM(t: TestServer, name: string, manager: string, data: Record<string, string>, force = false) {
  return call(t, 'PATCH', `${CM}/${name}?fieldManager=${manager}${force ? '&force=true' : ''}`, {
    raw: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data }),
    contentType: 'application/apply-patch+yaml',
  });
}

interface Entry {
  manager: string;
  subresource?: string;
  fieldsV1: Record<string, unknown>;
}
function owner(obj: { metadata: { managedFields: Entry[] } }, manager: string): Entry {
  const e = obj.metadata.managedFields.find((x) => x.manager === manager);
  assert.ok(e, `no managedFields entry of ${manager}`);
  return e;
}
const managers = (obj: { metadata: { managedFields: Entry[] } }): string[] =>
  obj.metadata.managedFields.map((e) => e.manager);

describe('server-side apply and managedFields over HTTP', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t.close();
  });

  test('a create records an Update entry for the manager the User-Agent names', async () => {
    const res = await call(t, 'POST', CM, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ua' }, data: { a: '1' } },
      headers: { 'User-Agent': 'kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07' },
    });
    assert.equal(res.status, 201);
    const [entry] = res.json.metadata.managedFields;
    assert.deepEqual(Object.keys(entry), [
      'manager',
      'operation',
      'apiVersion',
      'time',
      'fieldsType',
      'fieldsV1',
    ]);
    assert.equal(entry.manager, 'kubectl');
    assert.equal(entry.operation, 'Update');
    assert.equal(entry.apiVersion, 'v1');
    assert.equal(entry.fieldsType, 'FieldsV1');
    assert.deepEqual(entry.fieldsV1, { 'f:data': { '.': {}, 'f:a': {} } });
    const named = await call(t, 'PUT', `${CM}/ua?fieldManager=kubectl-edit`, {
      body: { ...res.json, data: { a: '1', b: '2' } },
    });
    assert.deepEqual(owner(named.json, 'kubectl-edit').fieldsV1, { 'f:data': { 'f:b': {} } });
  });

  test('a second manager applying another value is a 409 with upstream message and causes; force takes over', async () => {
    assert.equal((await applyCM(t, 'owned', 'alpha', { owner: 'alpha' })).status, 201);
    const refused = await applyCM(t, 'owned', 'beta', { owner: 'beta' });
    assert.equal(refused.status, 409);
    assert.equal(refused.json.reason, 'Conflict');
    assert.equal(refused.json.message, 'Apply failed with 1 conflict: conflict with "alpha": .data.owner');
    assert.deepEqual(refused.json.details, {
      causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "alpha"', field: '.data.owner' }],
    });
    const forced = await applyCM(t, 'owned', 'beta', { owner: 'beta' }, true);
    assert.equal(forced.status, 200);
    assert.equal(forced.json.data.owner, 'beta');
    assert.deepEqual(managers(forced.json), ['beta']);
  });

  test('equal values are shared; an applier omitting a field removes it unless someone else owns it', async () => {
    await applyCM(t, 'shared', 'alpha', { s: 'x', only: '1' });
    const second = await applyCM(t, 'shared', 'beta', { s: 'x' });
    assert.equal(second.status, 200);
    assert.deepEqual(managers(second.json).sort(), ['alpha', 'beta']);
    const third = await applyCM(t, 'shared', 'alpha', {});
    assert.deepEqual(third.json.data, { s: 'x' });
  });

  test('an Update changing an applied field takes it; the applier then conflicts with "<manager>" using v1', async () => {
    await applyCM(t, 'edited', 'alpha', { k: '1' });
    const edit = await call(t, 'PATCH', `${CM}/edited?fieldManager=kubectl-edit`, {
      body: { data: { k: '2' } },
      contentType: 'application/merge-patch+json',
    });
    assert.equal(edit.status, 200);
    const res = await applyCM(t, 'edited', 'alpha', { k: '3' });
    assert.equal(res.status, 409);
    assert.equal(
      res.json.message,
      'Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.k',
    );
  });

  test('a client may rewrite managedFields; an empty list resets them; an apply may not carry them', async () => {
    const created = await applyCM(t, 'reset', 'alpha', { a: '1' });
    const put = await call(t, 'PUT', `${CM}/reset?fieldManager=writer`, {
      body: {
        ...created.json,
        metadata: { ...created.json.metadata, managedFields: [], labels: { l: 'v' } },
      },
    });
    assert.equal(put.status, 200);
    assert.deepEqual(managers(put.json), ['writer']);
    assert.deepEqual(owner(put.json, 'writer').fieldsV1, {
      'f:metadata': { 'f:labels': { '.': {}, 'f:l': {} } },
    });
    const bad = await call(t, 'PATCH', `${CM}/reset?fieldManager=alpha`, {
      raw: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'reset', managedFields: [] },
      }),
      contentType: 'application/apply-patch+yaml',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.message, 'metadata.managedFields must be nil');
  });

  test('status writes are owned per subresource; the main resource does not own status', async () => {
    const pods = '/api/v1/namespaces/default/pods';
    const created = await call(t, 'POST', `${pods}?fieldManager=creator`, {
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'st' },
        spec: { containers: [{ name: 'c', image: 'i' }] },
      },
    });
    assert.equal(created.status, 201);
    assert.equal(owner(created.json, 'creator').fieldsV1['f:status'], undefined);
    const status = await call(t, 'PATCH', `${pods}/st/status?fieldManager=kubelet`, {
      body: { status: { message: 'hello' } },
      contentType: 'application/merge-patch+json',
    });
    const entry = owner(status.json, 'kubelet');
    assert.equal(entry.subresource, 'status');
    assert.deepEqual(entry.fieldsV1, { 'f:status': { 'f:message': {} } });
    assert.ok(owner(status.json, 'creator'), 'the creator keeps its spec fields');
  });

  test('two concurrent applies of one field by different managers: one creates (201), the other conflicts (409)', async () => {
    const [a, b] = await Promise.all([
      applyCM(t, 'race', 'one', { f: '1' }),
      applyCM(t, 'race', 'two', { f: '2' }),
    ]);
    assert.deepEqual([a.status, b.status].sort(), [201, 409]);
  });

  test('the default manager is the User-Agent up to its first slash, printable characters only', () => {
    assert.equal(prefixFromUserAgent('kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07'), 'kubectl');
    assert.equal(prefixFromUserAgent('OpenAPI-Generator/31.0.0/python'), 'OpenAPI-Generator');
    assert.equal(prefixFromUserAgent('a\u0007b c/1'), 'ab c');
    assert.equal(prefixFromUserAgent('x'.repeat(200)).length, 128);
    assert.equal(prefixFromUserAgent(undefined), '');
  });

  test("a kubelet status write leaves the other managers' entries exactly as they were", async () => {
    const pods = '/api/v1/namespaces/default/pods';
    const created = await call(t, 'POST', `${pods}?fieldManager=creator`, {
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'kept' },
        spec: { containers: [{ name: 'c', image: 'i' }] },
      },
    });
    const before = JSON.stringify(owner(created.json, 'creator'));
    const pod = await t.registry.writePodStatus('default', 'kept', created.json.metadata.uid, {
      phase: 'Running',
    });
    assert.ok(pod);
    const entries = pod.metadata.managedFields ?? [];
    assert.equal(JSON.stringify(entries.find((e) => e.manager === 'creator')), before);
    assert.deepEqual(
      entries.map((e) => [e.manager, e.operation, e.subresource]),
      [
        ['creator', 'Update', undefined],
        ['kubelet', 'Update', 'status'],
      ],
    );
  });
});
