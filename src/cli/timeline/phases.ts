// A pod's startup as timed phases, read from what the API keeps about any pod: its status (conditions and
// container states) and its events. Pure: `podrun timeline` fetches both and renders what this returns.
//
// Precision: status and event timestamps have whole seconds (RFC 3339, as upstream). Two sources refine them:
// an event's name is `<object>.<hex UnixNano>` of its first occurrence (client-go's recorder, which podrun's
// follows), and a Pulled event says how long the pull took (`Successfully pulled image "x" in 1.234s`).
import type { ContainerStatus, KubeObject, Pod } from '../../api/types.js';
import { parseDuration } from '../options.js';

export type PhaseKind = 'scheduling' | 'sandbox' | 'pull' | 'run' | 'runs' | 'backoff' | 'probe' | 'marker';

export interface Phase {
  /** The row it belongs to: `pod`, `init/NAME`, `sidecar/NAME` or an app container's name. */
  lane: string;
  /** `scheduling`, `pull busybox:1.36`, `run 2 (exit 3)`, `back-off`, `Ready`. */
  name: string;
  kind: PhaseKind;
  /** Milliseconds since the epoch. */
  start: number;
  end: number;
  /** Still going when the timeline was read (a running container, a back-off being waited). */
  open?: boolean;
  /** A run that ended with a non-zero exit code or a signal. */
  failed?: boolean;
  /**
   * A bound comes from a whole-second stamp (the creation, a condition): the span is known to the second
   * only, so under a second it is shown as `<1s`, not as the milliseconds the stamps happen to give.
   */
  coarse?: boolean;
}

export interface Timeline {
  namespace: string;
  pod: string;
  /** The pod's creation: offsets count from here. */
  origin: number;
  /** The last moment any phase reaches. */
  end: number;
  phases: Phase[];
  /** Lanes in startup order. */
  lanes: string[];
}

interface EventLike {
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  metadata?: { name?: string; creationTimestamp?: string };
  involvedObject?: { fieldPath?: string; name?: string };
}

const time = (s: string | null | undefined): number | undefined => {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) && t > 0 ? t : undefined;
};

/**
 * When an event first happened: its name's UnixNano when that agrees with firstTimestamp (within the second
 * it names), else firstTimestamp (or eventTime, for events.k8s.io-style writers).
 */
export function eventFirstTime(e: EventLike): number | undefined {
  return eventMoment(e)?.at;
}

/** eventFirstTime, and whether it came from the name (to the millisecond) or from a stamp (to the second). */
function eventMoment(e: EventLike): { at: number; precise: boolean } | undefined {
  const stamp = time(e.firstTimestamp) ?? time(e.eventTime) ?? time(e.metadata?.creationTimestamp);
  if (stamp === undefined) return undefined;
  const hex = /\.([0-9a-f]{12,})$/.exec(e.metadata?.name ?? '')?.[1];
  if (hex) {
    const ms = Number(BigInt(`0x${hex}`) / 1_000_000n);
    if (ms >= stamp && ms < stamp + 1000) return { at: ms, precise: true };
  }
  return { at: stamp, precise: false };
}

/** `Successfully pulled image "x" in 1.234s (…)` → 1234. */
function pulledIn(message: string | undefined): number | undefined {
  const m = / in ([0-9.]+(?:ms|s|m|h)(?:[0-9.]+(?:ms|s))?) /.exec(message ?? '');
  if (!m?.[1]) return undefined;
  try {
    return parseDuration(m[1]);
  } catch {
    return undefined;
  }
}

function imageOf(message: string | undefined): string {
  return /image "([^"]+)"/.exec(message ?? '')?.[1] ?? '';
}

function condition(pod: Pod, type: string): number | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === type && x.status === 'True');
  return time(c?.lastTransitionTime);
}

interface Run {
  start: number;
  end?: number;
  exit?: { code: number; signal?: number; reason?: string };
}

function runsOf(s: ContainerStatus | undefined): Run[] {
  const runs: Run[] = [];
  const last = s?.lastState?.terminated;
  const lastStart = time(last?.startedAt);
  if (last && lastStart !== undefined) {
    runs.push({
      start: lastStart,
      ...(time(last.finishedAt) !== undefined ? { end: time(last.finishedAt)! } : {}),
      exit: {
        code: last.exitCode,
        ...(last.signal ? { signal: last.signal } : {}),
        ...(last.reason ? { reason: last.reason } : {}),
      },
    });
  }
  const t = s?.state?.terminated;
  const tStart = time(t?.startedAt);
  if (t && tStart !== undefined) {
    runs.push({
      start: tStart,
      ...(time(t.finishedAt) !== undefined ? { end: time(t.finishedAt)! } : {}),
      exit: {
        code: t.exitCode,
        ...(t.signal ? { signal: t.signal } : {}),
        ...(t.reason ? { reason: t.reason } : {}),
      },
    });
  }
  const runningSince = time(s?.state?.running?.startedAt);
  if (runningSince !== undefined) runs.push({ start: runningSince });
  return runs;
}

function runName(n: number, r: Run): string {
  if (!r.exit) return `run ${n}`;
  const how = r.exit.signal ? `signal ${r.exit.signal}` : `exit ${r.exit.code}`;
  return `run ${n} (${how})`;
}

/** Everything about one container: its pull, its runs and the waits between them, its probe wait. */
function containerPhases(
  pod: Pod,
  lane: string,
  kind: 'init' | 'sidecar' | 'app',
  name: string,
  events: EventLike[],
  now: number,
  readyAt: number | undefined,
): Phase[] {
  const out: Phase[] = [];
  const fieldPath = kind === 'app' ? `spec.containers{${name}}` : `spec.initContainers{${name}}`;
  const mine = events.filter((e) => e.involvedObject?.fieldPath === fieldPath);
  const first = (reason: string) =>
    mine
      .filter((e) => e.reason === reason)
      .map((e) => ({ e, at: eventFirstTime(e) }))
      .filter((x): x is { e: EventLike; at: number } => x.at !== undefined)
      .sort((a, b) => a.at - b.at)[0];

  const pulled = first('Pulled');
  const pulling = first('Pulling');
  if (pulled && !/already present/.test(pulled.e.message ?? '')) {
    const took = pulledIn(pulled.e.message);
    // The Pulled event is written when the pull ends; its stated duration is more precise than Pulling's time.
    const start = took !== undefined ? pulled.at - took : (pulling?.at ?? pulled.at);
    out.push({ lane, name: `pull ${imageOf(pulled.e.message)}`, kind: 'pull', start, end: pulled.at });
  } else if (pulling && !pulled) {
    out.push({
      lane,
      name: `pull ${imageOf(pulling.e.message)}`,
      kind: 'pull',
      start: pulling.at,
      end: now,
      open: true,
    });
  }

  const s = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find(
    (x) => x.name === name,
  );
  const runs = runsOf(s);
  const total = (s?.restartCount ?? 0) + (runs.length > 0 ? 1 : 0);
  const lost = Math.max(0, total - runs.length);
  const startedEvent = first('Started');
  if (lost > 0 && runs[0] && startedEvent && startedEvent.at < runs[0].start) {
    // Events of repeated runs are merged into one (count, first and last time): the runs before the status's
    // last two are known only as a span.
    out.push({
      lane,
      name: `runs 1–${lost} and their back-offs`,
      kind: 'runs',
      start: startedEvent.at,
      end: runs[0].start,
    });
  }
  // Run times stay at the status's whole seconds: refining a start from its Started event while the end
  // keeps whole seconds would shorten runs by up to a second.
  runs.forEach((r, i) => {
    const n = lost + i + 1;
    const prev = runs[i - 1];
    if (prev?.end !== undefined && r.start > prev.end)
      out.push({ lane, name: 'back-off', kind: 'backoff', start: prev.end, end: r.start });
    const failed = r.exit !== undefined && (r.exit.code !== 0 || !!r.exit.signal);
    out.push({
      lane,
      name: runName(n, r),
      kind: 'run',
      start: r.start,
      end: r.end ?? now,
      ...(r.end === undefined ? { open: true } : {}),
      ...(failed ? { failed: true } : {}),
    });
  });
  const lastRun = runs.at(-1);
  const waiting = s?.state?.waiting;
  if (waiting?.reason === 'CrashLoopBackOff' && lastRun?.end !== undefined) {
    out.push({ lane, name: 'back-off', kind: 'backoff', start: lastRun.end, end: now, open: true });
  }
  // Readiness (or startup) probes hold a started container back from Ready: that wait, until the pod's Ready.
  const spec = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
    (c) => c.name === name,
  );
  const probed = !!(spec?.readinessProbe || spec?.startupProbe);
  const running = runs.at(-1);
  if (kind === 'app' && probed && running && running.end === undefined) {
    const end = readyAt !== undefined && readyAt >= running.start ? readyAt : now;
    out.push({
      lane,
      name: 'probe wait',
      kind: 'probe',
      start: running.start,
      end,
      ...(readyAt === undefined || readyAt < running.start ? { open: true } : {}),
    });
  }
  return out;
}

export function buildTimeline(pod: Pod, events: KubeObject[], now: number): Timeline {
  const evs = events as unknown as EventLike[];
  const podEvents = evs.filter((e) => !e.involvedObject?.fieldPath);
  const created = time(pod.metadata?.creationTimestamp) ?? now;
  const phases: Phase[] = [];
  // Events name their moment to the nanosecond, conditions and the creation only to the second: an event wins
  // where there is one (events expire after an hour; the conditions stay). Events older than the pod belong
  // to an earlier pod of the same name.
  const moments = (list: EventLike[]) =>
    list
      .map(eventMoment)
      .filter((m): m is { at: number; precise: boolean } => m !== undefined && m.at >= created)
      .sort((a, b) => a.at - b.at);
  const toTheSecond = (at: number | undefined) => (at === undefined ? undefined : { at, precise: false });
  const scheduled =
    moments(podEvents.filter((e) => e.reason === 'Scheduled'))[0] ??
    toTheSecond(condition(pod, 'PodScheduled'));
  if (scheduled !== undefined)
    phases.push({
      lane: 'pod',
      name: 'scheduling',
      kind: 'scheduling',
      start: created,
      end: Math.max(created, scheduled.at),
      coarse: true,
    });
  const sandboxReady =
    moments(evs.filter((e) => e.involvedObject?.fieldPath))[0] ??
    toTheSecond(condition(pod, 'PodReadyToStartContainers'));
  if (scheduled !== undefined && sandboxReady !== undefined)
    phases.push({
      lane: 'pod',
      name: 'sandbox',
      kind: 'sandbox',
      start: scheduled.at,
      end: Math.max(scheduled.at, sandboxReady.at),
      ...(scheduled.precise && sandboxReady.precise ? {} : { coarse: true }),
    });

  const readyAt = condition(pod, 'Ready');
  const lanes = ['pod'];
  for (const c of pod.spec?.initContainers ?? []) {
    const kind = c.restartPolicy === 'Always' ? 'sidecar' : 'init';
    const lane = `${kind}/${c.name}`;
    lanes.push(lane);
    phases.push(...containerPhases(pod, lane, kind, c.name, evs, now, readyAt));
  }
  for (const c of pod.spec?.containers ?? []) {
    lanes.push(c.name);
    phases.push(...containerPhases(pod, c.name, 'app', c.name, evs, now, readyAt));
  }
  if (readyAt !== undefined)
    phases.push({ lane: 'pod', name: 'Ready', kind: 'marker', start: readyAt, end: readyAt });
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    const ends = phases.filter((p) => p.kind === 'run').map((p) => p.end);
    if (ends.length > 0) {
      const at = Math.max(...ends);
      phases.push({ lane: 'pod', name: phase, kind: 'marker', start: at, end: at });
    }
  }
  // Once the pod is Ready its startup is over: what still runs is drawn up to Ready, not to now (a server
  // that has run for a day would squash the startup into one column).
  if (readyAt !== undefined)
    for (const p of phases) if (p.open) p.end = Math.max(p.start, Math.min(p.end, readyAt));
  const end = Math.max(created, ...phases.map((p) => p.end));
  return {
    namespace: pod.metadata?.namespace ?? 'default',
    pod: pod.metadata?.name ?? '',
    origin: created,
    end,
    phases: phases.sort((a, b) => lanes.indexOf(a.lane) - lanes.indexOf(b.lane) || a.start - b.start),
    lanes,
  };
}
