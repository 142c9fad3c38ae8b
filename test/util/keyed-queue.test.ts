import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedQueue } from '../../src/util/keyed-queue.js';

test('one key runs its operations one after another, a failure does not stop the next; keys are independent', async () => {
  const q = new KeyedQueue();
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const first = q.run('a', async () => {
    log.push('a1 start');
    await gate;
    log.push('a1 end');
    throw new Error('a1 failed');
  });
  const second = q.run('a', async () => {
    log.push('a2');
    return 2;
  });
  const other = q.run('b', async () => {
    log.push('b1');
    return 'b';
  });
  assert.equal(await other, 'b');
  assert.deepEqual(log, ['a1 start', 'b1']);
  release();
  await assert.rejects(first, /a1 failed/);
  assert.equal(await second, 2);
  assert.deepEqual(log, ['a1 start', 'b1', 'a1 end', 'a2']);
  await new Promise((r) => setImmediate(r));
  assert.equal(q.size, 0, 'settled keys are forgotten');
});
