// `podrun serve` and the signals that stop it: SIGTERM or Ctrl-C at any moment after the command starts its
// work stops it gracefully (exit 0), never by the signal's default action, which would leave its pods
// running and serve.json naming a dead process. The handlers were once registered only after "podrun
// serving" was printed: a supervisor (or a test) stopping the server as soon as it served killed it outright
// when the machine was loaded.
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Kubectl } from './support/kubectl.js';
import { leftovers, runtimeFootprint } from './support/leftovers.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker } from './support/run-id.js';
import { spawnPodrun, startServe, tempStateDir } from './support/serve.js';
import { poll } from './support/watch.js';

/** Waits until podrun has opened its store in `stateDir`: a point early in its start. */
function storeOpened(stateDir: string): Promise<unknown> {
  return poll(() => (existsSync(join(stateDir, 'store.db')) ? true : undefined), 'the store opened', 30_000);
}

const MARK = `: ${marker('e2e-serve-signals')};`;

describe('podrun serve stops gracefully on a signal', { skip: E2E_SKIP }, () => {
  test('a SIGTERM while it starts: it finishes starting, stops, and exits 0', {
    timeout: 60_000,
  }, async () => {
    const stateDir = tempStateDir('podrun-e2e-serve-signals-');
    try {
      const serve = spawnPodrun(['serve', '--port', '0', '--state-dir', stateDir, '--images', 'host']);
      // The store is opened early in the start, well before the API serves.
      await storeOpened(stateDir);
      serve.child.kill('SIGTERM');
      const exit = await serve.exited;
      assert.deepEqual(exit, { code: 0, signal: null }, serve.out.stderr);
      assert.match(serve.out.stderr, /SIGTERM.*stopping pods gracefully/);
      assert.equal(existsSync(join(stateDir, 'serve.json')), false, 'serve.json removed');
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('a SIGTERM as soon as it serves: it stops and exits 0', { timeout: 60_000 }, async () => {
    const stateDir = tempStateDir('podrun-e2e-serve-signals-');
    try {
      const serve = await startServe({ stateDir });
      const exit = await serve.stop(30_000);
      assert.deepEqual(exit, { code: 0, signal: null }, serve.output());
      assert.match(serve.output(), /SIGTERM.*stopping pods gracefully/);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('a second signal while pods are slow to stop exits at once with 130; the next serve stops them', {
    timeout: 120_000,
  }, async () => {
    const stateDir = tempStateDir('podrun-e2e-serve-signals-');
    let adopted = false;
    try {
      const serve = spawnPodrun(['serve', '--port', '0', '--state-dir', stateDir, '--images', 'host']);
      await poll(() => (/podrun serving/.test(serve.out.stderr) ? true : undefined), 'serving', 30_000);
      const kubectl = new Kubectl(join(stateDir, 'kubeconfig'));
      await kubectl.apply(`apiVersion: v1
kind: Pod
metadata: {name: slow-stop}
spec:
  terminationGracePeriodSeconds: 30
  containers:
    - name: app
      image: busybox
      command: [sh, -c, '${MARK} trap "sleep 20; exit 0" TERM; echo up; while :; do sleep 0.2; done']
`);
      await kubectl.ok(['wait', '--for=condition=Ready', 'pod/slow-stop', '--timeout=60s'], {
        timeoutMs: 70_000,
      });
      const footprint = runtimeFootprint(stateDir);
      serve.child.kill('SIGINT');
      // Signals of a kind do not queue: the second goes once the first is seen handled.
      await poll(
        () => (/stopping pods gracefully/.test(serve.out.stderr) ? true : undefined),
        'stopping',
        30_000,
      );
      serve.child.kill('SIGINT');
      const exit = await serve.exited;
      assert.deepEqual(exit, { code: 130, signal: null }, serve.out.stderr);
      assert.match(serve.out.stderr, /second signal, exiting without waiting for pods/);
      // The pod it left is adopted and stopped by the next server on the state directory.
      const next = await startServe({ stateDir });
      assert.deepEqual(await next.stop(90_000), { code: 0, signal: null }, next.output());
      assert.deepEqual(leftovers(stateDir, footprint, [MARK]), []);
      adopted = true;
    } finally {
      if (!adopted)
        await startServe({ stateDir })
          .then((s) => s.stop(90_000))
          .catch(() => {});
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe('podrun up stops gracefully on a Ctrl-C while podrun starts', { skip: E2E_SKIP }, () => {
  test('nothing more is applied, what runs is stopped, exit 0', { timeout: 90_000 }, async () => {
    const stateDir = tempStateDir('podrun-e2e-serve-signals-');
    const file = join(stateDir, 'pod.yaml');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Pod
metadata: {name: early}
spec:
  containers:
    - {name: app, image: busybox, command: [sh, -c, '${MARK} while :; do sleep 0.2; done']}
`,
    );
    try {
      const up = spawnPodrun(['up', '--images', 'host', '-f', file, '--state-dir', stateDir]);
      // The in-process podrun opens its store early in its start, seconds before anything is applied.
      await storeOpened(stateDir);
      up.child.kill('SIGINT');
      const exit = await up.exited;
      const output = `${up.out.stdout}${up.out.stderr}`;
      assert.deepEqual(exit, { code: 0, signal: null }, output);
      assert.match(up.out.stderr, /^podrun: stopping pods gracefully…$/m);
      assert.match(up.out.stderr, /^podrun: stopped$/m);
      assert.deepEqual(leftovers(stateDir, runtimeFootprint(stateDir), [MARK]), []);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
