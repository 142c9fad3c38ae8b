// A strategic merge patch as large as a request may be (3 MiB: some 200,000 list items) is applied in time
// proportional to its size. Lists used to be merged by linear searches, item against item: 32,000 items
// took 20 s with the event loop, the whole server, blocked, and 200,000 would take a quarter of an hour
// (issue 12: no request may stall the server). There is no timed assertion: at the old speed this file
// runs into the test runner's timeout (the finalizers); the containers check the merge-key path at scale.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { strategicMergePatch } from '../../../src/api/patch/strategic-merge-patch.js';

const N = 200_000;

test('200,000 finalizers: union, delete-from-list and order, as for a few', () => {
  const live = { metadata: { finalizers: Array.from({ length: N }, (_, i) => `live-${i}`) } };
  const added = strategicMergePatch(
    live,
    { metadata: { finalizers: Array.from({ length: N }, (_, i) => `live-${N - 1 - i}`).concat(['new']) } },
    'Pod',
  ) as typeof live;
  assert.equal(added.metadata.finalizers.length, N + 1);
  assert.equal(new Set(added.metadata.finalizers).size, N + 1);
  const removed = strategicMergePatch(
    added,
    {
      metadata: {
        '$deleteFromPrimitiveList/finalizers': added.metadata.finalizers.filter((_, i) => i % 2 === 0),
      },
    },
    'Pod',
  ) as typeof live;
  assert.equal(removed.metadata.finalizers.length, Math.floor((N + 1) / 2));
});

test('50,000 containers: merged by name, reordered by $setElementOrder', () => {
  const M = 50_000;
  const names = Array.from({ length: M }, (_, i) => `c${i}`);
  const live = { spec: { containers: names.map((name) => ({ name, image: 'old' })) } };
  const patched = strategicMergePatch(
    live,
    {
      spec: {
        '$setElementOrder/containers': [...names].reverse().map((name) => ({ name })),
        containers: names.filter((_, i) => i % 3 === 0).map((name) => ({ name, image: 'new' })),
      },
    },
    'Pod',
  ) as typeof live;
  const out = patched.spec.containers;
  assert.equal(out.length, M);
  assert.deepEqual(out[0], { name: `c${M - 1}`, image: (M - 1) % 3 === 0 ? 'new' : 'old' });
  assert.equal(out.filter((c) => c.image === 'new').length, Math.ceil(M / 3));
  assert.deepEqual(
    out.map((c) => c.name),
    [...names].reverse(),
  );
});
