// The garbage collector's dangling owners (attemptToDeleteItem in garbagecollector.go): a dependent whose
// owners are all absent (not found, or found with another uid) is deleted, also one created after its owner
// was gone; one with an owner left only loses the dangling references; an owner the informer has not seen
// yet is asked of the API; unresolvable references and dependents being deleted are left alone.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { KubeObject, OwnerReference, Pod } from '../../src/api/types.js';
import type { Registry } from '../../src/apiserver/registry.js';
import { wireGarbageCollector } from '../../src/controllers/garbage-collector.js';
import { Informer } from '../../src/controllers/informer.js';
import { RESOURCE } from '../../src/controllers/kinds.js';
import { WorkQueue } from '../../src/controllers/queue.js';
import { FakeClock } from '../../src/util/clock.js';
import { FakeApi } from './fake-api.js';
import { type ManagerHarness, startManagerHarness } from './manager-harness.js';

const rsRef = (uid: string, name = 'web'): OwnerReference => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name,
  uid,
  controller: true,
  blockOwnerDeletion: true,
});

const pod = (
  name: string,
  owners: OwnerReference[],
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', ownerReferences: owners, ...extra },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

const replicaSet = (name = 'web'): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name, namespace: 'default' },
  spec: { replicas: 1 },
});

describe('garbage collector over a fake API', () => {
  let api: FakeApi;
  let pods: Informer;
  let replicaSets: Informer;
  let queues: WorkQueue[];
  let errors: unknown[];
  let start: () => void;

  beforeEach(async () => {
    api = new FakeApi();
    const clock = new FakeClock();
    queues = [];
    errors = [];
    pods = new Informer(api, RESOURCE.pods);
    replicaSets = new Informer(api, RESOURCE.replicasets);
    start = wireGarbageCollector({
      client: api,
      informers: [pods, replicaSets],
      queue: (_name, sync) => {
        const q = new WorkQueue({
          clock,
          sync: (key) => sync(key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)),
          onError: (_k, err) => errors.push(err),
        });
        queues.push(q);
        return q;
      },
    });
  });
  afterEach(() => {
    for (const q of queues) q.shutDown();
    assert.deepEqual(errors, []);
  });

  const startAll = async () => {
    await pods.start();
    await replicaSets.start();
    start();
    await settle();
  };
  const settle = async () => {
    for (let i = 0; i < 3; i++) for (const q of queues) await q.settled();
  };
  const exists = (name: string) => api.get(RESOURCE.pods, 'default', name) !== undefined;

  test('a pod whose controller owner does not exist is deleted', async () => {
    await startAll();
    api.put(RESOURCE.pods, pod('p', [rsRef('gone-uid')]));
    await settle();
    assert.equal(exists('p'), false);
    assert.deepEqual(api.deleted, ['default/p']);
  });

  test('a pod whose owner exists under another uid is deleted', async () => {
    api.put(RESOURCE.replicasets, replicaSet());
    await startAll();
    api.put(RESOURCE.pods, pod('p', [rsRef('old-uid')]));
    await settle();
    assert.equal(exists('p'), false);
  });

  test('a pod of an existing owner is kept, without asking the API', async () => {
    const rs = api.put(RESOURCE.replicasets, replicaSet());
    await startAll();
    const listsBefore = api.lists.length;
    api.put(RESOURCE.pods, pod('p', [rsRef(rs.metadata.uid!)]));
    await settle();
    assert.equal(exists('p'), true);
    assert.equal(api.lists.length, listsBefore);
  });

  test('an owner the informer has not seen yet is asked of the API, and the pod kept', async () => {
    await startAll();
    replicaSets.stop();
    const rs = api.put(RESOURCE.replicasets, replicaSet());
    api.put(RESOURCE.pods, pod('p', [rsRef(rs.metadata.uid!)]));
    await settle();
    assert.equal(exists('p'), true);
    assert.deepEqual(api.lists.slice(-1), ['replicasets/default']);
  });

  test('a pod created after its owner was deleted is deleted', async () => {
    await startAll();
    const rs = api.put(RESOURCE.replicasets, replicaSet());
    api.remove(RESOURCE.replicasets, 'default', 'web');
    await settle();
    api.put(RESOURCE.pods, pod('late', [rsRef(rs.metadata.uid!)]));
    await settle();
    assert.equal(exists('late'), false);
  });

  test('the dependents of an owner that goes are looked at again', async () => {
    const rs = api.put(RESOURCE.replicasets, replicaSet());
    api.put(RESOURCE.pods, pod('a', [rsRef(rs.metadata.uid!)]));
    api.put(RESOURCE.pods, pod('b', [rsRef(rs.metadata.uid!)]));
    await startAll();
    assert.deepEqual(api.deleted, []);
    api.remove(RESOURCE.replicasets, 'default', 'web');
    await settle();
    assert.deepEqual(api.deleted.sort(), ['default/a', 'default/b']);
  });

  test('an absent owner is asked of the API once for all its dependents', async () => {
    await startAll();
    const listsBefore = api.lists.length;
    for (let i = 0; i < 20; i++) api.put(RESOURCE.pods, pod(`p${i}`, [rsRef('gone-uid')]));
    await settle();
    assert.equal(api.items(RESOURCE.pods).length, 0);
    assert.equal(api.lists.length - listsBefore, 1);
  });

  test('with an owner left, only the dangling reference goes', async () => {
    const rs = api.put(RESOURCE.replicasets, replicaSet('keep'));
    await startAll();
    const solid = { ...rsRef(rs.metadata.uid!, 'keep'), controller: false };
    api.put(RESOURCE.pods, pod('p', [rsRef('gone-uid'), solid]));
    await settle();
    assert.equal(exists('p'), true);
    assert.deepEqual(api.get(RESOURCE.pods, 'default', 'p')?.metadata.ownerReferences, [solid]);
  });

  test('an unresolvable owner and a pod being deleted are left alone', async () => {
    await startAll();
    const widget: OwnerReference = { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'w-uid' };
    api.put(RESOURCE.pods, pod('custom', [widget, rsRef('gone-uid')]));
    api.put(RESOURCE.pods, pod('going', [rsRef('gone-uid')], { deletionTimestamp: '2026-01-01T12:00:00Z' }));
    await settle();
    assert.equal(exists('custom'), true);
    assert.equal(exists('going'), true);
    assert.deepEqual(api.deleted, []);
    assert.deepEqual(api.updated, []);
  });

  test('nothing is judged before every informer has listed; then the orphans found are deleted', async () => {
    const rs = api.put(RESOURCE.replicasets, replicaSet());
    api.put(RESOURCE.pods, pod('owned', [rsRef(rs.metadata.uid!)]));
    api.put(RESOURCE.pods, pod('orphan', [rsRef('gone-uid')]));
    // Pods first: until the ReplicaSets are listed every pod looks orphaned.
    await pods.start();
    await settle();
    assert.deepEqual(api.lists, ['pods/']);
    await replicaSets.start();
    start();
    await settle();
    assert.deepEqual(api.deleted, ['default/orphan']);
    assert.equal(exists('owned'), true);
  });
});

describe('garbage collector in the controller manager', () => {
  let h: ManagerHarness;
  let registry: Registry;
  beforeEach(async () => {
    h = await startManagerHarness();
    registry = h.registry;
  });
  afterEach(() => h.manager.stop());
  const settle = () => h.settle();
  const live = async () =>
    ((await registry.list('pods', 'default')).items as unknown as Pod[]).filter(
      (p) => !p.metadata?.deletionTimestamp,
    );

  const webReplicaSet = (replicas: number): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      },
    },
  });

  test('pods naming a ReplicaSet deleted or replaced are deleted, also those created afterwards', async () => {
    const rs = await registry.create('replicasets.apps', 'default', webReplicaSet(2));
    await settle();
    assert.equal((await live()).length, 2);
    await registry.delete('replicasets.apps', 'default', 'web', { propagationPolicy: 'Background' });
    await settle();
    assert.equal((await live()).length, 0);

    // What a create still in flight when the ReplicaSet went looks like.
    await registry.create('pods', 'default', pod('late', [rsRef(rs.metadata.uid!)]));
    // The same name again: a new uid, which the late pod's reference does not name.
    await registry.create('replicasets.apps', 'default', webReplicaSet(0));
    await registry.create('pods', 'default', pod('stale', [rsRef(rs.metadata.uid!)]));
    await settle();
    assert.deepEqual(await live(), []);
  });
});
