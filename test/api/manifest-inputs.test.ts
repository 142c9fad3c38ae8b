// Issue 12: `podrun validate -f` / `podrun up -f` on hostile input. An alias bomb is refused as the API
// server refuses it; binary or non-UTF-8 input is one line naming the file; errors are capped per file;
// devices, FIFOs and anything over the API server's 3 MiB body limit are refused without being read.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  loadManifests,
  MAX_ERRORS_PER_FILE,
  MAX_MANIFEST_BYTES,
  STDIN_NAME,
} from '../../src/api/manifests.js';
import { MAX_NESTING_DEPTH } from '../../src/api/nesting.js';
import { MAX_BODY_BYTES } from '../../src/apiserver/http/body.js';

const ALIAS_BOMB = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'.split('').map((k, i) => {
    const prev = 'abcdefgh'[i];
    return `${k}: &${k} [${Array(9).fill(`*${prev}`).join(',')}]`;
  }),
  '',
].join('\n');

function podrun(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(process.cwd(), 'bin/podrun'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('manifest inputs that used to crash, flood or hang', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'podrun-inputs-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads no more than the API server would accept', () => {
    assert.equal(MAX_MANIFEST_BYTES, MAX_BODY_BYTES);
  });

  it('an alias bomb is one clean error, and `podrun validate` exits 1 without a stack trace', async () => {
    const file = join(dir, 'bomb.yaml');
    await writeFile(file, ALIAS_BOMB);
    const load = await loadManifests([file]);
    assert.equal(load.errors.length, 1);
    assert.match(load.errors[0]!.message, /^YAML: Excessive alias count/);
    const run = await podrun(['validate', '-f', file]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /bomb\.yaml:1:1: YAML: Excessive alias count/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });

  it('a document nested past the limit is one error at its line, as the API server refuses it', async () => {
    const file = join(dir, 'deep.yaml');
    const flow = `${'['.repeat(2000)}${']'.repeat(2000)}`;
    await writeFile(file, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  a: ${flow}\n`);
    const load = await loadManifests([file]);
    assert.deepEqual(
      load.errors.map((e) => [e.line, e.message]),
      [
        [
          6,
          `the manifest nests objects and lists deeper than ${MAX_NESTING_DEPTH} levels (line 6); no Kubernetes object needs that`,
        ],
      ],
    );
    const run = await podrun(['validate', '-f', file]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /deep\.yaml:6:\d+: the manifest nests objects and lists deeper than/);
    assert.doesNotMatch(run.stderr, /\n\s+at |Maximum call stack/);
    // Block sequences nest without brackets; they are measured the same way.
    const block = join(dir, 'block.yaml');
    await writeFile(
      block,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  a:\n    ${'- '.repeat(5000)}x\n`,
    );
    assert.match((await loadManifests([block])).errors[0]!.message, /nests objects and lists deeper than/);
    // A manifest just within the limit is read (the unknown field is an error of its own, not a crash).
    const within = join(dir, 'within.yaml');
    const levels = MAX_NESTING_DEPTH - 1;
    await writeFile(
      within,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\nzzz: ${'['.repeat(levels)}${']'.repeat(levels)}\n`,
    );
    const ok = await loadManifests([within]);
    assert.doesNotMatch(ok.errors.map((e) => e.message).join('\n'), /nests/);
  });

  it('a key that is a mapping or a sequence is one error at its line', async () => {
    const file = join(dir, 'odd-key.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: odd\ndata:\n  [a, b]: v\n');
    const load = await loadManifests([file]);
    assert.deepEqual(
      load.errors.map((e) => [e.line, e.col, e.message]),
      [
        [
          6,
          3,
          'YAML: invalid map key at line 6: a key must be a string, a number or a boolean, not a mapping, a sequence or binary data',
        ],
      ],
    );
  });

  it('binary and non-UTF-8 files are one line each, naming the file', async () => {
    const bin = join(dir, 'image.yaml');
    const bytes = Buffer.alloc(256 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
    await writeFile(bin, bytes);
    const latin1 = join(dir, 'latin1.yaml');
    await writeFile(latin1, Buffer.from('metadata:\n  name: caf\xe9\n', 'latin1'));
    const load = await loadManifests([bin, latin1]);
    assert.deepEqual(
      load.errors.map((e) => [e.file, e.line]),
      [
        [bin, 0],
        [latin1, 0],
      ],
    );
    assert.match(load.errors[0]!.message, /binary file/);
    assert.match(load.errors[1]!.message, /not UTF-8/);
    const stdin = await loadManifests(['-'], { readStdin: async () => bytes });
    assert.deepEqual(
      stdin.errors.map((e) => e.file),
      [STDIN_NAME],
    );
  });

  it('lists the first errors of a file, then how many more', async () => {
    const file = join(dir, 'broken.yaml');
    const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: x}'];
    for (let i = 0; i < 50; i++) lines.push(`k${i}: [1`);
    await writeFile(file, `${lines.join('\n')}\n`);
    const load = await loadManifests([file]);
    assert.equal(load.errors.length, MAX_ERRORS_PER_FILE + 1);
    const last = load.errors.at(-1)!;
    assert.equal(last.message, `and ${last.omitted} more errors`);
    const run = await podrun(['validate', '-f', file]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr.trim().split('\n').length, MAX_ERRORS_PER_FILE + 2);
    assert.match(run.stderr, new RegExp(`${MAX_ERRORS_PER_FILE + last.omitted!} errors in 1 file`));
  });

  it('a FIFO, given or found in a directory, is refused without waiting for a writer', async () => {
    const fifo = join(dir, 'pipe.yaml');
    const made = spawnSync('mkfifo', [fifo]);
    assert.equal(made.status, 0, String(made.stderr));
    const sub = join(dir, 'with-fifo');
    await mkdir(sub);
    assert.equal(spawnSync('mkfifo', [join(sub, 'queue.yaml')]).status, 0);
    const load = await loadManifests([fifo, sub]);
    assert.deepEqual(
      load.errors.map((e) => e.message),
      [
        'not a regular file (a FIFO); give a file, a directory, or - for stdin',
        'not a regular file (a FIFO); give a file, a directory, or - for stdin',
      ],
    );
  });

  it('/dev/zero is refused before a byte is read, and `podrun validate` says so in one line', async () => {
    const load = await loadManifests(['/dev/zero']);
    assert.deepEqual(
      load.errors.map((e) => [e.file, e.message]),
      [['/dev/zero', 'not a regular file (a character device); give a file, a directory, or - for stdin']],
    );
    const run = await podrun(['validate', '-f', '/dev/zero']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^\/dev\/zero: not a regular file \(a character device\)/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });

  it('input over 3 MiB, from a file or stdin, is refused', async () => {
    const big = join(dir, 'big.yaml');
    await writeFile(big, `# ${'x'.repeat(MAX_MANIFEST_BYTES)}\n`);
    let asked = 0;
    const load = await loadManifests([big, '-'], {
      readStdin: async (limit) => {
        asked = limit;
        return Buffer.alloc(limit + 1, 0x61);
      },
    });
    assert.equal(asked, MAX_MANIFEST_BYTES);
    assert.deepEqual(
      load.errors.map((e) => e.file),
      [big, STDIN_NAME],
    );
    for (const e of load.errors) assert.match(e.message, /^larger than 3145728 bytes \(3 MiB\)/);
  });
});
