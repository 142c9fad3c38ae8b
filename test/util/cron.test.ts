// Cron schedules as robfig/cron v3's ParseStandard reads them: fields, names, steps, descriptors, the TZ=
// prefix with IANA zones (through Intl), daylight-saving days, and its error messages word for word.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseStandard } from '../../src/util/cron.js';
import { dateIn, formatRFC3339, loadLocation, wallTime } from '../../src/util/zoned-time.js';

const at = (s: string) => Date.parse(s);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function nexts(spec: string, from: string, n: number, zone = 'UTC'): (string | undefined)[] {
  const s = parseStandard(spec, zone);
  const out: (string | undefined)[] = [];
  let t: number | undefined = at(from);
  for (let i = 0; i < n && t !== undefined; i++) {
    t = s.next(t);
    out.push(iso(t));
  }
  return out;
}

describe('cron schedules', () => {
  test('five fields: every minute, steps, ranges, lists and names', () => {
    assert.deepEqual(nexts('* * * * *', '2026-01-01T12:00:30Z', 2), [
      '2026-01-01T12:01:00.000Z',
      '2026-01-01T12:02:00.000Z',
    ]);
    // Strictly after: a due time is not its own next.
    assert.deepEqual(nexts('* * * * *', '2026-01-01T12:01:00Z', 1), ['2026-01-01T12:02:00.000Z']);
    assert.deepEqual(nexts('*/20 * * * *', '2026-01-01T12:00:00Z', 3), [
      '2026-01-01T12:20:00.000Z',
      '2026-01-01T12:40:00.000Z',
      '2026-01-01T13:00:00.000Z',
    ]);
    assert.deepEqual(nexts('5 9-10 * * MON-fri', '2026-01-02T09:30:00Z', 3), [
      '2026-01-02T10:05:00.000Z', // Friday
      '2026-01-05T09:05:00.000Z', // Monday
      '2026-01-05T10:05:00.000Z',
    ]);
    assert.deepEqual(nexts('0 0 1,15 feb *', '2026-01-20T00:00:00Z', 2), [
      '2026-02-01T00:00:00.000Z',
      '2026-02-15T00:00:00.000Z',
    ]);
    // N/step is N-max/step.
    assert.deepEqual(nexts('50/5 * * * *', '2026-01-01T12:00:00Z', 3), [
      '2026-01-01T12:50:00.000Z',
      '2026-01-01T12:55:00.000Z',
      '2026-01-01T13:50:00.000Z',
    ]);
  });

  test('day of month and day of week: either when both are restricted, both when one is *', () => {
    // The 13th, or any Friday.
    assert.deepEqual(nexts('0 0 13 * 5', '2026-03-01T00:00:00Z', 3), [
      '2026-03-06T00:00:00.000Z',
      '2026-03-13T00:00:00.000Z',
      '2026-03-20T00:00:00.000Z',
    ]);
    // Fridays only.
    assert.deepEqual(nexts('0 0 * * 5', '2026-03-01T00:00:00Z', 1), ['2026-03-06T00:00:00.000Z']);
    // A February 29th comes every four years; a February 31st never, within robfig's five years.
    assert.deepEqual(nexts('0 0 29 2 *', '2026-03-01T00:00:00Z', 1), ['2028-02-29T00:00:00.000Z']);
    assert.deepEqual(nexts('59 23 31 2 *', '2026-03-01T00:00:00Z', 1), [undefined]);
  });

  test('descriptors and @every', () => {
    const from = '2026-03-28T23:30:10Z';
    assert.deepEqual(nexts('@hourly', from, 1), ['2026-03-29T00:00:00.000Z']);
    assert.deepEqual(nexts('@daily', from, 1), ['2026-03-29T00:00:00.000Z']);
    assert.deepEqual(nexts('@midnight', from, 1), ['2026-03-29T00:00:00.000Z']);
    assert.deepEqual(nexts('@weekly', from, 1), ['2026-03-29T00:00:00.000Z']); // a Sunday
    assert.deepEqual(nexts('@monthly', from, 1), ['2026-04-01T00:00:00.000Z']);
    assert.deepEqual(nexts('@yearly', from, 1), ['2027-01-01T00:00:00.000Z']);
    assert.deepEqual(nexts('@annually', from, 1), ['2027-01-01T00:00:00.000Z']);
    assert.deepEqual(nexts('@every 90s', from, 2), ['2026-03-28T23:31:40.000Z', '2026-03-28T23:33:10.000Z']);
    assert.deepEqual(nexts('@every 1h30m', from, 1), ['2026-03-29T01:00:10.000Z']);
  });

  test('time zones: TZ= and CRON_TZ= prefixes, a default zone, and daylight-saving days', () => {
    // 02:30 does not exist in Paris on 29 March 2026: that day is skipped, as robfig does.
    assert.deepEqual(nexts('CRON_TZ=Europe/Paris 30 2 * * *', '2026-03-28T12:00:00Z', 2), [
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
    assert.deepEqual(nexts('TZ=America/New_York 0 0 * * *', '2026-03-07T12:00:00Z', 2), [
      '2026-03-08T05:00:00.000Z', // EST
      '2026-03-09T04:00:00.000Z', // EDT
    ]);
    assert.deepEqual(nexts('0 9 * * *', '2026-05-31T23:00:00Z', 1, 'Asia/Tokyo'), [
      '2026-06-01T00:00:00.000Z',
    ]);
    // 01:30 happens twice in New York on 1 November 2026, and robfig's search finds both.
    assert.deepEqual(nexts('30 1 * * *', '2026-11-01T00:00:00Z', 2, 'America/New_York'), [
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:30:00.000Z',
    ]);
  });

  test('errors in robfig words', () => {
    const err = (spec: string) => {
      try {
        parseStandard(spec);
        return 'ok';
      } catch (e) {
        return (e as Error).message;
      }
    };
    assert.equal(err(''), 'empty spec string');
    assert.equal(err('* * * *'), 'expected exactly 5 fields, found 4: [* * * *]');
    assert.equal(err('* * * * * *'), 'expected exactly 5 fields, found 6: [* * * * * *]');
    assert.equal(err('61 * * * *'), 'end of range (61) above maximum (59): 61');
    assert.equal(err('* * 0 * *'), 'beginning of range (0) below minimum (1): 0');
    assert.equal(err('* * * * 7'), 'end of range (7) above maximum (6): 7');
    assert.equal(err('5-1 * * * *'), 'beginning of range (5) beyond end of range (1): 5-1');
    assert.equal(err('*/0 * * * *'), 'step of range should be a positive number: */0');
    assert.equal(err('1-2-3 * * * *'), 'too many hyphens: 1-2-3');
    assert.equal(err('*/2/2 * * * *'), 'too many slashes: */2/2');
    assert.equal(err('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
    assert.equal(
      err('* * * foo *'),
      'failed to parse int from foo: strconv.Atoi: parsing "foo": invalid syntax',
    );
    assert.equal(err('@fortnightly'), 'unrecognized descriptor: @fortnightly');
    assert.equal(err('@every x'), 'failed to parse duration @every x: time: invalid duration "x"');
    assert.equal(
      err('CRON_TZ=Mars/Olympus * * * * *'),
      'provided bad location Mars/Olympus: unknown time zone Mars/Olympus',
    );
  });
});

describe('zoned time', () => {
  test('time.LoadLocation names: case matters, UTC and "" are UTC', () => {
    assert.equal(loadLocation(''), 'UTC');
    assert.equal(loadLocation('UTC'), 'UTC');
    assert.equal(loadLocation('Europe/Paris'), 'Europe/Paris');
    assert.throws(() => loadLocation('europe/paris'), /unknown time zone europe\/paris/);
    assert.throws(() => loadLocation('Nowhere/Land'), /unknown time zone Nowhere\/Land/);
  });

  test('wall times, normalised dates and RFC 3339 with offsets', () => {
    const ms = at('2026-07-01T10:00:00Z');
    assert.deepEqual(wallTime(ms, 'Europe/Paris'), {
      year: 2026,
      month: 7,
      day: 1,
      hour: 12,
      minute: 0,
      second: 0,
      weekday: 3,
    });
    assert.equal(iso(dateIn('Europe/Paris', 2026, 13, 1, 0, 0, 0)), '2026-12-31T23:00:00.000Z');
    assert.equal(formatRFC3339(ms, 'Europe/Paris'), '2026-07-01T12:00:00+02:00');
    assert.equal(formatRFC3339(ms, 'UTC'), '2026-07-01T10:00:00Z');
    assert.equal(formatRFC3339(ms, 'America/St_Johns'), '2026-07-01T07:30:00-02:30');
  });
});
