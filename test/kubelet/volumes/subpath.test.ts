import assert from 'node:assert/strict';
import { mkdir, readFile, realpath, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Container, Pod } from '../../../src/api/types.js';
import { ContainerConfigError } from '../../../src/kubelet/env.js';
import { volumeDir } from '../../../src/kubelet/volumes/index.js';
import { type Fixture, fixture, makePod } from './helpers.js';

const uid = (pod: Pod) => pod.metadata?.uid as string;

describe('volumeMount subPath', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });

  function mountErr(pod: Pod, c: Container, envs: { name: string; value: string }[] = []): string {
    try {
      f.manager.mountsFor(pod, c, envs);
    } catch (e) {
      assert.ok(e instanceof ContainerConfigError, `expected a ContainerConfigError, got ${String(e)}`);
      return e.message;
    }
    assert.fail('mountsFor should have failed');
  }

  test('a subPath of a configMap volume resolves to the real file inside the volume', async () => {
    f.objects.setConfigMap('cfg', { 'nginx.conf': 'server {}' });
    const c: Container = {
      name: 'app',
      volumeMounts: [{ name: 'cfg', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf' }],
    };
    const pod = makePod([{ name: 'cfg', configMap: { name: 'cfg' } }], [c]);
    await f.manager.setUpPod(pod);
    const [m] = f.manager.mountsFor(pod, c);
    const dir = await realpath(volumeDir(f.root, uid(pod), 'configMap', 'cfg'));
    assert.ok(m?.hostPath.startsWith(`${dir}/..2026_`), m?.hostPath);
    assert.equal(await readFile(m?.hostPath as string, 'utf8'), 'server {}');
    assert.equal(m?.readOnly, true);
    assert.equal(m?.subPath, undefined);
  });

  test('a missing subPath directory is created inside the volume with the volume mode', async () => {
    const c: Container = {
      name: 'app',
      volumeMounts: [{ name: 'data', mountPath: '/data', subPath: 'a/b' }],
    };
    const pod = makePod([{ name: 'data', emptyDir: {} }], [c]);
    await f.manager.setUpPod(pod);
    const [m] = f.manager.mountsFor(pod, c);
    const dir = volumeDir(f.root, uid(pod), 'emptyDir', 'data');
    assert.equal(m?.hostPath, join(await realpath(dir), 'a/b'));
    const st = await stat(join(dir, 'a/b'));
    assert.ok(st.isDirectory());
    assert.equal(st.mode & 0o777, 0o777);
  });

  test('subPath may not be absolute or contain ..', async () => {
    const pod = makePod([{ name: 'data', emptyDir: {} }]);
    await f.manager.setUpPod(pod);
    assert.equal(
      mountErr(pod, { name: 'app', volumeMounts: [{ name: 'data', mountPath: '/d', subPath: '../../etc' }] }),
      "unable to provision SubPath `../../etc`: must not contain '..'",
    );
    assert.equal(
      mountErr(pod, { name: 'app', volumeMounts: [{ name: 'data', mountPath: '/d', subPath: '/etc' }] }),
      'error SubPath `/etc` must not be an absolute path',
    );
  });

  test('a subPath escaping the volume through a symlink is refused', async () => {
    const pod = makePod([{ name: 'data', emptyDir: {} }]);
    await f.manager.setUpPod(pod);
    const dir = volumeDir(f.root, uid(pod), 'emptyDir', 'data');
    const outside = join(f.root, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret'), 'host data');
    // What a container could do inside a shared volume.
    await symlink(outside, join(dir, 'evil'));
    await symlink('/etc/passwd', join(dir, 'passwd'));
    await mkdir(join(dir, 'ok'));
    await symlink('ok', join(dir, 'inside'));
    const expected = 'failed to prepare subPath for volumeMount "data" of container "app"';
    assert.equal(
      mountErr(pod, { name: 'app', volumeMounts: [{ name: 'data', mountPath: '/d', subPath: 'evil' }] }),
      expected,
    );
    assert.equal(
      mountErr(pod, {
        name: 'app',
        volumeMounts: [{ name: 'data', mountPath: '/d', subPath: 'evil/secret' }],
      }),
      expected,
    );
    assert.equal(
      mountErr(pod, { name: 'app', volumeMounts: [{ name: 'data', mountPath: '/d', subPath: 'passwd' }] }),
      expected,
    );
    await assert.rejects(stat(join(outside, 'new')), { code: 'ENOENT' });
    // A symlink that stays inside the volume is fine, and resolves to its target.
    const [m] = f.manager.mountsFor(pod, {
      name: 'app',
      volumeMounts: [{ name: 'data', mountPath: '/d', subPath: 'inside' }],
    });
    assert.equal(m?.hostPath, join(await realpath(dir), 'ok'));
  });

  test('subPathExpr expands the container environment and requires every variable', async () => {
    const pod = makePod([{ name: 'logs', emptyDir: {} }]);
    await f.manager.setUpPod(pod);
    const c: Container = {
      name: 'app',
      volumeMounts: [{ name: 'logs', mountPath: '/logs', subPathExpr: '$(POD_NAME)/$(CONTAINER)' }],
    };
    const [m] = f.manager.mountsFor(pod, c, [
      { name: 'POD_NAME', value: 'web' },
      { name: 'CONTAINER', value: 'app' },
    ]);
    assert.equal(
      m?.hostPath,
      join(await realpath(volumeDir(f.root, uid(pod), 'emptyDir', 'logs')), 'web/app'),
    );
    assert.equal(
      mountErr(pod, c, [{ name: 'CONTAINER', value: '' }]),
      'missing value for CONTAINER, POD_NAME',
    );
  });

  test('a volumeMount naming no volume of the pod is refused', () => {
    const pod = makePod([]);
    assert.equal(
      mountErr(pod, { name: 'app', volumeMounts: [{ name: 'ghost', mountPath: '/g' }] }),
      'cannot find volume "ghost" to mount into container "app"',
    );
  });
});
