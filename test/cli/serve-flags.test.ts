// `podrun serve`'s kubelet flags are checked before anything starts, with the kubelet's own words.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runPodrun } from '../e2e/support/serve.js';

const stateDir = mkdtempSync(join(tmpdir(), 'podrun-serve-flags-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));

test('an image GC low threshold above the high one is refused as the kubelet refuses it, and nothing starts', async () => {
  const r = await runPodrun([
    'serve',
    '--state-dir',
    stateDir,
    '--image-gc-high-threshold',
    '70',
    '--image-gc-low-threshold',
    '90',
  ]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /invalid configuration: imageGCLowThresholdPercent \(--image-gc-low-threshold\) 90 must be less than imageGCHighThresholdPercent \(--image-gc-high-threshold\) 70/,
  );
  assert.deepEqual(readdirSync(stateDir), []);
});

test('a threshold that is not a whole percentage, and a duration without its unit, are refused with the flag named', async () => {
  const pct = await runPodrun(['serve', '--state-dir', stateDir, '--image-gc-high-threshold', '101']);
  assert.equal(pct.code, 1);
  assert.match(pct.stderr, /--image-gc-high-threshold takes a whole percentage from 0 to 100, got "101"/);
  const ttl = await runPodrun(['serve', '--state-dir', stateDir, '--minimum-image-ttl-duration', '5']);
  assert.equal(ttl.code, 1);
  assert.match(
    ttl.stderr,
    /--minimum-image-ttl-duration.*expected a duration such as 500ms, 10s, 5m or 1m30s, got "5"/,
  );
});

test('help shows durations as durations', async () => {
  const r = await runPodrun(['serve', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /--backoff-max <duration>.*\(default: 5m\)/);
  assert.match(r.stdout, /--minimum-image-ttl-duration <duration>.*\(default: 2m\)/);
});

test('--max-pods takes a whole number of at least 1, and nothing starts otherwise', async () => {
  for (const bad of ['0', '1.5', 'many']) {
    const r = await runPodrun(['serve', '--state-dir', stateDir, '--max-pods', bad]);
    assert.equal(r.code, 1, bad);
    assert.match(
      r.stderr,
      new RegExp(`expected a whole number of pods of at least 1, got "${bad.replace('.', '\\.')}"`),
    );
  }
  assert.deepEqual(readdirSync(stateDir), []);
  const help = await runPodrun(['serve', '--help']);
  assert.match(help.stdout, /--max-pods <n>.*\(default: 110\)/s);
});
