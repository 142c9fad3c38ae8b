// `bin/podrun up` as a user sees it: the live board drawn on a real pseudo-terminal (read back through a
// minimal terminal, frame by frame), resized and interrupted there; the plain lines, line by line, in causal
// order; `--logs` prefixes; and `--detach` then `podrun down` leaving nothing running. Each test runs podrun
// on a state directory of its own (in this process of `up`, or the server `--detach` starts).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { leftovers, runtimeFootprint } from './support/leftovers.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker } from './support/run-id.js';
import { PODRUN, REPO, runPodrun, startServe, tempStateDir } from './support/serve.js';
import { type PtyRun, runOnPty } from './support/terminal.js';
import { poll } from './support/watch.js';

const MARK = `: ${marker('e2e-up-board')};`;
const scratch = mkdtempSync(join(tmpdir(), 'podrun-e2e-board-files-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A pod with two init containers that take a moment each, then an app with a readiness probe. */
function initPod(
  name: string,
  appCommand = `${MARK} echo app up; trap "exit 0" TERM; while :; do sleep 0.2; done`,
) {
  const file = join(scratch, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 20
  initContainers:
    - {name: fetch, image: busybox, command: [sh, -c, '${MARK} echo fetching; sleep 2; echo fetched']}
    - {name: migrate, image: busybox, command: [sh, -c, '${MARK} echo migrating; sleep 1; echo migrated']}
  containers:
    - name: app
      image: busybox
      command: [sh, -c, '${appCommand}']
      readinessProbe: {exec: {command: ["true"]}, periodSeconds: 1}
`,
  );
  return file;
}

/** The environment of a person at a terminal: no CI, colours allowed. */
function terminalEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  delete env.CI;
  delete env.NO_COLOR;
  return env;
}

/** Starts a podrun on the state directory, which adopts the pods left running there, and stops it and them. */
async function adoptAndStop(stateDir: string): Promise<void> {
  const serve = await startServe({ stateDir });
  const exit = await serve.stop(90_000);
  assert.deepEqual(exit, { code: 0, signal: null }, serve.output());
}

const checkClean = (stateDir: string, footprint = runtimeFootprint(stateDir)) =>
  assert.deepEqual(leftovers(stateDir, footprint, [MARK]), []);

/** The `podrun up` runs still going: a test that fails before it stops its own leaves one. */
const running = new Set<PtyRun>();

function startUp(argv: string[], options: Parameters<typeof runOnPty>[1]): PtyRun {
  const run = runOnPty(argv, options);
  running.add(run);
  void run.exited.then(() => running.delete(run));
  return run;
}

/**
 * The run's exit code, or 'timeout' (the run SIGKILLed) when it has not exited within `ms`. The timer is
 * cleared either way: a pending one kept this file's process alive for up to its length after the tests.
 */
async function exitWithin(run: PtyRun, ms: number): Promise<number | null | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    const code = await Promise.race([run.exited, timeout]);
    if (code === 'timeout') run.child.kill('SIGKILL');
    return code;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Ends an `up` a failed test left running and stops its pods, so that the failure reported is the test's own
 * (not the EBUSY of removing a state directory whose volumes are still mounted) and the next test starts clean.
 */
async function endLeftRuns(stateDir: string): Promise<void> {
  if (running.size === 0) return;
  for (const run of running) {
    run.child.kill('SIGKILL');
    await run.exited;
  }
  await adoptAndStop(stateDir).catch(() => {});
}

describe('podrun up on a terminal: the live board', { skip: E2E_SKIP }, () => {
  test('shows each init container running in turn, then the app ready, with --logs above it, and leaves a summary', {
    timeout: 90_000,
  }, async () => {
    const file = initPod('board-init');
    const stateDir = tempStateDir('podrun-e2e-board-');
    try {
      const run = startUp(
        [
          process.execPath,
          PODRUN,
          'up',
          '--wait',
          '--logs',
          '--images',
          'host',
          '-f',
          file,
          '--state-dir',
          stateDir,
        ],
        { rows: 40, cols: 100, env: terminalEnv(), cwd: REPO },
      );
      const code = await exitWithin(run, 80_000);
      const { term } = run;
      const screen = term.all().join('\n');
      assert.equal(code, 0, screen);
      const frames = term.frames.map((f) => f.join('\n'));
      // While the first init container runs, the second and the app wait their turn.
      assert.ok(
        frames.some(
          (f) =>
            /^board-init +Init:0\/2 /m.test(f) &&
            /^├─ init\/fetch +Running /m.test(f) &&
            /^├─ init\/migrate +PodInitializing$/m.test(f) &&
            /^└─ app +PodInitializing$/m.test(f),
        ),
        `no frame with init/fetch running:\n${frames.join('\n----\n')}`,
      );
      assert.ok(
        frames.some(
          (f) =>
            /^board-init +Init:1\/2 /m.test(f) &&
            /^├─ init\/fetch +Completed +\d+s +0$/m.test(f) &&
            /^├─ init\/migrate +Running /m.test(f),
        ),
        `no frame with init/migrate running after fetch completed:\n${frames.join('\n----\n')}`,
      );
      // Colour on a terminal.
      assert.match(run.raw(), /\x1b\[32mCompleted/);
      // The summary stays: the last frame, then the command's last line.
      const final = term.screen().join('\n');
      assert.match(final, /^podrun up · \d+\.\ds · 1\/1 pods ready · all up$/m);
      assert.match(final, /^board-init +Running +\d+s +0 +ready 1\/1$/m);
      assert.match(final, /^├─ init\/fetch +Completed +\d+s +0$/m);
      assert.match(final, /^├─ init\/migrate +Completed +\d+s +0$/m);
      assert.match(final, /^└─ app +Running +(<1s|\d+s) +0 +ready$/m);
      assert.match(final, /^podrun: all up in \d+\.\ds$/m);
      // --logs: the init containers' lines, prefixed, above the board (scrolled, never inside a frame's rows).
      const all = term.all();
      const fetching = all.indexOf('[board-init/fetch] fetching');
      const migrating = all.indexOf('[board-init/migrate] migrating');
      assert.ok(fetching >= 0 && migrating > fetching, screen);
      assert.ok(all.indexOf('[board-init/fetch] fetched') < migrating, screen);
      const title = all.map((l) => l.startsWith('podrun up ·')).lastIndexOf(true);
      assert.ok(all.lastIndexOf('[board-init/migrate] migrated') < title, screen);
      // Redrawn in place: no board line ever wrapped, the cursor was hidden and is back.
      assert.ok(term.syncFrames > 3, `frames: ${term.syncFrames}`);
      assert.equal(term.wrapsInFrames, 0);
      assert.match(run.raw(), /\x1b\[\?25l/);
      assert.equal(term.cursorVisible, true);
      checkClean(stateDir);
    } finally {
      await endLeftRuns(stateDir);
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('fits a narrowed terminal (SIGWINCH), and Ctrl-C stops the pods gracefully and exits 0', {
    timeout: 90_000,
  }, async () => {
    const file = initPod('board-resize');
    const stateDir = tempStateDir('podrun-e2e-board-');
    try {
      const run = startUp(
        [process.execPath, PODRUN, 'up', '--images', 'host', '-f', file, '--state-dir', stateDir],
        {
          rows: 30,
          cols: 100,
          env: { ...terminalEnv(), NO_COLOR: '1' },
          cwd: REPO,
        },
      );
      const { term } = run;
      await poll(
        () => (term.screen().some((l) => /^└─ app +Running .*ready$/.test(l)) ? true : undefined),
        'the app running and ready on the board',
        60_000,
      );
      assert.match(term.screen().join('\n'), /Ctrl-C stops the pods/);
      const before = term.frames.length;
      run.resize(30, 44);
      await poll(
        () => {
          const f = term.frames.slice(before);
          const last = f[f.length - 1];
          return last?.some((l) => l.startsWith('└─ app')) && last.every((l) => [...l].length <= 44)
            ? last
            : undefined;
        },
        'a frame drawn for 44 columns',
        20_000,
      );
      const narrow = term.frames[term.frames.length - 1]!;
      const board = narrow.slice(narrow.findIndex((l) => l.startsWith('podrun up ·')));
      for (const l of board) assert.ok([...l].length <= 43, `"${l}" is wider than 43 columns`);
      assert.ok(
        board.some((l) => l.endsWith('…')),
        board.join('\n'),
      );
      assert.ok(!run.raw().includes('\x1b[3'), 'NO_COLOR: no colours');
      run.interrupt();
      const code = await exitWithin(run, 60_000);
      assert.equal(code, 0, term.all().join('\n'));
      const all = term.all().join('\n');
      assert.match(all, /^podrun up · .*· interr…$/m);
      assert.match(all, /^podrun: stopped$/m);
      assert.equal(term.wrapsInFrames, 0);
      assert.equal(term.cursorVisible, true);
      checkClean(stateDir);
    } finally {
      await endLeftRuns(stateDir);
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('a second Ctrl-C exits at once, without waiting for pods that are slow to stop', {
    timeout: 120_000,
  }, async () => {
    const file = initPod(
      'board-force',
      `${MARK} trap "sleep 12; exit 0" TERM; echo app up; while :; do sleep 0.2; done`,
    );
    const stateDir = tempStateDir('podrun-e2e-board-');
    let adopted = false;
    try {
      const run = startUp(
        [process.execPath, PODRUN, 'up', '--images', 'host', '-f', file, '--state-dir', stateDir],
        {
          rows: 30,
          cols: 100,
          env: terminalEnv(),
          cwd: REPO,
        },
      );
      await poll(
        () => (run.term.screen().some((l) => /^└─ app +Running /.test(l)) ? true : undefined),
        'the app running on the board',
        60_000,
      );
      const footprint = runtimeFootprint(stateDir);
      run.interrupt();
      await poll(
        () => (/stopping pods gracefully/.test(run.term.all().join('\n')) ? true : undefined),
        'the graceful stop under way',
        20_000,
      );
      run.interrupt();
      // The app takes 12 s to stop after SIGTERM: only the forced exit ends `up` well before that.
      const code = await exitWithin(run, 8_000);
      assert.equal(code, 130, run.term.all().join('\n'));
      assert.match(
        run.term.all().join('\n'),
        /interrupted again: exiting without waiting for the pods to stop/,
      );
      assert.equal(run.term.cursorVisible, true);
      // What was left running is adopted and stopped by the next podrun on the state directory.
      await adoptAndStop(stateDir);
      checkClean(stateDir, footprint);
      adopted = true;
    } finally {
      await endLeftRuns(stateDir);
      if (!adopted) await adoptAndStop(stateDir).catch(() => {});
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

/** `  1.2s  web  init/migrate  Running → Completed (exit 0, 1s)` → its parts. */
const TRANSITION = /^ *(\d+\.\d)s {2}(\S+) +(\S+) +(.+?) → (.+)$/;

describe('podrun up without a terminal: plain lines', { skip: E2E_SKIP }, () => {
  test('one timestamped line per change, each container’s change before the pod status it causes', {
    timeout: 90_000,
  }, async () => {
    const file = initPod('plain-init');
    const stateDir = tempStateDir('podrun-e2e-board-');
    try {
      // On a terminal too, --output plain gives the lines; here stdout is a pipe anyway.
      const r = await runPodrun(
        ['up', '--output', 'plain', '--wait', '--images', 'host', '-f', file, '--state-dir', stateDir],
        {
          timeoutMs: 80_000,
        },
      );
      assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      assert.ok(!r.stdout.includes('\x1b'), 'no escape sequences');
      const lines = r.stdout.trimEnd().split('\n');
      assert.equal(lines[0], 'pod/plain-init created');
      assert.match(lines[lines.length - 1]!, /^podrun: all up in \d+\.\ds$/);
      const steps = lines.slice(1, -1).map((l) => {
        const m = TRANSITION.exec(l);
        assert.ok(m, `not a transition line: "${l}"`);
        assert.equal(m[2], 'plain-init');
        return { at: Number(m[1]), subject: m[3]!, from: m[4]!, to: m[5]!, line: l };
      });
      for (let i = 1; i < steps.length; i++)
        assert.ok(steps[i]!.at >= steps[i - 1]!.at, 'times never go back');
      const index = (subject: string, to: RegExp) => {
        const i = steps.findIndex((s) => s.subject === subject && to.test(s.to));
        assert.ok(i >= 0, `no "${subject} … → ${to.source}" line in:\n${r.stdout}`);
        return i;
      };
      const fetchRuns = index('init/fetch', /^Running$/);
      const fetchDone = index('init/fetch', /^Completed \(exit 0, \d+s\)$/);
      const migrateRuns = index('init/migrate', /^Running$/);
      const migrateDone = index('init/migrate', /^Completed \(exit 0, (<1|\d+)s\)$/);
      const appRuns = index('app', /^Running/);
      const podInit0 = index('pod', /^Init:0\/2$/);
      const podInit1 = index('pod', /^Init:1\/2$/);
      const podRunning = index('pod', /^Running$/);
      // A container's change comes before the pod status it causes.
      assert.ok(fetchRuns < podInit0 || steps[podInit0]!.from === 'Pending', r.stdout);
      assert.ok(fetchDone < podInit1, `fetch Completed before pod Init:1/2:\n${r.stdout}`);
      assert.ok(migrateRuns < podInit1 || migrateRuns > fetchDone, r.stdout);
      assert.ok(migrateDone < podRunning && appRuns < podRunning, `before pod Running:\n${r.stdout}`);
      assert.ok(fetchDone < migrateRuns && migrateDone < appRuns, `in the kubelet's order:\n${r.stdout}`);
      assert.equal(steps.filter((s) => s.subject === 'pod' && s.to === 'Running').length, 1);
      checkClean(stateDir);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('--logs interleaves every container’s lines with a [pod/container] prefix', {
    timeout: 90_000,
  }, async () => {
    const file = initPod('plain-logs');
    const stateDir = tempStateDir('podrun-e2e-board-');
    try {
      const r = await runPodrun(
        ['up', '--logs', '--wait', '--images', 'host', '-f', file, '--state-dir', stateDir],
        {
          timeoutMs: 80_000,
        },
      );
      assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      const lines = r.stdout.split('\n');
      const at = (l: string) => {
        const i = lines.indexOf(l);
        assert.ok(i >= 0, `no line "${l}" in:\n${r.stdout}`);
        return i;
      };
      assert.ok(at('[plain-logs/fetch] fetching') < at('[plain-logs/fetch] fetched'));
      assert.ok(at('[plain-logs/fetch] fetched') < at('[plain-logs/migrate] migrating'));
      assert.ok(at('[plain-logs/migrate] migrating') < at('[plain-logs/migrate] migrated'));
      // Among the transition lines, as they happen.
      const fetchDone = lines.findIndex((l) => /init\/fetch +Running → Completed/.test(l));
      assert.ok(at('[plain-logs/fetch] fetching') < fetchDone, r.stdout);
      checkClean(stateDir);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe('podrun up --detach and podrun down', { skip: E2E_SKIP }, () => {
  test('up --detach --wait returns with the pods running; up reuses that server; down leaves nothing running', {
    timeout: 150_000,
  }, async () => {
    const file = initPod('detached');
    const stateDir = tempStateDir('podrun-e2e-board-');
    let pid = 0;
    try {
      const up = await runPodrun(
        ['up', '--detach', '--wait', '--images', 'host', '-f', file, '--state-dir', stateDir],
        {
          timeoutMs: 80_000,
        },
      );
      assert.equal(up.code, 0, `stdout:\n${up.stdout}\nstderr:\n${up.stderr}`);
      assert.match(up.stdout, /^podrun: all up in /m);
      assert.match(up.stderr, /the pods keep running in the background/);
      assert.ok(up.stderr.includes(`podrun down --state-dir ${stateDir}`), up.stderr);
      pid = (JSON.parse(readFileSync(join(stateDir, 'serve.json'), 'utf8')) as { pid: number }).pid;
      process.kill(pid, 0);
      const get = await runPodrun(['get', 'pods', '--state-dir', stateDir]);
      assert.match(get.stdout, /^detached +1\/1 +Running /m);

      const again = await runPodrun(['up', '--detach', '-f', file, '--state-dir', stateDir], {
        timeoutMs: 30_000,
      });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /podrun: using podrun serve at https:\/\/127\.0\.0\.1:\d+/);
      assert.ok(again.stderr.includes(`left running by \`podrun up --detach\` (pid ${pid})`), again.stderr);
      assert.match(again.stdout, /^pod\/detached unchanged$/m);

      const footprint = runtimeFootprint(stateDir);
      assert.ok(footprint.containers.length > 0, 'the runtime recorded the pod’s containers');
      const down = await runPodrun(['down', '--state-dir', stateDir], { timeoutMs: 100_000 });
      assert.equal(down.code, 0, down.stderr);
      assert.match(down.stderr, new RegExp(`stopped podrun serve \\(pid ${pid}\\) and its pods`));
      assert.throws(() => process.kill(pid, 0), /ESRCH/);
      assert.equal(existsSync(join(stateDir, 'serve.json')), false);
      checkClean(stateDir, footprint);

      const twice = await runPodrun(['down', '--state-dir', stateDir]);
      assert.equal(twice.code, 0);
      assert.match(twice.stderr, /no podrun serve runs on state directory .*: nothing to stop/);
    } finally {
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone, as it should be.
        }
      }
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
