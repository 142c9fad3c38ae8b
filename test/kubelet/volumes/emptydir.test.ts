import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Container } from '../../../src/api/types.js';
import { volumeDir } from '../../../src/kubelet/volumes/index.js';
import { type Fixture, findmnt, findmntUnder, fixture, makePod, needsRoot } from './helpers.js';

describe('emptyDir volumes', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });

  test('a disk emptyDir is a 0777 directory under pods/<uid>/volumes/kubernetes.io~empty-dir', async () => {
    const pod = makePod(
      [{ name: 'cache', emptyDir: {} }],
      [{ name: 'app', volumeMounts: [{ name: 'cache', mountPath: '/cache' }] }],
    );
    await f.manager.setUpPod(pod);
    const dir = join(
      f.root,
      'pods',
      pod.metadata?.uid as string,
      'volumes',
      'kubernetes.io~empty-dir',
      'cache',
    );
    assert.equal(volumeDir(f.root, pod.metadata?.uid as string, 'emptyDir', 'cache'), dir);
    const st = await stat(dir);
    assert.ok(st.isDirectory());
    assert.equal(st.mode & 0o7777, 0o777);
    assert.equal(findmnt(dir), undefined, 'a disk emptyDir is not a mount');
    assert.deepEqual(f.manager.mountsFor(pod, pod.spec?.containers[0] as Container), [
      { containerPath: '/cache', hostPath: dir, readOnly: false },
    ]);
  });

  test('setting up twice keeps the contents of an emptyDir', async () => {
    const pod = makePod([{ name: 'cache', emptyDir: {} }]);
    await f.manager.setUpPod(pod);
    const dir = volumeDir(f.root, pod.metadata?.uid as string, 'emptyDir', 'cache');
    await writeFile(join(dir, 'state'), 'kept');
    await f.manager.setUpPod(pod);
    assert.equal(await readFile(join(dir, 'state'), 'utf8'), 'kept');
  });

  test('medium: Memory mounts a tmpfs of sizeLimit, and teardown unmounts it', needsRoot, async () => {
    const pod = makePod([{ name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }]);
    await f.manager.setUpPod(pod);
    const dir = volumeDir(f.root, pod.metadata?.uid as string, 'emptyDir', 'scratch');
    const m = findmnt(dir);
    assert.equal(m?.fstype, 'tmpfs');
    assert.match(m?.options ?? '', /(^|,)size=1024k(,|$)/);
    // Idempotent: a second setUp does not stack another tmpfs.
    await f.manager.setUpPod(pod);
    assert.equal(findmntUnder(dir).length, 1);

    await f.manager.tearDownPod(pod.metadata?.uid as string);
    assert.deepEqual(findmntUnder(f.root), []);
    await assert.rejects(stat(join(f.root, 'pods', pod.metadata?.uid as string)), { code: 'ENOENT' });
  });

  test('without sizeLimit a memory emptyDir is sized to the pod memory limit', needsRoot, async () => {
    const pod = makePod(
      [{ name: 'scratch', emptyDir: { medium: 'Memory' } }],
      [
        { name: 'a', resources: { limits: { memory: '16Mi' } } },
        { name: 'b', resources: { limits: { memory: '8Mi' } } },
      ],
    );
    await f.manager.setUpPod(pod);
    const dir = volumeDir(f.root, pod.metadata?.uid as string, 'emptyDir', 'scratch');
    assert.match(findmnt(dir)?.options ?? '', /(^|,)size=24576k(,|$)/);
  });

  test('a sizeLimit above the pod memory limit is capped by it', needsRoot, async () => {
    const pod = makePod(
      [{ name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } }],
      [{ name: 'a', resources: { limits: { memory: '4Mi' } } }],
    );
    await f.manager.setUpPod(pod);
    const dir = volumeDir(f.root, pod.metadata?.uid as string, 'emptyDir', 'scratch');
    assert.match(findmnt(dir)?.options ?? '', /(^|,)size=4096k(,|$)/);
  });

  test('a volume type podrun does not support fails the mount with a clear sentence', async () => {
    const pod = makePod([
      { name: 'data', nfs: { server: 'nfs.example', path: '/export' } },
      { name: 'cache', emptyDir: {} },
    ]);
    await assert.rejects(f.manager.setUpPod(pod), {
      name: 'VolumeError',
      message: 'MountVolume.SetUp failed for volume "data" : podrun does not support volume type nfs',
    });
    // The other volumes are still set up.
    assert.ok(
      (await stat(volumeDir(f.root, pod.metadata?.uid as string, 'emptyDir', 'cache'))).isDirectory(),
    );
  });

  test('teardown is idempotent and tolerates a pod that never had volumes', async () => {
    await f.manager.tearDownPod('never-set-up');
    const pod = makePod([{ name: 'cache', emptyDir: {} }]);
    await f.manager.setUpPod(pod);
    await f.manager.tearDownPod(pod.metadata?.uid as string);
    await f.manager.tearDownPod(pod.metadata?.uid as string);
    await assert.rejects(stat(join(f.root, 'pods', pod.metadata?.uid as string)), { code: 'ENOENT' });
  });
});
