import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MinHeap } from '../../src/util/min-heap.js';

describe('MinHeap', () => {
  it('pops in order whatever the order of pushes, duplicates included', () => {
    const h = new MinHeap<number>((a, b) => a < b);
    const values = Array.from({ length: 500 }, (_, i) => (i * 7919) % 211);
    for (const v of values) h.push(v);
    assert.equal(h.size, 500);
    const out: number[] = [];
    for (let v = h.pop(); v !== undefined; v = h.pop()) out.push(v);
    assert.deepEqual(
      out,
      [...values].sort((a, b) => a - b),
    );
    assert.equal(h.pop(), undefined);
  });

  it('interleaved pushes and pops always give the least item left', () => {
    const h = new MinHeap<string>((a, b) => a < b);
    h.push('m');
    h.push('c');
    assert.equal(h.pop(), 'c');
    h.push('a');
    h.push('z');
    assert.equal(h.pop(), 'a');
    assert.equal(h.pop(), 'm');
    assert.equal(h.pop(), 'z');
    assert.equal(h.size, 0);
  });
});
