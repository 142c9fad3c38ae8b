import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BackoffState, backoffUntil, nextBackoff } from '../../src/kubelet/backoff.js';
import { type BackoffConfig, DEFAULT_CRASHLOOP_BACKOFF } from '../../src/kubelet/types.js';
import { goDuration } from '../../src/util/go-format.js';

/**
 * A container that fails `runMs` after each start, restarted as soon as the backoff allows (as doBackOff
 * does): returns the wait before each restart, in seconds.
 */
function waits(config: BackoffConfig, restarts: number, runMs: number | ((n: number) => number)): number[] {
  let state: BackoffState = {};
  let now = 0;
  const out: number[] = [];
  for (let n = 0; n < restarts; n++) {
    now += typeof runMs === 'function' ? runMs(n) : runMs;
    const finishedAt = now;
    const until = backoffUntil(state, 'k', finishedAt, now, config);
    const wait = until === undefined ? 0 : until - now;
    out.push(wait / 1000);
    now += wait;
    state = { k: nextBackoff(state, 'k', finishedAt, now, config) };
  }
  return out;
}

describe('crash-loop backoff', () => {
  it('the first restart is immediate, then the delay doubles from 10s up to 300s', () => {
    assert.deepEqual(waits(DEFAULT_CRASHLOOP_BACKOFF, 9, 1000), [0, 10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it('the backoff resets only when the container ran longer than 10 minutes before failing', () => {
    const run = (n: number) => (n === 4 ? 601_000 : 1000);
    assert.deepEqual(waits(DEFAULT_CRASHLOOP_BACKOFF, 7, run), [0, 10, 20, 40, 0, 10, 20]);
  });

  it('a container that ran less than 10 minutes keeps its backoff', () => {
    const run = (n: number) => (n === 3 ? 560_000 : 1000);
    assert.deepEqual(waits(DEFAULT_CRASHLOOP_BACKOFF, 5, run), [0, 10, 20, 40, 80]);
  });

  it('the initial delay and the cap are configurable', () => {
    const config = { initialMs: 1000, maxMs: 5000, resetAfterMs: 600_000 };
    assert.deepEqual(waits(config, 7, 100), [0, 1, 2, 4, 5, 5, 5]);
  });
});

describe('goDuration', () => {
  it('prints delays as Go durations', () => {
    assert.equal(goDuration(10_000), '10s');
    assert.equal(goDuration(80_000), '1m20s');
    assert.equal(goDuration(160_000), '2m40s');
    assert.equal(goDuration(300_000), '5m0s');
    assert.equal(goDuration(3_600_000), '1h0m0s');
    assert.equal(goDuration(1500), '1.5s');
    assert.equal(goDuration(250), '250ms');
  });
});
