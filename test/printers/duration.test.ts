import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  humanDuration,
  shortHumanDuration,
  translateMicroTimestampSince,
  translateTimestampSince,
} from '../../src/printers/duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const Y = 365 * D;

// The cases of apimachinery's TestHumanDuration and TestHumanDurationBoundaries (v0.32), in milliseconds.
const cases: [ms: number, want: string][] = [
  [S, '1s'],
  [70 * S, '70s'],
  [190 * S, '3m10s'],
  [70 * M, '70m'],
  [47 * H, '47h'],
  [49 * H, '2d1h'],
  [(8 * 24 + 2) * H, '8d'],
  [367 * D, '367d'],
  [(365 * 2 * 24 + 25) * H, '2y1d'],
  [(365 * 8 * 24 + 2) * H, '8y'],
  [-2 * S, '<invalid>'],
  [-2 * S + 1, '0s'],
  [0, '0s'],
  [S - 1, '0s'],
  [2 * M - 1, '119s'],
  [2 * M, '2m'],
  [2 * M + S, '2m1s'],
  [10 * M - 1, '9m59s'],
  [10 * M, '10m'],
  [10 * M + S, '10m'],
  [3 * H - 1, '179m'],
  [3 * H, '3h'],
  [3 * H + M, '3h1m'],
  [8 * H - 1, '7h59m'],
  [8 * H, '8h'],
  [8 * H + 59 * M, '8h'],
  [2 * D - 1, '47h'],
  [2 * D, '2d'],
  [2 * D + H, '2d1h'],
  [8 * D - 1, '7d23h'],
  [8 * D, '8d'],
  [8 * D + 23 * H, '8d'],
  [2 * Y - 1, '729d'],
  [2 * Y, '2y'],
  [2 * Y + 23 * H + 59 * M, '2y'],
  [2 * Y + D - 1, '2y'],
  [2 * Y + D, '2y1d'],
  [3 * Y, '3y'],
  [7 * Y, '7y'],
  [8 * Y - 1, '7y364d'],
  [8 * Y, '8y'],
  [8 * Y + 364 * D, '8y'],
  [9 * Y, '9y'],
];

test('humanDuration matches apimachinery HumanDuration at every unit boundary', () => {
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `humanDuration(${ms})`);
});

test('humanDuration forgives less than two seconds of clock skew and calls more <invalid>', () => {
  assert.equal(humanDuration(-1999), '0s');
  assert.equal(humanDuration(-1000), '0s');
  assert.equal(humanDuration(-2000), '<invalid>');
  assert.equal(humanDuration(-60 * S), '<invalid>');
});

test('shortHumanDuration keeps one unit only', () => {
  assert.equal(shortHumanDuration(59 * S), '59s');
  assert.equal(shortHumanDuration(190 * S), '3m');
  assert.equal(shortHumanDuration(5 * H + 59 * M), '5h');
  assert.equal(shortHumanDuration(49 * H), '2d');
  assert.equal(shortHumanDuration(800 * D), '2y');
  assert.equal(shortHumanDuration(-1500), '0s');
  assert.equal(shortHumanDuration(-2500), '<invalid>');
});

test('translateTimestampSince is HumanDuration from the timestamp to now, and <unknown> when unset', () => {
  const now = Date.parse('2026-11-24T22:10:15Z');
  assert.equal(translateTimestampSince('2026-11-24T22:10:04Z', now), '11s');
  assert.equal(translateTimestampSince('2026-11-24T21:00:00Z', now), '70m');
  assert.equal(translateTimestampSince(undefined, now), '<unknown>');
  assert.equal(translateTimestampSince('', now), '<unknown>');
  assert.equal(translateTimestampSince('2026-11-24T22:10:20Z', now), '<invalid>');
});

test('metav1.Time counts whole seconds, as a real API server stores it; MicroTime keeps its precision', () => {
  const now = Date.parse('2026-11-24T22:10:15.000Z');
  // Served as 22:10:04, so 11 s old, although only 10.1 s have passed since the written instant.
  assert.equal(translateTimestampSince('2026-11-24T22:10:04.900Z', now), '11s');
  assert.equal(translateMicroTimestampSince('2026-11-24T22:10:04.900000Z', now), '10s');
});
