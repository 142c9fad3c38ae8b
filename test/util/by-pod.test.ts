import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByPod } from '../../src/util/by-pod.js';

test('ByPod keeps values per pod and key; forgetting a pod leaves the others', () => {
  const m = new ByPod<number>();
  m.set('a', 'x', 1);
  m.set('a', 'y', 2);
  m.set('b', 'x', 3);
  assert.equal(m.get('a', 'x'), 1);
  assert.equal(m.get('b', 'x'), 3);
  m.delete('a', 'x');
  assert.equal(m.get('a', 'x'), undefined);
  assert.equal(m.get('a', 'y'), 2);
  m.forget('a');
  assert.equal(m.get('a', 'y'), undefined);
  assert.equal(m.get('b', 'x'), 3);
  m.set('a', 'y', 4);
  assert.equal(m.get('a', 'y'), 4, 'a forgotten pod can come back');
});
