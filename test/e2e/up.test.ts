// `bin/podrun up` as a user runs it: every example comes up with `--wait` (exit 0, one line per transition),
// a failing init container makes `--wait` exit non-zero with the reason and the log tail, a broken manifest is
// rejected with file:line:col before anything is applied, and the README's first command works.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadManifests } from '../../src/api/manifests.js';
import type { KubeObject, PodSpec } from '../../src/api/types.js';
import { e2eFile, failingInitPod } from './support/e2e-file.js';
import { leftovers } from './support/leftovers.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { REPO, runPodrun, spawnPodrun, tempStateDir } from './support/serve.js';
import { poll } from './support/watch.js';

const { mark: MARK, cluster, scratch } = e2eFile('e2e-up-test');

/** One progress line of `podrun up`: `  1.2s  web  init/migrate  Running → Completed (exit 0, 1s)`. */
const TRANSITION = /^ *\d+\.\ds {2}(\S+) +(\S+) +(.+?) → (.+)$/;

function transitions(stdout: string): { pod: string; subject: string; from: string; to: string }[] {
  return stdout.split('\n').flatMap((l) => {
    const m = TRANSITION.exec(l);
    return m ? [{ pod: m[1]!, subject: m[2]!, from: m[3]!, to: m[4]! }] : [];
  });
}

/** A pod's own lines chain: each starts from the status the one before it ended in (its deletion too). */
function assertPodLinesChain(stdout: string): void {
  const lastOf = new Map<string, string>();
  for (const t of transitions(stdout).filter((l) => l.subject === 'pod')) {
    const last = lastOf.get(t.pod);
    if (last !== undefined) {
      assert.equal(t.from, last, `pod ${t.pod}: "${t.from} → ${t.to}" after "→ ${last}" in:\n${stdout}`);
    }
    lastOf.set(t.pod, t.to);
  }
}

function podSpecOf(o: KubeObject): PodSpec | undefined {
  if (o.kind === 'Pod') return o.spec as PodSpec;
  const template = (o.spec as { template?: { spec?: PodSpec } } | undefined)?.template;
  return ['Deployment', 'ReplicaSet', 'Job'].includes(o.kind) ? template?.spec : undefined;
}

// Every example at the top of examples/ is self-contained (no example needs another's pods).
const EXAMPLES = readdirSync(join(REPO, 'examples'))
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

describe('podrun up --wait', { skip: E2E_SKIP }, () => {
  test('the examples directory has examples to run', () => {
    assert.ok(EXAMPLES.length >= 5, `examples: ${EXAMPLES.join(', ')}`);
  });

  for (const example of EXAMPLES) {
    test(`podrun up --wait -f examples/${example} exits 0 and prints every container's transitions`, {
      timeout: 90_000,
    }, async () => {
      const file = join('examples', example);
      const load = await loadManifests([join(REPO, file)]);
      assert.deepEqual(load.errors, []);
      const r = await runPodrun(
        ['up', '--wait', '--timeout', '75s', '-f', file, '--state-dir', cluster.serve.stateDir],
        {
          timeoutMs: 85_000,
        },
      );
      assert.equal(r.code, 0, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      assert.match(r.stderr, /podrun: using podrun serve at https:\/\/127\.0\.0\.1:\d+/);
      assert.match(r.stdout, /^podrun: all up in \d+\.\ds$/m);
      const lines = transitions(r.stdout);
      assertPodLinesChain(r.stdout);
      for (const doc of load.documents) {
        const o = doc.object;
        assert.match(r.stdout, new RegExp(`^\\S+/${o.metadata.name} (created|configured|unchanged)$`, 'm'));
        const spec = podSpecOf(o);
        if (!spec) continue;
        const isJob = o.kind === 'Job';
        for (const c of spec.initContainers ?? []) {
          if (c.restartPolicy === 'Always') {
            assert.ok(
              lines.some((t) => t.subject === `sidecar/${c.name}` && t.to.startsWith('Running')),
              `no "sidecar/${c.name} … → Running" line in:\n${r.stdout}`,
            );
          } else {
            assert.ok(
              lines.some(
                (t) => t.subject === `init/${c.name}` && /^Completed \(exit 0, (<1|\d+)s\)/.test(t.to),
              ),
              `no "init/${c.name} … → Completed (exit 0, …)" line in:\n${r.stdout}`,
            );
          }
        }
        for (const c of spec.containers) {
          const want = isJob ? /^Completed \(exit 0, / : /^Running/;
          assert.ok(
            lines.some((t) => t.subject === c.name && want.test(t.to)),
            `no "${c.name} … → ${want.source}" line in:\n${r.stdout}`,
          );
        }
        assert.ok(
          lines.some((t) => t.subject === 'pod' && /^(Running|Completed)$/.test(t.to)),
          `no "pod … → Running|Completed" line in:\n${r.stdout}`,
        );
      }
    });
  }

  const FAILING = failingInitPod(MARK);

  test('a failing init container makes up --wait exit non-zero with the reason and its last log lines', {
    timeout: 60_000,
  }, async () => {
    const file = join(scratch, 'failing.yaml');
    writeFileSync(file, FAILING);
    const r = await runPodrun(
      ['up', '--wait', '--timeout', '45s', '-f', file, '--state-dir', cluster.serve.stateDir],
      {
        timeoutMs: 55_000,
      },
    );
    assert.notEqual(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /timed out/, r.stderr);
    assert.match(r.stderr, /fails-init.*migrate.*(CrashLoopBackOff|Error|exit(ed with)? (code )?3)/);
    assert.match(r.stderr, /db unreachable: connection refused/);
    assert.match(r.stderr, /connecting to db/);
    assert.ok(
      transitions(r.stdout).some((t) => t.subject === 'init/migrate' && /^Error \(exit 3, /.test(t.to)),
      `no "init/migrate … → Error (exit 3, …)" line in:\n${r.stdout}`,
    );
    // The app container never ran.
    assert.ok(
      !transitions(r.stdout).some((t) => t.subject === 'app' && t.to.startsWith('Running')),
      r.stdout,
    );
  });

  test('without a server, up --wait runs podrun in-process and leaves nothing behind when it fails', {
    timeout: 90_000,
  }, async () => {
    const file = join(scratch, 'failing.yaml');
    writeFileSync(file, FAILING);
    const stateDir = tempStateDir('podrun-e2e-up-inproc-');
    try {
      const r = await runPodrun(
        [
          'up',
          '--wait',
          '--timeout',
          '45s',
          '--backoff-initial',
          '1s',
          '--images',
          'host',
          '-f',
          file,
          '--state-dir',
          stateDir,
        ],
        {
          timeoutMs: 80_000,
        },
      );
      assert.notEqual(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      assert.match(r.stderr, /podrun: using in-process podrun/);
      assert.match(r.stderr, /db unreachable: connection refused/);
      assert.deepEqual(leftovers(stateDir, { sandboxes: [], containers: [] }, [MARK]), []);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('a broken manifest is rejected with file:line:col and nothing of it is applied', {
    timeout: 30_000,
  }, async () => {
    const file = join(scratch, 'broken.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: {name: broken-cm}',
        'data: {a: b}',
        '---',
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: broken-good}',
        'spec:',
        '  containers:',
        '    - {name: app, image: busybox, command: [sleep, "1"]}',
        '---',
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: broken-bad}',
        'spec:',
        '  containers:',
        '    - name: app',
        '      image: busybox',
        '      comand: [sleep, "1"]',
        '',
      ].join('\n'),
    );
    const r = await runPodrun(['up', '--wait', '-f', file, '--state-dir', cluster.serve.stateDir]);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.includes(`${file}:20:7: unknown field "spec.containers[0].comand"`), r.stderr);
    assert.match(r.stderr, /nothing applied/);
    assert.equal(r.stdout, '');
    for (const what of ['configmap/broken-cm', 'pod/broken-good', 'pod/broken-bad']) {
      const get = await cluster.kubectl.run(['get', what]);
      assert.notEqual(get.code, 0, `${what} exists`);
      assert.match(get.stderr, /NotFound/);
    }
  });

  test('the broken examples are rejected with file:line:col', async () => {
    const r = await runPodrun([
      'up',
      '--wait',
      '-f',
      'examples/broken',
      '--state-dir',
      cluster.serve.stateDir,
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /^examples\/broken\/fields\.yaml:9:7: unknown field "spec\.containers\[0\]\.imagee"$/m,
    );
    assert.match(r.stderr, /^examples\/broken\/init-containers\.yaml:\d+:\d+: /m);
    assert.match(r.stderr, /nothing applied/);
    const get = await cluster.kubectl.run(['get', 'pod', 'typo']);
    assert.notEqual(get.code, 0);
  });

  test('podrun up without --wait shows the pods start, and Ctrl-C stops them and exits 0', {
    timeout: 60_000,
  }, async () => {
    const file = join(scratch, 'interactive.yaml');
    writeFileSync(
      file,
      `
apiVersion: v1
kind: Pod
metadata: {name: interactive}
spec:
  initContainers:
    - {name: prepare, image: busybox, command: [sh, -c, '${MARK} echo prepared']}
  containers:
    - {name: app, image: busybox, command: [sh, -c, '${MARK} trap "exit 0" TERM; while :; do sleep 0.2; done']}
`,
    );
    const stateDir = tempStateDir('podrun-e2e-up-interactive-');
    try {
      const up = spawnPodrun(['up', '--images', 'host', '-f', file, '--state-dir', stateDir]);
      await poll(
        () =>
          transitions(up.out.stdout).some((t) => t.subject === 'app' && t.to.startsWith('Running'))
            ? true
            : undefined,
        'the app’s "→ Running" line from podrun up',
        30_000,
      );
      assert.match(up.out.stderr, /press Ctrl-C to stop the pods and exit/);
      up.child.kill('SIGINT');
      // The timer is cleared once `up` exits: a pending one kept this file's process alive for its length.
      let timer: NodeJS.Timeout | undefined;
      const exit = await Promise.race([
        up.exited,
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), 30_000);
        }),
      ]).finally(() => clearTimeout(timer));
      if (exit === 'timeout') up.child.kill('SIGKILL');
      assert.deepEqual(exit, { code: 0, signal: null }, up.out.stderr);
      assert.match(up.out.stderr, /stopping pods gracefully/);
      const lines = transitions(up.out.stdout);
      assert.ok(
        lines.some((t) => t.subject === 'pod' && t.to === 'Terminating'),
        up.out.stdout,
      );
      assert.ok(
        lines.some((t) => t.subject === 'pod' && t.to === 'deleted'),
        up.out.stdout,
      );
      assert.deepEqual(leftovers(stateDir, { sandboxes: [], containers: [] }, [MARK]), []);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('the README’s first command works as written', { timeout: 120_000 }, async () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const line = readme.split('\n').find((l) => /(^|&& )bin\/podrun up /.test(l));
    assert.ok(line, 'the README shows a `bin/podrun up` command');
    const command = line.slice(line.indexOf('bin/podrun up')).trim();
    const args = command.split(/\s+/).slice(1);
    const file = args[args.indexOf('-f') + 1] ?? '';
    assert.ok(
      readdirSync(join(REPO, 'examples')).includes(file.replace(/^examples\//, '')),
      `the README's first command (${command}) names ${file}, which is not in examples/`,
    );
    // As written: no --state-dir, so podrun uses $XDG_DATA_HOME/podrun; a private one keeps the test alone.
    const xdg = mkdtempSync(join(tmpdir(), 'podrun-e2e-readme-'));
    try {
      const r = await runPodrun(args, { env: { XDG_DATA_HOME: xdg }, timeoutMs: 110_000 });
      assert.equal(r.code, 0, `${command}: exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      assert.match(r.stdout, /^podrun: all up in /m);
      assert.ok(transitions(r.stdout).length > 0, r.stdout);
      // It stops what it started: the pod's last line is its deletion.
      assert.match(r.stdout, / pod +\S+ → deleted$/m);
      assertPodLinesChain(r.stdout);
      assert.deepEqual(leftovers(join(xdg, 'podrun'), { sandboxes: [], containers: [] }), []);
    } finally {
      rmSync(xdg, { recursive: true, force: true });
    }
  });
});
