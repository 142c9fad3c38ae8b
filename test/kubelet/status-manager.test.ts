import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod, PodStatus } from '../../src/api/types.js';
import { StatusManager, StatusManagerStoppedError } from '../../src/kubelet/status-manager.js';
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

function setup(onError?: (uid: string, e: unknown) => void) {
  const clock = new FakeClock();
  const writer = new GatedWriter();
  const errors: string[] = [];
  const manager = new StatusManager(writer, {
    clock,
    retryMs: 10_000,
    onError: onError ?? ((uid, e) => errors.push(`${uid}: ${(e as Error).message}`)),
  });
  return { clock, writer, errors, manager };
}

describe('StatusManager', () => {
  it('keeps a container that ended for good terminated in what it writes, and writes the rest (checkContainerStateTransition)', async () => {
    const { writer, errors, manager } = setup();
    const writes: PodStatus[] = [];
    const record = writer.updateStatus.bind(writer);
    writer.updateStatus = (p, st) => {
      writes.push(st);
      return record(p, st);
    };
    const never: Pod = {
      ...pod('a'),
      spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'x' }] },
    };
    const app = (phase: string, state: object) =>
      ({ phase, containerStatuses: [{ name: 'app', state }] }) as PodStatus;
    const ended = app('Running', { terminated: { exitCode: 0 } });
    manager.set(never, ended);
    // A rebuilt sandbox runs it again: checked against the status set before, not the API's copy of the pod.
    manager.set(never, app('Pending', { running: {} }));
    manager.set(never, app('Pending', { waiting: {} }));
    await writer.finish();
    await writer.finish();
    assert.deepEqual(
      writes.map((w) => [w.phase, Object.keys(w.containerStatuses?.[0]?.state ?? {})]),
      [
        ['Running', ['terminated']],
        ['Pending', ['terminated']],
      ],
    );
    assert.equal(writes[1]?.containerStatuses?.[0], ended.containerStatuses?.[0]);
    assert.deepEqual(errors, [
      'a: terminated container app may not be transitioned to a non-terminated state: its status stays terminated',
    ]);
    // Once the pod is forgotten, a pod of the same uid is checked against its own status only.
    manager.forget('a');
    manager.set(never, app('Pending', { running: {} }));
    assert.deepEqual(writes.at(-1)?.containerStatuses?.[0]?.state, { running: {} });
    await writer.finish();
    // Under restartPolicy Always the container may run again.
    manager.set({ ...pod('b'), status: ended }, app('Running', { running: {} }));
    assert.deepEqual(writes.at(-1)?.containerStatuses?.[0]?.state, { running: {} });
    assert.equal(errors.length, 1);
  });

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

  it('keeps nothing for a pod once its statuses are written', async () => {
    const { writer, manager } = setup();
    manager.set(pod('a'), status('Pending'));
    manager.set(pod('a'), status('Running'));
    assert.equal(manager.size, 1);
    await writer.finish();
    await writer.finish();
    assert.equal(manager.size, 0);
  });

  it('a newer status set while a failed write waits to be retried goes out at once', async () => {
    const { writer, manager } = setup();
    manager.set(pod('a'), status('Pending'));
    await writer.finish(new Error('blip'));
    manager.set(pod('a'), status('Running'));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(writer.started, ['a:Pending', 'a:Running']);
    await writer.finish();
    assert.equal(manager.size, 0);
  });

  it('a forgotten pod whose write fails is not tried again, and is not kept', async () => {
    const { clock, writer, manager } = setup();
    manager.set(pod('a'), status('Running'));
    manager.forget('a');
    await writer.finish(new Error('500'));
    await clock.advance(60_000);
    assert.deepEqual(writer.started, ['a:Running']);
    assert.equal(manager.size, 0);
    manager.set(pod('b'), status('Running'));
    await writer.finish();
    manager.forget('b');
    assert.equal(manager.size, 0);
  });

  it('stop ends a retry wait at once, and flush tells the status was not written', async () => {
    const { clock, writer, manager } = setup();
    manager.set(pod('a'), status('Succeeded'));
    const flushed = assert.rejects(manager.flush('a'), /sad/);
    await writer.finish(new Error('sad'));
    await flushed;
    // Retrying in 10 s; a worker waits for the status before the pod's final delete.
    const waiting = manager.flush('a');
    let quiesced = false;
    await manager.stop(async () => {
      // The workers stop while the manager stops: the one in flush() is let go.
      await assert.rejects(waiting, StatusManagerStoppedError);
      quiesced = true;
    });
    assert.equal(quiesced, true);
    assert.equal(clock.pending, 0, 'no retry is left waiting');
    assert.equal(manager.size, 0);
    assert.deepEqual(writer.started, ['a:Succeeded']);
  });

  it('statuses set while stopping are dropped: a flush then rejects, and nothing is kept', async () => {
    const { writer, manager } = setup();
    await manager.stop(async () => {
      manager.set(pod('a'), status('Running'));
      await assert.rejects(manager.flush('a'), StatusManagerStoppedError);
    });
    assert.equal(writer.inFlight, 0);
    assert.equal(manager.size, 0);
    // The next status after the stop is written.
    manager.set(pod('a'), status('Succeeded'));
    assert.deepEqual(writer.started, ['a:Succeeded']);
    await writer.finish();
    assert.equal(manager.size, 0);
  });

  it('an onError that throws does not stop the writes of the pod', async () => {
    const { clock, writer, manager } = setup(() => {
      throw new Error('logger broke');
    });
    manager.set(pod('a'), status('Running'));
    await writer.finish(new Error('blip'));
    await clock.advance(10_000);
    assert.deepEqual(writer.started, ['a:Running', 'a:Running']);
    await writer.finish();
    await manager.flush('a');
    assert.equal(manager.size, 0);
  });
});
