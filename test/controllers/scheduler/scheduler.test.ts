// The scheduler's loop against in-memory nodes and pods: binding, the Unschedulable condition and
// FailedScheduling event, retries when room is made, and the periodic retry.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Node, Pod, PodCondition } from '../../../src/api/types.js';
import { Scheduler, UNSCHEDULABLE_RETRY_MS } from '../../../src/controllers/scheduler/scheduler.js';
import { FakeClock } from '../../../src/util/clock.js';
import { node, pod } from './fixtures.js';

function setup(nodes: Node[] = [node()]) {
  const clock = new FakeClock(Date.UTC(2026, 11, 5, 12, 0, 0));
  const pods = new Map<string, Pod>();
  const events: string[] = [];
  const conditionWrites: string[] = [];
  const bound: string[] = [];
  const scheduler = new Scheduler({
    clock,
    events: {
      event: (ref, type, reason, message) => events.push(`${ref.name} ${type} ${reason}: ${message}`),
    },
    listNodes: async () => nodes,
    listBoundPods: async (n) =>
      [...pods.values()].filter(
        (p) => p.spec?.nodeName === n && !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''),
      ),
    getPod: async (_ns, name) => pods.get(name),
    bind: async (_ns, name, _uid, n) => {
      bound.push(name);
      const p = pods.get(name)!;
      pods.set(name, {
        ...p,
        spec: { ...p.spec!, nodeName: n },
        status: { conditions: [{ type: 'PodScheduled', status: 'True' }] },
      });
    },
    setScheduledCondition: async (p: Pod, c: PodCondition) => {
      conditionWrites.push(`${p.metadata?.name} ${c.reason}`);
      const cur = pods.get(p.metadata!.name!)!;
      pods.set(p.metadata!.name!, { ...cur, status: { ...cur.status, conditions: [c] } });
    },
    onError: (key, e) => assert.fail(`${key}: ${e}`),
  });
  const add = async (p: Pod) => {
    pods.set(p.metadata!.name!, p);
    scheduler.podUpserted(p);
    await scheduler.idle();
  };
  return { clock, pods, events, conditionWrites, bound, scheduler, add };
}

describe('Scheduler', () => {
  test('a pod that fits is bound with a Scheduled event', async () => {
    const { pods, events, add } = setup();
    await add(pod('web', { cpu: '500m' }));
    assert.equal(pods.get('web')?.spec?.nodeName, 'podrun');
    assert.deepEqual(events, ['web Normal Scheduled: Successfully assigned default/web to podrun']);
  });

  test('a pod that does not fit stays Pending with PodScheduled=False/Unschedulable, and is placed once room is made', async () => {
    const { pods, events, conditionWrites, scheduler, add } = setup();
    await add(pod('hog', { cpu: '1500m' }));
    await add(pod('late', { cpu: '1' }));
    const message =
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..';
    assert.equal(pods.get('late')?.spec?.nodeName, undefined);
    const cond = pods.get('late')?.status?.conditions?.[0];
    assert.deepEqual(
      [cond?.type, cond?.status, cond?.reason, cond?.message, cond?.lastTransitionTime],
      ['PodScheduled', 'False', 'Unschedulable', message, '2026-12-05T12:00:00Z'],
    );
    assert.equal(events[1], `late Warning FailedScheduling: ${message}`);

    // A retry with nothing changed writes no new condition but records the event again.
    scheduler.retryUnschedulable();
    await scheduler.idle();
    assert.deepEqual(conditionWrites, ['late Unschedulable']);
    assert.equal(events.length, 3);

    // The hog finishes: its requests no longer count.
    pods.set('hog', { ...pods.get('hog')!, status: { phase: 'Succeeded' } });
    scheduler.retryUnschedulable();
    await scheduler.idle();
    assert.equal(pods.get('late')?.spec?.nodeName, 'podrun');
  });

  test('unschedulable pods are retried every 5 minutes on their own', async () => {
    const nodes = [node({ labels: {} })];
    const { clock, pods, scheduler, add } = setup(nodes);
    scheduler.start();
    try {
      await add(pod('picky', {}, { nodeSelector: { disktype: 'ssd' } }));
      assert.equal(pods.get('picky')?.status?.conditions?.[0]?.reason, 'Unschedulable');
      nodes[0] = node({ labels: { disktype: 'ssd' } });
      await clock.advance(UNSCHEDULABLE_RETRY_MS);
      await scheduler.idle();
      assert.equal(pods.get('picky')?.spec?.nodeName, 'podrun');
    } finally {
      await scheduler.stop();
    }
  });

  test('a gated pod gets PodScheduled=False/SchedulingGated and waits; a deleted pod leaves the queue', async () => {
    const { pods, events, scheduler, add } = setup();
    await add(pod('gated', {}, { schedulingGates: [{ name: 'example.com/wait' }] }));
    const cond = pods.get('gated')?.status?.conditions?.[0];
    assert.deepEqual(
      [cond?.reason, cond?.message],
      ['SchedulingGated', 'Scheduling is blocked due to non-empty scheduling gates'],
    );
    assert.deepEqual(events, []);
    const ungated = { ...pods.get('gated')!, spec: { ...pods.get('gated')!.spec!, schedulingGates: [] } };
    await add(ungated);
    assert.equal(pods.get('gated')?.spec?.nodeName, 'podrun');

    await add(pod('gone', { cpu: '5' }));
    pods.delete('gone');
    scheduler.podRemoved(pod('gone'));
    scheduler.retryUnschedulable();
    await scheduler.idle();
    assert.equal(pods.has('gone'), false);
  });

  test('queued pods are tried oldest first, then by name; a pod created again under its name takes its new place', async () => {
    const { pods, bound, scheduler } = setup();
    const at = (name: string, t: string): Pod => {
      const p = pod(name);
      return { ...p, metadata: { ...p.metadata, creationTimestamp: `2026-12-05T12:00:0${t}Z` } };
    };
    for (const p of [at('first', '9'), at('c', '1'), at('b', '2'), at('a', '1'), at('z', '0')]) {
      pods.set(p.metadata!.name!, p);
      scheduler.podUpserted(p);
    }
    // z is created again, later than everyone else, before its turn came.
    const z = at('z', '5');
    pods.set('z', z);
    scheduler.podUpserted(z);
    await scheduler.idle();
    // `first` was taken at once, before the others were queued.
    assert.deepEqual(bound, ['first', 'a', 'c', 'b', 'z']);
  });
});
