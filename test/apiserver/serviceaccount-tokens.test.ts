// Service-account tokens: the claims of a TokenRequest's JWT, its ES256 signature, and what makes the
// authenticator refuse one (expiry, a deleted or recreated bound pod, a deleted ServiceAccount, another
// audience, a forged signature); then the TokenRequest subresource and the authentication over HTTPS.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ApiError } from '../../src/apiserver/errors.js';
import { startApiServer } from '../../src/apiserver/http/server.js';
import type { Registry } from '../../src/apiserver/registry.js';
import {
  ensureSigningKey,
  generateSigningKey,
  parseJwt,
  signJwt,
  verifySignature,
} from '../../src/apiserver/serviceaccount/jwt.js';
import { ServiceAccountTokens, TokenInvalidError } from '../../src/apiserver/serviceaccount/tokens.js';
import { FakeClock } from '../../src/util/clock.js';
import { call, FakeLogs, newRegistry, pod, type TestServer } from './helpers.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';

function decode(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

async function refused(p: Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TokenInvalidError, String(e));
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('service-account tokens', () => {
  let registry: Registry;
  let clock: FakeClock;
  let tokens: ServiceAccountTokens;
  const key = generateSigningKey();

  beforeEach(async () => {
    clock = new FakeClock();
    registry = await newRegistry(clock);
    tokens = new ServiceAccountTokens({ objects: registry, key, clock });
    await registry.create('serviceaccounts', 'default', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'builder' },
    });
  });
  afterEach(async () => {
    await registry.store.close();
  });

  const request = (spec: Record<string, unknown> = {}, sa = 'builder') =>
    tokens.createToken('default', sa, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec });

  test("a pod-bound token carries upstream's claims and the 3607 s extension", async () => {
    const p = await registry.create('pods', 'default', {
      ...pod('web'),
      spec: { serviceAccountName: 'builder', containers: [{ name: 'a', image: 'busybox' }] },
    });
    const sa = await registry.get('serviceaccounts', 'default', 'builder');
    const tr = await request({
      expirationSeconds: 3607,
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: p.metadata.uid },
    });
    const status = tr.status as { token: string; expirationTimestamp: string };
    const now = clock.now() / 1000;
    // The requested lifetime is what the status (and the kubelet's refresh) goes by...
    assert.equal(status.expirationTimestamp, new Date((now + 3607) * 1000).toISOString().replace('.000', ''));
    const claims = decode(status.token);
    const header = JSON.parse(Buffer.from(status.token.split('.')[0] ?? '', 'base64url').toString('utf8'));
    assert.deepEqual(header, { alg: 'ES256', kid: key.kid });
    assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
    // ...while the token itself lives a year and is only warned about after 3607 s.
    assert.deepEqual(claims, {
      iss: ISSUER,
      sub: 'system:serviceaccount:default:builder',
      aud: [ISSUER],
      exp: now + 365 * 24 * 3600,
      iat: now,
      nbf: now,
      jti: claims.jti,
      'kubernetes.io': {
        namespace: 'default',
        serviceaccount: { name: 'builder', uid: sa.metadata.uid },
        pod: { name: 'web', uid: p.metadata.uid },
        warnafter: now + 3607,
      },
    });
    assert.deepEqual(tr.spec, {
      audiences: [ISSUER],
      expirationSeconds: 3607,
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: p.metadata.uid },
    });
    const user = await tokens.authenticate(status.token);
    assert.deepEqual(user, {
      username: 'system:serviceaccount:default:builder',
      uid: sa.metadata.uid,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
      extra: {
        'authentication.kubernetes.io/pod-name': ['web'],
        'authentication.kubernetes.io/pod-uid': [p.metadata.uid!],
        'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`],
      },
    });
  });

  test('a token bound to a pod stops working once the pod is gone, and for a new pod of the same name', async () => {
    const body = {
      ...pod('web'),
      spec: { serviceAccountName: 'builder', containers: [{ name: 'a', image: 'busybox' }] },
    };
    const first = await registry.create('pods', 'default', body);
    const tr = await request({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' } });
    const token = (tr.status as { token: string }).token;
    assert.ok(await tokens.authenticate(token));
    await registry.delete('pods', 'default', 'web');
    await refused(tokens.authenticate(token), 'pod "web" not found');
    const again = await registry.create('pods', 'default', body);
    await refused(
      tokens.authenticate(token),
      `pod UID (${again.metadata.uid}) does not match claim (${first.metadata.uid})`,
    );
  });

  test('a pod being deleted keeps its token for the leeway, then not', async () => {
    await registry.create('pods', 'default', {
      ...pod('web'),
      spec: {
        serviceAccountName: 'builder',
        nodeName: 'local',
        containers: [{ name: 'a', image: 'busybox' }],
      },
    });
    const token = (
      (await request({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' } })).status as {
        token: string;
      }
    ).token;
    await registry.delete('pods', 'default', 'web', { gracePeriodSeconds: 30 });
    assert.ok(await tokens.authenticate(token), 'still terminating');
    clock.set(clock.now() + 91_000);
    await refused(tokens.authenticate(token), 'service account token has been invalidated');
  });

  test('expiry (with 60 s of leeway), a deleted or recreated ServiceAccount, another audience, a forged signature', async () => {
    const token = ((await request({ expirationSeconds: 600 })).status as { token: string }).token;
    assert.ok(await tokens.authenticate(token));
    clock.set(clock.now() + 650_000);
    assert.ok(await tokens.authenticate(token), 'within the leeway');
    clock.set(clock.now() + 20_000);
    await refused(tokens.authenticate(token), 'service account token has expired');

    const fresh = ((await request()).status as { token: string }).token;
    assert.equal((decode(fresh).exp as number) - (decode(fresh).iat as number), 3600, 'the default lifetime');
    const other = ((await request({ audiences: ['vault'] })).status as { token: string }).token;
    await refused(
      tokens.authenticate(other),
      /^token audiences \["vault"\] is invalid for the target audiences/,
    );
    const [h, p] = fresh.split('.');
    const forged = signJwt(generateSigningKey(), decode(fresh));
    await refused(tokens.authenticate(forged), /cryptographic/);
    await refused(tokens.authenticate(`${h}.${p}.${'A'.repeat(86)}`), /cryptographic/);
    // Not a JWT of this issuer at all: another authenticator's business.
    assert.equal(await tokens.authenticate('0123456789abcdef'), undefined);
    assert.equal(await tokens.authenticate(signJwt(key, { iss: 'https://elsewhere' })), undefined);

    const old = await registry.get('serviceaccounts', 'default', 'builder');
    await registry.delete('serviceaccounts', 'default', 'builder');
    await refused(tokens.authenticate(fresh), 'service account "builder" not found');
    await registry.create('serviceaccounts', 'default', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'builder' },
    });
    await refused(tokens.authenticate(fresh), new RegExp(`does not match claim \\(${old.metadata.uid}\\)`));
  });

  test("TokenRequest refusals in upstream's words", async () => {
    const check = async (p: Promise<unknown>, code: number, message: string) =>
      assert.rejects(p, (e: unknown) => {
        assert.ok(e instanceof ApiError, String(e));
        assert.equal(e.code, code);
        assert.equal(e.message, message);
        return true;
      });
    await check(
      request({ expirationSeconds: 60 }),
      422,
      'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    );
    await check(request({}, 'ghost'), 404, 'serviceaccounts "ghost" not found');
    await check(
      request({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'nope' } }),
      404,
      'pods "nope" not found',
    );
    await registry.create('pods', 'default', pod('web'));
    await check(
      request({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' } }),
      400,
      'cannot bind token for serviceaccount "builder" to pod running with different serviceaccount name.',
    );
    await check(
      request({ boundObjectRef: { kind: 'Deployment', apiVersion: 'apps/v1', name: 'x' } }),
      400,
      'cannot bind token to object of type apps/v1, Kind=Deployment',
    );
    await registry.create('secrets', 'default', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
    });
    await check(
      request({ boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 's', uid: 'other' } }),
      409,
      'Operation cannot be fulfilled on Secret "s": the UID in the bound object reference (other) does not match the UID in record. The object might have been deleted and then recreated',
    );
    // A secret-bound token dies with its secret.
    const token = (
      (await request({ boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 's' } })).status as {
        token: string;
      }
    ).token;
    assert.ok(await tokens.authenticate(token));
    await registry.delete('secrets', 'default', 's');
    await refused(tokens.authenticate(token), 'secret "s" not found');
  });
});

describe('the signing key', () => {
  test('is made once in pki/sa.key (0600) and reused; the token verifies with it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'podrun-sa-key-'));
    try {
      const a = await ensureSigningKey(dir);
      const b = await ensureSigningKey(dir);
      assert.equal(a.kid, b.kid);
      assert.equal((await stat(join(dir, 'pki', 'sa.key'))).mode & 0o777, 0o600);
      assert.match(await readFile(join(dir, 'pki', 'sa.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
      const parsed = parseJwt(signJwt(a, { hello: 'world' }));
      assert.ok(parsed && verifySignature(parsed, [b.publicKey]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('over HTTPS', () => {
  test('POST serviceaccounts/<name>/token answers 201 with a token that authenticates; others get 401', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'podrun-sa-http-'));
    const clock = new FakeClock(Date.now());
    const registry = await newRegistry(clock);
    const tokens = new ServiceAccountTokens({
      objects: registry,
      key: await ensureSigningKey(stateDir),
      clock,
    });
    const server = await startApiServer({
      registry,
      address: '127.0.0.1',
      port: 0,
      stateDir,
      logs: new FakeLogs(),
      clock,
      tokens,
    });
    const t: TestServer = {
      registry,
      server,
      logs: new FakeLogs(),
      stateDir,
      ca: await readFile(server.caFile, 'utf8'),
      close: async () => {},
    };
    try {
      await registry.create('serviceaccounts', 'default', {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'default' },
      });
      const r = await call(t, 'POST', '/api/v1/namespaces/default/serviceaccounts/default/token', {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: 900 },
        },
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.kind, 'TokenRequest');
      assert.equal(r.json.apiVersion, 'authentication.k8s.io/v1');
      const token = r.json.status.token as string;
      const ok = await call(t, 'GET', '/api/v1/namespaces/default/pods', { token });
      assert.equal(ok.status, 200);
      const bad = await call(t, 'GET', '/api/v1/namespaces/default/pods', {
        token: `${token.slice(0, -2)}AA`,
      });
      assert.equal(bad.status, 401);
      assert.equal(bad.json.message, 'Unauthorized');
      clock.set(clock.now() + 961_000);
      assert.equal((await call(t, 'GET', '/api/v1/namespaces/default/pods', { token })).status, 401);
      const get = await call(t, 'GET', '/api/v1/namespaces/default/serviceaccounts/default/token');
      assert.equal(get.status, 405);
      const discovery = await call(t, 'GET', '/api/v1');
      const sub = discovery.json.resources.find((x: { name: string }) => x.name === 'serviceaccounts/token');
      assert.deepEqual(sub, {
        name: 'serviceaccounts/token',
        singularName: '',
        namespaced: true,
        group: 'authentication.k8s.io',
        version: 'v1',
        kind: 'TokenRequest',
        verbs: ['create'],
      });
    } finally {
      await server.close();
      await registry.store.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
