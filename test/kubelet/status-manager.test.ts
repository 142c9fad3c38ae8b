import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod, PodStatus } from '../../src/api/types.js';
import { StatusManager } from '../../src/kubelet/status-manager.js';
import type { PodStatusWriter } from '../../src/kubelet/types.js';
import { FakeClock } from '../../src/util/clock.js';

const pod = (uid: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: uid, namespace: 'default', uid },
  spec: { containers: [{ name: 'app', image: 'busybox' }] },
});
const status = (phase: string): PodStatus => ({ phase }) as PodStatus;

/** A writer whose writes finish only when the test says so, recording `<uid>:<phase>` as each one starts. */
class GatedWriter implements PodStatusWriter {
  readonly started: string[] = [];
  readonly #gates: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  updateStatus(p: Pod, s: PodStatus): Promise<void> {
    this.started.push(`${p.metadata?.uid}:${s.phase}`);
    return new Promise((resolve, reject) => this.#gates.push({ resolve, reject }));
  }

  finalizeDeletion(): Promise<void> {
    return Promise.resolve();
  }

  /** Finishes the oldest write still open. */
  async finish(error?: Error): Promise<void> {
    const gate = this.#gates.shift();
    assert.ok(gate, 'no write in flight');
    if (error) gate.reject(error);
    else gate.resolve();
    await new Promise((r) => setImmediate(r));
  }

  get inFlight(): number {
    return this.#gates.length;
  }
}

function setup() {
  const clock = new FakeClock();
  const writer = new GatedWriter();
  const errors: string[] = [];
  const manager = new StatusManager(writer, {
    clock,
    retryMs: 10_000,
    onError: (uid, e) => errors.push(`${uid}: ${(e as Error).message}`),
  });
  return { clock, writer, errors, manager };
}

describe('StatusManager', () => {
  it('writes one status per pod at a time; statuses set meanwhile collapse into the newest', async () => {
    const { writer, manager } = setup();
    manager.set(pod('a'), status('Pending'));
    manager.set(pod('a'), status('Init:1'));
    manager.set(pod('a'), status('Init:2'));
    manager.set(pod('b'), status('Pending'));
    // a's first write and b's run side by side; a's later statuses wait for a's write.
    assert.deepEqual(writer.started, ['a:Pending', 'b:Pending']);
    await writer.finish();
    assert.deepEqual(writer.started, ['a:Pending', 'b:Pending', 'a:Init:2']);
    await writer.finish();
    await writer.finish();
    assert.equal(writer.inFlight, 0);
    assert.deepEqual(writer.started, ['a:Pending', 'b:Pending', 'a:Init:2']);
  });

  it('flush resolves once the newest status is written, at once when nothing waits', async () => {
    const { writer, manager } = setup();
    await manager.flush('a');
    manager.set(pod('a'), status('Pending'));
    manager.set(pod('a'), status('Running'));
    let flushed = false;
    const f = manager.flush('a').then(() => {
      flushed = true;
    });
    await writer.finish();
    assert.equal(flushed, false, 'the newest status is not written yet');
    await writer.finish();
    await f;
    assert.equal(flushed, true);
    assert.deepEqual(writer.started, ['a:Pending', 'a:Running']);
  });

  it('a failed write is reported, rejects flush, and is tried again after retryMs unless a newer status came', async () => {
    const { clock, writer, errors, manager } = setup();
    manager.set(pod('a'), status('Pending'));
    const flushed = assert.rejects(manager.flush('a'), /etcd is sad/);
    await writer.finish(new Error('etcd is sad'));
    await flushed;
    assert.deepEqual(errors, ['a: etcd is sad']);
    await clock.advance(9_999);
    assert.deepEqual(writer.started, ['a:Pending']);
    await clock.advance(1);
    assert.deepEqual(writer.started, ['a:Pending', 'a:Pending']);
    // Fails again; a newer status arrives during the wait and is what the retry writes.
    await writer.finish(new Error('still sad'));
    manager.set(pod('a'), status('Running'));
    await clock.advance(10_000);
    assert.deepEqual(writer.started, ['a:Pending', 'a:Pending', 'a:Running']);
    await writer.finish();
    await manager.flush('a');
    assert.equal(writer.inFlight, 0);
  });

  it('forget drops a waiting status; stop drops every waiting one and waits for the writes in flight', async () => {
    const { writer, manager } = setup();
    manager.set(pod('a'), status('Pending'));
    manager.set(pod('a'), status('Running'));
    manager.forget('a');
    await writer.finish();
    assert.deepEqual(writer.started, ['a:Pending']);

    manager.set(pod('b'), status('Pending'));
    manager.set(pod('b'), status('Running'));
    let stopped = false;
    const s = manager.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(stopped, false, 'a write is still in flight');
    await writer.finish();
    await s;
    assert.deepEqual(writer.started, ['a:Pending', 'b:Pending']);
    // A manager stopped and started again (a kubelet restart) writes what it is given.
    manager.set(pod('b'), status('Succeeded'));
    assert.deepEqual(writer.started.at(-1), 'b:Succeeded');
    await writer.finish();
  });
});
