// `podrun up --wait`'s options and its ending: the failure report and the JUnit file, gathered while the pods
// still exist (logs go with them) and printed after the teardown, so that the last lines explain the failure.
import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError } from '@commander-js/extra-typings';
import type { Pod } from '../../api/types.js';
import type { UpClient } from '../client/types.js';
import { formatDuration } from '../options.js';
import { failureReport } from './failure-report.js';
import { junitXml, type WaitOutcome } from './junit.js';
import type { Failure, WaitMode } from './readiness.js';
import { podSteps, started, stepSubject } from './steps.js';

const LOG_TAIL_LINES = 20;

/** `--wait` alone is `ready`; `--wait=complete` waits for Jobs and bare pods to finish. */
export function parseWaitMode(text: string): WaitMode {
  if (text === 'ready' || text === 'complete') return text;
  throw new InvalidArgumentError(
    `expected ready (every pod Ready or Succeeded) or complete (every Job complete and every bare pod Succeeded), got "${text}"`,
  );
}

export function parseRetries(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError(
      `expected a whole number of restarts to tolerate (0 or more), got "${text}"`,
    );
  return n;
}

const key = (pod: Pod, container: string) =>
  `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}/${container}`;

/**
 * Log tails of every step that failed or is failing (and of the step `failure` names), fetched through the
 * logs API while the pods exist.
 */
export async function failingLogTails(
  client: UpClient,
  pods: Pod[],
  failure: Failure | undefined,
  retries: number,
): Promise<Map<string, string>> {
  const tails = new Map<string, string>();
  for (const pod of pods) {
    for (const step of podSteps(pod)) {
      const t = step.status?.state?.terminated;
      const named = failure?.pod === pod.metadata?.name && failure?.container === step.name;
      const failing = step.failures > retries || (t !== undefined && t.exitCode !== 0) || named;
      if (!failing || !step.ran) continue;
      const fetch = (previous: boolean) =>
        client
          .logTail(
            pod.metadata?.namespace ?? 'default',
            pod.metadata?.name ?? '',
            step.name,
            LOG_TAIL_LINES,
            previous,
          )
          .catch(() => '');
      // The kubelet restarts a failed container at once the first time: by now the current log may be the
      // next run's, still empty, and the lines that tell why are the previous run's.
      const current = await fetch(false);
      tails.set(key(pod, step.name), current || (await fetch(true)));
    }
  }
  return tails;
}

export function failureLines(
  failure: Failure,
  pods: Pod[],
  tails: Map<string, string>,
  now: number,
): string[] {
  const pod = pods.find(
    (p) =>
      p.metadata?.name === failure.pod && (!failure.namespace || p.metadata?.namespace === failure.namespace),
  );
  return failureReport({
    failure,
    ...(pod ? { pod } : {}),
    logTail: pod && failure.container ? (tails.get(key(pod, failure.container)) ?? '') : '',
    now,
  });
}

/** At a timeout: what each pod still waits on, its first unfinished step first. */
export function timeoutLines(timeoutMs: number, pending: string[], pods: Pod[], now: number): string[] {
  const lines = [
    `podrun: up --wait timed out after ${formatDuration(timeoutMs)} waiting for: ${pending.join(', ')}`,
  ];
  for (const pod of pods) {
    if (pod.status?.phase === 'Succeeded') continue;
    if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
    const step = podSteps(pod).find((s) => {
      const st = s.status?.state;
      if (s.kind === 'init') return st?.terminated?.exitCode !== 0;
      return !st?.running || !s.status?.ready;
    });
    if (!step) continue;
    const st = step.status?.state;
    const since = st?.running?.startedAt;
    const what = st?.running
      ? `running${started(since) ? ` for ${formatDuration(now - Date.parse(since!))}` : ''}${step.kind === 'init' ? '' : ', not Ready'}`
      : (st?.waiting?.reason ?? 'not started');
    lines.push(`  pod ${pod.metadata?.namespace}/${pod.metadata?.name}: ${stepSubject(step)} ${what}`);
  }
  return lines;
}

export async function writeJunit(
  file: string,
  pods: Pod[],
  tails: Map<string, string>,
  outcome: WaitOutcome,
  retries: number,
): Promise<void> {
  await writeFile(file, junitXml({ pods, logTails: tails, outcome, retries, now: Date.now() }));
}
