import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Container, Pod } from '../../../src/api/types.js';
import { VolumeError, volumeDir } from '../../../src/kubelet/volumes/index.js';
import { mountTmpfs } from '../../../src/kubelet/volumes/mount.js';
import {
  dirOf,
  type Fixture,
  findmnt,
  findmntUnder,
  fixture,
  fstypeOf,
  IS_ROOT,
  makePod,
  needsRoot,
} from './helpers.js';

const uid = (pod: Pod) => pod.metadata?.uid as string;
const mode = async (p: string) => (await stat(p)).mode & 0o7777;

async function setUpFails(f: Fixture, pod: Pod): Promise<VolumeError> {
  try {
    await f.manager.setUpPod(pod);
  } catch (e) {
    assert.ok(e instanceof VolumeError, `expected a VolumeError, got ${String(e)}`);
    assert.equal(e.reason, 'FailedMount');
    return e;
  }
  assert.fail('setUpPod should have failed');
}

describe('configMap volumes', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });

  test('every key becomes a file with defaultMode, visible through symlinks into ..data', async () => {
    f.objects.setConfigMap(
      'cfg',
      { 'app.conf': 'port=80\n', mode: 'fast' },
      { 'blob.bin': Buffer.from([0, 1, 2]).toString('base64') },
    );
    const pod = makePod([{ name: 'config', configMap: { name: 'cfg' } }]);
    await f.manager.setUpPod(pod);
    const dir = volumeDir(f.root, uid(pod), 'configMap', 'config');
    assert.ok(dir.endsWith('/volumes/kubernetes.io~configmap/config'));
    assert.equal(await readFile(join(dir, 'app.conf'), 'utf8'), 'port=80\n');
    assert.equal(await readFile(join(dir, 'mode'), 'utf8'), 'fast');
    assert.deepEqual([...(await readFile(join(dir, 'blob.bin')))], [0, 1, 2]);
    assert.equal(await readlink(join(dir, 'app.conf')), '..data/app.conf');
    const data = await readlink(join(dir, '..data'));
    assert.match(data, /^\.\.2026_01_01_12_00_00\.\w+$/);
    assert.equal(await mode(join(dir, data, 'app.conf')), 0o644);
    assert.equal(await mode(dir), 0o777);
    assert.equal((await lstat(join(dir, data))).isDirectory(), true);
  });

  test('items map keys to paths, with per-item modes overriding defaultMode', async () => {
    f.objects.setConfigMap('cfg', { a: 'A', b: 'B', c: 'C' });
    const pod = makePod([
      {
        name: 'config',
        configMap: {
          name: 'cfg',
          defaultMode: 0o600,
          items: [
            { key: 'a', path: 'conf/a.txt' },
            { key: 'b', path: 'b.txt', mode: 0o755 },
          ],
        },
      },
    ]);
    await f.manager.setUpPod(pod);
    const dir = volumeDir(f.root, uid(pod), 'configMap', 'config');
    assert.deepEqual((await readdir(dir)).filter((n) => !n.startsWith('..')).sort(), ['b.txt', 'conf']);
    assert.equal(await readFile(join(dir, 'conf/a.txt'), 'utf8'), 'A');
    assert.equal(await readlink(join(dir, 'conf')), '..data/conf');
    assert.equal(await mode(join(dir, 'conf/a.txt')), 0o600);
    assert.equal(await mode(join(dir, 'b.txt')), 0o755);
  });

  test('a missing ConfigMap fails the mount with the kubelet message, other volumes are still set up', async () => {
    const pod = makePod([
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'cache', emptyDir: {} },
    ]);
    const e = await setUpFails(f, pod);
    assert.equal(e.message, 'MountVolume.SetUp failed for volume "cfg" : configmap "cfg" not found');
    assert.deepEqual(e.failures, [{ volume: 'cfg', message: e.message }]);
    await assert.rejects(stat(volumeDir(f.root, uid(pod), 'configMap', 'cfg')), { code: 'ENOENT' });
    assert.ok((await stat(volumeDir(f.root, uid(pod), 'emptyDir', 'cache'))).isDirectory());
  });

  test('an optional missing ConfigMap gives an empty volume', async () => {
    const pod = makePod([
      { name: 'cfg', configMap: { name: 'cfg', optional: true, items: [{ key: 'k', path: 'k' }] } },
    ]);
    await f.manager.setUpPod(pod);
    const dir = volumeDir(f.root, uid(pod), 'configMap', 'cfg');
    assert.deepEqual(
      (await readdir(dir)).filter((n) => !n.startsWith('..')),
      [],
    );
  });

  test('an item naming a missing key fails unless the volume is optional', async () => {
    f.objects.setConfigMap('cfg', { present: 'x' });
    const pod = makePod([
      { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'missing', path: 'm' }] } },
    ]);
    const e = await setUpFails(f, pod);
    assert.equal(
      e.message,
      'MountVolume.SetUp failed for volume "cfg" : configmap references non-existent config key: missing',
    );
    const optional = makePod([
      {
        name: 'cfg',
        configMap: {
          name: 'cfg',
          optional: true,
          items: [
            { key: 'missing', path: 'm' },
            { key: 'present', path: 'p' },
          ],
        },
      },
    ]);
    await f.manager.setUpPod(optional);
    assert.equal(
      await readFile(join(volumeDir(f.root, uid(optional), 'configMap', 'cfg'), 'p'), 'utf8'),
      'x',
    );
  });

  test('a path with .. or an absolute path is refused with the AtomicWriter text', async () => {
    f.objects.setConfigMap('cfg', { k: 'v' });
    const up = makePod([{ name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'k', path: '../x' }] } }]);
    assert.equal(
      (await setUpFails(f, up)).message,
      'MountVolume.SetUp failed for volume "cfg" : invalid path: must not contain \'..\': ../x',
    );
    const abs = makePod([
      { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'k', path: '/etc/passwd' }] } },
    ]);
    assert.equal(
      (await setUpFails(f, abs)).message,
      'MountVolume.SetUp failed for volume "cfg" : invalid path: must be relative path: /etc/passwd',
    );
    const dots = makePod([
      { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'k', path: '..data' }] } },
    ]);
    assert.equal(
      (await setUpFails(f, dots)).message,
      'MountVolume.SetUp failed for volume "cfg" : invalid path: must not start with \'..\': ..data',
    );
    // Nothing escaped into the pod's directory.
    await assert.rejects(stat(join(f.root, 'pods', uid(up), 'volumes', 'kubernetes.io~configmap', 'x')), {
      code: 'ENOENT',
    });
  });

  test('configMap volumes are mounted read-only whatever the volumeMount says', async () => {
    f.objects.setConfigMap('cfg', { k: 'v' });
    const c: Container = {
      name: 'app',
      volumeMounts: [
        { name: 'cfg', mountPath: '/etc/cfg' },
        { name: 'cache', mountPath: '/cache', readOnly: true },
      ],
    };
    const pod = makePod(
      [
        { name: 'cfg', configMap: { name: 'cfg' } },
        { name: 'cache', emptyDir: {} },
      ],
      [c],
    );
    await f.manager.setUpPod(pod);
    assert.deepEqual(f.manager.mountsFor(pod, c), [
      {
        containerPath: '/etc/cfg',
        hostPath: volumeDir(f.root, uid(pod), 'configMap', 'cfg'),
        readOnly: true,
      },
      { containerPath: '/cache', hostPath: volumeDir(f.root, uid(pod), 'emptyDir', 'cache'), readOnly: true },
    ]);
  });
});

describe('secret volumes', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });

  test('secret data is decoded from base64 into files with defaultMode', async () => {
    f.objects.setSecret('db', { password: 's3cret', user: 'admin' });
    const pod = makePod([{ name: 'creds', secret: { secretName: 'db', defaultMode: 0o400 } }]);
    await f.manager.setUpPod(pod);
    const dir = dirOf(f.manager, pod, 'creds');
    assert.ok(dir.endsWith('/kubernetes.io~secret/creds'));
    assert.equal(await readFile(join(dir, 'password'), 'utf8'), 's3cret');
    assert.equal(await readFile(join(dir, 'user'), 'utf8'), 'admin');
    assert.equal(await mode(join(dir, 'password')), 0o400);
  });

  test('secrets live on tmpfs, never on the node disk', needsRoot, async () => {
    f.objects.setSecret('db', { password: 's3cret' });
    const pod = makePod([{ name: 'creds', secret: { secretName: 'db' } }]);
    await f.manager.setUpPod(pod);
    const dir = dirOf(f.manager, pod, 'creds');
    assert.equal(fstypeOf(dir), 'tmpfs');
    assert.equal(await mode(dir), 0o1777);
    await f.manager.tearDownPod(uid(pod));
    await assert.rejects(stat(dir), { code: 'ENOENT' });
    assert.deepEqual(findmntUnder(f.root), []);
  });

  test(
    "every pod's secret and projected volumes share one tmpfs, unmounted with the last of them",
    needsRoot,
    async () => {
      f.objects.setSecret('db', { password: 's3cret' });
      const a = makePod([{ name: 'creds', secret: { secretName: 'db' } }]);
      const b = makePod([
        { name: 'creds', secret: { secretName: 'db' } },
        { name: 'all', projected: { sources: [{ secret: { name: 'db' } }] } },
      ]);
      await f.manager.setUpPod(a);
      await f.manager.setUpPod(b);
      // One mount for the three volumes of two pods: each mount on the host is copied into every new container.
      assert.equal(findmntUnder(f.root).length, 1);
      assert.equal(fstypeOf(dirOf(f.manager, b, 'all')), 'tmpfs');
      assert.equal(await mode(join(f.root, 'memory-volumes')), 0o700, "root's alone, from the mount on");
      await f.manager.tearDownPod(uid(a));
      await assert.rejects(stat(dirOf(f.manager, a, 'creds')), { code: 'ENOENT' });
      assert.equal(await readFile(join(dirOf(f.manager, b, 'creds'), 'password'), 'utf8'), 's3cret');
      assert.equal(findmntUnder(f.root).length, 1);
      await f.manager.tearDownPod(uid(b));
      assert.deepEqual(findmntUnder(f.root), []);
      // The next pod mounts it again.
      await f.manager.setUpPod(a);
      assert.equal(await readFile(join(dirOf(f.manager, a, 'creds'), 'password'), 'utf8'), 's3cret');
      await f.manager.tearDownPod(uid(a));
      assert.deepEqual(findmntUnder(f.root), []);
    },
  );

  test('a set-up racing the last teardown keeps the shared tmpfs for itself', needsRoot, async () => {
    f.objects.setSecret('db', { password: 's3cret' });
    const a = makePod([{ name: 'creds', secret: { secretName: 'db' } }]);
    const b = makePod([{ name: 'creds', secret: { secretName: 'db' } }]);
    await f.manager.setUpPod(a);
    await Promise.all([f.manager.tearDownPod(uid(a)), f.manager.setUpPod(b)]);
    const dir = dirOf(f.manager, b, 'creds');
    assert.equal(fstypeOf(dir), 'tmpfs');
    assert.equal(await readFile(join(dir, 'password'), 'utf8'), 's3cret');
    await f.manager.tearDownPod(uid(b));
    assert.deepEqual(findmntUnder(f.root), []);
  });

  test(
    'a volume with a tmpfs of its own (an earlier podrun) keeps it while its pod runs',
    needsRoot,
    async () => {
      f.objects.setSecret('db', { password: 'v1' });
      const pod = makePod([{ name: 'creds', secret: { secretName: 'db' } }]);
      // As an earlier podrun left it: the pod's running containers bind this tmpfs.
      const own = volumeDir(f.root, uid(pod), 'secret', 'creds');
      await mkdir(own, { recursive: true });
      await mountTmpfs(own);
      await f.manager.setUpPod(pod);
      assert.equal(dirOf(f.manager, pod, 'creds'), own);
      f.objects.setSecret('db', { password: 'v2' });
      await f.manager.refreshPod(pod);
      assert.equal(await readFile(join(own, 'password'), 'utf8'), 'v2');
      await f.manager.tearDownPod(uid(pod));
      assert.deepEqual(findmntUnder(f.root), []);
    },
  );

  test('the pods on disk: those with a directory or volumes on the shared tmpfs, until their teardown', async () => {
    f.objects.setSecret('db', { password: 's3cret' });
    const a = makePod([{ name: 'creds', secret: { secretName: 'db' } }]);
    const b = makePod([{ name: 'cache', emptyDir: {} }]);
    await f.manager.setUpPod(a);
    await f.manager.setUpPod(b);
    assert.deepEqual((await f.manager.podsOnDisk()).sort(), [uid(a), uid(b)].sort());
    await f.manager.tearDownPod(uid(a));
    assert.deepEqual(await f.manager.podsOnDisk(), [uid(b)]);
    await f.manager.tearDownPod(uid(b));
    assert.deepEqual(await f.manager.podsOnDisk(), []);
  });

  test('without tmpfs (unprivileged runs) a secret volume is a plain directory', async () => {
    const plain = await fixture({ useTmpfs: false });
    try {
      plain.objects.setSecret('db', { password: 's3cret' });
      const pod = makePod([{ name: 'creds', secret: { secretName: 'db' } }]);
      await plain.manager.setUpPod(pod);
      const dir = volumeDir(plain.root, uid(pod), 'secret', 'creds');
      assert.equal(findmnt(dir), undefined);
      assert.equal(await readFile(join(dir, 'password'), 'utf8'), 's3cret');
      assert.equal(await mode(dir), 0o777);
    } finally {
      await plain.cleanup();
    }
  });

  test('a missing Secret or key fails the mount with the kubelet message', async () => {
    const pod = makePod([{ name: 'creds', secret: { secretName: 'db' } }]);
    assert.equal(
      (await setUpFails(f, pod)).message,
      'MountVolume.SetUp failed for volume "creds" : secret "db" not found',
    );
    f.objects.setSecret('db', { user: 'admin' });
    const keyed = makePod([
      { name: 'creds', secret: { secretName: 'db', items: [{ key: 'password', path: 'pw' }] } },
    ]);
    assert.equal(
      (await setUpFails(f, keyed)).message,
      'MountVolume.SetUp failed for volume "creds" : references non-existent secret key: password',
    );
    if (IS_ROOT) assert.deepEqual(findmntUnder(f.root), []);
  });
  test('a first set-up that fails half-way leaves no directory behind, and no mount after the teardown', async () => {
    f.objects.setSecret('db', { a: '1', b: '2' });
    // `x` is a file, so `x/y` cannot be written: the failure comes after the tmpfs is mounted.
    const pod = makePod([
      {
        name: 'creds',
        secret: {
          secretName: 'db',
          items: [
            { key: 'a', path: 'x' },
            { key: 'b', path: 'x/y' },
          ],
        },
      },
    ]);
    const e = await setUpFails(f, pod);
    assert.match(e.message, /^MountVolume\.SetUp failed for volume "creds" : E(NOTDIR|EXIST)/);
    const dir = dirOf(f.manager, pod, 'creds');
    await assert.rejects(stat(dir), { code: 'ENOENT' });
    // The shared tmpfs goes with the pod's teardown.
    await f.manager.tearDownPod(uid(pod));
    assert.deepEqual(findmntUnder(f.root), []);
  });
});

describe('downwardAPI volumes', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });

  test('labels and annotations are written as sorted key="value" lines, fields as plain text', async () => {
    const pod = makePod(
      [
        {
          name: 'info',
          downwardAPI: {
            items: [
              { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
              { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
              { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
              { path: 'meta/namespace', fieldRef: { fieldPath: 'metadata.namespace' }, mode: 0o400 },
              { path: 'app', fieldRef: { fieldPath: "metadata.labels['app']" } },
              {
                path: 'mem',
                resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' },
              },
            ],
          },
        },
      ],
      [{ name: 'app', resources: { limits: { memory: '64Mi' } } }],
    );
    await f.manager.setUpPod(pod);
    const dir = volumeDir(f.root, uid(pod), 'downwardAPI', 'info');
    assert.ok(dir.endsWith('/volumes/kubernetes.io~downward-api/info'));
    assert.equal(await readFile(join(dir, 'labels'), 'utf8'), 'app="web"\ntier="front"');
    assert.equal(await readFile(join(dir, 'annotations'), 'utf8'), 'example.com/owner="team-a"');
    assert.equal(await readFile(join(dir, 'name'), 'utf8'), 'web');
    assert.equal(await readFile(join(dir, 'meta/namespace'), 'utf8'), 'default');
    assert.equal(await mode(join(dir, 'meta/namespace')), 0o400);
    assert.equal(await readFile(join(dir, 'app'), 'utf8'), 'web');
    assert.equal(await readFile(join(dir, 'mem'), 'utf8'), '64');
  });

  test('refreshPod rewrites the labels file when the pod labels change', async () => {
    const pod = makePod([
      {
        name: 'info',
        downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] },
      },
    ]);
    await f.manager.setUpPod(pod);
    const dir = volumeDir(f.root, uid(pod), 'downwardAPI', 'info');
    const changed: Pod = { ...pod, metadata: { ...pod.metadata, labels: { app: 'web', version: 'v2' } } };
    await f.clock.advance(1000);
    await f.manager.refreshPod(changed);
    assert.equal(await readFile(join(dir, 'labels'), 'utf8'), 'app="web"\nversion="v2"');
  });

  test('every failing item is reported together', async () => {
    const pod = makePod([
      {
        name: 'info',
        downwardAPI: {
          items: [
            { path: 'a', fieldRef: { fieldPath: 'spec.nodeName' } },
            { path: 'b', resourceFieldRef: { containerName: 'ghost', resource: 'limits.cpu' } },
          ],
        },
      },
    ]);
    assert.equal(
      (await setUpFails(f, pod)).message,
      'MountVolume.SetUp failed for volume "info" : [unsupported fieldPath: spec.nodeName, container ghost not found]',
    );
  });
});

describe('projected volumes', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });

  test('configMap, secret and downwardAPI sources share one directory; a token source is skipped with a warning', async () => {
    f.objects.setConfigMap('cfg', { 'app.conf': 'x=1' });
    f.objects.setSecret('db', { password: 'pw' });
    const pod = makePod([
      {
        name: 'all',
        projected: {
          defaultMode: 0o440,
          sources: [
            { configMap: { name: 'cfg' } },
            { secret: { name: 'db', items: [{ key: 'password', path: 'secret/password', mode: 0o400 }] } },
            { downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
            { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
          ],
        },
      },
    ]);
    await f.manager.setUpPod(pod);
    const dir = dirOf(f.manager, pod, 'all');
    assert.ok(dir.endsWith('/kubernetes.io~projected/all'));
    assert.equal(await readFile(join(dir, 'app.conf'), 'utf8'), 'x=1');
    assert.equal(await mode(join(dir, 'app.conf')), 0o440);
    assert.equal(await readFile(join(dir, 'secret/password'), 'utf8'), 'pw');
    assert.equal(await mode(join(dir, 'secret/password')), 0o400);
    assert.equal(await readFile(join(dir, 'labels'), 'utf8'), 'app="web"\ntier="front"');
    await assert.rejects(stat(join(dir, 'token')), { code: 'ENOENT' });
    assert.deepEqual(
      f.events.events.map((e) => [e.type, e.reason, e.message, e.involved.name]),
      [
        [
          'Warning',
          'UnsupportedVolumeSource',
          'projected volume "all": source serviceAccountToken (path token) is not supported by podrun (no token issuer) and was skipped',
          'web',
        ],
      ],
    );
    if (IS_ROOT) assert.equal(fstypeOf(dir), 'tmpfs');
    // The warning is given once, not on every sync.
    await f.manager.setUpPod(pod);
    assert.equal(f.events.events.length, 1);
  });

  test('missing sources are aggregated into one FailedMount message', async () => {
    const pod = makePod([
      { name: 'all', projected: { sources: [{ configMap: { name: 'cfg' } }, { secret: { name: 'db' } }] } },
    ]);
    assert.equal(
      (await setUpFails(f, pod)).message,
      'MountVolume.SetUp failed for volume "all" : [configmap "cfg" not found, secret "db" not found]',
    );
  });
});
