// The host runtime's stop: how often it looks for the end itself, and that the exit watch ends the wait.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerRecord } from '../../src/runtime/host/records.js';
import { ContainerStopper } from '../../src/runtime/host/stopper.js';
import { FakeClock } from '../../src/util/clock.js';

// A container whose pid is no process of this boot (pid start time never matches): no signal is ever sent.
const record = (): ContainerRecord =>
  ({ id: 'c1', state: 'running', pid: 1, pidStart: 'never' }) as ContainerRecord;

function stopper(watched: boolean) {
  const clock = new FakeClock(0);
  const looks: number[] = [];
  const s = new ContainerStopper(
    clock,
    () => looks.push(clock.now()),
    () => watched,
  );
  return { clock, looks, s };
}

test('with exit files watched, a stop looks for the end itself once a second, and the watch ends it at once', async () => {
  const { clock, looks, s } = stopper(true);
  const rec = record();
  let done = false;
  void s.kill(rec, 30_000).then(() => {
    done = true;
  });
  await clock.advance(2_500);
  assert.deepEqual(looks, [0, 1_000, 2_000]);
  rec.state = 'exited';
  s.exited(rec.id); // what the runtime's exit watch calls
  await clock.advance(0);
  assert.equal(done, true);
  assert.equal(looks.length, 4, 'woken, it looks once more and sees the end');
});

test('without the watch, a stop polls from 20 ms, doubling up to 200 ms', async () => {
  const { clock, looks, s } = stopper(false);
  const rec = record();
  void s.kill(rec, 30_000);
  await clock.advance(1_000);
  assert.deepEqual(looks, [0, 20, 60, 140, 300, 500, 700, 900]);
  rec.state = 'exited';
  await clock.advance(200);
});
