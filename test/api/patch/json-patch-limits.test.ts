// The JSON patch limits the API server sets: 10,000 operations, and 3 MiB added by `copy` in one patch
// (evanphx/json-patch's AccumulatedCopySizeLimit, counted in bytes of Go's json.Marshal output).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PatchError } from '../../../src/api/patch/errors.js';
import {
  ACCUMULATED_COPY_SIZE_LIMIT,
  goJsonSize,
  jsonPatch,
  MAX_JSON_PATCH_OPERATIONS,
} from '../../../src/api/patch/json-patch.js';

function patchError(reason: PatchError['reason'], message: RegExp | string) {
  return (err: unknown) => {
    assert.ok(err instanceof PatchError, `expected PatchError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  };
}

/** `add` a small map, then copy the map into itself n times: each copy doubles it. */
function copyBomb(n: number): unknown[] {
  const ops: unknown[] = [{ op: 'add', path: '/metadata/annotations', value: { a: 'x'.repeat(40) } }];
  for (let i = 0; i < n; i++) {
    ops.push({ op: 'copy', from: '/metadata/annotations', path: `/metadata/annotations/k${i}` });
  }
  return ops;
}

describe('JSON patch limits', () => {
  test('copying a map into itself 25 times stops at the 3 MiB copy limit with json-patch’s error', () => {
    const target = { metadata: { name: 'x' } };
    assert.throws(
      () => jsonPatch(target, copyBomb(25)),
      patchError(
        'invalid',
        /^Unable to complete the copy, the accumulated size increase of copy is \d+, exceeding the limit 3145728$/,
      ),
    );
    assert.equal(ACCUMULATED_COPY_SIZE_LIMIT, 3 * 1024 * 1024);
    // The target is untouched: the patch works on a copy.
    assert.deepEqual(target, { metadata: { name: 'x' } });
  });

  test('copies under the limit apply, and the sizes of all copies in a patch add up', () => {
    const doc = { a: 'xxxx', list: [] as unknown[] };
    // "xxxx" is 6 bytes of JSON: two copies are 12.
    const twice = [
      { op: 'copy', from: '/a', path: '/b' },
      { op: 'copy', from: '/a', path: '/c' },
    ];
    assert.deepEqual(jsonPatch(doc, twice, { accumulatedCopySizeLimit: 12 }), {
      a: 'xxxx',
      b: 'xxxx',
      c: 'xxxx',
      list: [],
    });
    assert.throws(
      () => jsonPatch(doc, twice, { accumulatedCopySizeLimit: 11 }),
      patchError(
        'invalid',
        'Unable to complete the copy, the accumulated size increase of copy is 12, exceeding the limit 11',
      ),
    );
    // add, move and replace are not copies and do not count.
    const noCopies = [
      { op: 'add', path: '/d', value: 'y'.repeat(100) },
      { op: 'move', from: '/d', path: '/e' },
    ];
    assert.equal(
      (jsonPatch(doc, noCopies, { accumulatedCopySizeLimit: 1 }) as unknown as { e: string }).e.length,
      100,
    );
  });

  test('sizes are counted as Go writes JSON: <, > and & escaped, U+2028 escaped, UTF-8 bytes', () => {
    assert.equal(goJsonSize({ a: 1 }), 7);
    assert.equal(goJsonSize('<&>'), 2 + 3 * 6);
    assert.equal(goJsonSize('é'), 2 + 2);
    assert.equal(goJsonSize('\u2028'), 2 + 6);
    assert.equal(goJsonSize([null, true, 'x']), '[null,true,"x"]'.length);
  });

  test('more than 10,000 operations are refused before any is applied', () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({
      op: 'test',
      path: '',
      value: {},
    }));
    assert.throws(
      () => jsonPatch({}, ops),
      patchError('tooLarge', 'The allowed maximum operations in a JSON patch is 10000, got 10001'),
    );
    assert.deepEqual(jsonPatch({}, ops.slice(1)), {});
  });
});
