// The kubelet's image GC on the fake runtime and a fake clock: a 1000-byte image filesystem whose usage is the
// images' sizes, so that the thresholds are read off the numbers (85 % = 850 bytes used).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ObjectReference } from '../../src/api/types.js';
import { type ImageGCDeps, ImageGCManager, type ImageGCRuntime } from '../../src/kubelet/image-gc.js';
import type { EventType } from '../../src/kubelet/types.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import { RuntimeError } from '../../src/runtime/types.js';
import { FakeClock } from '../../src/util/clock.js';
import { criContainerConfig, podSandboxConfig } from '../runtime/fixtures/configs.js';
import { T0 } from './fixtures.js';
import { Harness } from './harness.js';

const MIN = 60_000;

interface Recorded {
  involved: ObjectReference;
  type: EventType;
  reason: string;
  message: string;
}

function setup(
  options: { policy?: ImageGCDeps['policy']; runtime?: (rt: FakeRuntime) => Partial<ImageGCRuntime> } = {},
) {
  const clock = new FakeClock(T0);
  const rt = new FakeRuntime({ clock });
  rt.imageFsCapacityBytes = 1000;
  const events: Recorded[] = [];
  const logs: string[] = [];
  const removed: string[] = [];
  const calls = { listImages: 0 };
  const names = new Map<string, string>();
  const overrides = options.runtime?.(rt) ?? {};
  const runtime: ImageGCRuntime = {
    listImages: () => {
      calls.listImages++;
      return rt.listImages();
    },
    listContainers: (f) => rt.listContainers(f),
    imageFsInfo: () => rt.imageFsInfo(),
    removeImage: async (spec) => {
      await rt.removeImage(spec);
      removed.push(names.get(spec.image) ?? spec.image);
    },
    ...overrides,
  };
  const gc = new ImageGCManager({
    runtime,
    clock,
    events: { event: (involved, type, reason, message) => events.push({ involved, type, reason, message }) },
    nodeName: 'node1',
    log: (line) => logs.push(line),
    ...(options.policy ? { policy: options.policy } : {}),
  });
  /** Adds an image of `size` bytes, named `name` in `removed`. */
  const add = (name: string, size: number, extra: { pinned?: boolean } = {}) => {
    const image = rt.addImage(`${name}:1`, { size, ...extra });
    names.set(image.id, name);
    return image;
  };
  const present = async () =>
    (await rt.listImages()).map((i) => names.get(i.id) ?? i.id).sort((a, b) => a.localeCompare(b));
  return { clock, rt, gc, events, logs, removed, calls, add, present };
}

const sandboxConfig = podSandboxConfig('web', { namespace: 'default' });

/** A container made from the image (created, never started: it uses the image all the same). */
async function containerFrom(rt: FakeRuntime, image: string, name: string): Promise<string> {
  const sid = await rt.runPodSandbox({
    ...sandboxConfig,
    metadata: { ...sandboxConfig.metadata, uid: name },
  });
  const config = criContainerConfig(name, { image, rootfs: 'image', command: ['/bin/app'] });
  return rt.createContainer(sid, config, sandboxConfig);
}

test('below the high threshold nothing goes; at it, unused images go down to the low threshold', async () => {
  const s = setup();
  for (const name of ['a', 'b', 'c', 'd']) s.add(name, 210);
  await s.gc.garbageCollect(T0);
  s.clock.set(T0 + 10 * MIN);
  // 840 of 1000 bytes: 84 %, under 85 %, however old the images are.
  await s.gc.garbageCollect(T0);
  assert.deepEqual(s.removed, []);

  // 850 bytes: 85 %. Free 1000*(100-80)/100 - 150 = 50 bytes: one image, the one detected first among the unused.
  s.add('e', 10);
  await s.gc.garbageCollect(T0);
  assert.deepEqual(s.removed, ['a']);
  assert.deepEqual(await s.present(), ['b', 'c', 'd', 'e']);
  assert.deepEqual(s.events, []);
});

test('least recently used first: never used, then the longest unused; young, in-use and pinned images stay', async () => {
  const s = setup();
  s.add('pinned', 500, { pinned: true });
  s.add('never', 100);
  const a = s.add('a', 100);
  const b = s.add('b', 100);
  const ca = await containerFrom(s.rt, a.id, 'ca');
  const cb = await containerFrom(s.rt, b.id, 'cb');
  await s.gc.garbageCollect(T0); // 800 bytes: detection only

  s.clock.set(T0 + 1 * MIN);
  await s.rt.removeContainer(ca);
  await s.gc.garbageCollect(T0); // b is still in use: last used now; a was last seen used at T0

  s.clock.set(T0 + 3 * MIN);
  s.add('young', 100); // detected now: younger than the 2 min minimum
  await containerFrom(s.rt, s.add('used', 50).id, 'cu');
  await s.rt.removeContainer(cb);
  // 950 bytes: 95 %. Free 200 - 50 = 150 bytes: `never` (100), then `a` (last used T0) before `b` (T0+1min).
  await s.gc.garbageCollect(T0);
  assert.deepEqual(s.removed, ['never', 'a']);
  assert.deepEqual(await s.present(), ['b', 'pinned', 'used', 'young']);
});

test('an image younger than the minimum age is not collected; the shortfall is a FreeDiskSpaceFailed on the Node', async () => {
  const s = setup();
  s.add('a', 450);
  s.add('b', 450);
  // 900 bytes: free 200 - 100 = 100; both images were first detected now, then under 2 min ago.
  const message =
    'Failed to garbage collect required amount of images. Attempted to free 100 bytes, but only found 0 bytes eligible to free.';
  await assert.rejects(s.gc.garbageCollect(T0), { message });
  s.clock.set(T0 + 2 * MIN - 1);
  await assert.rejects(s.gc.garbageCollect(T0), { message });
  const event: Recorded = {
    involved: { kind: 'Node', name: 'node1', uid: 'node1', namespace: '' },
    type: 'Warning',
    reason: 'FreeDiskSpaceFailed',
    message,
  };
  assert.deepEqual(s.events, [event, event]);
  assert.deepEqual(s.removed, []);

  s.clock.set(T0 + 2 * MIN);
  await s.gc.garbageCollect(T0);
  assert.deepEqual(s.removed, ['a']);
  assert.equal(s.events.length, 2);
});

test('images a container was made from (any state) and pinned images are kept, even when that leaves the disk full', async () => {
  const s = setup();
  const used = s.add('used', 450);
  s.add('pinned', 450, { pinned: true });
  s.add('free', 50);
  await containerFrom(s.rt, used.id, 'app');
  await assert.rejects(s.gc.garbageCollect(T0), /only found 0 bytes eligible/);
  s.clock.set(T0 + 5 * MIN);
  // 950 bytes: free 200 - 50 = 150; only `free` (50) may go.
  await assert.rejects(s.gc.garbageCollect(T0), {
    message:
      'Failed to garbage collect required amount of images. Attempted to free 150 bytes, but only found 50 bytes eligible to free.',
  });
  assert.deepEqual(s.removed, ['free']);
  assert.deepEqual(await s.present(), ['pinned', 'used']);
  assert.deepEqual(
    s.events.map((e) => e.reason),
    ['FreeDiskSpaceFailed', 'FreeDiskSpaceFailed'],
  );
});

test('an image found in use at removal is skipped for the next one; repeated failed rounds are ImageGCFailed', async () => {
  // The runtime lists no containers (one made after the listing, as far as the GC can tell), but refuses the removal.
  const s = setup({ runtime: () => ({ listContainers: async () => [] }) });
  const busy = s.add('busy', 300);
  s.add('idle', 300);
  s.add('other', 300);
  await containerFrom(s.rt, busy.id, 'app');
  s.gc.start();
  await s.clock.advance(0);
  // 900 bytes is over 85 %, and every image is younger than the minimum age.
  assert.deepEqual(
    s.events.map((e) => e.reason),
    ['FreeDiskSpaceFailed'],
  );
  assert.equal(s.logs.length, 1, 'the first failed round is only logged');
  assert.match(s.logs[0] ?? '', /failed once: Failed to garbage collect required amount of images/);

  await s.clock.advance(5 * MIN);
  // 900 bytes: free 100. `busy` is first in order but in use; `idle` goes instead.
  assert.deepEqual(s.removed, ['idle']);
  assert.deepEqual(await s.present(), ['busy', 'other']);
  const failed = s.events.filter((e) => e.reason === 'ImageGCFailed');
  assert.equal(failed.length, 1, 'the second failure in a row is an event');
  assert.match(
    failed[0]?.message ?? '',
    /^wanted to free 100 bytes, but freed 300 bytes space with errors in image deletion: image "sha256:[0-9a-f]{64}" \(sha256:[0-9a-f]{64}\) is in use by container/,
  );
  assert.equal(failed[0]?.type, 'Warning');
  assert.equal(failed[0]?.involved.kind, 'Node');
  await s.gc.stop();
});

test('a round at start, then one every period (5 min); stop ends the loop', async () => {
  const s = setup();
  s.gc.start();
  await s.clock.advance(0);
  assert.equal(s.calls.listImages, 1, 'a round at once');
  await s.clock.advance(5 * MIN - 1);
  assert.equal(s.calls.listImages, 1);
  await s.clock.advance(1);
  assert.equal(s.calls.listImages, 2);
  await s.clock.advance(10 * MIN);
  assert.equal(s.calls.listImages, 4);
  await s.gc.stop();
  assert.equal(s.clock.pending, 0);
  await s.clock.advance(30 * MIN);
  assert.equal(s.calls.listImages, 4);

  const fast = setup({ policy: { periodMs: MIN } });
  fast.gc.start();
  await fast.clock.advance(3 * MIN);
  assert.equal(fast.calls.listImages, 4);
  await fast.gc.stop();
});

test('the maximum age removes images unused for that long whatever the usage, once it has passed since the start', async () => {
  const s = setup({ policy: { maxAgeMs: 10 * MIN } });
  s.rt.imageFsCapacityBytes = 1_000_000;
  s.add('never', 10);
  s.add('pinned', 10, { pinned: true });
  const a = s.add('a', 10);
  const ca = await containerFrom(s.rt, a.id, 'ca');
  s.gc.start();
  await s.clock.advance(5 * MIN);
  await s.rt.removeContainer(ca); // a was last seen used at T0+5min
  await s.clock.advance(5 * MIN);
  assert.deepEqual(s.removed, [], 'not before 10 min since the start');
  await s.clock.advance(5 * MIN);
  assert.deepEqual(s.removed, ['never'], 'at T0+15min: `never` was never used; `a` was used 10 min ago');
  await s.clock.advance(5 * MIN);
  assert.deepEqual(s.removed, ['never', 'a']);
  assert.deepEqual(await s.present(), ['pinned']);
  assert.deepEqual(s.events, []);
  await s.gc.stop();
});

test('a runtime without an image store turns the collection off at once, quietly', async () => {
  let listed = 0;
  const s = setup({
    runtime: () => ({
      listImages: async () => {
        listed++;
        throw new RuntimeError('Unsupported', 'this host runtime was made without an image store');
      },
    }),
  });
  s.gc.start();
  await s.clock.advance(20 * MIN);
  assert.equal(listed, 1);
  assert.match(s.gc.disabled ?? '', /no image store/);
  assert.deepEqual([s.events, s.logs], [[], []]);
  assert.equal(s.clock.pending, 0);
  await s.gc.stop();
});

test('a bad policy is refused; a high threshold of 100 without a maximum age turns the collection off', () => {
  assert.throws(() => setup({ policy: { lowThresholdPercent: 90 } }), {
    message: /lowThresholdPercent \(90\) must not be above/,
  });
  assert.throws(() => setup({ policy: { periodMs: 0 } }), {
    message: /^kubelet config imageGC: periodMs 0 must be a duration > 0$/,
  });
  assert.throws(() => setup({ policy: { maxAgeMs: -1 } }), {
    message: /^kubelet config imageGC: maxAgeMs -1 must be a duration >= 0/,
  });
  const off = setup({ policy: { highThresholdPercent: 100 } });
  off.gc.start();
  assert.match(off.gc.disabled ?? '', /highThresholdPercent is 100/);
  assert.equal(off.calls.listImages, 0);
  assert.equal(setup({ policy: { highThresholdPercent: 100, maxAgeMs: MIN } }).gc.disabled, undefined);
});

test('the kubelet runs image GC while started, with its config, and records on its Node', async () => {
  const logs: string[] = [];
  const h = new Harness({
    images: [],
    config: { imageGC: { minAgeMs: 0, periodMs: 10 * MIN } },
    kubelet: { log: (line) => logs.push(line) },
  });
  h.runtime.imageFsCapacityBytes = 1000;
  h.runtime.addImage('old:1', { size: 900 });
  h.runtime.addImage('kept:1', { size: 50, pinned: true });
  assert.equal(h.kubelet.imageGC.policy.highThresholdPercent, 85);
  assert.equal(h.kubelet.imageGC.policy.periodMs, 10 * MIN);
  await h.run();
  assert.deepEqual(
    (await h.runtime.listImages()).map((i) => i.repoTags[0]),
    ['docker.io/library/kept:1'],
  );

  h.runtime.addImage('pinned:1', { size: 900, pinned: true });
  await h.advance(10 * MIN, MIN);
  await h.advance(10 * MIN, MIN);
  assert.deepEqual(
    h.events.map((e) => e.reason),
    ['FreeDiskSpaceFailed', 'FreeDiskSpaceFailed', 'ImageGCFailed'],
  );
  assert.equal(logs.length, 2);

  await h.kubelet.stop();
  h.runtime.addImage('late:1', { size: 10 });
  h.runtime.imageFsCapacityBytes = 100;
  await h.advance(30 * MIN, MIN);
  assert.equal(h.events.length, 3, 'no round after stop');
  assert.ok((await h.runtime.listImages()).some((i) => i.repoTags[0] === 'docker.io/library/late:1'));

  assert.throws(() => new Harness({ config: { imageGC: { highThresholdPercent: 101 } } }), {
    message: /^kubelet config imageGC: highThresholdPercent 101 must be between 0 and 100$/,
  });
});
