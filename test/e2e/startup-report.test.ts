// CI mode of `bin/podrun up` as a user runs it in CI (CI=true): `--wait --junit FILE` on a startup whose init
// container fails (non-zero exit, the exit code and log tail in the last lines, the failure in a JUnit file
// valid against the schema CI systems read) and on one that succeeds (exit 0, container lines before the pod
// lines they cause); then `podrun timeline` on the finished pod, as text and as trace-event JSON.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { HAS_XMLLINT, parseXml, schemaErrors, type XmlElement } from '../support/junit-check.js';
import { e2eFile } from './support/e2e-file.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { runPodrun } from './support/serve.js';

const { mark: MARK, cluster, scratch } = e2eFile('e2e-startup-report');

const CI_ENV = { CI: 'true' };
const byName = (el: XmlElement, name: string) => el.children.filter((c) => c.name === name);

describe('podrun up --wait --junit and podrun timeline', { skip: E2E_SKIP }, () => {
  test('a failing init container: non-zero exit, exit code and log tail last, the failure in the JUnit file', {
    timeout: 90_000,
  }, async () => {
    const file = join(scratch, 'fails.yaml');
    const junit = join(scratch, 'fails.xml');
    writeFileSync(
      file,
      `
apiVersion: v1
kind: Pod
metadata: {name: report-fails}
spec:
  terminationGracePeriodSeconds: 2
  initContainers:
    - name: fetch
      image: busybox
      command: [sh, -c, '${MARK} echo fetched']
    - name: migrate
      image: busybox
      command: [sh, -c, '${MARK} echo "connecting to db"; echo "db <unreachable> & refused" >&2; exit 3']
  containers:
    - name: app
      image: busybox
      command: [sh, -c, '${MARK} sleep 3600']
`,
    );
    const r = await runPodrun(
      [
        'up',
        '--wait',
        '--timeout',
        '60s',
        '--junit',
        junit,
        '-f',
        file,
        '--state-dir',
        cluster.serve.stateDir,
      ],
      { env: CI_ENV, timeoutMs: 85_000 },
    );
    const why = `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    assert.equal(r.code, 1, why);
    assert.doesNotMatch(r.stderr, /timed out/, why);
    // The last lines explain the first failing step: pod, container, reason, exit code, next retry, log tail.
    const last = r.stderr.trimEnd().split('\n').slice(-9);
    assert.match(
      last[0] ?? '',
      /^podrun: up --wait failed: pod default\/report-fails: init container "migrate": /,
      why,
    );
    assert.ok(last.includes('  exit code:   3'), why);
    assert.ok(
      last.some((l) => l.startsWith('  next retry:  ')),
      why,
    );
    assert.ok(last.includes('    connecting to db'), why);
    assert.ok(last.includes('    db <unreachable> & refused'), why);
    assert.equal(last.at(-1), `podrun: JUnit report written to ${junit}`, why);

    if (HAS_XMLLINT) assert.equal(schemaErrors(junit), undefined);
    const root = parseXml(readFileSync(junit, 'utf8'));
    assert.equal(root.attrs.failures, '1');
    const suite = byName(root, 'testsuite')[0]!;
    assert.equal(suite.attrs.name, 'default/report-fails');
    const cases = byName(suite, 'testcase');
    assert.deepEqual(
      cases.map((c) => [c.attrs.classname, c.attrs.name]),
      [
        ['default/report-fails', 'fetch'],
        ['default/report-fails', 'migrate'],
        ['default/report-fails', 'app'],
      ],
    );
    assert.deepEqual(byName(cases[0]!, 'failure'), []);
    const failure = byName(cases[1]!, 'failure')[0];
    assert.ok(failure, `no <failure> for migrate in:\n${readFileSync(junit, 'utf8')}`);
    assert.match(failure.attrs.message ?? '', /exit code 3/);
    assert.match(failure.text, /db <unreachable> & refused/);
    assert.equal(byName(cases[2]!, 'skipped').length, 1);
  });

  test('a startup that succeeds: exit 0, plain lines in causal order, a JUnit file without failures', {
    timeout: 90_000,
  }, async () => {
    const file = join(scratch, 'ok.yaml');
    const junit = join(scratch, 'ok.xml');
    writeFileSync(
      file,
      `
apiVersion: v1
kind: Pod
metadata: {name: report-ok}
spec:
  restartPolicy: Never
  initContainers:
    - {name: fetch, image: busybox, command: [sh, -c, '${MARK} echo fetched; sleep 1']}
    - {name: migrate, image: busybox, command: [sh, -c, '${MARK} echo migrated; sleep 1']}
  containers:
    - {name: app, image: busybox, command: [sh, -c, '${MARK} echo served']}
`,
    );
    const r = await runPodrun(
      [
        'up',
        '--wait=complete',
        '--timeout',
        '60s',
        '--junit',
        junit,
        '-f',
        file,
        '--state-dir',
        cluster.serve.stateDir,
      ],
      { env: CI_ENV, timeoutMs: 85_000 },
    );
    const why = `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    assert.equal(r.code, 0, why);
    assert.match(r.stdout, /^podrun: all up in \d+\.\ds$/m, why);
    const lines = r.stdout.split('\n');
    const index = (re: RegExp) => lines.findIndex((l) => re.test(l));
    // Each line is stamped, and a container's change comes before the pod status it causes.
    for (const l of lines.filter((x) => x.includes('→')))
      assert.match(l, /^ *\d+\.\ds {2}report-ok +\S+ +/, why);
    const fetched = index(/init\/fetch +Running → Completed \(exit 0, \d+s\)/);
    const podMoved = index(/ pod +Init:0\/2 → Init:1\/2$/);
    assert.ok(fetched >= 0 && podMoved > fetched, why);
    const completed = index(/ app +.*→ Completed \(exit 0, /);
    const podDone = index(/ pod +\S+ → Completed$/);
    assert.ok(completed >= 0 && podDone > completed, why);

    if (HAS_XMLLINT) assert.equal(schemaErrors(junit), undefined);
    const root = parseXml(readFileSync(junit, 'utf8'));
    assert.deepEqual([root.attrs.tests, root.attrs.failures], ['3', '0']);
    const cases = byName(byName(root, 'testsuite')[0]!, 'testcase');
    assert.deepEqual(
      cases.map((c) => c.attrs.name),
      ['fetch', 'migrate', 'app'],
    );
    for (const c of cases)
      assert.deepEqual([byName(c, 'failure').length, byName(c, 'skipped').length], [0, 0]);
    // Each init container slept a second: its run time comes from the pod status.
    assert.ok(Number(cases[0]!.attrs.time) >= 1, readFileSync(junit, 'utf8'));
  });

  test('podrun timeline on the finished pod: a text chart and trace-event JSON', {
    timeout: 60_000,
  }, async () => {
    const text = await runPodrun([
      'timeline',
      'report-ok',
      '--width',
      '100',
      '--state-dir',
      cluster.serve.stateDir,
    ]);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^pod default\/report-ok: created \S+, \S+ shown$/);
    for (const l of lines) assert.ok([...l].length <= 100, l);
    for (const want of [
      /^pod +scheduling +/,
      /^pod +sandbox +/,
      /^init\/fetch +run 1 \(exit 0\) +\S+ +1s +\|/,
      /^init\/migrate +run 1 \(exit 0\) +/,
      /^app +run 1 \(exit 0\) +/,
      /^pod +Succeeded +/,
    ])
      assert.ok(
        lines.some((l) => want.test(l)),
        `no line matching ${want} in:\n${text.stdout}`,
      );

    const out = join(scratch, 'report-ok.trace.json');
    const trace = await runPodrun([
      'timeline',
      'report-ok',
      '--format',
      'trace',
      '-o',
      out,
      '--state-dir',
      cluster.serve.stateDir,
    ]);
    assert.equal(trace.code, 0, trace.stderr);
    const json = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: Record<string, unknown>[] };
    const complete = json.traceEvents.filter((e) => e.ph === 'X');
    assert.ok(complete.length >= 5, JSON.stringify(json));
    for (const e of complete) {
      assert.ok(
        Number.isInteger(e.ts) && Number.isInteger(e.dur) && typeof e.name === 'string',
        JSON.stringify(e),
      );
      assert.ok(Number.isInteger(e.pid) && Number.isInteger(e.tid), JSON.stringify(e));
    }
    const fetch = complete.find((e) => (e.args as { lane?: string }).lane === 'init/fetch');
    const migrate = complete.find((e) => (e.args as { lane?: string }).lane === 'init/migrate');
    assert.ok(fetch && migrate && (migrate.ts as number) >= (fetch.ts as number), JSON.stringify(complete));

    const missing = await runPodrun(['timeline', 'no-such-pod', '--state-dir', cluster.serve.stateDir]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /pod no-such-pod not found in namespace default/);
  });
});
