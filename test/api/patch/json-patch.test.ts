import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PatchError } from '../../../src/api/patch/errors.js';
import { jsonPatch } from '../../../src/api/patch/json-patch.js';

function patchError(reason: PatchError['reason'], message: string | RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof PatchError, `expected PatchError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  };
}

describe('JSON patch (RFC 6902)', () => {
  test('add, remove and replace address objects and arrays, with - appending', () => {
    const doc = { metadata: { labels: { a: '1' } }, spec: { list: [1, 2, 3] } };
    const result = jsonPatch(doc, [
      { op: 'add', path: '/metadata/labels/b', value: '2' },
      { op: 'remove', path: '/metadata/labels/a' },
      { op: 'replace', path: '/spec/list/0', value: 10 },
      { op: 'add', path: '/spec/list/1', value: 15 },
      { op: 'add', path: '/spec/list/-', value: 99 },
      { op: 'remove', path: '/spec/list/2' },
    ]);
    assert.deepEqual(result, { metadata: { labels: { b: '2' } }, spec: { list: [10, 15, 3, 99] } });
    assert.deepEqual(doc.metadata.labels, { a: '1' }, 'the input is not modified');
  });

  test('pointer escapes ~1 and ~0 name keys containing / and ~', () => {
    const result = jsonPatch({ metadata: { annotations: {} } }, [
      { op: 'add', path: '/metadata/annotations/example.com~1a~0b', value: 'x' },
    ]);
    assert.deepEqual(result, { metadata: { annotations: { 'example.com/a~b': 'x' } } });
  });

  test('move and copy take a value from "from"; a successful test changes nothing', () => {
    const result = jsonPatch({ a: { x: 1 }, b: {} }, [
      { op: 'copy', from: '/a/x', path: '/b/y' },
      { op: 'move', from: '/a', path: '/c' },
      { op: 'test', path: '/c', value: { x: 1 } },
    ]);
    assert.deepEqual(result, { b: { y: 1 }, c: { x: 1 } });
  });

  test('a failed test fails the whole patch with evanphx/json-patch wording', () => {
    assert.throws(
      () =>
        jsonPatch({ a: 1 }, [
          { op: 'replace', path: '/a', value: 2 },
          { op: 'test', path: '/a', value: 1 },
        ]),
      patchError('invalid', 'testing value /a failed: test failed'),
    );
  });

  test('operations on missing paths fail and name the path', () => {
    assert.throws(
      () => jsonPatch({}, [{ op: 'remove', path: '/a' }]),
      patchError('invalid', /nonexistent key: a/),
    );
    assert.throws(
      () => jsonPatch({}, [{ op: 'replace', path: '/a', value: 1 }]),
      patchError('invalid', 'replace operation does not apply: doc is missing key: /a: missing value'),
    );
    assert.throws(
      () => jsonPatch({}, [{ op: 'add', path: '/a/b', value: 1 }]),
      patchError('invalid', 'add operation does not apply: doc is missing path: "/a/b": missing value'),
    );
    assert.throws(
      () => jsonPatch({ l: [1] }, [{ op: 'add', path: '/l/5', value: 1 }]),
      patchError('invalid', /invalid index/),
    );
    assert.throws(
      () => jsonPatch({ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/b/c' }]),
      patchError('invalid', /is inside/),
    );
  });

  test('malformed operations are rejected before anything is applied', () => {
    assert.throws(() => jsonPatch({}, { op: 'add' }), patchError('malformed', /cannot unmarshal object/));
    assert.throws(
      () => jsonPatch({}, [{ op: 'frob', path: '/a' }]),
      patchError('malformed', 'Unexpected kind: frob'),
    );
    assert.throws(
      () => jsonPatch({}, [{ op: 'add', path: '/a' }]),
      patchError('malformed', /missing "value"/),
    );
    assert.throws(
      () => jsonPatch({}, [{ op: 'add', path: 'a', value: 1 }]),
      patchError('malformed', /must be empty or start with/),
    );
  });
});
