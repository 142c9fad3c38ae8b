import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonEqual } from '../../src/api/json-equal.js';

test('JSON values are equal by structure, whatever their key order', () => {
  assert.ok(jsonEqual({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 }));
  assert.ok(jsonEqual(null, null));
  assert.ok(!jsonEqual({ a: 1 }, { a: 2 }));
  assert.ok(!jsonEqual([1, 2], [2, 1]));
  assert.ok(!jsonEqual([1], { 0: 1 }));
  assert.ok(!jsonEqual({ a: null }, {}));
  assert.ok(!jsonEqual({ a: 1 }, { a: 1, b: 2 }));
  assert.ok(!jsonEqual({ a: 1, b: 2 }, { a: 1 }));
  assert.ok(!jsonEqual({}, null));
});

test('a key whose value is undefined counts as absent', () => {
  assert.ok(jsonEqual({ a: 1, b: undefined }, { a: 1 }));
  assert.ok(jsonEqual({ a: 1 }, { a: 1, b: undefined }));
  assert.ok(!jsonEqual({ a: undefined, b: 1 }, { a: 1 }));
  assert.ok(!jsonEqual({ a: 1, c: undefined }, { a: 1, b: 2 }));
});
