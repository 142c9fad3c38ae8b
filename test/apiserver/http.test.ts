import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, pod, startTestServer, type TestServer, watch } from './helpers.js';

const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const AGG_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

let t: TestServer;
before(async () => {
  t = await startTestServer({ bookmarkIntervalMs: 100 });
});
after(async () => {
  await t.close();
});

describe('security', () => {
  test('a request without the bearer token is 401 Unauthorized', async () => {
    const res = await call(t, 'GET', '/api/v1/namespaces/default/pods', { token: null });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
    const wrong = await call(t, 'GET', '/api', { token: 'nope' });
    assert.equal(wrong.status, 401);
  });

  test('health endpoints and /version answer without a token, but not with a wrong one', async () => {
    for (const p of ['/livez', '/readyz', '/healthz']) {
      const res = await call(t, 'GET', p, { token: null });
      assert.equal(res.status, 200);
      assert.equal(res.text, 'ok');
    }
    assert.equal((await call(t, 'GET', '/version', { token: null })).status, 200);
    assert.equal((await call(t, 'GET', '/healthz', { token: 'wrong' })).status, 401);
  });

  test('the token and private keys are readable by the owner only', async () => {
    for (const f of ['token', 'pki/ca.key', 'pki/apiserver.key']) {
      const st = await stat(join(t.stateDir, f));
      assert.equal(st.mode & 0o777, 0o600, f);
    }
  });

  test('the serving certificate is reused on restart', async () => {
    const { ensureServingCredentials } = await import('../../src/apiserver/http/tls.js');
    const a = await ensureServingCredentials(t.stateDir, '127.0.0.1');
    const b = await ensureServingCredentials(t.stateDir, '127.0.0.1');
    assert.equal(a.cert, b.cert);
    assert.equal(a.token, t.server.token);
  });

  test("TLS 1.3: the server chooses AES-128-GCM, as Go's servers do, whatever order the client offers", async () => {
    const { connect } = await import('node:tls');
    const url = new URL(t.server.url);
    for (const offered of [
      // Go's client on a CPU with AES instructions (kubectl), then Node's default order.
      'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
      'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256',
    ]) {
      const socket = connect({ host: url.hostname, port: Number(url.port), ca: t.ca, ciphers: offered });
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      });
      assert.equal(socket.getProtocol(), 'TLSv1.3');
      assert.equal(socket.getCipher().standardName, 'TLS_AES_128_GCM_SHA256', offered);
      socket.destroy();
    }
  });
});

describe('version and discovery', () => {
  test('/version reports minor 32 so the kubectl dispatcher picks kubectl 1.32', async () => {
    const res = await call(t, 'GET', '/version?timeout=5s');
    assert.equal(res.json.major, '1');
    assert.equal(res.json.minor, '32');
    assert.match(res.json.gitVersion, /^v1\.32\.0/);
  });

  test('aggregated discovery answers with its own content type, short names and subresources', async () => {
    const res = await call(t, 'GET', '/api?timeout=32s', { accept: AGG_ACCEPT });
    assert.equal(
      res.headers['content-type'],
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    );
    const pods = res.json.items[0].versions[0].resources.find(
      (r: { resource: string }) => r.resource === 'pods',
    );
    assert.deepEqual(pods.shortNames, ['po']);
    assert.deepEqual(pods.categories, ['all']);
    assert.equal(pods.scope, 'Namespaced');
    assert.deepEqual(
      pods.subresources.map((s: { subresource: string }) => s.subresource),
      ['status', 'log', 'ephemeralcontainers', 'exec', 'attach', 'portforward', 'eviction'],
    );
    // kubectl drain finds the Eviction API through the subresource's kind.
    assert.deepEqual(
      pods.subresources.find((s: { subresource: string }) => s.subresource === 'eviction'),
      {
        subresource: 'eviction',
        responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' },
        verbs: ['create'],
      },
    );
    const apis = await call(t, 'GET', '/apis', { accept: AGG_ACCEPT });
    assert.deepEqual(
      apis.json.items.map((g: { metadata: { name: string } }) => g.metadata.name),
      [
        'apps',
        'batch',
        'coordination.k8s.io',
        'discovery.k8s.io',
        'storage.k8s.io',
        'rbac.authorization.k8s.io',
        'authentication.k8s.io',
        'authorization.k8s.io',
        'policy',
        'networking.k8s.io',
        'scheduling.k8s.io',
        'apiregistration.k8s.io',
        'autoscaling',
        'metrics.k8s.io',
      ],
    );
    const discovery = apis.json.items.find(
      (g: { metadata: { name: string } }) => g.metadata.name === 'discovery.k8s.io',
    ).versions[0];
    assert.equal(discovery.version, 'v1');
    assert.deepEqual(discovery.resources, [
      {
        resource: 'endpointslices',
        responseKind: { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' },
        scope: 'Namespaced',
        singularResource: 'endpointslice',
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      },
    ]);
  });

  test('legacy discovery serves /api, /apis, /api/v1 and /apis/apps/v1', async () => {
    const api = await call(t, 'GET', '/api');
    assert.equal(api.json.kind, 'APIVersions');
    assert.deepEqual(api.json.versions, ['v1']);
    const apis = await call(t, 'GET', '/apis');
    assert.equal(apis.json.kind, 'APIGroupList');
    const v1 = await call(t, 'GET', '/api/v1');
    assert.ok(v1.json.resources.some((r: { name: string }) => r.name === 'pods/log'));
    const apps = await call(t, 'GET', '/apis/apps/v1');
    assert.equal(apps.json.groupVersion, 'apps/v1');
    const group = await call(t, 'GET', '/apis/batch');
    assert.equal(group.json.kind, 'APIGroup');
  });

  test('OpenAPI v3 declares fieldValidation on patch, and v2 is an empty document', async () => {
    const root = await call(t, 'GET', '/openapi/v3');
    const url: string = root.json.paths['apis/apps/v1'].serverRelativeURL;
    assert.match(url, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]+$/);
    const doc = await call(t, 'GET', url);
    const op = doc.json.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    assert.deepEqual(op['x-kubernetes-group-version-kind'], {
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
    });
    assert.ok(op.parameters.some((p: { name: string }) => p.name === 'fieldValidation'));
    const v2 = await call(t, 'GET', '/openapi/v2', {
      accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf',
    });
    assert.equal(v2.status, 200);
    assert.equal(v2.text, '');
  });

  test('an unknown path is 404 with the upstream message', async () => {
    const res = await call(t, 'GET', '/api/v1/widgets');
    assert.equal(res.status, 404);
    assert.equal(res.json.message, 'the server could not find the requested resource');
  });
});

describe('resources', () => {
  test('a missing object is 404 NotFound in Status form', async () => {
    const res = await call(t, 'GET', '/api/v1/namespaces/default/pods/nope');
    assert.equal(res.status, 404);
    assert.deepEqual(res.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'pods' },
      code: 404,
    });
  });

  test('POST creates (201), a second POST is 409 AlreadyExists', async () => {
    const res = await call(t, 'POST', '/api/v1/namespaces/default/pods', { body: pod('created') });
    assert.equal(res.status, 201);
    assert.equal(res.json.metadata.name, 'created');
    const again = await call(t, 'POST', '/api/v1/namespaces/default/pods', { body: pod('created') });
    assert.equal(again.status, 409);
    assert.equal(again.json.reason, 'AlreadyExists');
  });

  test('a list is a PodList with a resourceVersion, a Table when asked for', async () => {
    await call(t, 'POST', '/api/v1/namespaces/default/pods', { body: pod('listed') });
    const list = await call(t, 'GET', '/api/v1/namespaces/default/pods?limit=500');
    assert.equal(list.json.kind, 'PodList');
    assert.equal(list.json.apiVersion, 'v1');
    assert.match(list.json.metadata.resourceVersion, /^\d+$/);
    assert.equal(list.json.items[0].kind, 'Pod');
    const table = await call(t, 'GET', '/api/v1/namespaces/default/pods?limit=500', { accept: TABLE_ACCEPT });
    assert.equal(table.json.kind, 'Table');
    assert.equal(table.json.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(
      table.json.columnDefinitions.slice(0, 5).map((c: { name: string }) => c.name),
      ['Name', 'Ready', 'Status', 'Restarts', 'Age'],
    );
    const row = table.json.rows.find((r: { cells: unknown[] }) => r.cells[0] === 'listed');
    assert.equal(row.object.kind, 'PartialObjectMetadata');
    assert.equal(row.object.metadata.name, 'listed');
    const none = await call(t, 'GET', '/api/v1/namespaces/default/pods?includeObject=None', {
      accept: TABLE_ACCEPT,
    });
    assert.equal(none.json.rows[0].object, undefined);
  });

  test('label and field selectors filter lists; a bad selector is 400', async () => {
    const sel = await call(t, 'GET', '/api/v1/pods?labelSelector=app%3Dlisted');
    assert.deepEqual(
      sel.json.items.map((p: { metadata: { name: string } }) => p.metadata.name),
      ['listed'],
    );
    const field = await call(
      t,
      'GET',
      '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dcreated',
    );
    assert.equal(field.json.items.length, 1);
    const bad = await call(t, 'GET', '/api/v1/pods?fieldSelector=spec.bogus%3Dx');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.reason, 'BadRequest');
  });

  test('a stale PUT is 409 Conflict', async () => {
    const created = await call(t, 'POST', '/api/v1/namespaces/default/configmaps', {
      body: { metadata: { name: 'cfg' }, data: { a: '1' } },
    });
    const v1 = created.json;
    const ok = await call(t, 'PUT', '/api/v1/namespaces/default/configmaps/cfg', {
      body: { ...v1, data: { a: '2' } },
    });
    assert.equal(ok.status, 200);
    const stale = await call(t, 'PUT', '/api/v1/namespaces/default/configmaps/cfg', {
      body: { ...v1, data: { a: '3' } },
    });
    assert.equal(stale.status, 409);
    assert.equal(
      stale.json.message,
      'Operation cannot be fulfilled on configmaps "cfg": the object has been modified; please apply your changes to the latest version and try again',
    );
    assert.equal(stale.json.reason, 'Conflict');
  });

  test('an invalid object is 422 Invalid with causes', async () => {
    const res = await call(t, 'POST', '/api/v1/namespaces/default/pods', {
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'bad' },
        spec: { containers: [{ name: 'c' }] },
      },
    });
    assert.equal(res.status, 422);
    assert.equal(res.json.message, 'Pod "bad" is invalid: spec.containers[0].image: Required value');
    assert.deepEqual(res.json.details.causes, [
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' },
    ]);
  });

  test('fieldValidation=Strict rejects an unknown field with 400; Warn answers with a Warning header', async () => {
    const body = pod('strict', {
      spec: { containers: [{ name: 'app', image: 'busybox', imagee: 'typo' }] },
    });
    const strict = await call(t, 'POST', '/api/v1/namespaces/default/pods?fieldValidation=Strict', { body });
    assert.equal(strict.status, 400);
    assert.equal(
      strict.json.message,
      'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee"',
    );
    const patched = await call(t, 'PATCH', '/api/v1/namespaces/default/pods/created?fieldValidation=Strict', {
      body: { spec: { bogus: 1 } },
      contentType: 'application/merge-patch+json',
    });
    assert.equal(patched.status, 400);
    assert.equal(patched.json.message, 'strict decoding error: unknown field "spec.bogus"');
    const warn = await call(t, 'POST', '/api/v1/namespaces/default/pods?fieldValidation=Warn', { body });
    assert.equal(warn.status, 201);
    assert.equal(warn.headers.warning, '299 - "unknown field \\"spec.containers[0].imagee\\""');
    const bogus = await call(t, 'POST', '/api/v1/namespaces/default/pods?fieldValidation=Sometimes', {
      body,
    });
    assert.equal(bogus.status, 400);
  });

  test('broken JSON is 400, an unknown media type 415, an unacceptable Accept 406', async () => {
    const broken = await call(t, 'POST', '/api/v1/namespaces/default/configmaps', { raw: '{"metadata":' });
    assert.equal(broken.status, 400);
    assert.match(broken.json.message, /^the request body is not valid JSON: /);
    const proto = await call(t, 'POST', '/api/v1/namespaces/default/configmaps', {
      raw: 'x',
      contentType: 'application/vnd.kubernetes.protobuf',
    });
    assert.equal(proto.status, 400);
    assert.match(proto.json.message, /^the request body is not a valid Kubernetes protobuf object: /);
    const cbor = await call(t, 'POST', '/api/v1/namespaces/default/configmaps', {
      raw: 'x',
      contentType: 'application/cbor',
    });
    assert.equal(cbor.status, 415);
    assert.equal(cbor.json.reason, 'UnsupportedMediaType');
    const patch = await call(t, 'PATCH', '/api/v1/namespaces/default/configmaps/cfg', {
      raw: '{}',
      contentType: 'text/plain',
    });
    assert.equal(patch.status, 415);
    const accept = await call(t, 'GET', '/api/v1/namespaces/default/configmaps', { accept: 'text/html' });
    assert.equal(accept.status, 406);
    assert.equal(accept.json.reason, 'NotAcceptable');
    const protoAccept = await call(t, 'GET', '/api/v1/namespaces/default/configmaps', {
      accept: 'application/vnd.kubernetes.protobuf',
    });
    assert.equal(protoAccept.status, 200);
    assert.equal(protoAccept.json.kind, 'ConfigMapList');
  });

  test('a body over 3 MiB is 413', async () => {
    const res = await call(t, 'POST', '/api/v1/namespaces/default/configmaps', {
      body: { metadata: { name: 'big' }, data: { a: 'x'.repeat(3 * 1024 * 1024 + 10) } },
    });
    assert.equal(res.status, 413);
    assert.equal(res.json.reason, 'RequestEntityTooLarge');
  });

  test('an unsupported verb is 405 MethodNotAllowed', async () => {
    const res = await call(t, 'DELETE', '/api/v1/namespaces');
    assert.equal(res.status, 405);
    assert.equal(res.json.reason, 'MethodNotAllowed');
    const post = await call(t, 'POST', '/api/v1/namespaces/default/pods/x');
    assert.equal(post.status, 405);
  });

  test('deleting the default namespace is 403 Forbidden', async () => {
    const res = await call(t, 'DELETE', '/api/v1/namespaces/default');
    assert.equal(res.status, 403);
    assert.equal(res.json.message, 'namespaces "default" is forbidden: this namespace may not be deleted');
  });

  test('a write into a missing namespace is 404 namespaces "x" not found', async () => {
    const res = await call(t, 'POST', '/api/v1/namespaces/x/pods', { body: pod('p') });
    assert.equal(res.status, 404);
    assert.equal(res.json.message, 'namespaces "x" not found');
  });

  test('server-side apply creates (201) and then updates (200)', async () => {
    const body = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ssa' },
      data: { a: '1' },
    });
    const q = '?fieldManager=kubectl&fieldValidation=Strict&force=false';
    const first = await call(t, 'PATCH', `/api/v1/namespaces/default/configmaps/ssa${q}`, {
      raw: body,
      contentType: 'application/apply-patch+yaml',
    });
    assert.equal(first.status, 201);
    const second = await call(t, 'PATCH', `/api/v1/namespaces/default/configmaps/ssa${q}`, {
      raw: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: "2"\n',
      contentType: 'application/apply-patch+yaml',
    });
    assert.equal(second.status, 200);
    assert.equal(second.json.data.a, '2');
  });

  test('a strategic merge patch deletes a list element by merge key', async () => {
    await call(t, 'POST', '/api/v1/namespaces/default/pods', {
      body: pod('smp', {
        spec: {
          containers: [
            {
              name: 'one',
              image: 'busybox',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
          ],
        },
      }),
    });
    const res = await call(t, 'PATCH', '/api/v1/namespaces/default/pods/smp', {
      body: { metadata: { labels: { extra: 'yes' } } },
      contentType: 'application/strategic-merge-patch+json',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json.metadata.labels, { app: 'smp', extra: 'yes' });
  });

  test('status GET/PUT/PATCH act on the status subresource', async () => {
    const got = await call(t, 'GET', '/api/v1/namespaces/default/pods/created/status');
    assert.equal(got.status, 200);
    const put = await call(t, 'PUT', '/api/v1/namespaces/default/pods/created/status', {
      body: { ...got.json, status: { phase: 'Running' } },
    });
    assert.equal(put.json.status.phase, 'Running');
    const patched = await call(t, 'PATCH', '/api/v1/namespaces/default/pods/created/status', {
      body: { status: { podIP: '10.0.0.9' } },
      contentType: 'application/merge-patch+json',
    });
    assert.equal(patched.json.status.podIP, '10.0.0.9');
    assert.equal(patched.json.status.phase, 'Running');
  });

  test('DELETE of a configmap answers Status Success; of a pod, the pod', async () => {
    const cm = await call(t, 'DELETE', '/api/v1/namespaces/default/configmaps/ssa', {
      body: { propagationPolicy: 'Background' },
    });
    assert.equal(cm.status, 200);
    assert.equal(cm.json.kind, 'Status');
    assert.equal(cm.json.status, 'Success');
    const p = await call(t, 'DELETE', '/api/v1/namespaces/default/pods/listed', {
      body: { propagationPolicy: 'Background' },
    });
    assert.equal(p.status, 200);
    assert.equal(p.json.kind, 'Pod');
  });

  test("the scale subresource reads and sets a deployment's replicas", async () => {
    const created = await call(t, 'POST', '/apis/apps/v1/namespaces/default/deployments', {
      body: {
        metadata: { name: 'scaled' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'scaled' } },
          template: {
            metadata: { labels: { app: 'scaled' } },
            spec: { containers: [{ name: 'c', image: 'nginx' }] },
          },
        },
      },
    });
    assert.equal(created.status, 201);
    const scale = await call(t, 'GET', '/apis/apps/v1/namespaces/default/deployments/scaled/scale');
    assert.equal(scale.json.kind, 'Scale');
    assert.equal(scale.json.apiVersion, 'autoscaling/v1');
    assert.deepEqual(scale.json.spec, { replicas: 1 });
    assert.equal(scale.json.status.selector, 'app=scaled');
    const patched = await call(t, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/scaled/scale', {
      body: { spec: { replicas: 3 } },
      contentType: 'application/merge-patch+json',
    });
    assert.equal(patched.json.spec.replicas, 3);
    const dep = await call(t, 'GET', '/apis/apps/v1/namespaces/default/deployments/scaled');
    assert.equal(dep.json.spec.replicas, 3);
    assert.equal(dep.json.metadata.generation, 2);
    const stale = await call(t, 'PUT', '/apis/apps/v1/namespaces/default/deployments/scaled/scale', {
      body: { ...scale.json, spec: { replicas: 2 } },
    });
    assert.equal(stale.status, 409);
    const negative = await call(t, 'PUT', '/apis/apps/v1/namespaces/default/deployments/scaled/scale', {
      body: { metadata: { name: 'scaled' }, spec: { replicas: -1 } },
    });
    assert.equal(negative.status, 422);
    assert.equal(
      negative.json.message,
      'Scale.autoscaling "scaled" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
  });

  test('DELETE on a collection deletes the matching objects', async () => {
    for (const n of ['dc1', 'dc2']) {
      await call(t, 'POST', '/api/v1/namespaces/default/secrets', {
        body: { metadata: { name: n, labels: { dc: 'yes' } } },
      });
    }
    const res = await call(t, 'DELETE', '/api/v1/namespaces/default/secrets?labelSelector=dc%3Dyes');
    assert.equal(res.status, 200);
    assert.equal(res.json.kind, 'SecretList');
    assert.equal(res.json.items.length, 2);
    const left = await call(t, 'GET', '/api/v1/namespaces/default/secrets?labelSelector=dc%3Dyes');
    assert.equal(left.json.items.length, 0);
  });

  test('POST pods/binding binds a pod to a node', async () => {
    await call(t, 'POST', '/api/v1/namespaces/default/pods', { body: pod('tobind') });
    const res = await call(t, 'POST', '/api/v1/namespaces/default/pods/tobind/binding', {
      body: {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'tobind' },
        target: { kind: 'Node', name: 'local' },
      },
    });
    assert.equal(res.status, 201);
    assert.equal(res.json.status, 'Success');
    const got = await call(t, 'GET', '/api/v1/namespaces/default/pods/tobind');
    assert.equal(got.json.spec.nodeName, 'local');
  });

  test('dryRun=All creates nothing', async () => {
    const res = await call(t, 'POST', '/api/v1/namespaces/default/configmaps?dryRun=All', {
      body: { metadata: { name: 'dry' } },
    });
    assert.equal(res.status, 201);
    assert.equal((await call(t, 'GET', '/api/v1/namespaces/default/configmaps/dry')).status, 404);
  });
});

describe('watch', () => {
  test('resourceVersion=0 starts with synthetic ADDED, then streams changes', async () => {
    await call(t, 'POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'w0' } } });
    const w = watch(
      t,
      '/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dw0&resourceVersion=0&watch=true',
    );
    assert.equal(await w.status, 200);
    const first = await w.next();
    assert.equal(first.type, 'ADDED');
    assert.equal(first.object.kind, 'ConfigMap');
    await call(t, 'PATCH', '/api/v1/namespaces/default/configmaps/w0', {
      body: { data: { x: '1' } },
      contentType: 'application/merge-patch+json',
    });
    const second = await w.next();
    assert.equal(second.type, 'MODIFIED');
    assert.deepEqual(second.object.data, { x: '1' });
    await call(t, 'DELETE', '/api/v1/namespaces/default/configmaps/w0');
    assert.equal((await w.next()).type, 'DELETED');
    w.close();
  });

  test('a list watch from the list resourceVersion sends no synthetic events', async () => {
    const list = await call(t, 'GET', '/api/v1/namespaces/default/configmaps');
    const w = watch(
      t,
      `/api/v1/namespaces/default/configmaps?resourceVersion=${list.json.metadata.resourceVersion}&watch=true`,
    );
    await w.status;
    await call(t, 'POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'w1' } } });
    const ev = await w.next();
    assert.equal(ev.type, 'ADDED');
    assert.equal(ev.object.metadata.name, 'w1');
    w.close();
  });

  test('a Table watch sends one-row Tables with column definitions only first', async () => {
    const list = await call(t, 'GET', '/api/v1/namespaces/default/pods');
    const w = watch(
      t,
      `/api/v1/namespaces/default/pods?resourceVersion=${list.json.metadata.resourceVersion}&watch=true`,
      TABLE_ACCEPT,
    );
    await w.status;
    await call(t, 'POST', '/api/v1/namespaces/default/pods', { body: pod('tw') });
    const a = await w.next();
    assert.equal(a.object.kind, 'Table');
    assert.equal(a.object.rows[0].cells[0], 'tw');
    assert.ok(a.object.columnDefinitions.length > 0);
    await call(t, 'PATCH', '/api/v1/namespaces/default/pods/tw', {
      body: { metadata: { labels: { x: 'y' } } },
      contentType: 'application/merge-patch+json',
    });
    const b = await w.next();
    assert.equal(b.type, 'MODIFIED');
    assert.deepEqual(b.object.columnDefinitions, []);
    w.close();
  });

  test('an object leaving the selector arrives as DELETED', async () => {
    await call(t, 'POST', '/api/v1/namespaces/default/configmaps', {
      body: { metadata: { name: 'sel', labels: { s: 'in' } } },
    });
    const w = watch(t, '/api/v1/namespaces/default/configmaps?labelSelector=s%3Din&watch=true');
    assert.equal((await w.next()).type, 'ADDED');
    await call(t, 'PATCH', '/api/v1/namespaces/default/configmaps/sel', {
      body: { metadata: { labels: { s: 'out' } } },
      contentType: 'application/merge-patch+json',
    });
    const ev = await w.next();
    assert.equal(ev.type, 'DELETED');
    assert.equal(ev.object.metadata.labels.s, 'out');
    w.close();
  });

  test('allowWatchBookmarks brings BOOKMARK events with a resourceVersion', async () => {
    const w = watch(
      t,
      '/api/v1/namespaces/default/secrets?allowWatchBookmarks=true&resourceVersion=0&watch=true',
    );
    const ev = await w.next();
    assert.equal(ev.type, 'BOOKMARK');
    assert.equal(ev.object.kind, 'Secret');
    assert.match(ev.object.metadata.resourceVersion, /^\d+$/);
    w.close();
  });

  test('timeoutSeconds ends the stream cleanly', async () => {
    const w = watch(t, '/api/v1/namespaces/default/secrets?timeoutSeconds=1&watch=true');
    assert.equal(await w.status, 200);
    await w.ended;
  });

  test('a resourceVersion older than the history gets a 410 Expired ERROR event', async () => {
    const small = await startTestServer({ historySize: 2 });
    try {
      for (let i = 0; i < 5; i++)
        await call(small, 'POST', '/api/v1/namespaces/default/configmaps', {
          body: { metadata: { name: `c${i}` } },
        });
      const w = watch(small, '/api/v1/namespaces/default/configmaps?resourceVersion=1&watch=true');
      assert.equal(await w.status, 200);
      const ev = await w.next();
      assert.equal(ev.type, 'ERROR');
      assert.equal(ev.object.code, 410);
      assert.equal(ev.object.reason, 'Expired');
      assert.match(ev.object.message, /^too old resource version: 1 \(\d+\)$/);
      await w.ended;
    } finally {
      await small.close();
    }
  });

  test('closing the server ends open watches cleanly', async () => {
    const other = await startTestServer();
    const w = watch(other, '/api/v1/namespaces/default/pods?watch=true');
    assert.equal(await w.status, 200);
    await other.close();
    await w.ended;
  });
});

describe('logs', () => {
  test('logs of the only container are text/plain', async () => {
    await call(t, 'POST', '/api/v1/namespaces/default/pods', { body: pod('logged') });
    t.logs.lines.set('logged/app', ['one', 'two', 'three']);
    const res = await call(
      t,
      'GET',
      '/api/v1/namespaces/default/pods/logged/log?tailLines=2&timestamps=true',
    );
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    // Which run the log is (podrun's own header).
    assert.equal(res.headers['podrun-container-id'], 'fake://logged/app');
    assert.equal(res.text, '2026-01-01T12:00:00.000000000Z two\n2026-01-01T12:00:00.000000000Z three\n');
  });

  test('the kubelet error is a 400 BadRequest with its message', async () => {
    const res = await call(t, 'GET', '/api/v1/namespaces/default/pods/logged/log?previous=true');
    assert.equal(res.status, 400);
    assert.equal(res.json.message, 'previous terminated container "app" in pod "logged" not found');
  });

  test('a pod with several containers needs a container name; an unknown one is refused', async () => {
    await call(t, 'POST', '/api/v1/namespaces/default/pods', {
      body: pod('multi', {
        spec: {
          initContainers: [{ name: 'i1', image: 'busybox' }],
          containers: [
            { name: 'a', image: 'busybox' },
            { name: 'b', image: 'busybox' },
          ],
        },
      }),
    });
    const none = await call(t, 'GET', '/api/v1/namespaces/default/pods/multi/log');
    assert.equal(none.status, 400);
    assert.equal(
      none.json.message,
      'a container name must be specified for pod multi, choose one of: [a b] or one of the init containers: [i1]',
    );
    const bad = await call(t, 'GET', '/api/v1/namespaces/default/pods/multi/log?container=x');
    assert.equal(bad.json.message, 'container x is not valid for pod multi');
    const neg = await call(t, 'GET', '/api/v1/namespaces/default/pods/multi/log?container=a&tailLines=-1');
    assert.equal(neg.status, 422);
  });

  test('follow streams lines as they come and ends when the container stops', async () => {
    const chunks: string[] = [];
    const { request } = await import('node:https');
    const done = new Promise<number>((resolve, reject) => {
      const req = request(
        new URL('/api/v1/namespaces/default/pods/logged/log?follow=true', t.server.url),
        { headers: { Authorization: `Bearer ${t.server.token}` }, ca: t.ca },
        (res) => {
          res.on('data', (c: Buffer) => chunks.push(c.toString()));
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });
    for (let i = 0; i < 50 && t.logs.followers === 0; i++) await new Promise((r) => setTimeout(r, 20));
    t.logs.push('logged/app', 'four');
    for (let i = 0; i < 50 && !chunks.join('').includes('four'); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(chunks.join(''), 'one\ntwo\nthree\nfour\n');
    t.logs.push('logged/app', undefined);
    assert.equal(await done, 200);
  });

  test('a follower learns which run it reads before the run writes anything', async () => {
    await call(t, 'POST', '/api/v1/namespaces/default/pods', { body: pod('quiet') });
    t.logs.lines.set('quiet/app', []);
    const { request } = await import('node:https');
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = request(
        new URL('/api/v1/namespaces/default/pods/quiet/log?follow=true', t.server.url),
        { headers: { Authorization: `Bearer ${t.server.token}` }, ca: t.ca },
        (res) => {
          resolve(res.headers);
          res.resume();
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(headers['podrun-container-id'], 'fake://quiet/app');
    t.logs.push('quiet/app', undefined);
  });
});
