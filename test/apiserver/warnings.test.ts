// Warning headers as the API server's warning recorder writes them (issue 12: an unknown field named with a
// character Node cannot put in a header made a create a 500).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  TRUNCATE_AT_TOTAL_RUNES,
  TRUNCATE_ITEM_RUNES,
  warningHeaders,
} from '../../src/apiserver/http/warnings.js';

/** What a Go client reads: the header's bytes as UTF-8. */
const asSent = (h: string) => Buffer.from(h, 'latin1').toString('utf8');

describe('Warning headers', () => {
  test('quotes and backslashes are escaped, other characters go out as UTF-8', () => {
    const [h] = warningHeaders(['unknown field "spec.ports[0].|મo\\x" é 💥']);
    assert.equal(asSent(h!), '299 - "unknown field \\"spec.ports[0].|મo\\\\x\\" é 💥"');
    // Every character fits in a header as Node writes it.
    assert.match(h!, /^[\t\x20-\x7e\x80-\xff]*$/);
  });

  test('texts with control characters or broken UTF-16 are dropped, duplicates and empty ones too', () => {
    assert.deepEqual(
      warningHeaders([
        'a\nb',
        'tab\there',
        'del\u007f',
        'c1\u0085',
        'lone \ud800',
        '',
        'ok',
        'ok',
        'pair 💥',
      ]).map(asSent),
      ['299 - "ok"', '299 - "pair 💥"'],
    );
  });

  test('past 4,096 runes every text is cut to 256 runes, and what no longer fits is dropped', () => {
    const short = ['bb', 'Iñtërnâtiô'];
    assert.deepEqual(warningHeaders(short).map(asSent), ['299 - "bb"', '299 - "Iñtërnâtiô"']);
    const long = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(2, '0')}${'é'.repeat(298)}`);
    const out = warningHeaders(long).map(asSent);
    assert.equal(out.length, TRUNCATE_AT_TOTAL_RUNES / TRUNCATE_ITEM_RUNES);
    assert.equal(out[0], `299 - "00${'é'.repeat(TRUNCATE_ITEM_RUNES - 2)}"`);
    assert.ok(out.every((h, i) => h.startsWith(`299 - "${String(i).padStart(2, '0')}`)));
  });
});
