import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEventRecorder } from '../../src/apiserver/events.js';
import { FakeClock } from '../../src/util/clock.js';
import { newRegistry } from './helpers.js';

const ref = {
  kind: 'Pod',
  namespace: 'default',
  name: 'web',
  uid: 'u-1',
  apiVersion: 'v1',
  fieldPath: 'spec.containers{app}',
};

test('a repeated event bumps count and lastTimestamp of the first one and keeps firstTimestamp', async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const reg = await newRegistry(clock);
  const rec = createEventRecorder(reg, { component: 'kubelet', host: 'node-1', clock });
  rec.event(ref, 'Warning', 'BackOff', 'Back-off restarting failed container app');
  clock.set(Date.UTC(2026, 0, 1, 12, 2, 0));
  rec.event(ref, 'Warning', 'BackOff', 'Back-off restarting failed container app');
  rec.event(ref, 'Warning', 'BackOff', 'Back-off restarting failed container app');
  await rec.flush();
  const { items } = await reg.list('events', 'default');
  assert.equal(items.length, 1);
  const ev = items[0] as Record<string, unknown>;
  assert.equal(ev.count, 3);
  assert.equal(ev.firstTimestamp, '2026-01-01T12:00:00Z');
  assert.equal(ev.lastTimestamp, '2026-01-01T12:02:00Z');
  assert.deepEqual(ev.source, { component: 'kubelet', host: 'node-1' });
  assert.equal(ev.reportingComponent, 'kubelet');
  assert.equal(ev.reportingInstance, 'node-1');
  assert.equal(ev.type, 'Warning');
  assert.deepEqual(ev.involvedObject, ref);
  // `<object>.<hex UnixNano>`, as client-go names events.
  const nanos = BigInt(Date.UTC(2026, 0, 1, 12, 0, 0)) * 1_000_000n;
  assert.equal(items[0]!.metadata.name, `web.${nanos.toString(16)}`);
});

test('a different message, reason or container starts a new event', async () => {
  const reg = await newRegistry();
  const rec = createEventRecorder(reg, { component: 'kubelet', host: 'node-1' });
  rec.event(ref, 'Normal', 'Pulled', 'Container image "busybox" already present on machine');
  rec.event(ref, 'Normal', 'Created', 'Created container: app');
  rec.event({ ...ref, fieldPath: 'spec.containers{side}' }, 'Normal', 'Created', 'Created container: app');
  await rec.flush();
  const { items } = await reg.list('events', 'default');
  assert.equal(items.length, 3);
  assert.equal(new Set(items.map((e) => e.metadata.name)).size, 3);
});

test('a series whose event was deleted starts again with count 1', async () => {
  const reg = await newRegistry();
  const rec = createEventRecorder(reg, { component: 'kubelet' });
  rec.event(ref, 'Normal', 'Started', 'Started container app');
  await rec.flush();
  const first = (await reg.list('events', 'default')).items[0]!;
  await reg.delete('events', 'default', first.metadata.name!);
  rec.event(ref, 'Normal', 'Started', 'Started container app');
  await rec.flush();
  const { items } = await reg.list('events', 'default');
  assert.equal(items.length, 1);
  assert.equal((items[0] as Record<string, unknown>).count, 1);
});

test('a failed write is reported to onError and does not stop later events', async () => {
  const reg = await newRegistry();
  const errors: unknown[] = [];
  const rec = createEventRecorder(reg, { component: 'kubelet', onError: (e) => errors.push(e) });
  rec.event({ ...ref, namespace: 'missing' }, 'Normal', 'Started', 'x');
  rec.event(ref, 'Normal', 'Started', 'y');
  await rec.flush();
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /namespaces "missing" not found/);
  assert.equal((await reg.list('events', 'default')).items.length, 1);
});

test('the tenth different message of one reason within 10 minutes is combined from similar events', async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const reg = await newRegistry(clock);
  const rec = createEventRecorder(reg, { component: 'kubelet', host: 'node-1', clock });
  for (let i = 1; i <= 12; i++) {
    rec.event(ref, 'Warning', 'Unhealthy', `Liveness probe failed: attempt ${i}`);
    clock.set(clock.now() + 1000);
  }
  await rec.flush();
  const { items } = await reg.list('events', 'default');
  const messages = items.map((e) => (e as Record<string, unknown>).message as string);
  assert.equal(items.length, 10, messages.join('\n'));
  const combined = items.find((e) => String((e as Record<string, unknown>).message).startsWith('(combined'));
  assert.equal(
    (combined as Record<string, unknown>).message,
    '(combined from similar events): Liveness probe failed: attempt 12',
  );
  assert.equal((combined as Record<string, unknown>).count, 3);
});

test("one object's events of one reason burst to 25, then one per 5 minutes, still counting", async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const reg = await newRegistry(clock);
  const rec = createEventRecorder(reg, { component: 'kubelet', clock });
  for (let i = 0; i < 30; i++)
    rec.event(ref, 'Warning', 'BackOff', 'Back-off restarting failed container app');
  await rec.flush();
  const count = async () => ((await reg.list('events', 'default')).items[0] as Record<string, unknown>).count;
  assert.equal(await count(), 25);
  clock.set(clock.now() + 300_000);
  rec.event(ref, 'Warning', 'BackOff', 'Back-off restarting failed container app');
  await rec.flush();
  // The filtered events were counted by the correlator, so the next written count jumps past them.
  assert.equal(await count(), 31);
});

test('events expire an hour after their last write', async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const reg = await newRegistry(clock);
  const rec = createEventRecorder(reg, { component: 'kubelet', clock });
  rec.event(ref, 'Normal', 'Pulled', 'old');
  rec.event(ref, 'Normal', 'Started', 'refreshed');
  await rec.flush();
  clock.set(clock.now() + 50 * 60_000);
  rec.event(ref, 'Normal', 'Started', 'refreshed');
  await rec.flush();
  clock.set(clock.now() + 20 * 60_000);
  const { items } = await reg.list('events', 'default');
  assert.deepEqual(
    items.map((e) => (e as Record<string, unknown>).message),
    ['refreshed'],
  );
});
