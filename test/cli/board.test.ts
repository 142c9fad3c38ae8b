// The live board of `podrun up`, without a server: the model and the rendered lines for a pod with init
// containers at each point of its startup (a fixed clock), the width cut, colours, and the in-place redraw
// read back through a minimal terminal.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ContainerStatus, Pod } from '../../src/api/types.js';
import { boardModel, tailKey } from '../../src/cli/board/model.js';
import { renderBoard, stripAnsi } from '../../src/cli/board/render.js';
import { Screen } from '../../src/cli/board/screen.js';
import { plainOutput, useColor } from '../../src/cli/up/view.js';
import type { PullProgress } from '../../src/runtime/types.js';
import { Terminal } from '../e2e/support/terminal.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

function pod(init: ContainerStatus[], apps: ContainerStatus[], phase = 'Pending'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'u1', creationTimestamp: at(0) },
    spec: {
      initContainers: [
        { name: 'proxy', image: 'envoy:1', restartPolicy: 'Always' },
        { name: 'migrate', image: 'busybox' },
      ],
      containers: [{ name: 'app', image: 'registry.local/web:3' }],
    },
    status: { phase, initContainerStatuses: init, containerStatuses: apps },
  };
}

const base = { image: '', imageID: '', ready: false, restartCount: 0 };
const waiting = (name: string, reason: string, message?: string): ContainerStatus => ({
  ...base,
  name,
  state: { waiting: { reason, ...(message ? { message } : {}) } },
});
const running = (name: string, since: number, ready = false): ContainerStatus => ({
  ...base,
  name,
  ready,
  started: true,
  state: { running: { startedAt: at(since) } },
});

const OPTS = { columns: 100, color: false, title: 'podrun up' };

describe('the board', () => {
  test('a pod with a sidecar, an init container in crash-loop back-off and an app waiting for its image', () => {
    const crashing: ContainerStatus = {
      ...base,
      name: 'migrate',
      restartCount: 2,
      state: {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: 'back-off 20s restarting failed container=migrate pod=web_default(u1)',
        },
      },
      lastState: { terminated: { exitCode: 3, reason: 'Error', startedAt: at(10), finishedAt: at(11) } },
    };
    const p = pod([running('proxy', 2, true), crashing], [waiting('app', 'PodInitializing')]);
    const tails = new Map([[tailKey(p, 'migrate', crashing), 'connecting to db\ndb unreachable\n']]);
    const pull: PullProgress = {
      image: 'registry.local/web:3',
      startedAt: T0,
      totalBytes: 40_100_000,
      doneBytes: 12_300_000,
      layers: 5,
      layersDone: 2,
    };
    const lines = renderBoard(boardModel([p], [pull], tails, T0 + 24_000), { ...OPTS, columns: 120 });
    assert.deepEqual(lines, [
      'podrun up',
      'NAME              STATUS                  TIME  RESTARTS',
      'web               Init:CrashLoopBackOff    24s         2  ready 0/1',
      '├─ sidecar/proxy  Running                  22s         0  ready',
      '├─ init/migrate   CrashLoopBackOff          1s         2  exit 3, retry in 7s',
      '│    connecting to db',
      '│    db unreachable',
      '└─ app            PodInitializing                         pulling registry.local/web:3 12.3/40.1 MB, layers 2/5',
    ]);
    // The countdown moves with the clock, and says so when the back-off is over.
    const later = renderBoard(boardModel([p], [pull], tails, T0 + 32_000), OPTS).join('\n');
    assert.match(later, /exit 3, retrying now/);
  });

  test('init containers done, the app running and ready: every row says so', () => {
    const done = (name: string, from: number, to: number): ContainerStatus => ({
      ...base,
      name,
      state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: at(from), finishedAt: at(to) } },
    });
    const p = pod([running('proxy', 1, true), done('migrate', 2, 5)], [running('app', 6, true)], 'Running');
    p.status!.conditions = [{ type: 'Ready', status: 'True', lastTransitionTime: at(7) }];
    const text = renderBoard(boardModel([p], [], new Map(), T0 + 60_000), OPTS).join('\n');
    assert.match(text, /^web +Running +7s +0 +ready 1\/1$/m);
    assert.match(text, /^├─ init\/migrate +Completed +3s +0$/m);
    assert.match(text, /^└─ app +Running +54s +0 +ready$/m);
  });

  test('no line reaches the last column, cut lines end in …, and the board keeps to the rows', () => {
    const p = pod([running('proxy', 1)], [waiting('app', 'PodInitializing')]);
    const lines = renderBoard(boardModel([p], [], new Map(), T0 + 5000), { ...OPTS, columns: 30, rows: 4 });
    assert.equal(lines.length, 3);
    for (const l of lines) assert.ok([...l].length <= 29, `${l} (${[...l].length})`);
    assert.ok(lines.some((l) => l.endsWith('…')));
    assert.match(lines[2]!, /more line\(s\)/);
  });

  test('colours on request only, and the text under them is the same', () => {
    const p = pod([running('proxy', 1, true)], [waiting('app', 'ErrImagePull', 'not found')]);
    const model = boardModel([p], [], new Map(), T0 + 5000);
    const plain = renderBoard(model, OPTS);
    const colored = renderBoard(model, { ...OPTS, color: true });
    assert.ok(
      colored.some((l) => l.includes('\x1b[31m')),
      'ErrImagePull in red',
    );
    assert.deepEqual(colored.map(stripAnsi), plain);
    assert.ok(!plain.some((l) => l.includes('\x1b')));
  });

  test('colour only on a terminal and without NO_COLOR; plain lines without a terminal, with CI, or asked', () => {
    assert.equal(useColor({}, { isTTY: true }), true);
    assert.equal(useColor({ NO_COLOR: '1' }, { isTTY: true }), false);
    assert.equal(useColor({ NO_COLOR: 'false' }, { isTTY: true }), false, 'any value but empty');
    assert.equal(useColor({ NO_COLOR: '' }, { isTTY: true }), true, 'empty is unset (no-color.org)');
    assert.equal(useColor({}, { isTTY: false }), false);
    assert.equal(plainOutput('auto', {}, { isTTY: true }), false);
    assert.equal(plainOutput('auto', { CI: 'true' }, { isTTY: true }), true);
    assert.equal(plainOutput('auto', {}, {}), true);
    assert.equal(plainOutput('plain', {}, { isTTY: true }), true);
  });
});

describe('the screen', () => {
  function fake(rows: number, cols: number) {
    const term = new Terminal(rows, cols);
    const writes: string[] = [];
    const stream = {
      columns: cols,
      rows,
      write(s: string) {
        writes.push(s);
        // What the tty driver does with output by default (ONLCR): a newline is a carriage return and a newline.
        term.write(s.replace(/\r?\n/g, '\r\n'));
        return true;
      },
    };
    return { term, writes, stream };
  }

  test('redraws in place, rewriting only the lines that changed, inside a synchronized update', () => {
    const { term, writes, stream } = fake(10, 40);
    term.write('$ podrun up\n');
    const screen = new Screen(stream);
    assert.equal(term.cursorVisible, false);
    screen.frame(['title 1s', 'web  Init:0/1', '└─ init/a  Running']);
    screen.frame(['title 2s', 'web  Init:0/1', '└─ init/a  Running']);
    const last = writes[writes.length - 1]!;
    assert.ok(last.startsWith('\x1b[?2026h') && last.endsWith('\x1b[?2026l'), JSON.stringify(last));
    assert.ok(last.includes('title 2s'));
    assert.ok(!last.includes('web  Init'), `unchanged lines are not rewritten: ${JSON.stringify(last)}`);
    assert.deepEqual(term.screen(), ['$ podrun up', 'title 2s', 'web  Init:0/1', '└─ init/a  Running']);
    screen.frame(['title 3s', 'web  Running']);
    assert.deepEqual(term.screen(), ['$ podrun up', 'title 3s', 'web  Running']);
    screen.scroll('[web/a] hello\n');
    assert.deepEqual(term.screen(), ['$ podrun up', '[web/a] hello', 'title 3s', 'web  Running']);
    screen.close(['done', 'web  Running']);
    assert.deepEqual(term.screen(), ['$ podrun up', '[web/a] hello', 'done', 'web  Running']);
    assert.equal(term.cursorVisible, true);
    assert.equal(term.wraps, 0);
  });
});
