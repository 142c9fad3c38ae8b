// `bin/podrun image …` and `podrun up`'s pull lines as a user runs them, as child processes talking to a
// podrun this test runs on the fake runtime (its serve.json names this process, so the children use it).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Podrun, startPodrun } from '../../src/server/podrun.js';
import { systemClock } from '../../src/util/clock.js';
import { dockerSaveTar, ImageFake } from './image-fake.js';

const REPO = join(import.meta.dirname, '..', '..');
const PODRUN = join(REPO, 'bin', 'podrun');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/podrun; `onOutput` sees stdout and stderr as they grow. */
function podrun(args: string[], onOutput?: (out: { stdout: string; stderr: string }) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PODRUN, ...args], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (b: Buffer) => {
      out.stdout += b.toString('utf8');
      onOutput?.(out);
    });
    child.stderr.on('data', (b: Buffer) => {
      out.stderr += b.toString('utf8');
      onOutput?.(out);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...out }));
  });
}

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

const show = (r: Run) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

test('without a podrun serve on the state dir, image commands say how to start one', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'podrun-img-cli-none-'));
  try {
    for (const args of [['ls'], ['pull', 'busybox'], ['rm', 'busybox']]) {
      const r = await podrun(['image', ...args, '--state-dir', empty]);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stderr, /no podrun serve runs on state directory .*podrun serve --state-dir /, show(r));
    }
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('--images takes pull or host only', async () => {
  for (const cmd of [['serve'], ['up', '-f', 'x.yaml']]) {
    const r = await podrun([...cmd, '--images', 'docker']);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /--images <mode>.*expected pull .* or host .*got "docker"/s, show(r));
  }
});

describe('podrun image against a running server', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'podrun-img-cli-'));
  const scratch = mkdtempSync(join(tmpdir(), 'podrun-img-cli-files-'));
  const runtime = new ImageFake({
    clock: systemClock,
    images: ['docker.io/library/busybox:1.36', 'registry.local:5000/team/app:2.1'],
  });
  let server: Podrun;
  const dir = ['--state-dir', stateDir];

  before(async () => {
    server = await startPodrun({ stateDir, runtimeService: runtime, log: () => {} });
  });
  after(async () => {
    await server?.shutdown();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  test('image ls prints IMAGE, TAG, 12-hex IMAGE ID and a human size', async () => {
    const r = await podrun(['image', 'ls', ...dir]);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^IMAGE +TAG +IMAGE ID +SIZE$/);
    const busybox = (await runtime.imageStatus({ image: 'docker.io/library/busybox:1.36' }))!;
    const row = lines.find((l) => l.startsWith('docker.io/library/busybox '));
    assert.ok(row, r.stdout);
    assert.deepEqual(row.split(/ {2,}/), [
      'docker.io/library/busybox',
      '1.36',
      busybox.id.slice('sha256:'.length, 'sha256:'.length + 12),
      '1.02kB',
    ]);
    assert.ok(
      lines.some((l) => /^registry\.local:5000\/team\/app +2\.1 +[0-9a-f]{12} +1\.02kB$/.test(l)),
      r.stdout,
    );
    const q = await podrun(['image', 'ls', '-q', ...dir]);
    assert.equal(q.code, 0, show(q));
    assert.ok(q.stdout.split('\n').includes(busybox.id), q.stdout);
  });

  test('image pull shows progress while it pulls, then the id', async () => {
    const image = 'registry.local:5000/big:1';
    runtime.hold(image, { totalBytes: 40_100_000, layers: 3 });
    let sawProgress = false;
    const run = podrun(['image', 'pull', image, ...dir], (o) => {
      sawProgress ||= /pulling registry\.local:5000\/big:1 {2}12\.3\/40\.1 MB {2}layers 1\/3/.test(o.stderr);
    });
    await until(() => runtime.isWaiting(image));
    runtime.setProgress(image, { doneBytes: 12_300_000, layersDone: 1 });
    await until(() => sawProgress);
    runtime.release(image);
    const r = await run;
    assert.equal(r.code, 0, show(r));
    const status = (await runtime.imageStatus({ image }))!;
    assert.equal(r.stdout, `${status.id}\n`);
  });

  test('image pull failures print the reason and message and exit 1', async () => {
    runtime.pullErrors['registry.local:5000/nope:1'] =
      'failed to resolve reference "registry.local:5000/nope:1": registry.local:5000/nope:1: not found';
    const failed = await podrun(['image', 'pull', 'registry.local:5000/nope:1', ...dir]);
    assert.equal(failed.code, 1, show(failed));
    assert.match(
      failed.stderr,
      /^podrun: pulling registry\.local:5000\/nope:1 failed: ErrImagePull: failed to resolve reference .*not found$/m,
    );
    const bad = await podrun(['image', 'pull', 'UPPER/Case', ...dir]);
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stderr, /failed: InvalidImageName: /, show(bad));
  });

  test('image rm removes each one; one in use fails with ImageInUse and exit 1', async () => {
    runtime.addImage('docker.io/library/old:1');
    runtime.addImage('docker.io/library/busy:1');
    runtime.inUse.add('docker.io/library/busy:1');
    const r = await podrun(['image', 'rm', 'docker.io/library/busy:1', 'docker.io/library/old:1', ...dir]);
    assert.equal(r.code, 1, show(r));
    assert.equal(r.stdout, 'Deleted: docker.io/library/old:1\n');
    assert.match(r.stderr, /^podrun: removing docker\.io\/library\/busy:1 failed: ImageInUse: /m);
    assert.equal(await runtime.imageStatus({ image: 'docker.io/library/old:1' }), null);
    assert.ok(await runtime.imageStatus({ image: 'docker.io/library/busy:1' }));
    const absent = await podrun(['image', 'rm', 'docker.io/library/old:1', ...dir]);
    assert.equal(absent.code, 1, show(absent));
    assert.match(absent.stderr, /NotFound: no such image "docker\.io\/library\/old:1"/);
  });

  test('image load streams a docker save archive (FILE or -i FILE)', async () => {
    const tar = dockerSaveTar(scratch, ['docker.io/library/mine:0.1']);
    const r = await podrun(['image', 'load', tar, ...dir]);
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, 'Loaded image: docker.io/library/mine:0.1\n');
    const again = await podrun(['image', 'load', '-i', tar, ...dir]);
    assert.equal(again.code, 0, show(again));
    assert.ok(await runtime.imageStatus({ image: 'docker.io/library/mine:0.1' }));
  });

  test('image load of a non-archive, a directory or nothing fails with exit 1', async () => {
    const text = join(scratch, 'notes.txt');
    writeFileSync(text, 'not an image\n'.repeat(64));
    const r = await podrun(['image', 'load', text, ...dir]);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /loading .*notes\.txt failed: InvalidArchive: .*notes\.txt: not a tar archive/);
    const layout = join(scratch, 'layout');
    mkdirSync(layout, { recursive: true });
    const d = await podrun(['image', 'load', layout, ...dir]);
    assert.equal(d.code, 1, show(d));
    assert.match(d.stderr, /is a directory but not an OCI image layout \(no oci-layout file\)/);
    const none = await podrun(['image', 'load', ...dir]);
    assert.equal(none.code, 1, show(none));
    assert.match(none.stderr, /podrun image load FILE/);
  });

  test('podrun up prints a line when a pull starts and when it ends', async () => {
    const image = 'registry.local:5000/web:3';
    runtime.hold(image, { totalBytes: 2_000_000, layers: 2 });
    const manifest = join(scratch, 'web.yaml');
    writeFileSync(
      manifest,
      `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - name: web
      image: ${image}
      command: [serve]
`,
    );
    let started = false;
    const run = podrun(['up', '--wait', '--timeout', '60s', '-f', manifest, ...dir], (o) => {
      started ||= /^ *\d+\.\ds {2}pulling registry\.local:5000\/web:3$/m.test(o.stdout);
    });
    await until(() => runtime.isWaiting(image));
    await until(() => started);
    runtime.release(image);
    const r = await run;
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^ *\d+\.\ds {2}pull ended: registry\.local:5000\/web:3 {2}2\.0 MB {2}\d+s$/m);
    assert.match(r.stdout, /^podrun: all up in /m);
  });
});
