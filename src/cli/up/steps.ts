// A pod's startup as a list of steps, one per container in the order the kubelet runs them (init containers and
// native sidecars in spec order, then app containers), each with what its status says about its runs. Shared
// by `up --wait` (which step failed first, how often), its failure report and the JUnit report. Pure.
import type { ContainerStatus, Pod } from '../../api/types.js';

export type StepKind = 'init' | 'sidecar' | 'app';

export interface Step {
  kind: StepKind;
  name: string;
  /** The container's status; undefined before the kubelet reports one. */
  status?: ContainerStatus;
  /**
   * How many of its runs failed (exit code non-zero or a signal), counted from restartCount and the current
   * and last states: a restart that was observed only afterwards still counts.
   */
  failures: number;
  /** Whether it ever ran (a start time in its state or last state). */
  ran: boolean;
}

/** `init container "migrate"`, `sidecar "proxy"`, `container "app"`: a step as messages name it. */
export function stepSubject(s: Pick<Step, 'kind' | 'name'>): string {
  return `${s.kind === 'app' ? 'container' : s.kind === 'init' ? 'init container' : 'sidecar'} "${s.name}"`;
}

function failedExit(t: { exitCode: number; signal?: number } | undefined): boolean {
  return t !== undefined && (t.exitCode !== 0 || (t.signal ?? 0) !== 0);
}

/** A start time the kubelet reports for a container that never started is the epoch (or absent). */
export function started(at: string | undefined): boolean {
  return at !== undefined && Date.parse(at) > 0;
}

/**
 * Failed runs of a container so far. The current run failed: restartCount earlier runs + this one; waiting
 * after a failed run (CrashLoopBackOff): the same; running again after a failed run: the restarts so far.
 */
export function failedRuns(s: ContainerStatus | undefined): number {
  if (!s) return 0;
  const restarts = s.restartCount ?? 0;
  if (failedExit(s.state?.terminated)) return restarts + 1;
  const lastFailed = failedExit(s.lastState?.terminated);
  if (s.state?.waiting && lastFailed) return restarts + 1;
  if (s.state?.running && lastFailed) return restarts;
  return 0;
}

export function podSteps(pod: Pod): Step[] {
  const statuses = new Map(
    [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].map((s) => [
      s.name,
      s,
    ]),
  );
  const step = (kind: StepKind, name: string): Step => {
    const status = statuses.get(name);
    const ran =
      started(status?.state?.running?.startedAt) ||
      started(status?.state?.terminated?.startedAt) ||
      started(status?.lastState?.terminated?.startedAt) ||
      // A container that failed to start has a terminated state with no start time: it did not run.
      (status?.restartCount ?? 0) > 0;
    return { kind, name, ...(status ? { status } : {}), failures: failedRuns(status), ran };
  };
  return [
    ...(pod.spec?.initContainers ?? []).map((c) =>
      step(c.restartPolicy === 'Always' ? 'sidecar' : 'init', c.name),
    ),
    ...(pod.spec?.containers ?? []).map((c) => step('app', c.name)),
  ];
}

/**
 * How long the step's current (or last) run took, in ms, from its status timestamps (whole seconds, as the
 * kubelet writes them); a running step counts until `now`. Undefined when it never ran.
 */
export function runTimeMs(s: ContainerStatus | undefined, now: number): number | undefined {
  const t = s?.state?.terminated;
  if (t && started(t.startedAt) && t.finishedAt) return Date.parse(t.finishedAt) - Date.parse(t.startedAt!);
  const r = s?.state?.running;
  if (r && started(r.startedAt)) return Math.max(0, now - Date.parse(r.startedAt!));
  const last = s?.lastState?.terminated;
  if (last && started(last.startedAt) && last.finishedAt)
    return Date.parse(last.finishedAt) - Date.parse(last.startedAt!);
  return undefined;
}

/** The terminated state that tells about the step's last run: its current one, else its last one. */
export function lastTermination(s: ContainerStatus | undefined) {
  return s?.state?.terminated ?? s?.lastState?.terminated;
}
