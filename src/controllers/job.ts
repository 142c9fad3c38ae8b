// The Job controller (pkg/controller/job/job_controller.go), for NonIndexed jobs: keeps up to `parallelism`
// pods running until `completions` have succeeded; counts failures against backoffLimit (with the pod
// re-creation backoff of 10 s doubling to 6 min); honours activeDeadlineSeconds, suspend and
// ttlSecondsAfterFinished. Conditions follow 1.32: SuccessCriteriaMet/FailureTarget, then Complete/Failed.
import type { Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import type { KubeObject, Pod } from '../api/types.js';
import type { EventRecorder } from '../kubelet/types.js';
import type { Clock } from '../util/clock.js';
import { type ControllerClient, isStaleWrite } from './client.js';
import type { Informer } from './informer.js';
import { RESOURCE, ref } from './kinds.js';
import { asPod, isControlledBy, isPodActive, isPodReady } from './pods.js';
import { podFromTemplate } from './template.js';

const POD_BACKOFF_BASE_MS = 10_000;
const POD_BACKOFF_MAX_MS = 360_000;

export interface JobSyncDeps {
  client: ControllerClient;
  jobs: Informer;
  pods: Informer;
  events: EventRecorder;
  clock: Clock;
}

function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function hasCondition(job: Job, type: string): boolean {
  return job.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

function finishedAt(pod: Pod): number {
  let last = 0;
  for (const s of pod.status?.containerStatuses ?? []) {
    const t = s.state?.terminated?.finishedAt;
    if (t) last = Math.max(last, Date.parse(t));
  }
  return last;
}

export async function syncJob(
  deps: JobSyncDeps,
  namespace: string,
  name: string,
): Promise<{ requeueAfterMs?: number } | undefined> {
  const jobObj = deps.jobs.get(namespace, name);
  if (!jobObj || jobObj.metadata.deletionTimestamp) return undefined;
  const job = jobObj as unknown as Job;
  const now = deps.clock.now();

  if (hasCondition(job, 'Complete') || hasCondition(job, 'Failed'))
    return cleanupFinished(deps, jobObj, job, now);

  const pods = deps.pods
    .list(namespace)
    .filter((p) => isControlledBy(p, jobObj))
    .map(asPod);
  const active = pods.filter(isPodActive);
  const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
  const failedPods = pods.filter((p) => p.status?.phase === 'Failed');
  const failed = failedPods.length;
  const completions = job.spec?.completions ?? 1;
  const parallelism = job.spec?.parallelism ?? 1;
  const backoffLimit = job.spec?.backoffLimit ?? 6;
  const startTime = job.status?.startTime ?? iso(now);
  const conditions: JobCondition[] = [...(job.status?.conditions ?? [])];
  let requeue: number | undefined;

  const add = (type: string, reason: string, message: string) => {
    if (!conditions.some((c) => c.type === type)) {
      conditions.push({
        type,
        status: 'True',
        reason,
        message,
        lastProbeTime: iso(now),
        lastTransitionTime: iso(now),
      });
    }
  };

  let finishing: 'success' | 'failure' | undefined;
  if (hasCondition(job, 'SuccessCriteriaMet') || succeeded >= completions) {
    add('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods');
    finishing = 'success';
  } else if (hasCondition(job, 'FailureTarget')) {
    finishing = 'failure';
  } else if (failed > backoffLimit) {
    add('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
    deps.events.event(
      ref(jobObj),
      'Warning',
      'BackoffLimitExceeded',
      'Job has reached the specified backoff limit',
    );
    finishing = 'failure';
  } else if (
    job.spec?.activeDeadlineSeconds !== undefined &&
    now - Date.parse(startTime) >= job.spec.activeDeadlineSeconds * 1000
  ) {
    add('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline');
    deps.events.event(
      ref(jobObj),
      'Warning',
      'DeadlineExceeded',
      'Job was active longer than specified deadline',
    );
    finishing = 'failure';
  }

  if (finishing) {
    // Pods still running are stopped; the terminal condition is written once none is left.
    for (const p of active) await deps.client.delete(RESOURCE.pods, namespace, p.metadata?.name ?? '');
    if (active.length === 0) {
      if (finishing === 'success') {
        add('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods');
        deps.events.event(ref(jobObj), 'Normal', 'Completed', 'Job completed');
      } else {
        const target = conditions.find((c) => c.type === 'FailureTarget');
        add('Failed', target?.reason ?? 'BackoffLimitExceeded', target?.message ?? '');
      }
    }
  } else if (!job.spec?.suspend) {
    const remaining = completions - succeeded - active.length;
    const want = Math.min(parallelism - active.length, remaining);
    // Replacements for failed pods wait out the pod backoff (10 s doubling, as the job controller's).
    const lastFailure = Math.max(0, ...failedPods.map(finishedAt));
    const delay = failed > 0 ? Math.min(POD_BACKOFF_BASE_MS * 2 ** (failed - 1), POD_BACKOFF_MAX_MS) : 0;
    const readyAt = lastFailure + delay;
    if (want > 0 && failed > 0 && readyAt > now) {
      requeue = readyAt - now;
    } else {
      for (let i = 0; i < want; i++) {
        const pod = podFromTemplate(jobObj, job.spec?.template, `${name}-`);
        try {
          const created = await deps.client.create(RESOURCE.pods, namespace, pod);
          deps.events.event(
            ref(jobObj),
            'Normal',
            'SuccessfulCreate',
            `Created pod: ${created.metadata.name}`,
          );
        } catch (err) {
          deps.events.event(
            ref(jobObj),
            'Warning',
            'FailedCreate',
            `Error creating: ${(err as Error).message}`,
          );
          throw err;
        }
      }
    }
    if (job.spec?.activeDeadlineSeconds !== undefined) {
      const left = Date.parse(startTime) + job.spec.activeDeadlineSeconds * 1000 - now;
      requeue = Math.min(requeue ?? left, left);
    }
  }

  const status: Record<string, unknown> = {
    ...(job.status ?? {}),
    startTime,
    active: active.length,
    ready: active.filter(isPodReady).length,
    succeeded,
    failed,
    terminating: pods.filter((p) => p.metadata?.deletionTimestamp && isPodTerminating(p)).length,
    uncountedTerminatedPods: {},
    conditions,
  };
  if (conditions.some((c) => c.type === 'Complete')) status.completionTime = iso(now);
  for (const k of ['active', 'succeeded', 'failed', 'terminating']) if (status[k] === 0) delete status[k];
  if (conditions.length === 0) delete status.conditions;
  if (JSON.stringify(status) !== JSON.stringify(job.status ?? {})) {
    try {
      await deps.client.updateStatus(RESOURCE.jobs, namespace, { ...jobObj, status });
    } catch (err) {
      if (!isStaleWrite(err)) throw err;
    }
  }
  return requeue !== undefined ? { requeueAfterMs: Math.max(0, requeue) } : undefined;
}

function isPodTerminating(p: Pod): boolean {
  return p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
}

/** ttlSecondsAfterFinished: the TTL-after-finished controller's job, folded in here. */
async function cleanupFinished(
  deps: JobSyncDeps,
  jobObj: KubeObject,
  job: Job,
  now: number,
): Promise<{ requeueAfterMs?: number } | undefined> {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined) return undefined;
  const done = job.status?.conditions?.find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
  const at = Date.parse(done?.lastTransitionTime ?? '') + ttl * 1000;
  if (Number.isNaN(at)) return undefined;
  if (at > now) return { requeueAfterMs: at - now };
  await deps.client.delete(RESOURCE.jobs, jobObj.metadata.namespace ?? '', jobObj.metadata.name ?? '');
  return undefined;
}
