import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeHistory, type ChangeRecord } from '../../src/store/history.js';

const change = (revision: number): ChangeRecord => ({
  type: 'MODIFIED',
  groupResource: 'pods',
  namespace: 'default',
  revision,
  object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${revision}` } },
});
const revisions = (h: ChangeHistory, after = 0) => h.after(after, () => true).map((r) => r.revision);

test('the ring keeps at most its capacity; a watch resumes after the newest change it dropped', () => {
  const h = new ChangeHistory(3, 0);
  for (let r = 1; r <= 5; r++) h.push(change(r));
  assert.deepEqual(revisions(h), [3, 4, 5]);
  assert.equal(h.resumableFrom, 2);
  assert.deepEqual(revisions(h, 3), [4, 5]);
});

test('beyond its minimum, the ring drops changes older than its window (upstream keeps ~75 s)', () => {
  let now = 0;
  const h = new ChangeHistory(100, 0, { ms: 1000, minimum: 2, now: () => now });
  h.push(change(1));
  h.push(change(2));
  now = 500;
  h.push(change(3));
  assert.deepEqual(revisions(h), [1, 2, 3], 'nothing is older than the window yet');
  now = 1500;
  h.push(change(4));
  assert.deepEqual(revisions(h), [3, 4]);
  assert.equal(h.resumableFrom, 2);
  now = 100_000;
  h.push(change(5));
  assert.deepEqual(revisions(h), [4, 5], 'the minimum is kept however old');
  assert.equal(h.size, 2);
  assert.equal(h.resumableFrom, 3);
});
