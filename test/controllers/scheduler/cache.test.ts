// The scheduler's cache of bound pods: the per-node sum of requests follows pods as they are bound, change,
// finish and go, and a late assume does not bring back a pod that went.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod } from '../../../src/api/types.js';
import { BoundPodCache } from '../../../src/controllers/scheduler/cache.js';
import { nodeRequested } from '../../../src/controllers/scheduler/filters.js';
import { node, pod } from './fixtures.js';

function bound(name: string, cpu: string, nodeName = 'podrun', phase?: string): Pod {
  const p = pod(name, { cpu, memory: '1Mi' }, { nodeName });
  return phase ? { ...p, status: { phase } } : p;
}

/** The cache's sum against the sum of its pods computed from scratch. */
function assertConsistent(cache: BoundPodCache, nodeName = 'podrun'): void {
  const { pods, requested } = cache.boundPods(nodeName);
  assert.deepEqual(requested, nodeRequested({ node: node(), pods }));
}

describe('BoundPodCache', () => {
  test('sums the requests of the bound pods and drops those that finish or go', () => {
    const cache = new BoundPodCache();
    cache.upsert(bound('a', '500m'));
    cache.upsert(bound('b', '250m'));
    assert.equal(cache.boundPods('podrun').requested.milliCPU, 750);
    assert.equal(cache.boundPods('podrun').pods.length, 2);
    assertConsistent(cache);
    cache.upsert(bound('a', '500m', 'podrun', 'Succeeded'));
    assert.deepEqual(
      cache.boundPods('podrun').pods.map((p) => p.metadata?.name),
      ['b'],
    );
    assert.equal(cache.boundPods('podrun').requested.milliCPU, 250);
    cache.remove(bound('b', '250m'));
    assert.equal(cache.boundPods('podrun').pods.length, 0);
    assert.equal(cache.boundPods('podrun').requested.milliCPU, 0);
  });

  test('an update replaces the pod and its requests, on the node it names', () => {
    const cache = new BoundPodCache();
    cache.upsert(bound('a', '500m'));
    cache.upsert(bound('a', '1'));
    assert.equal(cache.boundPods('podrun').requested.milliCPU, 1000);
    cache.upsert(bound('a', '1', 'other'));
    assert.equal(cache.boundPods('podrun').pods.length, 0);
    assert.equal(cache.boundPods('other').requested.milliCPU, 1000);
    assertConsistent(cache, 'other');
  });

  test('assume counts a just-bound pod, but neither doubles one the watch delivered nor revives one that went', () => {
    const cache = new BoundPodCache();
    const a = pod('a', { cpu: '100m' });
    cache.assume(a, 'podrun');
    assert.equal(cache.boundPods('podrun').requested.milliCPU, 100);
    cache.upsert(bound('a', '100m'));
    cache.assume(a, 'podrun');
    assert.equal(cache.boundPods('podrun').requested.milliCPU, 100);
    assert.equal(cache.boundPods('podrun').pods.length, 1);
    cache.remove(bound('a', '100m'));
    cache.assume(a, 'podrun');
    assert.equal(cache.boundPods('podrun').pods.length, 0);
  });
});
