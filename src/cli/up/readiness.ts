// Whether what `podrun up` applied has come up, failed, or is still on its way. Pure: it reads the applied
// workloads as the API last showed them and the pods they own; the caller fetches and calls again.
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { ContainerStatus, KubeObject, Pod } from '../../api/types.js';

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
  container?: string;
  /** `init container "migrate"`, `container "app"`, `job "migrate"`. */
  subject: string;
  reason: string;
  message: string;
}

export type Verdict =
  | { state: 'up' }
  | { state: 'failed'; failure: Failure }
  | { state: 'waiting'; pending: string[] };

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function containerFailure(pod: Pod): Failure | undefined {
  const name = pod.metadata?.name ?? '';
  const initNames = new Set((pod.spec?.initContainers ?? []).map((c) => c.name));
  const all: ContainerStatus[] = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  for (const s of all) {
    const w = s.state?.waiting;
    if (w?.reason && FAILURE_REASONS.has(w.reason)) {
      return {
        pod: name,
        container: s.name,
        subject: `${initNames.has(s.name) ? 'init container' : 'container'} "${s.name}"`,
        reason: w.reason,
        message: w.message ?? '',
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
    ...(bad ? { container: bad.name } : {}),
    subject: bad
      ? `${initNames.has(bad.name) ? 'init container' : 'container'} "${bad.name}"`
      : `pod "${name}"`,
    reason: pod.status?.reason ?? t?.reason ?? 'Failed',
    message:
      pod.status?.message ??
      // A container that could not start says why (StartError: `exec: "x": executable file not found in $PATH`).
      (t
        ? t.message
          ? `${t.message} (exit code ${t.exitCode})`
          : `exited with code ${t.exitCode}`
        : 'the pod failed'),
  };
}

/**
 * `workloads`: the applied Pods, Deployments, ReplicaSets and Jobs as last read; `podsOf(w)`: the pods each one
 * owns (for a Pod, itself).
 */
export function evaluate(workloads: KubeObject[], podsOf: (w: KubeObject) => Pod[]): Verdict {
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
        const f = containerFailure(p);
        if (f) return { state: 'failed', failure: f };
      }
      continue;
    }
    for (const p of pods) {
      if (p.status?.phase === 'Failed') return { state: 'failed', failure: failedContainer(p) };
      const f = containerFailure(p);
      if (f) return { state: 'failed', failure: f };
    }
    if (w.kind === 'Pod') {
      const p = pods[0];
      if (!p || !(isReady(p) || p.status?.phase === 'Succeeded')) pending.push(label);
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
