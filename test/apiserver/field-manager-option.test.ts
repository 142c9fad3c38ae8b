// The fieldManager parameter as ValidateCreateOptions / UpdateOptions / PatchOptions check it: at most 128 bytes,
// printable characters only; refused before anything is written.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, startTestServer, type TestServer } from './helpers.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(() => t.close());

const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: 'b' } });
const path = '/api/v1/namespaces/default/configmaps';

test('a field manager over 128 bytes, or with a character that does not print, is refused', async () => {
  const long = await call(t, 'POST', `${path}?fieldManager=${'a'.repeat(129)}`, { body: cm('long') });
  assert.equal(long.status, 422);
  assert.equal(
    long.json.message,
    'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: must have at most 128 bytes',
  );
  const newline = await call(t, 'POST', `${path}?fieldManager=a%0Ab`, { body: cm('newline') });
  assert.equal(newline.status, 422);
  assert.match(
    newline.json.message,
    /fieldManager: Invalid value: "a\\nb": invalid character U\+000A \(at position 1\)/,
  );
  const patch = await call(t, 'PATCH', `${path}/none?fieldManager=%07`, {
    body: {},
    contentType: 'application/merge-patch+json',
  });
  assert.match(patch.json.message, /^PatchOptions\.meta\.k8s\.io "" is invalid/);
  const stored = await t.registry.list('configmaps', 'default', {});
  assert.deepEqual(
    stored.items.map((o) => o.metadata.name),
    [],
  );
});

test('128 bytes of printable characters, spaces and other scripts included, are a field manager', async () => {
  const name = `é ${'m'.repeat(125)}`;
  assert.equal(Buffer.byteLength(name), 128);
  const res = await call(t, 'POST', `${path}?fieldManager=${encodeURIComponent(name)}`, { body: cm('ok') });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.json.metadata.managedFields[0].manager, name);
});

test('managedFields a client writes are held to the same rules (ValidateManagedFields)', async () => {
  const entry = (manager: string) => ({
    manager,
    operation: 'Update',
    apiVersion: 'v1',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:data': {} },
  });
  const created = await call(t, 'POST', path, { body: cm('mf') });
  assert.equal(created.status, 201);
  const put = (managedFields: unknown[]) =>
    call(t, 'PUT', `${path}/mf`, {
      body: {
        ...created.json,
        metadata: { ...created.json.metadata, resourceVersion: undefined, managedFields },
      },
    });
  const newline = await put([entry('a\nb')]);
  assert.equal(newline.status, 422, newline.text);
  assert.match(
    newline.json.message,
    /metadata\.managedFields\[0\]\.manager: Invalid value: "a\\nb": invalid character U\+000A/,
  );
  const long = await put([entry('m'.repeat(900))]);
  assert.match(
    long.json.message,
    /metadata\.managedFields\[0\]\.manager: Too long: must have at most 128 bytes/,
  );
});
