// The API server as a hostile or careless local user meets it (issue 12, security): every path but the public
// health endpoints needs the token, whatever the method or the spelling of the path; anonymous users only read
// the public ones; a Secret's value never comes back in an error, a warning or an event.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PODRUN_API_PREFIX } from '../../src/apiserver/http/podrun-images.js';
import { call, startTestServer, type TestServer } from './helpers.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

interface ApiResource {
  name: string;
  namespaced: boolean;
}

/** Every path discovery tells of: each resource's collection, one object, and each subresource. */
async function discoveredPaths(): Promise<string[]> {
  const groupVersions = ['/api/v1'];
  const groups = await call(t, 'GET', '/apis');
  for (const g of groups.json.groups as { preferredVersion: { groupVersion: string } }[])
    groupVersions.push(`/apis/${g.preferredVersion.groupVersion}`);
  const paths: string[] = [];
  for (const gv of groupVersions) {
    const list = await call(t, 'GET', gv);
    assert.equal(list.status, 200, `${gv}: ${list.text}`);
    for (const r of list.json.resources as ApiResource[]) {
      const [resource, sub] = r.name.split('/');
      const base = r.namespaced ? `${gv}/namespaces/default/${resource}` : `${gv}/${resource}`;
      if (sub === undefined) paths.push(base, `${base}/some-name`);
      else paths.push(`${base}/some-name/${sub}`);
    }
  }
  return paths;
}

describe('authentication on every path', () => {
  test('without a token, every discovered path and method is 401 Unauthorized', async () => {
    const paths = [
      ...(await discoveredPaths()),
      '/api',
      '/apis',
      '/api/v1',
      '/openapi/v2',
      '/openapi/v3',
      `${PODRUN_API_PREFIX}images`,
      '/no/such/path',
      '/',
    ];
    assert.ok(paths.length > 40, `discovery lists only ${paths.length} paths`);
    const wrong: string[] = [];
    for (const path of paths) {
      for (const method of METHODS) {
        const res = await call(t, method, path, { token: null, ...(method === 'GET' ? {} : { body: {} }) });
        if (res.status !== 401 || res.json?.reason !== 'Unauthorized')
          wrong.push(`${method} ${path}: ${res.status}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('a wrong token of the right length, another scheme, or an empty bearer is 401 everywhere', async () => {
    const real = t.server.token;
    const sameLength = real.slice(0, -1) + (real.endsWith('a') ? 'b' : 'a');
    for (const auth of [sameLength, `${real}x`, '', ' ']) {
      for (const path of ['/api/v1/namespaces/default/secrets', '/livez', '/version']) {
        const res = await call(t, 'GET', path, { token: auth });
        assert.equal(res.status, 401, `token ${JSON.stringify(auth)} on ${path}: ${res.text}`);
      }
    }
  });

  test('the bearer scheme is case-insensitive, as upstream reads it; Basic is not a bearer', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const res = await call(t, 'GET', '/api/v1/namespaces', {
        token: null,
        headers: { Authorization: `${scheme} ${t.server.token}` },
      });
      assert.equal(res.status, 200, `${scheme}: ${res.status}`);
    }
    const basic = await call(t, 'GET', '/api/v1/namespaces', {
      token: null,
      headers: { Authorization: `Basic ${t.server.token}` },
    });
    assert.equal(basic.status, 401);
  });

  test('paths that only look public need the token: dot segments, escapes, trailing parts', async () => {
    for (const path of [
      '/livez/../api/v1/namespaces/default/secrets',
      '/livez%2F..%2Fapi%2Fv1%2Fsecrets',
      '/livez/secrets',
      '/version/../api/v1/secrets',
      '/healthzz',
      '/LIVEZ',
    ]) {
      const res = await call(t, 'GET', path, { token: null, rawPath: true });
      assert.equal(res.status, 401, `${path}: ${res.status} ${res.text}`);
    }
  });

  test('anonymous users read the public paths and may do nothing else there', async () => {
    for (const path of ['/livez', '/readyz', '/healthz', '/version']) {
      assert.equal((await call(t, 'GET', path, { token: null })).status, 200, path);
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
        const res = await call(t, method, path, { token: null, body: {} });
        assert.equal(res.status, 403, `${method} ${path}: ${res.text}`);
        assert.equal(
          res.json.message,
          `forbidden: User "system:anonymous" cannot ${method.toLowerCase()} path "${path}"`,
        );
      }
    }
  });
});

describe("a Secret's value is never echoed", () => {
  const SECRET = 'hunter2-s3cr3t-VALUE';
  const secretB64 = Buffer.from(SECRET).toString('base64');
  const SECRETS = '/api/v1/namespaces/default/secrets';

  /** Every way the server could say a value back: the body, and each header (warnings included). */
  function assertNotEchoed(what: string, res: { text: string; headers: Record<string, unknown> }): void {
    for (const needle of [SECRET, secretB64]) {
      assert.ok(!res.text.includes(needle), `${what}: the body repeats the value: ${res.text.slice(0, 300)}`);
      assert.ok(
        !JSON.stringify(res.headers).includes(needle),
        `${what}: a header repeats the value: ${JSON.stringify(res.headers)}`,
      );
    }
  }

  test('refused creates, updates and patches of a Secret answer without its value', async () => {
    const base = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' } };
    const created = await call(t, 'POST', SECRETS, { body: { ...base, stringData: { password: SECRET } } });
    assert.equal(created.status, 201, created.text);
    const refusals: [string, () => ReturnType<typeof call>][] = [
      [
        'a key that is not a valid name',
        () =>
          call(t, 'POST', SECRETS, {
            body: { ...base, metadata: { name: 'k' }, data: { 'bad key!': secretB64 } },
          }),
      ],
      [
        'data that is not base64',
        () =>
          call(t, 'POST', SECRETS, {
            body: { ...base, metadata: { name: 'b' }, data: { password: `${SECRET}!!` } },
          }),
      ],
      [
        'an unknown field beside the value',
        () =>
          call(t, 'POST', `${SECRETS}?fieldValidation=Strict`, {
            body: { ...base, metadata: { name: 'u' }, stringData: { password: SECRET }, extra: SECRET },
          }),
      ],
      [
        'a create of an existing name',
        () => call(t, 'POST', SECRETS, { body: { ...base, stringData: { password: SECRET } } }),
      ],
      [
        'an immutable change',
        async () => {
          await call(t, 'POST', SECRETS, {
            body: { ...base, metadata: { name: 'imm' }, immutable: true, stringData: { password: SECRET } },
          });
          return call(t, 'PUT', `${SECRETS}/imm`, {
            body: {
              ...base,
              metadata: { name: 'imm' },
              immutable: true,
              stringData: { password: `${SECRET}2` },
            },
          });
        },
      ],
      [
        'a type change',
        () =>
          call(t, 'PATCH', `${SECRETS}/db`, {
            body: { type: 'kubernetes.io/tls' },
            contentType: 'application/merge-patch+json',
          }),
      ],
      [
        'a JSON patch test that fails',
        () =>
          call(t, 'PATCH', `${SECRETS}/db`, {
            body: [{ op: 'test', path: '/data/password', value: 'nope' }],
            contentType: 'application/json-patch+json',
          }),
      ],
      [
        'a conflicting resourceVersion',
        () =>
          call(t, 'PUT', `${SECRETS}/db`, {
            body: {
              ...base,
              metadata: { name: 'db', resourceVersion: '1' },
              stringData: { password: SECRET },
            },
          }),
      ],
    ];
    for (const [what, send] of refusals) {
      const res = await send();
      assert.ok(res.status >= 400, `${what}: ${res.status}`);
      assertNotEchoed(what, res);
    }
  });

  test('stringData is write-only: merged into data over the same key, never stored or returned', async () => {
    const body = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'merged' },
      data: { a: Buffer.from('old').toString('base64'), b: Buffer.from('kept').toString('base64') },
      stringData: { a: SECRET },
    };
    const created = await call(t, 'POST', SECRETS, { body });
    assert.equal(created.status, 201, created.text);
    const got = await call(t, 'GET', `${SECRETS}/merged`);
    assert.equal(got.json.stringData, undefined);
    assert.deepEqual(got.json.data, { a: secretB64, b: Buffer.from('kept').toString('base64') });
    const patched = await call(t, 'PATCH', `${SECRETS}/merged`, {
      body: { stringData: { b: 'new' } },
      contentType: 'application/merge-patch+json',
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.json.stringData, undefined);
    assert.equal(patched.json.data.b, Buffer.from('new').toString('base64'));
  });

  test('events about the Secret name it, never its value', async () => {
    const events = await call(t, 'GET', '/api/v1/events');
    assert.equal(events.status, 200);
    assertNotEchoed('events', events);
  });
});
