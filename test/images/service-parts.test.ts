// The image service's pure parts: the kubelet's GC arithmetic and order, CRI AuthConfig conversion, and
// progress figures for pulls that share downloads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AuthConfigError,
  credentialsFromAuth,
  credentialsKey,
} from '../../src/images/service/credentials.js';
import { defaultGcPolicy, type GcCandidate, planGc } from '../../src/images/service/gc-plan.js';
import { PullTracker } from '../../src/images/service/progress.js';

const min = 60_000;
function img(
  id: string,
  size: number,
  lastUsed: number,
  firstDetected = 0,
  extra: Partial<GcCandidate> = {},
) {
  return { id, size, lastUsed, firstDetected, inUse: false, pinned: false, ...extra };
}

test('gc plan: kubelet thresholds (usage >= high; free capacity*(100-low)/100 - available)', () => {
  const now = 10 * min;
  const images = [img('x', 60, 5), img('y', 60, 1), img('z', 60, 0, 1), img('w', 60, 0, 0)];
  // 84 % used (integer percent as the kubelet computes): nothing.
  assert.deepEqual(
    planGc({ capacityBytes: 1000, availableBytes: 160 }, images, defaultGcPolicy, now).remove,
    [],
  );
  // 85 %: free 200 - 150 = 50 bytes; never-used first, earliest detected first.
  const p85 = planGc({ capacityBytes: 1000, availableBytes: 150 }, images, defaultGcPolicy, now);
  assert.equal(p85.usagePercent, 85);
  assert.equal(p85.bytesToFree, 50);
  assert.deepEqual(
    p85.remove.map((i) => i.id),
    ['w'],
  );
  // 95 %: 150 bytes: w, z, y (least recently used first), stopping once enough is planned.
  const p95 = planGc({ capacityBytes: 1000, availableBytes: 50 }, images, defaultGcPolicy, now);
  assert.deepEqual(
    p95.remove.map((i) => i.id),
    ['w', 'z', 'y'],
  );
  assert.equal(p95.plannedBytes, 180);
});

test('gc plan: in-use, pinned and young images stay; a high threshold of 100 disables it; bad policies are refused', () => {
  const now = 10 * min;
  const images = [
    img('used', 100, 0, 0, { inUse: true }),
    img('pinned', 100, 0, 0, { pinned: true }),
    img('young', 100, 0, now - min),
    img('old', 100, 0, 0),
  ];
  const full = { capacityBytes: 1000, availableBytes: 0 };
  assert.deepEqual(
    planGc(full, images, defaultGcPolicy, now).remove.map((i) => i.id),
    ['old'],
  );
  assert.deepEqual(planGc(full, images, { ...defaultGcPolicy, highThresholdPercent: 100 }, now).remove, []);
  assert.throws(
    () => planGc(full, images, { ...defaultGcPolicy, lowThresholdPercent: 90 }, now),
    /lowThresholdPercent \(90\) must not be above highThresholdPercent \(85\)/,
  );
  assert.throws(
    () => planGc(full, images, { ...defaultGcPolicy, highThresholdPercent: 120 }, now),
    /between 0 and 100/,
  );
});

test('CRI auth: "auth" wins and is base64 user:password; token-only and empty entries are refused', () => {
  const b64 = Buffer.from('alice:s3:cret').toString('base64');
  assert.deepEqual(credentialsFromAuth([{ auth: b64, username: 'bob', password: 'x' }]), [
    { username: 'alice', password: 's3:cret' },
  ]);
  assert.deepEqual(credentialsFromAuth([{ username: 'bob', password: 'x' }]), [
    { username: 'bob', password: 'x' },
  ]);
  assert.equal(credentialsFromAuth([]), undefined);
  assert.equal(credentialsFromAuth(undefined), undefined);
  assert.throws(() => credentialsFromAuth([{ registryToken: 't' }]), AuthConfigError);
  assert.throws(() => credentialsFromAuth([{}]), /auth\[0\]: has neither/);
  assert.throws(
    () => credentialsFromAuth([{ auth: Buffer.from('nocolon').toString('base64') }]),
    /auth\[0\]\.auth/,
  );
  assert.equal(credentialsKey(undefined), '');
  assert.notEqual(
    credentialsKey([{ username: 'a', password: '1' }]),
    credentialsKey([{ username: 'a', password: '2' }]),
  );
  assert.ok(!credentialsKey([{ username: 'a', password: 'secret' }]).includes('secret'));
});

test('progress: pulls sharing a blob count its bytes once each; finished pulls disappear', () => {
  const t = new PullTracker();
  const a = t.start('a', 1);
  const b = t.start('b', 2);
  const config = { digest: 'sha256:c', size: 10 };
  const layer = { digest: 'sha256:l', size: 100 };
  a.setManifest(config, [layer]);
  assert.deepEqual(t.snapshot()[1], {
    image: 'b',
    startedAt: 2,
    totalBytes: 0,
    doneBytes: 0,
    layers: 0,
    layersDone: 0,
  });
  b.setManifest(config, [layer, { digest: 'sha256:m', size: 50 }]);
  t.progress('sha256:c', 10);
  t.progress('sha256:l', 40);
  assert.deepEqual(t.snapshot(), [
    { image: 'a', startedAt: 1, totalBytes: 110, doneBytes: 50, layers: 1, layersDone: 0 },
    { image: 'b', startedAt: 2, totalBytes: 160, doneBytes: 50, layers: 2, layersDone: 0 },
  ]);
  t.progress('sha256:l', 100);
  assert.equal(t.snapshot()[0]?.layersDone, 1);
  t.finish(a);
  t.finish(b);
  assert.deepEqual(t.snapshot(), []);
});
