// Whether what `podrun up` applied has come up, failed, or is still on its way. Pure: it reads the applied
// workloads as the API last showed them and the pods they own; the caller fetches and calls again.
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { ContainerStatus, KubeObject, Pod } from '../../api/types.js';
import { lastTermination, podSteps, stepSubject } from './steps.js';

/** Waiting reasons that will not clear without a change: `up --wait` reports them as failures. */
export const FAILURE_REASONS = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'PostStartHookError',
]);

export interface Failure {
  pod?: string;
  namespace?: string;
  container?: string;
  /** `init container "migrate"`, `container "app"`, `job "migrate"`. */
  subject: string;
  reason: string;
  message: string;
  /** How many runs of the step failed (crash loops: restarts included). */
  failures?: number;
}

export type Verdict =
  | { state: 'up' }
  | { state: 'failed'; failure: Failure }
  | { state: 'waiting'; pending: string[] };

/** `ready`: every pod Ready or Succeeded; `complete`: every Job Complete and every bare Pod Succeeded. */
export type WaitMode = 'ready' | 'complete';

export interface WaitOptions {
  mode: WaitMode;
  /** Failed runs tolerated per step before the wait fails (`--wait-retries`). */
  retries: number;
}

const DEFAULT_OPTIONS: WaitOptions = { mode: 'ready', retries: 0 };

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function exitText(t: { exitCode: number; signal?: number; message?: string }): string {
  const code = t.signal ? `signal ${t.signal}` : `exit code ${t.exitCode}`;
  // A container that could not start says why (StartError: `exec: "x": executable file not found in $PATH`).
  if (t.message) return `${t.message} (${code})`;
  return t.signal ? `killed by signal ${t.signal}` : `exited with code ${t.exitCode}`;
}

/**
 * The first step of the pod, in startup order, that failed the wait: a waiting reason that will not clear by
 * itself (an image that cannot be pulled, a config error), or more failed runs than `retries` tolerates (a
 * crash loop fails at once with the default 0, without waiting for the timeout). `restarts`: whether the
 * pod's own restarts count (not for a Job's pods that the Job replaces instead).
 */
function stepFailure(pod: Pod, retries: number, restarts: boolean): Failure | undefined {
  const name = pod.metadata?.name ?? '';
  for (const step of podSteps(pod)) {
    const s = step.status;
    const w = s?.state?.waiting;
    const base = {
      pod: name,
      ...(pod.metadata?.namespace ? { namespace: pod.metadata.namespace } : {}),
      container: step.name,
      subject: stepSubject(step),
    };
    if (w?.reason && FAILURE_REASONS.has(w.reason) && w.reason !== 'CrashLoopBackOff') {
      return { ...base, reason: w.reason, message: w.message ?? '' };
    }
    if (!restarts) continue;
    // An app container that exits 0 under restartPolicy Always loops too: its restarts count then.
    const count =
      w?.reason === 'CrashLoopBackOff' ? Math.max(step.failures, s?.restartCount ?? 0) : step.failures;
    if (count > retries) {
      const t = lastTermination(s);
      return {
        ...base,
        reason: w?.reason === 'CrashLoopBackOff' ? w.reason : (t?.reason ?? 'Error'),
        message: t ? exitText(t) : (w?.message ?? ''),
        failures: count,
      };
    }
  }
  return undefined;
}

function failedContainer(pod: Pod): Failure {
  const name = pod.metadata?.name ?? '';
  const initNames = new Set((pod.spec?.initContainers ?? []).map((c) => c.name));
  const all: ContainerStatus[] = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  const bad = all.find((s) => (s.state?.terminated?.exitCode ?? 0) !== 0);
  const t = bad?.state?.terminated;
  return {
    pod: name,
    ...(pod.metadata?.namespace ? { namespace: pod.metadata.namespace } : {}),
    ...(bad ? { container: bad.name } : {}),
    subject: bad
      ? `${initNames.has(bad.name) ? 'init container' : 'container'} "${bad.name}"`
      : `pod "${name}"`,
    reason: pod.status?.reason ?? t?.reason ?? 'Failed',
    message: pod.status?.message ?? (t ? exitText(t) : 'the pod failed'),
  };
}

/**
 * `workloads`: the applied Pods, Deployments, ReplicaSets and Jobs as last read; `podsOf(w)`: the pods each one
 * owns (for a Pod, itself).
 */
export function evaluate(
  workloads: KubeObject[],
  podsOf: (w: KubeObject) => Pod[],
  options: WaitOptions = DEFAULT_OPTIONS,
): Verdict {
  const pending: string[] = [];
  for (const w of workloads) {
    const label = `${w.kind.toLowerCase()}/${w.metadata.name}`;
    const pods = podsOf(w);
    if (w.kind === 'Job') {
      const job = w as unknown as Job;
      const failed = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
      if (failed) {
        return {
          state: 'failed',
          failure: {
            subject: `job "${w.metadata.name}"`,
            reason: failed.reason ?? 'Failed',
            message: failed.message ?? '',
          },
        };
      }
      if (!job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True'))
        pending.push(label);
      for (const p of pods) {
        // Under restartPolicy Never the Job replaces a failed pod (up to its backoffLimit): its Failed
        // condition above is the verdict. Under OnFailure the kubelet restarts in place: those count.
        const f = stepFailure(p, options.retries, p.spec?.restartPolicy === 'OnFailure');
        if (f) return { state: 'failed', failure: f };
      }
      continue;
    }
    for (const p of pods) {
      if (p.status?.phase === 'Failed') return { state: 'failed', failure: failedContainer(p) };
      const f = stepFailure(p, options.retries, true);
      if (f) return { state: 'failed', failure: f };
    }
    if (w.kind === 'Pod') {
      const p = pods[0];
      const done =
        p?.status?.phase === 'Succeeded' || (options.mode === 'ready' && p !== undefined && isReady(p));
      if (!done) pending.push(label);
    } else if (w.kind === 'Deployment' || w.kind === 'ReplicaSet') {
      const d = w as unknown as Deployment;
      const want = d.spec?.replicas ?? 1;
      const available = d.status?.availableReplicas ?? 0;
      const updated = w.kind === 'Deployment' ? (d.status?.updatedReplicas ?? 0) : want;
      const stale = (d.status?.observedGeneration ?? 0) < (w.metadata.generation ?? 0);
      if (stale || available < want || updated < want) pending.push(label);
    }
  }
  return pending.length === 0 ? { state: 'up' } : { state: 'waiting', pending };
}
