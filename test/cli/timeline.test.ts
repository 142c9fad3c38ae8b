// `podrun timeline`: phases from a pod's status and events (scheduling, sandbox, pulls, runs and retries,
// back-offs, probe waits, Ready), and their renderings: a text chart that fits its width, trace-event JSON,
// a well-formed SVG.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject, Pod } from '../../src/api/types.js';
import { buildTimeline, eventFirstTime } from '../../src/cli/timeline/phases.js';
import { renderSvg, renderText, renderTrace, span } from '../../src/cli/timeline/render.js';
import { parseXml } from '../support/junit-check.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString().replace('.000Z', 'Z');
const ms = (s: number) => Date.UTC(2026, 0, 1, 0, 0, s);

/** An event as client-go's recorder names it: `<pod>.<hex UnixNano of its first occurrence>`. */
function event(
  reason: string,
  fieldPath: string | undefined,
  firstMs: number,
  message = '',
  count = 1,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `web.${(BigInt(firstMs) * 1_000_000n).toString(16)}`, namespace: 'shop' },
    involvedObject: { kind: 'Pod', name: 'web', ...(fieldPath ? { fieldPath } : {}) },
    reason,
    message,
    count,
    firstTimestamp: at(Math.floor((firstMs - ms(0)) / 1000)),
    lastTimestamp: at(Math.floor((firstMs - ms(0)) / 1000)),
  } as unknown as KubeObject;
}

const pod: Pod = {
  metadata: { name: 'web', namespace: 'shop', uid: 'u', creationTimestamp: at(0) },
  spec: {
    initContainers: [
      { name: 'migrate', image: 'busybox' },
      { name: 'proxy', image: 'envoy', restartPolicy: 'Always' },
    ],
    containers: [{ name: 'app', image: 'web:1', readinessProbe: { exec: { command: ['true'] } } }],
  },
  status: {
    phase: 'Running',
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: at(0) },
      { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: at(1) },
      { type: 'Ready', status: 'True', lastTransitionTime: at(30) },
    ],
    initContainerStatuses: [
      {
        name: 'migrate',
        image: 'busybox',
        imageID: '',
        ready: false,
        restartCount: 3,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: at(20), finishedAt: at(22) } },
        lastState: { terminated: { exitCode: 3, reason: 'Error', startedAt: at(12), finishedAt: at(13) } },
      },
      {
        name: 'proxy',
        image: 'envoy',
        imageID: '',
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: at(23) } },
      },
    ],
    containerStatuses: [
      {
        name: 'app',
        image: 'web:1',
        imageID: '',
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: at(25) } },
      },
    ],
  },
};

const events = [
  event('Scheduled', undefined, ms(0) + 120),
  event('Pulling', 'spec.initContainers{migrate}', ms(1) + 300, 'Pulling image "busybox"'),
  event(
    'Pulled',
    'spec.initContainers{migrate}',
    ms(3) + 800,
    'Successfully pulled image "busybox" in 2.5s (2.5s including waiting). Image size: 100 bytes.',
  ),
  event('Started', 'spec.initContainers{migrate}', ms(4), 'Started container migrate', 4),
  event('Started', 'spec.initContainers{proxy}', ms(23), 'Started container proxy'),
  event('Pulled', 'spec.containers{app}', ms(24), 'Container image "web:1" already present on machine'),
];

const timeline = buildTimeline(pod, events, ms(100));
const rows = timeline.phases.map((p) => [p.lane, p.name, (p.start - ms(0)) / 1000, (p.end - ms(0)) / 1000]);

test('an event’s first time comes from its name’s UnixNano when it agrees with firstTimestamp', () => {
  assert.equal(eventFirstTime(events[1] as never), ms(1) + 300);
  const odd = { ...(events[1] as object), metadata: { name: 'web.deadbeef0000' } };
  assert.equal(eventFirstTime(odd as never), ms(1));
});

test('every startup phase, in lane order, with offsets from the pod’s creation', () => {
  assert.deepEqual(rows, [
    // Scheduled at its event's millisecond; the sandbox until the first container event (Pulling).
    ['pod', 'scheduling', 0, 0.12],
    ['pod', 'sandbox', 0.12, 1.3],
    ['pod', 'Ready', 30, 30],
    ['init/migrate', 'pull busybox', 1.3, 3.8],
    ['init/migrate', 'runs 1–2 and their back-offs', 4, 12],
    ['init/migrate', 'run 3 (exit 3)', 12, 13],
    ['init/migrate', 'back-off', 13, 20],
    ['init/migrate', 'run 4 (exit 0)', 20, 22],
    // Still running, drawn up to Ready: the startup is what the chart shows.
    ['sidecar/proxy', 'run 1', 23, 30],
    ['app', 'run 1', 25, 30],
    ['app', 'probe wait', 25, 30],
  ]);
  assert.equal(timeline.phases.find((p) => p.name === 'run 3 (exit 3)')?.failed, true);
  assert.equal(timeline.end, ms(30));
});

test('scheduling and sandbox: events to the millisecond where there are any, conditions to the second after', () => {
  const sched = (t: ReturnType<typeof buildTimeline>, name: string) => {
    const p = t.phases.find((x) => x.name === name);
    return p && [(p.start - ms(0)) / 1000, (p.end - ms(0)) / 1000, p.coarse === true];
  };
  // The creation has whole seconds: scheduling is always coarse; the sandbox is exact between two events.
  assert.deepEqual(sched(timeline, 'scheduling'), [0, 0.12, true]);
  assert.deepEqual(sched(timeline, 'sandbox'), [0.12, 1.3, false]);
  // Events gone (they expire after an hour): the conditions' seconds.
  const fromConditions = buildTimeline(pod, [], ms(100));
  assert.deepEqual(sched(fromConditions, 'scheduling'), [0, 0, true]);
  assert.deepEqual(sched(fromConditions, 'sandbox'), [0, 1, true]);
  // An earlier pod of the same name left its events: those before this pod's creation are not its own.
  const recreated: Pod = {
    ...pod,
    metadata: { ...pod.metadata, creationTimestamp: at(50) },
    status: {
      ...pod.status,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: at(50) },
        { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: at(51) },
      ],
    },
  };
  const old = buildTimeline(recreated, events, ms(100));
  assert.deepEqual(sched(old, 'scheduling'), [50, 50, true]);
  assert.deepEqual(sched(old, 'sandbox'), [50, 51, true]);
});

test('a coarse phase under a second reads "<1s" in the chart, not the milliseconds its stamps give', () => {
  const text = renderText(timeline, 100);
  assert.match(text, /^pod\s+scheduling\s+0ms\s+<1s\s+\|/m);
  assert.match(text, /^pod\s+sandbox\s+120ms\s+1\.2s\s+\|/m);
});

test('a crash-looping step shows its back-off still going until now', () => {
  const looping: Pod = structuredClone(pod);
  looping.status!.conditions = looping.status!.conditions!.filter((c) => c.type !== 'Ready');
  looping.status!.initContainerStatuses![0] = {
    ...looping.status!.initContainerStatuses![0]!,
    restartCount: 1,
    state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } },
  };
  const t = buildTimeline(looping, [], ms(40));
  const backoff = t.phases.find((p) => p.lane === 'init/migrate' && p.kind === 'backoff');
  assert.deepEqual([backoff?.start, backoff?.end, backoff?.open], [ms(13), ms(40), true]);
  assert.equal(t.end, ms(40));
});

test('the text chart fits its width and shows each phase with its offset and duration', () => {
  for (const width of [60, 80, 132]) {
    const text = renderText(timeline, width);
    const lines = text.trimEnd().split('\n');
    const chart = lines.slice(1, -1);
    for (const l of chart) assert.ok([...l].length <= width, `${[...l].length} > ${width}: ${l}`);
    assert.equal(chart.length, timeline.phases.length + 1);
  }
  const text = renderText(timeline, 100);
  assert.match(text, /^pod shop\/web: created 2026-01-01T00:00:00\.000Z, 30s shown$/m);
  assert.match(text, /^init\/migrate +pull busybox +1\.3s +2\.5s +\|/m);
  assert.match(text, /^init\/migrate +run 3 \(exit 3\) +12s +1s +\| *▓+ *\|$/m);
  assert.match(text, /^pod +Ready +30s +\| *◆\|$/m);
});

test('durations in the chart: ms below a second, tenths below ten', () => {
  assert.deepEqual(
    [span(0), span(450), span(1250), span(12_400), span(65_000)],
    ['0ms', '450ms', '1.3s', '12s', '1m05s'],
  );
});

test('the trace is trace-event JSON: complete events in µs, a named thread per lane', () => {
  const trace = JSON.parse(renderTrace(timeline)) as { traceEvents: Record<string, unknown>[] };
  const complete = trace.traceEvents.filter((e) => e.ph === 'X');
  assert.equal(complete.length, timeline.phases.length);
  for (const e of complete) {
    assert.equal(typeof e.name, 'string');
    assert.ok(Number.isInteger(e.ts) && (e.ts as number) >= 0);
    assert.ok(Number.isInteger(e.dur) && (e.dur as number) >= 0);
    assert.equal(e.pid, 1);
  }
  const pull = complete.find((e) => e.name === 'pull busybox')!;
  assert.deepEqual([pull.ts, pull.dur], [1_300_000, 2_500_000]);
  const names = trace.traceEvents.filter((e) => e.name === 'thread_name');
  assert.deepEqual(
    names.map((e) => (e.args as { name: string }).name),
    timeline.lanes,
  );
  assert.equal(names.find((e) => (e.args as { name: string }).name === 'init/migrate')?.tid, pull.tid);
});

test('the SVG is well-formed XML with a bar per phase and names escaped', () => {
  const odd = buildTimeline({ ...pod, metadata: { ...pod.metadata, name: 'a<b>&"c"' } }, events, ms(100));
  const svg = parseXml(renderSvg(odd));
  assert.equal(svg.name, 'svg');
  assert.equal(svg.attrs.xmlns, 'http://www.w3.org/2000/svg');
  const bars = svg.children.filter((c) => (c.name === 'rect' || c.name === 'path') && c.children.length > 0);
  assert.equal(bars.length, odd.phases.length);
  assert.equal(svg.children.find((c) => c.name === 'title')?.text, 'startup of pod shop/a<b>&"c"');
});
