import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  clampTimestamp,
  graceDeadline,
  MAX_TIMER_SECONDS,
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
  shortenedDeadline,
  waitableGraceSeconds,
} from '../../src/api/grace-period.js';
import { parseInt64 } from '../../src/apiserver/http/query.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('grace-period deadlines', () => {
  test('the bounds are the first and last second an RFC3339 timestamp can hold', () => {
    assert.equal(new Date(MAX_TIMESTAMP_MS).toISOString(), '9999-12-31T23:59:59.000Z');
    assert.equal(new Date(MIN_TIMESTAMP_MS).toISOString(), '0001-01-01T00:00:00.000Z');
    assert.equal(clampTimestamp(Number.MAX_VALUE), MAX_TIMESTAMP_MS);
    assert.equal(clampTimestamp(-Number.MAX_VALUE), MIN_TIMESTAMP_MS);
  });

  test('now + grace, clamped so that any int64 grace gives a time that can be stored', () => {
    assert.equal(graceDeadline(NOW, 30), NOW + 30_000);
    for (const grace of [99_999_999_999_999, 2 ** 53, 2 ** 63 - 1024, 1e308]) {
      assert.equal(graceDeadline(NOW, grace), MAX_TIMESTAMP_MS, String(grace));
    }
  });

  test('a shortened grace keeps the start of the deletion, or counts from now when the deadline was clamped', () => {
    const started = NOW - 10_000;
    assert.equal(shortenedDeadline(started + 60_000, 60, 30, NOW), started + 30_000);
    assert.equal(shortenedDeadline(MAX_TIMESTAMP_MS, 99_999_999_999_999, 30, NOW), NOW + 30_000);
    assert.equal(shortenedDeadline(MAX_TIMESTAMP_MS, 2 ** 63 - 1024, 2 ** 62, NOW), MAX_TIMESTAMP_MS);
  });

  test('a wait for a grace period is at most what a timer can take', () => {
    assert.equal(waitableGraceSeconds(30), 30);
    assert.equal(waitableGraceSeconds(99_999_999_999_999), MAX_TIMER_SECONDS);
    assert.ok(MAX_TIMER_SECONDS * 1000 <= 2 ** 31 - 1);
  });
});

describe('parseInt64', () => {
  test('is strconv.ParseInt(s, 10, 64)', () => {
    assert.equal(parseInt64('0'), 0);
    assert.equal(parseInt64('+7'), 7);
    assert.equal(parseInt64('-007'), -7);
    assert.equal(parseInt64('99999999999999'), 99_999_999_999_999);
    assert.equal(parseInt64('-9223372036854775808'), -(2 ** 63));
    // int64's maximum becomes the largest double below 2^63, which decoding still takes.
    assert.equal(parseInt64('9223372036854775807'), 2 ** 63 - 1024);
    for (const bad of ['', ' 5', '5 ', '1e3', '0x10', '1_000', '1.0', '--1', '٣']) {
      assert.throws(
        () => parseInt64(bad),
        { message: /^strconv\.ParseInt: parsing ".*": invalid syntax$/ },
        bad,
      );
    }
    assert.throws(() => parseInt64('9223372036854775808'), {
      message: 'strconv.ParseInt: parsing "9223372036854775808": value out of range',
    });
  });
});
