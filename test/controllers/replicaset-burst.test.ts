// The ReplicaSet controller's bounded work per sync (manageReplicas in replica_set.go): at most
// burstReplicas (500) creates in slow-start batches of 1, 2, 4, …, none after a batch with a failure, the
// rest on the next syncs; at most 500 deletes; and nothing more for a ReplicaSet deleted or being deleted.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { ApiError } from '../../src/apiserver/errors.js';
import { Informer } from '../../src/controllers/informer.js';
import { RESOURCE } from '../../src/controllers/kinds.js';
import { BURST_REPLICAS, type ReplicaSetSyncDeps, syncReplicaSet } from '../../src/controllers/replicaset.js';
import { FakeClock } from '../../src/util/clock.js';
import { FakeApi, recordingEvents } from './fake-api.js';

const SLOW_START_500 = [1, 2, 4, 8, 16, 32, 64, 128, 245];

function replicaSet(replicas: number, extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default', generation: 1, ...extra },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      },
    },
  };
}

let api: FakeApi;
let deps: ReplicaSetSyncDeps & { events: ReturnType<typeof recordingEvents> };

beforeEach(async () => {
  api = new FakeApi();
  const pods = new Informer(api, RESOURCE.pods);
  const replicaSets = new Informer(api, RESOURCE.replicasets);
  await pods.start();
  await replicaSets.start();
  deps = { client: api, pods, replicaSets, events: recordingEvents(), clock: new FakeClock() };
});

const podCount = () => api.items(RESOURCE.pods, 'default').length;
const sync = () => syncReplicaSet(deps, 'default', 'web');
const statusReplicas = () =>
  (api.get(RESOURCE.replicasets, 'default', 'web')?.status as { replicas?: number } | undefined)?.replicas;

describe('ReplicaSet controller: burst and slow start', () => {
  test('2,000 replicas: 500 per sync in batches of 1, 2, 4, …; the next syncs go on; then nothing', async () => {
    api.put(RESOURCE.replicasets, replicaSet(2000));
    assert.equal(BURST_REPLICAS, 500);
    await sync();
    assert.equal(podCount(), 500);
    assert.deepEqual(api.createBatches, SLOW_START_500);
    for (let round = 2; round <= 4; round++) {
      await sync();
      assert.equal(podCount(), 500 * round);
    }
    assert.deepEqual(api.createBatches, [
      ...SLOW_START_500,
      ...SLOW_START_500,
      ...SLOW_START_500,
      ...SLOW_START_500,
    ]);
    await sync();
    assert.equal(api.createCalls, 2000);
    assert.equal(deps.events.reasons.filter((r) => r === 'SuccessfulCreate').length, 2000);
    assert.equal(statusReplicas(), 2000);
  });

  test('a huge spec.replicas still makes one sync create at most 500', async () => {
    api.put(RESOURCE.replicasets, replicaSet(1e308));
    await sync();
    assert.equal(podCount(), 500);
  });

  test('the first failing create ends the sync after its batch; the next sync starts slowly again', async () => {
    api.put(RESOURCE.replicasets, replicaSet(2000));
    // The 5th create is in the third batch (creates 4 to 7): that batch runs to its end, no fourth starts.
    api.beforeCreate = (call) => {
      if (call === 5) throw new ApiError(403, 'Forbidden', 'exceeded quota');
    };
    await assert.rejects(sync(), /exceeded quota/);
    assert.deepEqual(api.createBatches, [1, 2, 4]);
    assert.equal(podCount(), 6);
    assert.deepEqual(
      deps.events.reasons.filter((r) => r !== 'SuccessfulCreate'),
      ['FailedCreate'],
    );
    // The status is written before the error is reported, with what the sync started from.
    assert.equal(statusReplicas(), 0);

    api.beforeCreate = undefined;
    await sync();
    assert.equal(podCount(), 506);
    assert.deepEqual(api.createBatches, [1, 2, 4, ...SLOW_START_500]);
  });

  test('a ReplicaSet being deleted gets no pods; its status still follows', async () => {
    api.put(RESOURCE.replicasets, replicaSet(2000, { deletionTimestamp: '2026-01-01T12:00:00Z' }));
    await sync();
    assert.equal(api.createCalls, 0);
    assert.equal(statusReplicas(), 0);
  });

  test('a ReplicaSet that is gone gets nothing', async () => {
    assert.equal(await sync(), undefined);
    assert.equal(api.createCalls, 0);
  });

  for (const [what, change] of [
    ['deleted', () => api.remove(RESOURCE.replicasets, 'default', 'web')],
    [
      'marked for deletion',
      () => {
        const rs = api.get(RESOURCE.replicasets, 'default', 'web')!;
        api.put(RESOURCE.replicasets, { ...rs, metadata: { ...rs.metadata, deletionTimestamp: 'now' } });
      },
    ],
    [
      'replaced by another of the same name',
      () => {
        api.remove(RESOURCE.replicasets, 'default', 'web');
        api.put(RESOURCE.replicasets, replicaSet(2000));
      },
    ],
  ] as const) {
    test(`a ReplicaSet ${what} in the middle of a sync gets no further batch`, async () => {
      api.put(RESOURCE.replicasets, replicaSet(2000));
      // During the second batch (creates 2 and 3).
      api.beforeCreate = (call) => {
        if (call === 2) change();
      };
      await sync();
      assert.deepEqual(api.createBatches, [1, 2]);
      assert.equal(podCount(), 3);
    });
  }

  test('scale-down deletes at most 500 per sync', async () => {
    const rs = api.put(RESOURCE.replicasets, replicaSet(0));
    for (let i = 0; i < 700; i++) {
      api.put(RESOURCE.pods, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `web-${i}`,
          namespace: 'default',
          labels: { app: 'web' },
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: 'web',
              uid: rs.metadata.uid!,
              controller: true,
            },
          ],
        },
        spec: { containers: [] },
      });
    }
    await sync();
    assert.equal(api.deleted.length, 500);
    assert.equal(podCount(), 200);
    await sync();
    assert.equal(podCount(), 0);
    assert.equal(deps.events.reasons.filter((r) => r === 'SuccessfulDelete').length, 700);
  });
});
