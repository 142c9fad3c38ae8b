// ReplicationControllers run by the ReplicaSet controller's sync: pods from the template, the scale
// subresource (`kubectl scale rc`), the status, and v1's default of orphaning the pods on delete.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Pod, ReplicationController } from '../../src/api/types.js';
import { createEventRecorder } from '../../src/apiserver/events.js';
import { createRegistry, type Registry } from '../../src/apiserver/registry.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { registryControllerClient } from '../../src/server/controller-client.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { FakeClock, flushMicrotasks } from '../../src/util/clock.js';

let registry: Registry;
let manager: ControllerManager;

beforeEach(async () => {
  const clock = new FakeClock();
  registry = await createRegistry({ store: openSqliteStore(':memory:'), clock, nodeName: 'podrun' });
  manager = new ControllerManager({
    client: registryControllerClient(registry),
    clock,
    recorderFor: (component) => createEventRecorder(registry, { component, clock }),
  });
  await manager.start();
});
afterEach(() => manager.stop());

async function settle(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    await flushMicrotasks();
    await manager.settled();
  }
}
const pods = async () => (await registry.list('pods', 'default')).items as unknown as Pod[];

describe('ReplicationController', () => {
  test('pods from the template, scaled through the scale subresource, orphaned on delete', async () => {
    await registry.create('replicationcontrollers', 'default', {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 2,
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    });
    await settle();
    let list = await pods();
    assert.equal(list.length, 2);
    for (const p of list) {
      assert.match(p.metadata?.name ?? '', /^web-[a-z0-9]{5}$/);
      assert.deepEqual(
        p.metadata?.ownerReferences?.map((r) => [r.apiVersion, r.kind, r.name, r.controller]),
        [['v1', 'ReplicationController', 'web', true]],
      );
    }
    const events = (await registry.list('events', 'default')).items as unknown as {
      reason: string;
      source?: { component?: string };
    }[];
    assert.ok(
      events.some((e) => e.reason === 'SuccessfulCreate' && e.source?.component === 'replication-controller'),
    );

    const scale = await registry.getScale('replicationcontrollers', 'default', 'web');
    assert.deepEqual(scale.spec, { replicas: 2 });
    assert.deepEqual(scale.status, { replicas: 2, selector: 'app=web' });
    await registry.patchScale('replicationcontrollers', 'default', 'web', 'merge', { spec: { replicas: 3 } });
    await settle();
    assert.equal((await pods()).length, 3);
    const rc = (await registry.get(
      'replicationcontrollers',
      'default',
      'web',
    )) as unknown as ReplicationController;
    assert.equal(rc.status?.replicas, 3);
    assert.equal(rc.status?.fullyLabeledReplicas, 3);
    assert.equal(rc.status?.observedGeneration, 2);

    await registry.delete('replicationcontrollers', 'default', 'web');
    await settle();
    list = await pods();
    assert.equal(list.length, 3);
    assert.ok(list.every((p) => (p.metadata?.ownerReferences ?? []).length === 0));
  });
});
