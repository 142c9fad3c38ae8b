// The JUnit report of `up --wait --junit`: one test case per container step, a failure with reason, exit code
// and log tail, skipped for a step that never ran, escaping that survives any log, and valid against the
// schema CI systems read (checked with xmllint).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ContainerStatus, Pod } from '../../src/api/types.js';
import { escapeAttr, escapeText, junitXml } from '../../src/cli/up/junit.js';
import { HAS_XMLLINT, parseXml, schemaErrors, type XmlElement } from '../support/junit-check.js';

const dir = mkdtempSync(join(tmpdir(), 'podrun-junit-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function status(name: string, extra: Partial<ContainerStatus>): ContainerStatus {
  return { name, image: 'busybox', imageID: '', ready: false, restartCount: 0, state: {}, ...extra };
}

const failing: Pod = {
  metadata: { name: 'web', namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: {
    initContainers: [
      { name: 'fetch', image: 'busybox' },
      { name: 'proxy', image: 'busybox', restartPolicy: 'Always' },
      { name: 'migrate', image: 'busybox' },
    ],
    containers: [{ name: 'app', image: 'busybox' }],
  },
  status: {
    phase: 'Pending',
    startTime: '2026-01-01T00:00:00Z',
    initContainerStatuses: [
      status('fetch', {
        state: {
          terminated: {
            exitCode: 0,
            reason: 'Completed',
            startedAt: '2026-01-01T00:00:01Z',
            finishedAt: '2026-01-01T00:00:03Z',
          },
        },
      }),
      status('proxy', {
        ready: true,
        started: true,
        state: { running: { startedAt: '2026-01-01T00:00:03Z' } },
      }),
      status('migrate', {
        restartCount: 1,
        state: {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: 'back-off 10s restarting failed container=migrate',
          },
        },
        lastState: {
          terminated: {
            exitCode: 3,
            reason: 'Error',
            startedAt: '2026-01-01T00:00:04Z',
            finishedAt: '2026-01-01T00:00:09Z',
          },
        },
      }),
    ],
    containerStatuses: [status('app', { state: { waiting: { reason: 'PodInitializing' } } })],
  },
};

// A log with everything that breaks naive XML: markup, entities, quotes, a CDATA end, a colour code, a NUL.
const NASTY = 'a <b> & "c" \'d\' ]]> \x1b[31mred\x1b[0m \x00 end';

function write(xml: string): string {
  const file = join(dir, `r${Math.random().toString(16).slice(2)}.xml`);
  writeFileSync(file, xml);
  return file;
}

const byName = (el: XmlElement, name: string) => el.children.filter((c) => c.name === name);

test('a failing startup: one case per step, the failure with reason, exit code and log tail, skipped steps', () => {
  const xml = junitXml({
    pods: [failing],
    logTails: new Map([['shop/web/migrate', `connecting\n${NASTY}\n`]]),
    outcome: 'failed',
    retries: 0,
    now: Date.parse('2026-01-01T00:00:12Z'),
  });
  const root = parseXml(xml);
  assert.equal(root.name, 'testsuites');
  assert.deepEqual(
    { tests: root.attrs.tests, failures: root.attrs.failures, errors: root.attrs.errors },
    { tests: '4', failures: '1', errors: '0' },
  );
  const [suite, ...more] = byName(root, 'testsuite');
  assert.equal(more.length, 0);
  assert.deepEqual(suite!.attrs, {
    name: 'shop/web',
    tests: '4',
    failures: '1',
    errors: '0',
    skipped: '1',
    time: '12.000',
    timestamp: '2026-01-01T00:00:00Z',
  });
  const cases = byName(suite!, 'testcase');
  assert.deepEqual(
    cases.map((c) => [c.attrs.classname, c.attrs.name, c.attrs.time]),
    [
      ['shop/web', 'fetch', '2.000'],
      ['shop/web', 'proxy', '9.000'],
      ['shop/web', 'migrate', '5.000'],
      ['shop/web', 'app', '0.000'],
    ],
  );
  assert.deepEqual(byName(cases[0]!, 'failure'), []);
  const [failure] = byName(cases[2]!, 'failure');
  assert.equal(failure?.attrs.type, 'CrashLoopBackOff');
  assert.equal(failure?.attrs.message, 'CrashLoopBackOff, exit code 3, 2 failed runs');
  assert.match(failure!.text, /exit code 3/);
  assert.ok(failure!.text.includes('a <b> & "c" \'d\' ]]> \\x1b[31mred\\x1b[0m \\x00 end'), failure!.text);
  const [skipped] = byName(cases[3]!, 'skipped');
  assert.equal(skipped?.attrs.message, 'never ran (PodInitializing)');
});

test('the report is valid against the JUnit schema', {
  skip: HAS_XMLLINT ? false : 'no xmllint here',
}, () => {
  for (const outcome of ['failed', 'timeout', 'up'] as const) {
    const file = write(
      junitXml({
        pods: [failing, { ...failing, metadata: { name: `"odd" <name> & co`, namespace: 'shop' } }],
        logTails: new Map([['shop/web/migrate', NASTY]]),
        outcome,
        retries: 0,
        now: Date.parse('2026-01-01T00:00:12Z'),
      }),
    );
    assert.equal(schemaErrors(file), undefined, outcome);
  }
});

test('the schema check is real: it refuses a report without the required attributes', {
  skip: HAS_XMLLINT ? false : 'no xmllint here',
}, () => {
  const file = write(
    '<?xml version="1.0"?>\n<testsuites><testsuite name="x"><testcase/></testsuite></testsuites>\n',
  );
  assert.match(schemaErrors(file) ?? '', /tests|failures|name/);
});

test('escaping: text and attributes read back as written, whitespace in attributes kept', () => {
  const value = `tab\there\nline "q" 'a' <x> & ]]>`;
  const root = parseXml(`<r a="${escapeAttr(value)}">${escapeText(value)}</r>`);
  assert.equal(root.attrs.a, value);
  assert.equal(root.text, value);
  assert.equal(escapeText('\x07bell \ud800 lone'), '\\x07bell \\ud800 lone');
  assert.equal(escapeText('emoji 😀 stays'), 'emoji 😀 stays');
});

test('a timeout marks an init container still running and an app container not Ready as failures', () => {
  const running: Pod = {
    ...failing,
    status: {
      ...failing.status,
      initContainerStatuses: [
        failing.status!.initContainerStatuses![0]!,
        failing.status!.initContainerStatuses![1]!,
        status('migrate', { state: { running: { startedAt: '2026-01-01T00:00:04Z' } } }),
      ],
    },
  };
  const root = parseXml(
    junitXml({
      pods: [running],
      logTails: new Map(),
      outcome: 'timeout',
      retries: 0,
      now: Date.parse('2026-01-01T00:01:00Z'),
    }),
  );
  const cases = byName(byName(root, 'testsuite')[0]!, 'testcase');
  const migrate = cases.find((c) => c.attrs.name === 'migrate')!;
  assert.equal(byName(migrate, 'failure')[0]?.attrs.type, 'NotFinished');
  assert.equal(migrate.attrs.time, '56.000');
  // Once all is up, a running sidecar is a pass.
  const up = parseXml(
    junitXml({
      pods: [running],
      logTails: new Map(),
      outcome: 'up',
      retries: 0,
      now: Date.parse('2026-01-01T00:01:00Z'),
    }),
  );
  assert.equal(up.attrs.failures, '0');
});
