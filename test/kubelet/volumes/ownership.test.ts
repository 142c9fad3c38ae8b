import assert from 'node:assert/strict';
import { lstat, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Pod } from '../../../src/api/types.js';
import { volumeDir } from '../../../src/kubelet/volumes/index.js';
import { dirOf, type Fixture, findmntUnder, fixture, IS_ROOT, makePod, needsRoot } from './helpers.js';

const uid = (pod: Pod) => pod.metadata?.uid as string;
const FS_GROUP = 4321;

function withFsGroup(pod: Pod): Pod {
  return {
    ...pod,
    spec: { ...(pod.spec as NonNullable<Pod['spec']>), securityContext: { fsGroup: FS_GROUP } },
  };
}

describe('fsGroup ownership', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });

  test('an emptyDir gets the group, group rwx and the setgid bit', needsRoot, async () => {
    const pod = withFsGroup(makePod([{ name: 'data', emptyDir: {} }]));
    await f.manager.setUpPod(pod);
    const st = await stat(volumeDir(f.root, uid(pod), 'emptyDir', 'data'));
    assert.equal(st.gid, FS_GROUP);
    assert.equal(st.mode & 0o7777, 0o2777);
  });

  test('projected files get the group with group read; directories get setgid', needsRoot, async () => {
    f.objects.setConfigMap('cfg', { 'a.conf': 'x', b: 'y' });
    const pod = withFsGroup(
      makePod([
        {
          name: 'cfg',
          configMap: {
            name: 'cfg',
            defaultMode: 0o400,
            items: [
              { key: 'a.conf', path: 'sub/a.conf' },
              { key: 'b', path: 'b' },
            ],
          },
        },
      ]),
    );
    await f.manager.setUpPod(pod);
    const dir = volumeDir(f.root, uid(pod), 'configMap', 'cfg');
    const ts = join(dir, await readlink(join(dir, '..data')));
    for (const file of ['sub/a.conf', 'b']) {
      const st = await stat(join(ts, file));
      assert.equal(st.gid, FS_GROUP, file);
      assert.equal(st.mode & 0o7777, 0o440, file);
    }
    const sub = await stat(join(ts, 'sub'));
    assert.equal(sub.gid, FS_GROUP);
    assert.equal(sub.mode & 0o2000, 0o2000);
    assert.equal((await lstat(join(dir, 'b'))).gid, FS_GROUP, 'the visible link has the group too');
    assert.equal((await stat(dir)).mode & 0o2000, 0o2000);
  });

  test('a re-projection applies the group to the new files before they are visible', needsRoot, async () => {
    f.objects.setConfigMap('cfg', { a: '1' });
    const pod = withFsGroup(makePod([{ name: 'cfg', configMap: { name: 'cfg' } }]));
    await f.manager.setUpPod(pod);
    f.objects.setConfigMap('cfg', { a: '2', b: 'new' });
    await f.clock.advance(2000);
    await f.manager.refreshPod(pod);
    const dir = volumeDir(f.root, uid(pod), 'configMap', 'cfg');
    assert.equal((await stat(join(dir, 'b'))).gid, FS_GROUP);
    assert.equal((await stat(join(dir, 'a'))).mode & 0o777, 0o644);
  });

  test('without fsGroup files keep the owner and group of the kubelet', async () => {
    f.objects.setConfigMap('cfg', { a: '1' });
    const pod = makePod([{ name: 'cfg', configMap: { name: 'cfg' } }]);
    await f.manager.setUpPod(pod);
    const st = await stat(join(volumeDir(f.root, uid(pod), 'configMap', 'cfg'), 'a'));
    assert.equal(st.gid, process.getgid?.());
  });
});

describe('teardown', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });

  test('tearing down a pod unmounts every tmpfs and removes its volumes', async () => {
    f.objects.setSecret('db', { pw: 'x' });
    f.objects.setConfigMap('cfg', { a: '1' });
    const pod = makePod([
      { name: 'creds', secret: { secretName: 'db' } },
      { name: 'mem', emptyDir: { medium: 'Memory' } },
      { name: 'proj', projected: { sources: [{ configMap: { name: 'cfg' } }] } },
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'disk', emptyDir: {} },
    ]);
    const other = makePod([{ name: 'mem', emptyDir: { medium: 'Memory' } }]);
    await f.manager.setUpPod(pod);
    await f.manager.setUpPod(other);
    const podDir = join(f.root, 'pods', uid(pod));
    // The Memory emptyDirs have a tmpfs each; the secret and projected volumes share one.
    if (IS_ROOT) assert.equal(findmntUnder(podDir).length, 1);
    if (IS_ROOT) assert.equal(findmntUnder(f.root).length, 3);

    await f.manager.tearDownPod(uid(pod));
    assert.deepEqual(findmntUnder(podDir), []);
    await assert.rejects(stat(podDir), { code: 'ENOENT' });
    await assert.rejects(stat(dirOf(f.manager, pod, 'creds')), { code: 'ENOENT' });
    // Another pod's volumes are untouched.
    assert.ok((await stat(volumeDir(f.root, uid(other), 'emptyDir', 'mem'))).isDirectory());
    if (IS_ROOT) assert.equal(findmntUnder(join(f.root, 'pods', uid(other))).length, 1);
    await f.manager.tearDownPod(uid(other));
    assert.deepEqual(findmntUnder(f.root), []);
  });

  test('the pod directory stays when something else lives in it', async () => {
    const pod = makePod([{ name: 'disk', emptyDir: {} }]);
    await f.manager.setUpPod(pod);
    await writeFile(join(f.root, 'pods', uid(pod), 'etc-hosts'), '127.0.0.1 localhost\n');
    await f.manager.tearDownPod(uid(pod));
    await assert.rejects(stat(join(f.root, 'pods', uid(pod), 'volumes')), { code: 'ENOENT' });
    assert.ok((await stat(join(f.root, 'pods', uid(pod), 'etc-hosts'))).isFile());
  });
});
