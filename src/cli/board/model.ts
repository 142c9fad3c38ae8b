// What the live board of `podrun up` shows, as data: one row per pod, and under it one row per container in the
// order the kubelet runs them (init containers and native sidecars in spec order, then app containers), each
// with its state, how long it has run, its restarts, and what a person waits for next: the probe, the next
// crash-loop retry as a countdown, the image pull under way, and for a failing step its exit code and last log
// lines. Pure: the caller gives the pods, the pulls under way, the log tails it has fetched and the time.
import type { Container, ContainerStatus, Pod } from '../../api/types.js';
import { podStatusReason } from '../../printers/index.js';
import type { PullProgress } from '../../runtime/types.js';
import { backoffOf } from '../up/failure-report.js';
import { lastTermination, podSteps, runTimeMs, type StepKind, started } from '../up/steps.js';

/** How a cell reads at a glance; the renderer turns it into a colour on a terminal that wants one. */
export type Tone = 'good' | 'bad' | 'busy' | 'idle';

export interface ContainerRow {
  kind: StepKind;
  name: string;
  state: string;
  tone: Tone;
  /** Run time of the current or last run in ms; undefined when it never ran. */
  ranMs?: number;
  restarts: number;
  /** Facts after the columns, in order: `ready`, `exit 3`, `retry in 7s`, `pulling busybox 1.2/4.0 MB`. */
  notes: { text: string; tone: Tone }[];
  /** The last log lines of a failing step (its current or last run). */
  logTail: string[];
}

export interface PodRow {
  namespace: string;
  name: string;
  /** kubectl get pods' STATUS: `Init:1/3`, `Running`, `Init:CrashLoopBackOff`. */
  status: string;
  tone: Tone;
  /** From creation to Ready (or to the end of its last container, or to now while neither). */
  elapsedMs: number;
  restarts: number;
  ready: string;
  containers: ContainerRow[];
}

export interface BoardModel {
  pods: PodRow[];
  /** Pulls under way that no waiting container of a shown pod is known to wait for. */
  otherPulls: PullProgress[];
}

/** Key of a step's log tail in the caller's cache: a new run (or a new failure) is a new key. */
export function tailKey(pod: Pod, container: string, status: ContainerStatus | undefined): string {
  const t = lastTermination(status);
  return `${pod.metadata?.uid ?? pod.metadata?.name}/${container}/${status?.restartCount ?? 0}/${t?.finishedAt ?? ''}`;
}

/** Whether a step's current or last run failed, so that its exit code and log tail are worth showing. */
export function failing(status: ContainerStatus | undefined): boolean {
  if (status?.state?.running) return false;
  const t = lastTermination(status);
  return t !== undefined && (t.exitCode !== 0 || (t.signal ?? 0) !== 0);
}

const BAD_REASONS = /BackOff|Err|Error|Invalid|Failed|OOMKilled/;

function stateOf(s: ContainerStatus | undefined): { state: string; tone: Tone } {
  if (!s?.state) return { state: 'Waiting', tone: 'idle' };
  if (s.state.running) return { state: 'Running', tone: s.ready ? 'good' : 'busy' };
  const t = s.state.terminated;
  if (t) {
    const ok = t.exitCode === 0 && !t.signal;
    return { state: t.reason || (ok ? 'Completed' : 'Error'), tone: ok ? 'good' : 'bad' };
  }
  const reason = s.state.waiting?.reason || 'Waiting';
  return {
    state: reason,
    tone: BAD_REASONS.test(reason) ? 'bad' : reason === 'PodInitializing' ? 'idle' : 'busy',
  };
}

/** `docker.io/library/busybox:latest` and `busybox` name the same image for matching a pull to a container. */
function sameImage(pull: string, image: string): boolean {
  const norm = (ref: string) => {
    let r = ref.replace(/^docker\.io\/(library\/)?/, '');
    if (!/[:@][^/]*$/.test(r)) r += ':latest';
    return r;
  };
  return norm(pull) === norm(image);
}

function megabytes(bytes: number): string {
  return (bytes / 1_000_000).toFixed(1);
}

/** `pulling busybox:1.36 12.3/40.1 MB, layers 2/5` (`resolving` before the manifest is read). */
export function pullNote(p: PullProgress): string {
  if (p.layers === 0 && p.totalBytes === 0) return `pulling ${p.image}: resolving`;
  return `pulling ${p.image} ${megabytes(p.doneBytes)}/${megabytes(p.totalBytes)} MB, layers ${p.layersDone}/${p.layers}`;
}

/** `retry in 7s` for a step waiting out its crash-loop back-off; undefined for anything else. */
export function retryNote(s: ContainerStatus | undefined, now: number): string | undefined {
  const w = s?.state?.waiting;
  if (w?.reason !== 'CrashLoopBackOff') return undefined;
  const delay = backoffOf(w.message);
  const finished = lastTermination(s)?.finishedAt;
  if (delay === undefined || !finished) return 'retry after back-off';
  const left = Date.parse(finished) + delay - now;
  return left > 0 ? `retry in ${Math.ceil(left / 1000)}s` : 'retrying now';
}

function containerRow(
  pod: Pod,
  kind: StepKind,
  spec: Container | undefined,
  status: ContainerStatus | undefined,
  pulls: PullProgress[],
  claimed: Set<PullProgress>,
  tails: ReadonlyMap<string, string>,
  now: number,
): ContainerRow {
  const { state, tone } = stateOf(status);
  const notes: ContainerRow['notes'] = [];
  if (status?.state?.running && kind !== 'init') {
    if (status.started === false) notes.push({ text: 'not started (startup probe)', tone: 'busy' });
    else notes.push(status.ready ? { text: 'ready', tone: 'good' } : { text: 'not ready', tone: 'busy' });
  }
  const fails = failing(status);
  const t = lastTermination(status);
  if (fails && t) notes.push({ text: t.signal ? `signal ${t.signal}` : `exit ${t.exitCode}`, tone: 'bad' });
  const retry = retryNote(status, now);
  if (retry) notes.push({ text: retry, tone: 'busy' });
  const w = status?.state?.waiting;
  if (spec?.image && (!status || w)) {
    for (const p of pulls) {
      if (claimed.has(p) || !sameImage(p.image, spec.image)) continue;
      claimed.add(p);
      notes.push({ text: pullNote(p), tone: 'busy' });
      break;
    }
  }
  if (w?.message && w.reason !== 'CrashLoopBackOff' && tone === 'bad')
    notes.push({ text: w.message, tone: 'bad' });
  const tail = fails ? tails.get(tailKey(pod, spec?.name ?? '', status)) : undefined;
  const ranMs = runTimeMs(status, now);
  return {
    kind,
    name: spec?.name ?? status?.name ?? '',
    state,
    tone,
    ...(ranMs !== undefined ? { ranMs } : {}),
    restarts: status?.restartCount ?? 0,
    notes,
    logTail: tail ? tail.replace(/\n+$/, '').split('\n') : [],
  };
}

function podElapsed(pod: Pod, now: number): number {
  const created = Date.parse(pod.metadata?.creationTimestamp ?? '') || now;
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  if (ready?.lastTransitionTime) return Math.max(0, Date.parse(ready.lastTransitionTime) - created);
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
    const ends = [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])]
      .map((s) => s.state?.terminated)
      .filter((t) => t && started(t.startedAt) && t.finishedAt)
      .map((t) => Date.parse(t!.finishedAt!));
    if (ends.length > 0) return Math.max(0, Math.max(...ends) - created);
  }
  return Math.max(0, now - created);
}

function podTone(status: string, pod: Pod): Tone {
  if (BAD_REASONS.test(status)) return 'bad';
  const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  if (ready || status === 'Completed') return 'good';
  return 'busy';
}

export function boardModel(
  pods: Pod[],
  pulls: PullProgress[],
  tails: ReadonlyMap<string, string>,
  now: number,
): BoardModel {
  const claimed = new Set<PullProgress>();
  const rows = [...pods]
    .sort((a, b) =>
      `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(
        `${b.metadata?.namespace}/${b.metadata?.name}`,
      ),
    )
    .map((pod): PodRow => {
      const specs = new Map(
        [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => [c.name, c]),
      );
      const containers = podSteps(pod).map((step) =>
        containerRow(pod, step.kind, specs.get(step.name), step.status, pulls, claimed, tails, now),
      );
      const apps = pod.status?.containerStatuses ?? [];
      const status = podStatusReason(pod);
      return {
        namespace: pod.metadata?.namespace ?? 'default',
        name: pod.metadata?.name ?? '',
        status,
        tone: podTone(status, pod),
        elapsedMs: podElapsed(pod, now),
        restarts: containers.reduce((n, c) => n + c.restarts, 0),
        ready: `${apps.filter((s) => s.ready).length}/${pod.spec?.containers?.length ?? 0}`,
        containers,
      };
    });
  return { pods: rows, otherPulls: pulls.filter((p) => !claimed.has(p)) };
}
