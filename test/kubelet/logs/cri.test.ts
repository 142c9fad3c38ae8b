import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDockerJsonLine, parserFor } from '../../../src/kubelet/logs/cri.js';
import {
  CriLineSplitter,
  formatCriLogLine,
  formatCriTime,
  parseCriLine,
  parseCriTime,
} from '../../../src/kubelet/logs/index.js';

describe('CRI log format', () => {
  it('a full record keeps its newline and a partial record drops it', () => {
    const f = parseCriLine('2016-10-06T00:17:09.669794202Z stdout F log content 2\n');
    assert.equal(f?.stream, 'stdout');
    assert.equal(f?.log, 'log content 2\n');
    assert.equal(f?.time.fixed, '2016-10-06T00:17:09.669794202Z');
    const p = parseCriLine('2016-10-06T00:17:09.669794203Z stderr P log content 1\n');
    assert.equal(p?.stream, 'stderr');
    assert.equal(p?.log, 'log content 1');
  });

  it('extra tags after a colon are ignored, unknown streams and bad timestamps are not CRI', () => {
    assert.equal(parseCriLine('2016-10-06T00:17:09Z stdout P:x content\n')?.log, 'content');
    assert.equal(parseCriLine('2016-10-06T00:17:09Z stdin F content\n'), null);
    assert.equal(parseCriLine('yesterday stdout F content\n'), null);
    assert.equal(parseCriLine('2016-10-06T00:17:09Z stdout\n'), null);
  });

  it('timestamps are rendered fixed-width with nine fraction digits, zero offsets as Z', () => {
    assert.equal(parseCriTime('2016-10-06T00:17:09.6697942Z')?.fixed, '2016-10-06T00:17:09.669794200Z');
    assert.equal(parseCriTime('2016-10-06T00:17:09Z')?.fixed, '2016-10-06T00:17:09.000000000Z');
    assert.equal(parseCriTime('2016-10-06T02:17:09.5+02:00')?.fixed, '2016-10-06T02:17:09.500000000+02:00');
    assert.equal(parseCriTime('2016-10-06T00:17:09.5+00:00')?.fixed, '2016-10-06T00:17:09.500000000Z');
    assert.equal(parseCriTime('2016-10-06T02:17:09.5+02:00')?.ms, Date.UTC(2016, 9, 6, 0, 17, 9, 500));
  });

  it('docker JSON lines are read when the file starts with one', () => {
    const line = '{"log":"content 1\\n","stream":"stderr","time":"2016-10-20T18:39:20.57606443Z"}\n';
    assert.equal(parserFor(line), parseDockerJsonLine);
    assert.deepEqual(parseDockerJsonLine(line)?.log, 'content 1\n');
    assert.equal(parserFor('plain text\n'), null);
  });

  it('formatCriLogLine writes RFC3339Nano like containerd, trimming trailing zeros', () => {
    const t = Date.UTC(2016, 9, 6, 0, 17, 9, 669);
    assert.equal(formatCriLogLine(t, 'stdout', 'hello', false), '2016-10-06T00:17:09.669Z stdout F hello\n');
    assert.equal(
      formatCriLogLine(t + 0.5, 'stderr', 'par', true),
      '2016-10-06T00:17:09.6695Z stderr P par\n',
    );
    assert.equal(formatCriTime(1475713029669794202n), '2016-10-06T00:17:09.669794202Z');
    assert.equal(formatCriTime(Date.UTC(2016, 9, 6)), '2016-10-06T00:00:00Z');
    const written = formatCriLogLine(1475713029669794202n, 'stdout', 'x', false);
    assert.equal(parseCriLine(written)?.time.fixed, '2016-10-06T00:17:09.669794202Z');
  });

  it('the splitter makes full records of lines, partial records of overlong lines, and waits for the rest of a line', () => {
    const out: string[] = [];
    const s = new CriLineSplitter('stdout', (r) => out.push(r), { now: () => 0, maxLineBytes: 4 });
    s.push('ab\ncd');
    assert.deepEqual(out, ['1970-01-01T00:00:00Z stdout F ab\n']);
    s.push('efghij\n');
    s.push('tail');
    s.end();
    assert.deepEqual(out.slice(1), [
      '1970-01-01T00:00:00Z stdout P cdef\n',
      '1970-01-01T00:00:00Z stdout F ghij\n',
      '1970-01-01T00:00:00Z stdout F tail\n',
    ]);
    const joined = out.map((l) => parseCriLine(l)!.log).join('');
    assert.equal(joined, 'ab\ncdefghij\ntail\n');
  });
});
