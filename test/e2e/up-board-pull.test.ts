// The live board's image pull progress, as a user sees it on a real pseudo-terminal: `bin/podrun up --images
// pull` of a pod whose image (busybox-static and a 4 MB layer of random bytes, built with the image fixtures)
// comes from a loopback docker-registry through a small proxy that holds the big layer halfway until the
// test has seen the pull on the board. The hold makes the in-between state certain, not a matter of speed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, push, type Registry, startRegistry } from '../images/registry-fixtures.js';
import { buildImage, busyboxRoot } from '../support/image-fixtures.js';
import { leftovers, runtimeFootprint } from './support/leftovers.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker } from './support/run-id.js';
import { PODRUN, REPO, tempStateDir } from './support/serve.js';
import { runOnPty } from './support/terminal.js';
import { poll } from './support/watch.js';

const MARK = `: ${marker('e2e-up-board-pull')};`;
const work = mkdtempSync(join(tmpdir(), 'podrun-e2e-board-pull-'));
const registriesConf = join(work, 'registries.conf');
let registry: Registry | undefined;
let proxy: Server | undefined;
/** Lets the held layer's second half through. */
let release: () => void = () => {};
const released = new Promise<void>((r) => (release = r));
let held = 0;

/** Forwards to the registry; a blob over 2 MB (the random layer, not busybox's) gets its first half at once and the rest once released. */
function startProxy(upstreamPort: number, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const up = request(
      { host: '127.0.0.1', port: upstreamPort, path: req.url, method: req.method, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        const length = Number(upRes.headers['content-length'] ?? 0);
        const hold = req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '') && length > 2_000_000;
        if (!hold) {
          upRes.pipe(res);
          return;
        }
        held++;
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('end', () => {
          const body = Buffer.concat(chunks);
          res.write(body.subarray(0, body.length >> 1));
          void released.then(() => res.end(body.subarray(body.length >> 1)));
        });
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

before(async () => {
  if (E2E_SKIP) return;
  registry = await startRegistry(join(work, 'registry'));
  const build = join(work, 'build');
  mkdirSync(build, { recursive: true });
  const image = buildImage(build, 'board/web:1', { Cmd: ['sh'], Env: ['PATH=/bin'] }, [
    busyboxRoot,
    (dir) => writeFileSync(join(dir, 'payload.bin'), randomBytes(4_000_000)),
  ]);
  push(image.layout, '1', `${registry.host}/board/web:1`);
  const port = await freePort();
  proxy = await startProxy(registry.port, port);
  writeFileSync(
    registriesConf,
    `[[registry]]\nprefix = "registry.test"\nlocation = "127.0.0.1:${port}"\ninsecure = true\n`,
  );
});
after(async () => {
  release();
  proxy?.closeAllConnections();
  await new Promise((r) => (proxy ? proxy.close(r) : r(undefined)));
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The promise's value, or 'timeout' after ms; the timer is cleared, so it never holds the process. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('podrun up on a terminal: image pulls on the board', { skip: E2E_SKIP }, () => {
  test('the waiting container shows its image’s pull with MB and layers done, then runs', {
    timeout: 120_000,
  }, async () => {
    const file = join(work, 'pull.yaml');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Pod
metadata: {name: board-pull}
spec:
  terminationGracePeriodSeconds: 5
  containers:
    - name: app
      image: registry.test/board/web:1
      command: [sh, -c, '${MARK} echo up; trap "exit 0" TERM; while :; do sleep 1; done']
`,
    );
    const stateDir = tempStateDir('podrun-e2e-board-pull-');
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', NO_COLOR: '1' };
    delete env.CI;
    let stop: (() => Promise<unknown>) | undefined;
    try {
      const argv = ['up', '--wait', '--images', 'pull', '--registries-conf', registriesConf, '-f', file];
      const run = runOnPty([process.execPath, PODRUN, ...argv, '--state-dir', stateDir], {
        rows: 30,
        cols: 140,
        env,
        cwd: REPO,
      });
      // On a failure: Ctrl-C, so that the pods are stopped before the state directory goes.
      stop = async () => {
        release();
        run.interrupt();
        if ((await within(run.exited, 60_000)) === 'timeout') run.child.kill('SIGKILL');
      };
      const { term } = run;
      const pullRow =
        /^└─ app +\S+ .*pulling registry\.test\/board\/web:1 (\d+\.\d)\/(\d+\.\d) MB, layers (\d)\/2$/;
      const seen = await poll(
        () =>
          term
            .screen()
            .map((l) => pullRow.exec(l))
            .find((m) => m) ?? undefined,
        'the pull on the app container’s row',
        60_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; held blobs: ${held}; screen:\n${term.all().join('\n')}`);
      });
      const [, done, total, layersDone] = seen;
      // Held halfway through the 4 MB layer: some bytes are in, not all, and the big layer is not done.
      assert.ok(Number(total) >= 4, seen[0]);
      assert.ok(Number(done) < Number(total), seen[0]);
      assert.ok(Number(layersDone) < 2, seen[0]);
      assert.equal(held, 1);
      release();
      const code = await within(run.exited, 90_000);
      if (code === 'timeout') run.child.kill('SIGKILL');
      const all = term.all().join('\n');
      assert.equal(code, 0, all);
      const final = term.screen().join('\n');
      assert.match(final, /^└─ app +Running +(<1s|\d+s) +0 +ready$/m);
      assert.doesNotMatch(final, /pulling/);
      assert.match(final, /^podrun: all up in \d+\.\ds$/m);
      assert.equal(term.wrapsInFrames, 0);
      stop = undefined;
      assert.deepEqual(leftovers(stateDir, runtimeFootprint(stateDir), [MARK]), []);
    } finally {
      await stop?.();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
