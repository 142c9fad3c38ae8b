import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runningServer } from '../../src/server/podrun.js';
import { processStat } from '../../src/util/process-identity.js';

const dir = mkdtempSync(join(tmpdir(), 'podrun-serveinfo-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a state directory with no serve.json has no running server', async () => {
  assert.equal(await runningServer(join(dir, 'missing.json')), undefined);
});

test('serve.json naming a live process is a running server; a dead pid is not', async () => {
  const file = join(dir, 'serve.json');
  // pid 1 is always alive; a pid above the kernel's maximum never is.
  writeFileSync(file, JSON.stringify({ pid: 1, url: 'https://127.0.0.1:6443' }));
  assert.deepEqual(await runningServer(file), { pid: 1, url: 'https://127.0.0.1:6443' });
  writeFileSync(file, JSON.stringify({ pid: 2 ** 22 + 1, url: 'https://127.0.0.1:6443' }));
  assert.equal(await runningServer(file), undefined);
});

test('a server never counts itself as another one', async () => {
  const file = join(dir, 'self.json');
  writeFileSync(file, JSON.stringify({ pid: process.pid, url: 'x' }));
  assert.equal(await runningServer(file), undefined);
});

test('serve.json with a start time: the pid must still be the process that started then (pids are reused)', async () => {
  const file = join(dir, 'started.json');
  const start = processStat(1)!.starttime;
  writeFileSync(file, JSON.stringify({ pid: 1, start, url: 'https://127.0.0.1:6443' }));
  assert.deepEqual(await runningServer(file), { pid: 1, url: 'https://127.0.0.1:6443' });
  // pid 1 is alive, but it is not the process that wrote this file: a server gone, its pid taken since.
  writeFileSync(
    file,
    JSON.stringify({ pid: 1, start: `${Number(start) + 1}`, url: 'https://127.0.0.1:6443' }),
  );
  assert.equal(await runningServer(file), undefined);
});
