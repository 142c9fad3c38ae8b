import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatCriLogLine, type ReadLogOptions, readLogs } from '../../../src/kubelet/logs/index.js';
import { LogError } from '../../../src/kubelet/types.js';

const T = Date.UTC(2026, 0, 1, 12, 0, 0);
let dir: string;
let file: string;

// Ten records, one per second: out-0 … with stderr on odd seconds, and a line split into P records at 10 s.
const records = [
  ...Array.from({ length: 10 }, (_, i) =>
    formatCriLogLine(T + i * 1000, i % 2 ? 'stderr' : 'stdout', `${i % 2 ? 'err' : 'out'}-${i}`, false),
  ),
  formatCriLogLine(T + 10_000, 'stdout', 'split ', true),
  formatCriLogLine(T + 10_000.5, 'stdout', 'across ', true),
  formatCriLogLine(T + 10_001, 'stdout', 'records', false),
].join('');

const defaults: ReadLogOptions = {
  tail: -1,
  limitBytes: -1,
  sinceMs: 0,
  timestamps: false,
  stream: 'All',
  follow: false,
};

async function read(opts: Partial<ReadLogOptions>, f = file): Promise<string> {
  const chunks: string[] = [];
  await readLogs(f, { ...defaults, ...opts }, (c) => chunks.push(c), new AbortController().signal);
  return chunks.join('');
}

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'podrun-logs-'));
  file = path.join(dir, '0.log');
  await fs.writeFile(file, records);
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('reading a CRI log file', () => {
  it('everything, with partial records joined into one line', async () => {
    const all = await read({});
    assert.equal(all.split('\n').length, 12);
    assert.ok(all.startsWith('out-0\nerr-1\nout-2\n'));
    assert.ok(all.endsWith('out-8\nerr-9\nsplit across records\n'));
  });

  it('tailLines counts file records from the end', async () => {
    assert.equal(await read({ tail: 4 }), 'err-9\nsplit across records\n', 'P records count as lines');
    assert.equal(await read({ tail: 5 }), 'out-8\nerr-9\nsplit across records\n');
    assert.equal(await read({ tail: 0 }), '');
    assert.equal((await read({ tail: 100 })).split('\n').length, 12);
  });

  it('since skips records older than the given time', async () => {
    assert.equal(await read({ sinceMs: T + 8_000, tail: -1 }), 'out-8\nerr-9\nsplit across records\n');
    assert.equal(
      await read({ sinceMs: T + 5_000, tail: 2 }),
      'across records\n',
      'tail applies first, then since',
    );
    assert.equal(await read({ sinceMs: T + 10_000.6 }), 'records\n', 'sub-millisecond precision');
  });

  it('timestamps prefix each line once, fixed-width RFC3339Nano plus a space', async () => {
    const out = await read({ tail: 5, timestamps: true });
    assert.equal(
      out,
      '2026-01-01T12:00:08.000000000Z out-8\n' +
        '2026-01-01T12:00:09.000000000Z err-9\n' +
        '2026-01-01T12:00:10.000000000Z split across records\n',
    );
  });

  it('limitBytes cuts the output at that many bytes, timestamps included', async () => {
    assert.equal(await read({ limitBytes: 8 }), 'out-0\ner');
    assert.equal(await read({ limitBytes: 12, timestamps: true }), '2026-01-01T1');
  });

  it('the stream filter keeps one stream, and tail counts only its lines', async () => {
    assert.equal(await read({ stream: 'Stderr' }), 'err-1\nerr-3\nerr-5\nerr-7\nerr-9\n');
    assert.equal(await read({ stream: 'Stderr', tail: 2 }), 'err-7\nerr-9\n');
    assert.equal(await read({ stream: 'Stdout', tail: 2 }), 'across records\n');
  });

  it('an incomplete last line is still shown', async () => {
    const f = path.join(dir, 'incomplete.log');
    await fs.writeFile(f, `${formatCriLogLine(T, 'stdout', 'a', false)}2026-01-01T12:00:01Z stdout F b`);
    assert.equal(await read({}, f), 'a\nb');
  });

  it('a missing file and an unknown format fail with the kubelet wording', async () => {
    await assert.rejects(read({}, path.join(dir, 'nope.log')), (err: Error) => {
      assert.ok(err instanceof LogError);
      assert.match(
        err.message,
        /^failed to try resolving symlinks in path ".*nope\.log": lstat .*nope\.log: no such file or directory$/,
      );
      return true;
    });
    const f = path.join(dir, 'garbage.log');
    await fs.writeFile(f, 'hello\n');
    await assert.rejects(read({}, f), {
      message: 'failed to get parse function: unsupported log format: "hello\\n"',
    });
  });
});
