// The last lines of a failed `podrun up --wait`: which step failed first (pod, container), why (reason, exit
// code), what it printed last, and whether and when the kubelet tries it again. Pure: the caller fetches the
// log tail and the pod, and prints the lines after everything else.
import type { Pod } from '../../api/types.js';
import { formatDuration, parseDuration } from '../options.js';
import type { Failure } from './readiness.js';
import { lastTermination, podSteps, runTimeMs } from './steps.js';

export interface FailureContext {
  failure: Failure;
  /** The failing pod as last seen (absent for a Job's own failure). */
  pod?: Pod;
  /** The last lines of the failing container's log (empty: none). */
  logTail: string;
  now: number;
}

/** `back-off 10s restarting failed container=…` → 10000. */
export function backoffOf(message: string | undefined): number | undefined {
  const m = /back-off (\S+) restarting/.exec(message ?? '');
  if (!m?.[1]) return undefined;
  try {
    return parseDuration(m[1]);
  } catch {
    return undefined;
  }
}

/** When the kubelet tries the step again, in words, from the pod's restart policy and the step's state. */
export function nextRetry(f: Failure, pod: Pod | undefined, now: number): string {
  if (!pod || !f.container) {
    return f.subject.startsWith('job ')
      ? 'none: the Job has failed (its backoffLimit or deadline was reached)'
      : 'unknown';
  }
  const step = podSteps(pod).find((s) => s.name === f.container);
  const s = step?.status;
  const w = s?.state?.waiting;
  if (w?.reason === 'ImagePullBackOff' || w?.reason === 'ErrImagePull')
    return 'the kubelet pulls again with a back-off (10s, doubling up to 5m)';
  if (w?.reason && w.reason !== 'CrashLoopBackOff')
    return `the kubelet tries again at its next sync, unless the cause (${w.reason}) stays`;
  if (pod.status?.phase === 'Failed' || (pod.spec?.restartPolicy === 'Never' && step?.kind !== 'sidecar'))
    return 'none: the pod’s restartPolicy is Never';
  const delay = backoffOf(w?.message);
  const finished = lastTermination(s)?.finishedAt;
  if (delay !== undefined && finished) {
    const at = Date.parse(finished) + delay;
    const left = at - now;
    return left > 0
      ? `in ${formatDuration(Math.ceil(left / 1000) * 1000)} (CrashLoopBackOff back-off ${formatDuration(delay)}, at ${new Date(at).toISOString()})`
      : `due now (CrashLoopBackOff back-off ${formatDuration(delay)} has passed)`;
  }
  if (delay !== undefined) return `after a back-off of ${formatDuration(delay)} (CrashLoopBackOff)`;
  return 'at once: the kubelet restarts a failed container first without a back-off';
}

/** The report's lines, without newlines. The first names the step; the log tail comes last. */
export function failureReport(c: FailureContext): string[] {
  const { failure: f, pod } = c;
  const ns = f.namespace ?? pod?.metadata?.namespace;
  const where = f.pod ? `pod ${ns ? `${ns}/` : ''}${f.pod}: ` : '';
  const lines = [
    `podrun: up --wait failed: ${where}${f.subject}: ${f.reason}${f.message ? `: ${f.message}` : ''}`,
  ];
  const step = pod && f.container ? podSteps(pod).find((s) => s.name === f.container) : undefined;
  const t = lastTermination(step?.status);
  if (t) lines.push(`  exit code:   ${t.signal ? `signal ${t.signal}` : t.exitCode}`);
  if (t?.reason) lines.push(`  reason:      ${t.reason}`);
  const ran = runTimeMs(step?.status, c.now);
  if (step) {
    const runs = `${step.failures} failed run${step.failures === 1 ? '' : 's'}, ${step.status?.restartCount ?? 0} restart${step.status?.restartCount === 1 ? '' : 's'}`;
    lines.push(
      `  runs:        ${runs}${ran !== undefined ? `; last run ${ran < 1000 ? '<1s' : formatDuration(ran)}` : ''}`,
    );
  }
  lines.push(`  next retry:  ${nextRetry(f, pod, c.now)}`);
  const tail = c.logTail.replace(/\n+$/, '');
  if (f.container) {
    if (tail) {
      lines.push(`  last log lines of ${ns ? `${ns}/` : ''}${f.pod}/${f.container}:`);
      for (const l of tail.split('\n')) lines.push(`    ${l}`);
    } else {
      lines.push(`  no log lines from ${f.pod}/${f.container}`);
    }
  }
  return lines;
}
