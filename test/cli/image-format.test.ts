// How `podrun image ls` and the pull lines look: sizes as crictl prints them, 12-hex ids, one row per tag,
// pull progress, which pulls started and ended between polls, and the status lines on a terminal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatPull,
  formatPullEnd,
  humanSize,
  imageTable,
  PullTracker,
  shortId,
  splitRepoTag,
} from '../../src/cli/progress/images.js';
import { liveOutput } from '../../src/cli/progress/live.js';
import type { PullProgress } from '../../src/runtime/types.js';

test('sizes are decimal with three significant digits, as docker/go-units (crictl, podman)', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(512), '512B');
  assert.equal(humanSize(1024), '1.02kB');
  assert.equal(humanSize(4_272_000), '4.27MB');
  assert.equal(humanSize(40_000_000), '40MB');
  assert.equal(humanSize(999_960), '1MB');
  assert.equal(humanSize(1_234_567_890), '1.23GB');
});

test('ids show 12 hex digits; tags split at the last colon after the last slash', () => {
  assert.equal(shortId(`sha256:${'ab'.repeat(32)}`), 'abababababab');
  assert.deepEqual(splitRepoTag('registry:5000/team/app:1.0'), ['registry:5000/team/app', '1.0']);
  assert.deepEqual(splitRepoTag('registry:5000/team/app'), ['registry:5000/team/app', '<none>']);
});

test('the image table has a row per tag, sorted, and names untagged images by their digest', () => {
  const id = `sha256:${'0123456789ab'.repeat(5)}abcd`;
  const table = imageTable([
    {
      id,
      repoTags: ['docker.io/library/busybox:1.36', 'docker.io/library/busybox:latest'],
      repoDigests: [],
      size: 4_272_000,
    },
    {
      id: `sha256:${'f'.repeat(64)}`,
      repoTags: [],
      repoDigests: [`docker.io/library/x@sha256:${'e'.repeat(64)}`],
      size: 10,
    },
  ]);
  assert.equal(
    table,
    [
      'IMAGE                       TAG      IMAGE ID       SIZE',
      'docker.io/library/busybox   1.36     0123456789ab   4.27MB',
      'docker.io/library/busybox   latest   0123456789ab   4.27MB',
      'docker.io/library/x         <none>   ffffffffffff   10B',
      '',
    ].join('\n'),
  );
});

const pull = (over: Partial<PullProgress>): PullProgress => ({
  image: 'busybox:1.36',
  startedAt: 1_000,
  totalBytes: 0,
  doneBytes: 0,
  layers: 0,
  layersDone: 0,
  ...over,
});

test('a pull line shows MB done and total, layers and time; before the manifest, resolving', () => {
  assert.equal(formatPull(pull({}), 3_000), 'busybox:1.36  resolving  2s');
  assert.equal(
    formatPull(pull({ totalBytes: 40_100_000, doneBytes: 12_340_000, layers: 5, layersDone: 2 }), 5_400),
    'busybox:1.36  12.3/40.1 MB  layers 2/5  4s',
  );
  assert.equal(formatPullEnd(pull({ totalBytes: 40_100_000 }), 5_400), 'busybox:1.36  40.1 MB  4s');
});

test('the tracker reports each pull once when it starts and once when it ends', () => {
  const t = new PullTracker();
  const a = pull({ image: 'a' });
  const b = pull({ image: 'b', startedAt: 2_000 });
  assert.deepEqual(t.update([a]), { started: [a], ended: [] });
  const a2 = { ...a, doneBytes: 10 };
  assert.deepEqual(t.update([a2, b]), { started: [b], ended: [] });
  assert.deepEqual(t.update([b]), { started: [], ended: [a2] });
  // The same image pulled again later is a new pull.
  const again = pull({ image: 'a', startedAt: 9_000 });
  assert.deepEqual(t.update([again]), { started: [again], ended: [b] });
});

test('on a terminal, status lines are erased before a line and drawn again after it; elsewhere there are none', () => {
  const written: string[] = [];
  const tty = liveOutput({ isTTY: true, columns: 20, write: (s) => written.push(s) > 0 });
  tty.status(['pulling a']);
  tty.line('event');
  tty.status(['a very long status line that wraps']);
  tty.status([]);
  assert.deepEqual(written, [
    'pulling a\n',
    '\x1b[1A\x1b[2Kevent\npulling a\n',
    '\x1b[1A\x1b[2Ka very long status…\n',
    '\x1b[1A\x1b[2K',
  ]);
  const plain: string[] = [];
  const pipe = liveOutput({ write: (s) => plain.push(s) > 0 });
  pipe.status(['pulling a']);
  pipe.line('event');
  assert.equal(pipe.live, false);
  assert.deepEqual(plain, ['event\n']);
});
