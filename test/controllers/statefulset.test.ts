// The StatefulSet controller and the volume controllers over an in-process registry, with the test playing the
// kubelet: ordered creation, claims from templates bound by the provisioner, reverse scale down, partitioned
// rolling updates, Parallel management, and reclaim of a deleted claim's volume.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { PersistentVolume, PersistentVolumeClaim, Pod, StatefulSet } from '../../src/api/types.js';
import { createEventRecorder } from '../../src/apiserver/events.js';
import type { RegistryWatch } from '../../src/apiserver/registry.js';
import { createRegistry, type Registry } from '../../src/apiserver/registry.js';
import { ensureDefaultStorageClass, installStorageAdmission } from '../../src/apiserver/storage-admission.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { SELECTED_NODE_ANNOTATION } from '../../src/controllers/volumes/decisions.js';
import { registryControllerClient } from '../../src/server/controller-client.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { FakeClock, flushMicrotasks } from '../../src/util/clock.js';

let registry: Registry;
let manager: ControllerManager;
let clock: FakeClock;
let volumesDir: string;
let admission: RegistryWatch;

beforeEach(async () => {
  clock = new FakeClock();
  volumesDir = mkdtempSync(join(tmpdir(), 'podrun-sts-test-'));
  registry = await createRegistry({ store: openSqliteStore(':memory:'), clock, nodeName: 'podrun' });
  admission = await installStorageAdmission(registry);
  await ensureDefaultStorageClass(registry);
  manager = new ControllerManager({
    client: registryControllerClient(registry),
    clock,
    recorderFor: (component) => createEventRecorder(registry, { component, clock }),
    volumes: { volumesDir, nodeName: 'podrun' },
  });
  await manager.start();
});

afterEach(() => {
  manager.stop();
  admission.stop();
  rmSync(volumesDir, { recursive: true, force: true });
});

async function settle(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    await flushMicrotasks();
    await manager.settled();
  }
}

async function pods(): Promise<Pod[]> {
  const items = (await registry.list('pods', 'default')).items as unknown as Pod[];
  return items.sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
}
const names = async () => (await pods()).map((p) => p.metadata?.name);

/** Plays the scheduler (selected node on delayed claims) and the kubelet: pods become Running and Ready. */
async function runPods(): Promise<void> {
  for (const p of await pods()) {
    if (p.metadata?.deletionTimestamp || p.status?.phase === 'Running') continue;
    for (const v of p.spec?.volumes ?? []) {
      const claim = v.persistentVolumeClaim?.claimName;
      if (!claim) continue;
      await registry.patch('persistentvolumeclaims', 'default', claim, 'merge', {
        metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: 'podrun' } },
      });
    }
    const now = new Date(clock.now()).toISOString();
    // Bound, so that a delete waits for the (played) kubelet as on a node.
    const bound = p.spec?.nodeName
      ? p
      : ((await registry.bind('default', p.metadata!.name!, p.metadata!.uid, 'podrun')) as unknown as Pod);
    await registry.updateStatus('pods', 'default', p.metadata!.name!, {
      ...bound,
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] },
    });
  }
  await settle();
}

/** Deletes pods the controller deleted (they have no kubelet here to finish it). */
async function finishDeletes(): Promise<void> {
  for (const p of await pods()) {
    if (p.metadata?.deletionTimestamp) {
      await registry.delete('pods', 'default', p.metadata.name!, { gracePeriodSeconds: 0 });
    }
  }
  await settle();
}

function statefulSet(extra: Record<string, unknown> = {}, image = 'busybox:1'): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      serviceName: 'web',
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image }] },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
      ...extra,
    },
  };
}

async function getSts(): Promise<StatefulSet> {
  return (await registry.get('statefulsets.apps', 'default', 'web')) as unknown as StatefulSet;
}

describe('StatefulSet controller', () => {
  test('OrderedReady creates one pod at a time, with its claim, hostname and subdomain', async () => {
    await registry.create('statefulsets.apps', 'default', statefulSet());
    await settle();
    assert.deepEqual(await names(), ['web-0']);
    const [web0] = await pods();
    assert.equal(web0!.spec?.hostname, 'web-0');
    assert.equal(web0!.spec?.subdomain, 'web');
    const claim = (await registry.get(
      'persistentvolumeclaims',
      'default',
      'data-web-0',
    )) as unknown as PersistentVolumeClaim;
    assert.equal(claim.spec?.storageClassName, 'standard');
    assert.equal(claim.status?.phase, 'Pending');

    await runPods();
    assert.deepEqual(await names(), ['web-0', 'web-1']);
    const bound = (await registry.get(
      'persistentvolumeclaims',
      'default',
      'data-web-0',
    )) as unknown as PersistentVolumeClaim;
    assert.equal(bound.status?.phase, 'Bound');
    const pv = (await registry.get(
      'persistentvolumes',
      undefined,
      bound.spec!.volumeName!,
    )) as unknown as PersistentVolume;
    assert.equal(pv.status?.phase, 'Bound');
    assert.equal(pv.spec?.claimRef?.uid, bound.metadata?.uid);
    assert.ok(existsSync(pv.spec!.hostPath!.path));
    await runPods();
    await runPods();
    assert.deepEqual(await names(), ['web-0', 'web-1', 'web-2']);
    const sts = await getSts();
    assert.equal(sts.status?.readyReplicas, 3);
    assert.equal(sts.status?.currentRevision, sts.status?.updateRevision);
  });

  test('scale down removes the highest ordinal first and keeps the claims', async () => {
    await registry.create('statefulsets.apps', 'default', statefulSet());
    for (let i = 0; i < 4; i++) await runPods();
    await registry.patch('statefulsets.apps', 'default', 'web', 'merge', { spec: { replicas: 1 } });
    await settle();
    const deleting = (await pods()).filter((p) => p.metadata?.deletionTimestamp).map((p) => p.metadata?.name);
    assert.deepEqual(deleting, ['web-2']);
    await finishDeletes();
    const next = (await pods()).filter((p) => p.metadata?.deletionTimestamp).map((p) => p.metadata?.name);
    assert.deepEqual(next, ['web-1']);
    await finishDeletes();
    assert.deepEqual(await names(), ['web-0']);
    const claims = (await registry.list('persistentvolumeclaims', 'default')).items.map(
      (c) => c.metadata.name,
    );
    assert.deepEqual(claims.sort(), ['data-web-0', 'data-web-1', 'data-web-2']);
  });

  test('whenScaled: Delete removes the claims of the pods scaled away', async () => {
    await registry.create(
      'statefulsets.apps',
      'default',
      statefulSet({ replicas: 2, persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete' } }),
    );
    for (let i = 0; i < 3; i++) await runPods();
    await registry.patch('statefulsets.apps', 'default', 'web', 'merge', { spec: { replicas: 1 } });
    await settle();
    await finishDeletes();
    await settle();
    const claims = (await registry.list('persistentvolumeclaims', 'default')).items.map(
      (c) => c.metadata.name,
    );
    assert.deepEqual(claims, ['data-web-0']);
  });

  test('a rolling update with a partition updates only the ordinals at or above it, highest first', async () => {
    await registry.create(
      'statefulsets.apps',
      'default',
      statefulSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }),
    );
    for (let i = 0; i < 4; i++) await runPods();
    const before = await getSts();
    await registry.patch('statefulsets.apps', 'default', 'web', 'merge', {
      spec: { template: { spec: { containers: [{ name: 'app', image: 'busybox:2' }] } } },
    });
    await settle();
    const deleting = (await pods()).filter((p) => p.metadata?.deletionTimestamp).map((p) => p.metadata?.name);
    assert.deepEqual(deleting, ['web-2']);
    for (let i = 0; i < 4; i++) {
      await finishDeletes();
      await runPods();
    }
    const images = Object.fromEntries(
      (await pods()).map((p) => [p.metadata?.name, p.spec?.containers[0]?.image]),
    );
    assert.deepEqual(images, { 'web-0': 'busybox:1', 'web-1': 'busybox:2', 'web-2': 'busybox:2' });
    const sts = await getSts();
    assert.equal(sts.status?.currentRevision, before.status?.currentRevision);
    assert.notEqual(sts.status?.updateRevision, sts.status?.currentRevision);
    assert.equal(sts.status?.updatedReplicas, 2);
    const revisions = (await registry.list('controllerrevisions.apps', 'default')).items;
    assert.equal(revisions.length, 2);
  });

  test('Parallel creates every pod at once', async () => {
    await registry.create('statefulsets.apps', 'default', statefulSet({ podManagementPolicy: 'Parallel' }));
    await settle();
    assert.deepEqual(await names(), ['web-0', 'web-1', 'web-2']);
  });

  test('a deleted claim releases its volume, which reclaim policy Delete removes with its directory', async () => {
    await registry.create('statefulsets.apps', 'default', statefulSet({ replicas: 1 }));
    await settle();
    await runPods();
    const claim = (await registry.get(
      'persistentvolumeclaims',
      'default',
      'data-web-0',
    )) as unknown as PersistentVolumeClaim;
    const pv = (await registry.get(
      'persistentvolumes',
      undefined,
      claim.spec!.volumeName!,
    )) as unknown as PersistentVolume;
    // In use by web-0: the claim waits (pvc-protection).
    await registry.delete('persistentvolumeclaims', 'default', 'data-web-0');
    await settle();
    assert.ok(await registry.find('persistentvolumeclaims', 'default', 'data-web-0'));
    await registry.delete('statefulsets.apps', 'default', 'web', { propagationPolicy: 'Orphan' });
    await registry.delete('pods', 'default', 'web-0', { gracePeriodSeconds: 0 });
    await settle();
    await settle();
    assert.equal(await registry.find('persistentvolumeclaims', 'default', 'data-web-0'), undefined);
    assert.equal(await registry.find('persistentvolumes', undefined, pv.metadata!.name!), undefined);
    assert.equal(existsSync(pv.spec!.hostPath!.path), false);
  });

  test('an Immediate class binds at once; with Retain a deleted claim leaves its volume Released and its data', async () => {
    await registry.create('storageclasses.storage.k8s.io', undefined, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'keep' },
      provisioner: 'podrun.dev/local-path',
      reclaimPolicy: 'Retain',
      volumeBindingMode: 'Immediate',
    });
    await registry.create('persistentvolumeclaims', 'default', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'kept' },
      spec: {
        storageClassName: 'keep',
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
      },
    });
    await settle();
    const claim = (await registry.get(
      'persistentvolumeclaims',
      'default',
      'kept',
    )) as unknown as PersistentVolumeClaim;
    assert.equal(claim.status?.phase, 'Bound');
    const name = claim.spec!.volumeName!;
    await registry.delete('persistentvolumeclaims', 'default', 'kept');
    await settle();
    const pv = (await registry.get('persistentvolumes', undefined, name)) as unknown as PersistentVolume;
    assert.equal(pv.status?.phase, 'Released');
    assert.equal(pv.spec?.persistentVolumeReclaimPolicy, 'Retain');
    assert.ok(existsSync(pv.spec!.hostPath!.path));
  });
});
