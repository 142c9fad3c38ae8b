// persistentVolumeClaim volumes: claim → bound PV → its directory, readOnly honoured, and the kubelet's
// words for a claim that is missing or not bound yet.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { PersistentVolume, PersistentVolumeClaim, Volume } from '../../../src/api/types.js';
import { VolumeManager } from '../../../src/kubelet/volumes/index.js';
import { ALLOCATABLE, FakeObjects, type Fixture, fixture, makePod } from './helpers.js';

class ClaimObjects extends FakeObjects {
  claims = new Map<string, PersistentVolumeClaim>();
  volumes = new Map<string, PersistentVolume>();
  async getPersistentVolumeClaim(_ns: string, name: string) {
    return this.claims.get(name);
  }
  async getPersistentVolume(name: string) {
    return this.volumes.get(name);
  }
}

describe('persistentVolumeClaim volumes', () => {
  let f: Fixture;
  let objects: ClaimObjects;
  let manager: VolumeManager;
  let dir: string;
  beforeEach(async () => {
    f = await fixture();
    objects = new ClaimObjects();
    manager = new VolumeManager({
      rootDir: f.root,
      objects,
      clock: f.clock,
      allocatable: ALLOCATABLE,
      useTmpfs: false,
    });
    dir = join(f.root, 'volumes', 'pvc-1');
    await mkdir(dir, { recursive: true });
  });
  afterEach(() => f.cleanup());

  const volume = (readOnly?: boolean): Volume => ({
    name: 'data',
    persistentVolumeClaim: { claimName: 'data', ...(readOnly ? { readOnly } : {}) },
  });
  const bind = () => {
    objects.claims.set('data', {
      metadata: { name: 'data', namespace: 'default', uid: 'c1' },
      spec: { volumeName: 'pvc-1' },
      status: { phase: 'Bound' },
    });
    objects.volumes.set('pvc-1', {
      metadata: { name: 'pvc-1' },
      spec: { hostPath: { path: dir, type: 'DirectoryOrCreate' }, claimRef: { uid: 'c1' } },
    });
  };

  test('a missing or unbound claim fails the mount with the kubelet words', async () => {
    const pod = makePod([volume()]);
    await assert.rejects(manager.setUpPod(pod), {
      message:
        'Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data], failed to process volumes=[data]: error processing PVC default/data: failed to fetch PVC from API server: persistentvolumeclaims "data" not found',
    });
    objects.claims.set('data', {
      metadata: { name: 'data', uid: 'c1' },
      spec: {},
      status: { phase: 'Pending' },
    });
    await assert.rejects(manager.setUpPod(pod), {
      message:
        'Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data], failed to process volumes=[data]: error processing PVC default/data: PVC is not bound',
    });
  });

  test('a bound claim mounts its volume directory, read-only when the volume says so', async () => {
    bind();
    const container = { name: 'app', volumeMounts: [{ name: 'data', mountPath: '/data' }] };
    const pod = makePod([volume()], [container]);
    await manager.setUpPod(pod);
    assert.deepEqual(manager.mountsFor(pod, container), [
      { containerPath: '/data', hostPath: dir, readOnly: false },
    ]);
    const ro = makePod([volume(true)], [container]);
    await manager.setUpPod(ro);
    assert.deepEqual(manager.mountsFor(ro, container), [
      { containerPath: '/data', hostPath: dir, readOnly: true },
    ]);
    await manager.tearDownPod(pod.metadata!.uid!);
    assert.throws(() => manager.volumePath(pod, volume()), /not mounted yet/);
  });
});
