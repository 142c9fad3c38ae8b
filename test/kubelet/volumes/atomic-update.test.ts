import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { Pod } from '../../../src/api/types.js';
import { atomicWrite } from '../../../src/kubelet/volumes/atomic-writer.js';
import { volumeDir } from '../../../src/kubelet/volumes/index.js';
import { diskFs, memoryFs } from '../../../src/kubelet/volumes/volume-fs.js';
import { type Fixture, fixture, makePod } from './helpers.js';

const uid = (pod: Pod) => pod.metadata?.uid as string;
const hidden = async (dir: string) => (await readdir(dir)).filter((n) => n.startsWith('..')).sort();

describe('atomic re-projection', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });

  test('a changed ConfigMap swaps ..data to a new timestamped dir and removes the old one', async () => {
    f.objects.setConfigMap('cfg', { a: 'one', gone: 'bye' });
    const pod = makePod([{ name: 'cfg', configMap: { name: 'cfg' } }]);
    await f.manager.setUpPod(pod);
    const dir = volumeDir(f.root, uid(pod), 'configMap', 'cfg');
    const before = await readlink(join(dir, '..data'));
    assert.deepEqual(await hidden(dir), ['..data', before].sort());

    f.objects.setConfigMap('cfg', { a: 'two', added: 'hi' });
    await f.clock.advance(61_000);
    await f.manager.refreshPod(pod);

    const after = await readlink(join(dir, '..data'));
    assert.notEqual(after, before);
    assert.match(after, /^\.\.2026_01_01_12_01_01\./);
    assert.deepEqual(await hidden(dir), ['..data', after].sort(), 'the old timestamped dir is removed');
    assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'two');
    assert.equal(await readFile(join(dir, 'added'), 'utf8'), 'hi');
    assert.equal(await readlink(join(dir, 'added')), '..data/added');
    await assert.rejects(lstat(join(dir, 'gone')), { code: 'ENOENT' }, 'the link of a removed key goes too');
  });

  test('an unchanged payload is not rewritten', async () => {
    f.objects.setConfigMap('cfg', { a: 'one' });
    const pod = makePod([{ name: 'cfg', configMap: { name: 'cfg' } }]);
    await f.manager.setUpPod(pod);
    const dir = volumeDir(f.root, uid(pod), 'configMap', 'cfg');
    const before = await readlink(join(dir, '..data'));
    await f.clock.advance(5_000);
    await f.manager.refreshPod(pod);
    await f.manager.setUpPod(pod);
    assert.equal(await readlink(join(dir, '..data')), before);
  });

  test('an unchanged payload is not even read back; a changed one, or a torn-down volume, is projected again', async () => {
    f.objects.setConfigMap('cfg', { a: 'one' });
    const pod = makePod([{ name: 'cfg', configMap: { name: 'cfg' } }]);
    await f.manager.setUpPod(pod);
    const dir = volumeDir(f.root, uid(pod), 'configMap', 'cfg');
    const first = await readlink(join(dir, '..data'));
    // Made unreadable behind the manager's back: a sync with the same payload does not look.
    await rm(join(dir, first), { recursive: true });
    await f.manager.setUpPod(pod);
    await assert.rejects(readFile(join(dir, 'a'), 'utf8'), { code: 'ENOENT' });
    f.objects.setConfigMap('cfg', { a: 'two' });
    await f.manager.refreshPod(pod);
    assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'two');
    await f.manager.tearDownPod(uid(pod));
    await f.manager.setUpPod(pod);
    assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'two');
  });

  test('refresh keeps the old contents when the ConfigMap is deleted, and reports the failure', async () => {
    f.objects.setConfigMap('cfg', { a: 'one' });
    const pod = makePod([{ name: 'cfg', configMap: { name: 'cfg' } }]);
    await f.manager.setUpPod(pod);
    f.objects.configMaps.clear();
    await assert.rejects(f.manager.refreshPod(pod), {
      name: 'VolumeError',
      message: 'MountVolume.SetUp failed for volume "cfg" : configmap "cfg" not found',
    });
    assert.equal(await readFile(join(volumeDir(f.root, uid(pod), 'configMap', 'cfg'), 'a'), 'utf8'), 'one');
  });

  test('refresh leaves volumes that were never set up alone', async () => {
    f.objects.setConfigMap('cfg', { a: 'one' });
    const pod = makePod([{ name: 'cfg', configMap: { name: 'cfg' } }]);
    await f.manager.refreshPod(pod);
    await assert.rejects(lstat(volumeDir(f.root, uid(pod), 'configMap', 'cfg')), { code: 'ENOENT' });
  });

  for (const [form, fs] of [
    ['promise-based (disk)', diskFs],
    ['synchronous (tmpfs)', memoryFs],
  ] as const) {
    test(`a concurrent reader never sees a half-written file or a mix of two versions: ${form} calls`, async () => {
      const dir = join(f.root, 'atomic');
      await mkdir(dir);
      // Big files, so that a partly written one would be caught.
      const version = (n: number) =>
        new Map([
          ['a', { data: Buffer.from(`${n}:`.padEnd(64 * 1024, 'a')), mode: 0o644 }],
          ['b', { data: Buffer.from(`${n}:`.padEnd(64 * 1024, 'b')), mode: 0o644 }],
        ]);
      await atomicWrite(dir, version(0), f.clock.now(), undefined, fs);

      // The reader runs on another thread, truly concurrently with the writer.
      // [0]: stop flag set by the test; [1]: reads done so far, for the writer to pace itself.
      const stopBuffer = new SharedArrayBuffer(8);
      const reader = new Worker(
        `
      const { readFileSync, readlinkSync } = require('node:fs');
      const { join } = require('node:path');
      const { workerData, parentPort } = require('node:worker_threads');
      const stop = new Int32Array(workerData.stop);
      const dir = workerData.dir;
      const problems = [];
      const seen = new Set();
      let reads = 0;
      parentPort.postMessage('ready');
      const check = (text, letter) => {
        const v = text.slice(0, text.indexOf(':'));
        if (!/^\\d+$/.test(v) || text !== (v + ':').padEnd(64 * 1024, letter)) {
          problems.push('bad ' + letter + ': ' + text.slice(0, 20) + '… length ' + text.length);
          return undefined;
        }
        return v;
      };
      while (Atomics.load(stop, 0) === 0) {
        try {
          // Through the visible links: each file is whole.
          const va = check(readFileSync(join(dir, 'a'), 'latin1'), 'a');
          check(readFileSync(join(dir, 'b'), 'latin1'), 'b');
          // Through one resolution of ..data: the set is consistent.
          const ts = readlinkSync(join(dir, '..data'));
          const x = check(readFileSync(join(dir, ts, 'a'), 'latin1'), 'a');
          const y = check(readFileSync(join(dir, ts, 'b'), 'latin1'), 'b');
          if (x !== y) problems.push('mixed versions ' + x + ' and ' + y);
          if (va !== undefined) seen.add(va);
          reads++;
          Atomics.store(stop, 1, reads);
        } catch (e) {
          // The old timestamped dir may vanish between readlink and open: that is a retry, not a torn read.
          if (e.code !== 'ENOENT') problems.push(String(e));
        }
      }
      parentPort.postMessage({ problems: problems.slice(0, 5), reads, versions: seen.size });
      `,
        { eval: true, workerData: { dir, stop: stopBuffer } },
      );
      const shared = new Int32Array(stopBuffer);
      let ready: () => void = () => {};
      const started = new Promise<void>((r) => {
        ready = r;
      });
      const result = new Promise<{ problems: string[]; reads: number; versions: number }>(
        (resolve, reject) => {
          reader.on('message', (m) => (m === 'ready' ? ready() : resolve(m)));
          reader.once('error', reject);
        },
      );
      await started;
      // At least 30 versions, and on until the reader has read through plenty of swaps (a loaded machine is slow).
      let n = 0;
      while (n < 30 || (Atomics.load(shared, 1) < 200 && n < 5000)) {
        n += 1;
        await f.clock.advance(1000);
        await atomicWrite(dir, version(n), f.clock.now(), undefined, fs);
      }
      Atomics.store(new Int32Array(stopBuffer), 0, 1);
      const { problems, reads, versions } = await result;
      if (process.env.DEBUG_ATOMIC) console.log({ writes: n, reads, versions });
      await reader.terminate();
      assert.deepEqual(problems, []);
      assert.ok(reads > 10, `the reader made only ${reads} reads`);
      assert.ok(versions > 1, 'the reader saw the contents change');
      assert.equal((await readFile(join(dir, 'a'), 'latin1')).split(':')[0], String(n));
      assert.equal((await hidden(dir)).length, 2, 'only ..data and the current timestamped dir remain');
    });
  }

  test('synchronous calls (tmpfs) write, update and remove as the promise-based ones', async () => {
    const dir = join(f.root, 'memory');
    await mkdir(dir);
    const files = (entries: Record<string, string>) =>
      new Map(Object.entries(entries).map(([k, v]) => [k, { data: Buffer.from(v), mode: 0o600 }]));
    const first = await atomicWrite(
      dir,
      files({ a: 'one', 'sub/b': 'two' }),
      f.clock.now(),
      undefined,
      memoryFs,
    );
    assert.equal(first.written, true);
    assert.equal(await readFile(join(dir, 'sub', 'b'), 'utf8'), 'two');
    assert.equal((await lstat(join(dir, '..data', 'a'))).mode & 0o777, 0o600);
    const same = await atomicWrite(
      dir,
      files({ a: 'one', 'sub/b': 'two' }),
      f.clock.now(),
      undefined,
      memoryFs,
    );
    assert.equal(same.written, false);
    await f.clock.advance(1000);
    await atomicWrite(dir, files({ a: 'three' }), f.clock.now(), undefined, memoryFs);
    assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'three');
    await assert.rejects(lstat(join(dir, 'sub')), { code: 'ENOENT' });
    assert.equal((await hidden(dir)).length, 2, 'only ..data and the current timestamped dir remain');
    // A failed call rejects (the synchronous calls throw inside async functions): no such directory.
    await assert.rejects(
      atomicWrite(join(f.root, 'missing'), files({ a: 'x' }), f.clock.now(), undefined, memoryFs),
      { code: 'ENOENT' },
    );
  });
});
