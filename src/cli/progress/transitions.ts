// What changed between two observations of a pod, as lines a person reads in order:
//   web  pod            Pending → Init:0/3
//   web  init/migrate   Running → Completed (exit 0, 1.2s)
// Pure: the `up` command feeds it every pod it sees from a watch and prints what it returns.
import type { ContainerStatus, Pod } from '../../api/types.js';
import { podStatusReason } from '../../printers/index.js';

export interface Transition {
  pod: string;
  /** `pod`, `init/<name>`, `sidecar/<name>` or the app container's name. */
  subject: string;
  from: string;
  to: string;
  /** Extra facts: `exit 0, 1.2s`, a waiting message, a restart count. */
  detail?: string;
}

type ContainerKind = 'init' | 'sidecar' | 'app';

const QUIET_FIRST_REASONS = new Set(['PodInitializing', 'ContainerCreating']);

/** The subject column of every container of a pod spec, for sizing columns before anything happens. */
export function subjectsOf(spec: Pod['spec']): string[] {
  return [
    'pod',
    ...(spec?.initContainers ?? []).map(
      (c) => `${c.restartPolicy === 'Always' ? 'sidecar' : 'init'}/${c.name}`,
    ),
    ...(spec?.containers ?? []).map((c) => c.name),
  ];
}

function containerKinds(pod: Pod): Map<string, ContainerKind> {
  const kinds = new Map<string, ContainerKind>();
  for (const c of pod.spec?.initContainers ?? [])
    kinds.set(c.name, c.restartPolicy === 'Always' ? 'sidecar' : 'init');
  for (const c of pod.spec?.containers ?? []) kinds.set(c.name, 'app');
  return kinds;
}

/** A container's state in one word, as people say it: Waiting reasons, Running, or the terminated reason. */
export function containerStateLabel(s: ContainerStatus | undefined): string {
  if (!s?.state) return 'Waiting';
  if (s.state.running) return 'Running';
  if (s.state.terminated)
    return s.state.terminated.reason || (s.state.terminated.exitCode === 0 ? 'Completed' : 'Error');
  return s.state.waiting?.reason || 'Waiting';
}

/** Status timestamps have whole seconds (RFC 3339, as upstream), so a run time is only known to the second. */
function seconds(ms: number): string {
  return ms < 1000 ? '<1s' : `${Math.round(ms / 1000)}s`;
}

function detailFor(s: ContainerStatus): string | undefined {
  const t = s.state?.terminated;
  if (t) {
    const parts = [t.signal ? `signal ${t.signal}` : `exit ${t.exitCode}`];
    // A container that never started has startedAt at the epoch (as the kubelet reports it): no duration.
    if (t.startedAt && Date.parse(t.startedAt) > 0 && t.finishedAt)
      parts.push(seconds(Date.parse(t.finishedAt) - Date.parse(t.startedAt)));
    return parts.join(', ');
  }
  const w = s.state?.waiting;
  if (w?.reason && w.reason !== 'PodInitializing' && w.reason !== 'ContainerCreating') {
    return w.message ? w.message : undefined;
  }
  if (s.state?.running && s.restartCount > 0) return `restart ${s.restartCount}`;
  return undefined;
}

function statusKey(s: ContainerStatus | undefined): string {
  // A restart is a change even when the label stays the same (Running → Running after a crash).
  return `${containerStateLabel(s)}#${s?.restartCount ?? 0}#${s?.ready ?? false}`;
}

/** Lines for everything that changed from `before` (undefined: first sight) to `after`. */
export function podTransitions(before: Pod | undefined, after: Pod): Transition[] {
  const name = after.metadata?.name ?? '';
  const out: Transition[] = [];

  const kinds = containerKinds(after);
  const statuses = (p: Pod | undefined) =>
    new Map(
      [...(p?.status?.initContainerStatuses ?? []), ...(p?.status?.containerStatuses ?? [])].map((s) => [
        s.name,
        s,
      ]),
    );
  const old = statuses(before);
  for (const [cname, s] of statuses(after)) {
    const prev = old.get(cname);
    if (statusKey(prev) === statusKey(s)) continue;
    // A container first seen waiting for its turn says nothing the pod's own line does not.
    if (!prev && QUIET_FIRST_REASONS.has(s.state?.waiting?.reason ?? '')) continue;
    const from = containerStateLabel(prev);
    const to = containerStateLabel(s);
    // Readiness flips are worth a line only for containers people wait on.
    const label = (st: ContainerStatus | undefined, l: string) =>
      st?.state?.running && kinds.get(cname) !== 'init' ? `${l}${st.ready ? ' (ready)' : ''}` : l;
    const kind = kinds.get(cname) ?? 'app';
    const detail = detailFor(s);
    // Only a status field no one reads changed (lastState filled in, say): nothing to tell.
    if (prev && from === to && detail === detailFor(prev)) continue;
    out.push({
      pod: name,
      subject: kind === 'app' ? cname : `${kind}/${cname}`,
      from: label(prev, from),
      to: label(s, to),
      ...(detail ? { detail } : {}),
    });
  }
  // The pod's line comes after its containers': a container's change is what moves the pod's status.
  const podFrom = before ? podStatusReason(before) : '';
  const podTo = podStatusReason(after);
  if (podFrom !== podTo) out.push({ pod: name, subject: 'pod', from: podFrom || '(new)', to: podTo });
  return out.filter((t) => t.from !== t.to || t.detail !== undefined);
}

/** `web  init/migrate  Running → Completed (exit 0, 1.2s)`, with columns padded to the given widths. */
export function formatTransition(t: Transition, widths: { pod: number; subject: number }): string {
  const detail = t.detail ? ` (${t.detail})` : '';
  return `${t.pod.padEnd(widths.pod)}  ${t.subject.padEnd(widths.subject)}  ${t.from} → ${t.to}${detail}`;
}
