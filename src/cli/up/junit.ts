// `podrun up --wait --junit FILE`: the startup as a JUnit XML report, one test suite per pod (name
// `namespace/pod`) and one test case per container step in startup order (classname `namespace/pod`, name the
// container, time its run time from the pod status). A failed step carries a <failure> with its reason, exit
// code and log tail; a step that never ran is <skipped>. The shape is the one CI systems read (Jenkins'
// junit-10.xsd, as Surefire writes it): testsuites > testsuite > testcase > failure | skipped | system-out.
// Written by hand: a dozen elements and attributes do not justify an XML library, and the escaping below is
// the whole of what one would add (XML 1.0 §2.2 characters, §2.4 and §3.3.3 for text and attributes).
import type { Pod } from '../../api/types.js';
import { FAILURE_REASONS } from './readiness.js';
import { lastTermination, podSteps, runTimeMs, type Step } from './steps.js';

export type WaitOutcome = 'up' | 'failed' | 'timeout';

export interface JunitInput {
  pods: Pod[];
  /** Log tails of failed steps, by `namespace/pod/container`. */
  logTails: Map<string, string>;
  outcome: WaitOutcome;
  /** Failed runs a step may have without failing (`--wait-retries`). */
  retries: number;
  now: number;
  /** The <testsuites name>. */
  name?: string;
}

/**
 * Characters XML 1.0 cannot carry at all (C0 controls but tab, newline and return; lone surrogates; U+FFFE and
 * U+FFFF) are written as visible `\xNN` / `\uNNNN` escapes, so terminal colour codes in a log survive as text.
 */
function xmlChars(text: string): string {
  return text.replace(
    /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => {
      const code = c.charCodeAt(0);
      return code < 0x100
        ? `\\x${code.toString(16).padStart(2, '0')}`
        : `\\u${code.toString(16).padStart(4, '0')}`;
    },
  );
}

export function escapeText(text: string): string {
  return xmlChars(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values: quotes escaped, and whitespace as character references so that normalization keeps it. */
export function escapeAttr(text: string): string {
  return escapeText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/** Seconds with millisecond decimals, as Surefire writes them (`1.000`): no exponent, never negative. */
function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

interface Case {
  name: string;
  timeMs: number;
  failure?: { type: string; message: string; body: string };
  skipped?: string;
  out?: string;
}

function caseOf(pod: Pod, step: Step, input: JunitInput): Case {
  const s = step.status;
  const timeMs = runTimeMs(s, input.now) ?? 0;
  const key = `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}/${step.name}`;
  const tail = (input.logTails.get(key) ?? '').replace(/\n+$/, '');
  const w = s?.state?.waiting;
  const t = lastTermination(s);
  const failedNow =
    (s?.state?.terminated !== undefined &&
      (s.state.terminated.exitCode !== 0 || !!s.state.terminated.signal)) ||
    (w?.reason !== undefined && FAILURE_REASONS.has(w.reason)) ||
    step.failures > input.retries;
  if (failedNow && (step.ran || w?.reason)) {
    const reason = w?.reason && w.reason !== 'PodInitializing' ? w.reason : (t?.reason ?? 'Error');
    const exit = t ? (t.signal ? `signal ${t.signal}` : `exit code ${t.exitCode}`) : '';
    const message = [reason, exit, step.failures > 1 ? `${step.failures} failed runs` : '']
      .filter(Boolean)
      .join(', ');
    const body = [
      `${reason}${w?.message ? `: ${w.message}` : t?.message ? `: ${t.message}` : ''}`,
      ...(exit ? [exit] : []),
      `restarts: ${s?.restartCount ?? 0}`,
      ...(tail ? ['last log lines:', tail] : []),
    ].join('\n');
    return {
      name: step.name,
      timeMs,
      failure: { type: reason, message, body },
      ...(tail ? { out: tail } : {}),
    };
  }
  if (!step.ran) {
    return { name: step.name, timeMs: 0, skipped: `never ran${w?.reason ? ` (${w.reason})` : ''}` };
  }
  // Still running when the wait gave up: an init container that never finished, an app container not Ready.
  if (input.outcome !== 'up' && s?.state?.running) {
    if (step.kind === 'init')
      return {
        name: step.name,
        timeMs,
        failure: { type: 'NotFinished', message: 'still running when the wait ended', body: tail },
      };
    if (!s.ready && step.kind === 'app')
      return {
        name: step.name,
        timeMs,
        failure: { type: 'NotReady', message: 'running but not Ready when the wait ended', body: tail },
      };
  }
  return { name: step.name, timeMs };
}

function suiteTimeMs(pod: Pod, now: number): number {
  const start = Date.parse(pod.status?.startTime ?? pod.metadata?.creationTimestamp ?? '');
  if (!Number.isFinite(start)) return 0;
  const done = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  if (!done) return now - start;
  const ends = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
    .map((s) => Date.parse(s.state?.terminated?.finishedAt ?? ''))
    .filter(Number.isFinite);
  return (ends.length > 0 ? Math.max(...ends) : now) - start;
}

function caseXml(classname: string, c: Case): string {
  const open = `    <testcase classname="${escapeAttr(classname)}" name="${escapeAttr(c.name)}" time="${seconds(c.timeMs)}"`;
  const inner: string[] = [];
  if (c.failure) {
    inner.push(
      `      <failure message="${escapeAttr(c.failure.message)}" type="${escapeAttr(c.failure.type)}">${escapeText(c.failure.body)}</failure>`,
    );
  }
  if (c.skipped !== undefined) inner.push(`      <skipped message="${escapeAttr(c.skipped)}"/>`);
  if (c.out) inner.push(`      <system-out>${escapeText(c.out)}</system-out>`);
  return inner.length === 0 ? `${open}/>` : `${open}>\n${inner.join('\n')}\n    </testcase>`;
}

export function junitXml(input: JunitInput): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let totalMs = 0;
  for (const pod of input.pods) {
    const classname = `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
    const cases = podSteps(pod).map((s) => caseOf(pod, s, input));
    const f = cases.filter((c) => c.failure).length;
    const skipped = cases.filter((c) => c.skipped !== undefined).length;
    const timeMs = suiteTimeMs(pod, input.now);
    tests += cases.length;
    failures += f;
    totalMs += timeMs;
    const stamp =
      pod.status?.startTime ?? pod.metadata?.creationTimestamp ?? new Date(input.now).toISOString();
    suites.push(
      [
        `  <testsuite name="${escapeAttr(classname)}" tests="${cases.length}" failures="${f}" errors="0" skipped="${skipped}" time="${seconds(timeMs)}" timestamp="${escapeAttr(stamp)}">`,
        ...cases.map((c) => caseXml(classname, c)),
        '  </testsuite>',
      ].join('\n'),
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeAttr(input.name ?? 'podrun up')}" tests="${tests}" failures="${failures}" errors="0" time="${seconds(totalMs)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
