// The pool of containers' cgroups made ahead with a zygote in them (cgroup-spares.ts), over directories
// standing in for cgroup hierarchies and a stand-in for the shim server's zygote request.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CgroupSparePool } from '../../src/runtime/host/cgroup-spares.js';
import {
  adoptSpareCgroups,
  type CgroupLayout,
  type ContainerCgroups,
  removeLeftoverSpares,
} from '../../src/runtime/host/cgroups.js';
import type { Zygote } from '../../src/runtime/host/shim-server.js';

const work = mkdtempSync(join(tmpdir(), 'podrun-cgroup-spares-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A v1-shaped layout under a fresh directory (memory, cpu and cpuacct each their own hierarchy). */
function layout(): CgroupLayout {
  const root = mkdtempSync(join(work, 'h-'));
  for (const c of ['memory', 'cpu', 'cpuacct']) mkdirSync(join(root, c));
  return {
    version: 1,
    memoryRoot: join(root, 'memory', 'podrun'),
    cpuRoot: join(root, 'cpu', 'podrun'),
    cpuacctRoot: join(root, 'cpuacct', 'podrun'),
  };
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

function harness(size: number, answer: (n: number) => string = () => 'ok') {
  const l = layout();
  const made: { cgroups: ContainerCgroups; onExit: () => void }[] = [];
  const logged: string[] = [];
  const pool = new CgroupSparePool({
    layout: l,
    size,
    log: (m) => logged.push(m),
    make: async (cgroups, onExit) => {
      made.push({ cgroups, onExit });
      const report = answer(made.length);
      const zygote: Zygote | undefined =
        report === 'ok' ? { server: {}, id: made.length, pid: 0 } : undefined;
      return { report, zygote };
    },
  });
  return { l, pool, made, logged };
}

describe('cgroups made ahead', () => {
  test('the pool keeps its zygotes ready, each in groups of every hierarchy, and makes one per take', async () => {
    const h = harness(2);
    h.pool.refill();
    await settle();
    assert.equal(h.made.length, 2);
    const first = h.made[0]?.cgroups;
    assert.equal(first?.dirs.length, 3, 'memory, cpu and cpuacct');
    assert.deepEqual(
      first?.procs,
      first?.dirs.map((d) => join(d, 'cgroup.procs')),
    );
    assert.ok(first?.dirs.every((d) => existsSync(d) && /\/z-[0-9a-f]{12}$/.test(d)));
    assert.equal(first?.usage?.memoryDir, first?.dirs[0]);
    assert.equal(first?.usage?.cpuDir, first?.dirs[2]);
    assert.deepEqual(
      first?.leave,
      ['memory', 'cpu', 'cpuacct'].map((c) => join(h.l.memoryRoot, '..', '..', c, 'cgroup.procs')),
    );
    const taken = h.pool.take();
    assert.equal(taken?.zygote.id, 1);
    await settle();
    assert.equal(h.made.length, 3, 'another is made for the one taken');
    assert.equal(h.pool.take()?.zygote.id, 2);
    assert.equal(h.pool.take()?.zygote.id, 3);
    assert.equal(h.pool.take(), undefined, 'none ready: the start joins its groups itself');
  });

  test('taken groups are renamed to the container id and get its limits', async () => {
    const h = harness(1);
    h.pool.refill();
    await settle();
    const spare = h.pool.take();
    assert.ok(spare);
    // Stand-in hierarchies have no limit files: writing them makes them.
    const cg = adoptSpareCgroups(h.l, spare.cgroups, 'c0ffee', { memoryBytes: 1 << 20, cpuMillis: 250 });
    assert.deepEqual(
      cg.dirs,
      [h.l.memoryRoot, h.l.cpuRoot, h.l.cpuacctRoot].map((r) => join(r ?? '', 'c0ffee')),
    );
    assert.ok(cg.dirs.every((d) => existsSync(d)));
    assert.ok(
      spare.cgroups.dirs.every((d) => !existsSync(d)),
      'the spare names are gone',
    );
    assert.deepEqual(cg.oomFiles, [join(h.l.memoryRoot, 'c0ffee', 'memory.oom_control')]);
    assert.ok(existsSync(join(h.l.memoryRoot, 'c0ffee', 'memory.limit_in_bytes')));
    assert.ok(existsSync(join(h.l.cpuRoot, 'c0ffee', 'cpu.cfs_quota_us')));
    assert.equal(cg.usage?.memoryDir, join(h.l.memoryRoot, 'c0ffee'));
    assert.equal(cg.usage?.cpuDir, join(h.l.cpuacctRoot ?? '', 'c0ffee'));
  });

  test('a zygote that ends while ready is dropped with its groups, and replaced', async () => {
    const h = harness(1);
    h.pool.refill();
    await settle();
    const dirs = h.made[0]?.cgroups.dirs ?? [];
    h.made[0]?.onExit();
    await settle();
    assert.ok(dirs.every((d) => !existsSync(d)));
    assert.equal(h.made.length, 2);
    assert.equal(h.pool.take()?.zygote.id, 2);
  });

  test('three failures in a row disable the pool, said once; the groups of failed zygotes are removed', async () => {
    const h = harness(1, () => 'err the shim server exited');
    for (let i = 0; i < 5; i++) {
      h.pool.refill();
      await settle();
    }
    assert.equal(h.made.length, 3);
    assert.equal(h.logged.length, 1);
    assert.match(h.logged[0] ?? '', /zygotes could not be made: the shim server exited; containers join/);
    assert.deepEqual(readdirSync(h.l.memoryRoot), []);
    assert.equal(h.pool.take(), undefined);
  });

  test('a discarded zygote is ended and its groups go once it has', async () => {
    const h = harness(1);
    h.pool.refill();
    await settle();
    const spare = h.pool.take();
    assert.ok(spare);
    const proc = spawn('sleep', ['30']);
    const ended = new Promise((r) => proc.on('exit', r));
    const withPid = { ...spare, zygote: { ...spare.zygote, pid: proc.pid ?? 0 } };
    h.pool.discard(withPid, spare.cgroups.dirs);
    await ended;
    assert.ok(
      spare.cgroups.dirs.every((d) => existsSync(d)),
      'kept until the server reports the end',
    );
    h.made[0]?.onExit();
    assert.ok(spare.cgroups.dirs.every((d) => !existsSync(d)));
  });

  test('at close the ready zygotes groups are removed; a start removes empty leftovers only', async () => {
    const h = harness(2);
    h.pool.refill();
    await settle();
    h.pool.close();
    await h.pool.removeGroups(50);
    assert.deepEqual(readdirSync(h.l.memoryRoot), []);
    mkdirSync(join(h.l.memoryRoot, 'z-0123456789ab'));
    mkdirSync(join(h.l.memoryRoot, 'z-ba9876543210', 'busy'), { recursive: true });
    mkdirSync(join(h.l.memoryRoot, 'c0ffee'));
    removeLeftoverSpares(h.l);
    assert.deepEqual(readdirSync(h.l.memoryRoot).sort(), ['c0ffee', 'z-ba9876543210']);
  });
});
