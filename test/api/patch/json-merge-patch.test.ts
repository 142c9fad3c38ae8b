import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jsonMergePatch } from '../../../src/api/patch/json-merge-patch.js';

describe('JSON merge patch (RFC 7386)', () => {
  test('the RFC 7386 example: objects merge, null removes, arrays replace', () => {
    const target = {
      title: 'Goodbye!',
      author: { givenName: 'John', familyName: 'Doe' },
      tags: ['example', 'sample'],
      content: 'This will be unchanged',
    };
    const patch = {
      title: 'Hello!',
      phoneNumber: '+01-123-456-7890',
      author: { familyName: null },
      tags: ['example'],
    };
    assert.deepEqual(jsonMergePatch(target, patch), {
      title: 'Hello!',
      author: { givenName: 'John' },
      tags: ['example'],
      content: 'This will be unchanged',
      phoneNumber: '+01-123-456-7890',
    });
    assert.equal(target.author.familyName, 'Doe', 'the target is not modified');
  });

  test('the RFC 7386 test cases for non-object values', () => {
    assert.deepEqual(jsonMergePatch({ a: 'b' }, { a: 'c' }), { a: 'c' });
    assert.deepEqual(jsonMergePatch({ a: ['b'] }, { a: 'c' }), { a: 'c' });
    assert.deepEqual(jsonMergePatch({ a: 'foo' }, 'bar'), 'bar');
    assert.deepEqual(jsonMergePatch({ e: null }, { a: 1 }), { e: null, a: 1 });
    assert.deepEqual(jsonMergePatch([1, 2], { a: 'b', c: null }), { a: 'b' });
    assert.deepEqual(jsonMergePatch({}, { a: { bb: { ccc: null } } }), { a: { bb: {} } });
  });

  test('the result shares no objects with the target', () => {
    const target = { spec: { nested: { x: 1 } }, other: { y: 2 } };
    const result = jsonMergePatch(target, { spec: { z: 3 } });
    result.other.y = 99;
    assert.equal(target.other.y, 2);
  });
});
