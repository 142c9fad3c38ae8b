// The kubelet's token manager and the projected serviceAccountToken source: a token is requested once, bound
// to the pod, reused until 80 % of its lifetime has passed, then replaced in the volume; a failed refresh
// keeps a token that is still valid; a pod's tokens are forgotten when its volumes are torn down.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { type IssuedToken, TokenManager, type TokenRequestSpec } from '../../src/kubelet/token-manager.js';
import { VolumeManager } from '../../src/kubelet/volumes/index.js';
import { mountsUnder, unmount } from '../../src/kubelet/volumes/mount.js';
import { FakeClock } from '../../src/util/clock.js';
import { ALLOCATABLE, FakeObjects, IS_ROOT, makePod, RecordedEvents } from './volumes/helpers.js';

const SPEC: TokenRequestSpec = {
  audiences: [],
  expirationSeconds: 3600,
  boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'u1' },
};

function issuer(clock: FakeClock) {
  const calls: Array<{ ns: string; name: string; spec: TokenRequestSpec }> = [];
  let failing = false;
  const request = async (ns: string, name: string, spec: TokenRequestSpec): Promise<IssuedToken> => {
    calls.push({ ns, name, spec });
    if (failing) throw new Error('the API server is unreachable');
    return {
      token: `token-${calls.length}`,
      expirationTimestamp: new Date(clock.now() + spec.expirationSeconds * 1000).toISOString(),
    };
  };
  return {
    calls,
    request,
    fail: (f: boolean) => {
      failing = f;
    },
  };
}

describe('token manager', () => {
  test('reuses a token until 80 % of its lifetime (less jitter), then requests a new one', async () => {
    const clock = new FakeClock();
    const api = issuer(clock);
    const tm = new TokenManager({ request: api.request, clock, random: () => 0 });
    assert.equal(await tm.getServiceAccountToken('default', 'default', SPEC), 'token-1');
    clock.set(clock.now() + 2879_000);
    assert.equal(await tm.getServiceAccountToken('default', 'default', SPEC), 'token-1');
    clock.set(clock.now() + 2_000);
    assert.equal(await tm.getServiceAccountToken('default', 'default', SPEC), 'token-2');
    // Another audience or pod is another token.
    assert.equal(
      await tm.getServiceAccountToken('default', 'default', { ...SPEC, audiences: ['vault'] }),
      'token-3',
    );
    assert.equal(api.calls.length, 3);
    assert.deepEqual(api.calls[0], { ns: 'default', name: 'default', spec: SPEC });
  });

  test('a failed refresh keeps the token while it is valid, then fails', async () => {
    const clock = new FakeClock();
    const api = issuer(clock);
    const tm = new TokenManager({ request: api.request, clock, random: () => 0 });
    await tm.getServiceAccountToken('default', 'default', SPEC);
    api.fail(true);
    clock.set(clock.now() + 3000_000);
    assert.equal(await tm.getServiceAccountToken('default', 'default', SPEC), 'token-1');
    clock.set(clock.now() + 700_000);
    await assert.rejects(tm.getServiceAccountToken('default', 'default', SPEC), /unreachable/);
  });

  test('deletePodTokens forgets only that pod', async () => {
    const clock = new FakeClock();
    const api = issuer(clock);
    const tm = new TokenManager({ request: api.request, clock });
    const other = { ...SPEC, boundObjectRef: { ...SPEC.boundObjectRef, name: 'db', uid: 'u2' } };
    await tm.getServiceAccountToken('default', 'default', SPEC);
    await tm.getServiceAccountToken('default', 'default', other);
    tm.deletePodTokens('u1');
    assert.equal(await tm.getServiceAccountToken('default', 'default', SPEC), 'token-3');
    assert.equal(await tm.getServiceAccountToken('default', 'default', other), 'token-2');
  });
});

describe('projected serviceAccountToken volumes', () => {
  let root: string;
  let clock: FakeClock;
  let api: ReturnType<typeof issuer>;
  let manager: VolumeManager;
  let objects: FakeObjects;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'podrun-token-volume-'));
    clock = new FakeClock();
    api = issuer(clock);
    objects = Object.assign(new FakeObjects(), { requestServiceAccountToken: api.request });
    manager = new VolumeManager({
      rootDir: root,
      objects,
      clock,
      events: new RecordedEvents(),
      allocatable: ALLOCATABLE,
      useTmpfs: IS_ROOT,
    });
  });
  afterEach(async () => {
    for (const m of await mountsUnder(root)) await unmount(m.mountPoint).catch(() => {});
    await rm(root, { recursive: true, force: true });
  });

  test('the kube-api-access volume: token bound to the pod, ca.crt and namespace; refreshed at 80 %', async () => {
    objects.setConfigMap('kube-root-ca.crt', { 'ca.crt': 'PEM' });
    const pod = makePod([
      {
        name: 'kube-api-access-abcde',
        projected: {
          defaultMode: 0o644,
          sources: [
            { serviceAccountToken: { path: 'token', expirationSeconds: 3607, audience: 'vault' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [
                  { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                ],
              },
            },
          ],
        },
      },
    ]);
    pod.spec = { ...pod.spec!, serviceAccountName: 'builder' };
    await manager.setUpPod(pod);
    const dir = manager.volumePath(pod, pod.spec!.volumes![0]!);
    assert.equal(await readFile(join(dir, 'token'), 'utf8'), 'token-1');
    assert.equal((await stat(join(dir, 'token'))).mode & 0o777, 0o644);
    assert.equal(await readFile(join(dir, 'ca.crt'), 'utf8'), 'PEM');
    assert.equal(await readFile(join(dir, 'namespace'), 'utf8'), 'default');
    assert.deepEqual(api.calls[0], {
      ns: 'default',
      name: 'builder',
      spec: {
        audiences: ['vault'],
        expirationSeconds: 3607,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: pod.metadata!.uid! },
      },
    });
    // Resyncs within the first 80 % keep the file; after it, the new token replaces it.
    clock.set(clock.now() + 1000_000);
    await manager.setUpPod(pod);
    assert.equal(api.calls.length, 1);
    clock.set(clock.now() + 2000_000);
    await manager.setUpPod(pod);
    assert.equal(await readFile(join(dir, 'token'), 'utf8'), 'token-2');
    await manager.tearDownPod(pod.metadata!.uid!);
  });

  test('with an fsGroup the token is 0600 before ownership; a failed token request fails the mount', async () => {
    const pod = makePod([
      {
        name: 't',
        projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 600 } }] },
      },
    ]);
    pod.spec = { ...pod.spec!, securityContext: { fsGroup: 1234 } };
    await manager.setUpPod(pod);
    const dir = manager.volumePath(pod, pod.spec!.volumes![0]!);
    // Ownership adds group read to what the file had.
    assert.equal((await stat(join(dir, 'token'))).mode & 0o777, 0o640);
    api.fail(true);
    const other = makePod([
      {
        name: 't',
        projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 600 } }] },
      },
    ]);
    await assert.rejects(
      manager.setUpPod(other),
      /MountVolume.SetUp failed for volume "t" : the API server is unreachable/,
    );
    await manager.tearDownPod(pod.metadata!.uid!);
  });
});
