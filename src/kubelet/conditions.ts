// The kubelet's pod conditions (pkg/kubelet/status/generate.go), in generateAPIPodStatus's order.
import type { ContainerStatus, Pod, PodCondition } from '../api/types.js';
import type { PodPhase } from './phase.js';
import { appContainers, initContainers, isSidecar } from './pod-util.js';

type Condition = Omit<PodCondition, 'lastTransitionTime' | 'lastProbeTime'>;

const list = (names: string[]) => `[${names.join(' ')}]`;

export function podReadyToStartContainersCondition(sandboxReady: boolean): Condition {
  return { type: 'PodReadyToStartContainers', status: sandboxReady ? 'True' : 'False' };
}

export function podInitializedCondition(
  pod: Pod,
  initStatuses: readonly ContainerStatus[],
  podHasInitialized: boolean,
  phase: PodPhase,
): Condition {
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of initContainers(pod)) {
    const s = initStatuses.find((x) => x.name === c.name);
    if (!s) unknown.push(c.name);
    else if (isSidecar(c) ? !s.started : !s.ready) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) {
    return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  }
  // An app container that has run means the pod was initialized, even while a sidecar restarts.
  if (podHasInitialized) return { type: 'Initialized', status: 'True' };
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${list(unknown)}`);
  if (incomplete.length) messages.push(`containers with incomplete status: ${list(incomplete)}`);
  if (messages.length) {
    return {
      type: 'Initialized',
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: messages.join(', '),
    };
  }
  return { type: 'Initialized', status: 'True' };
}

export function containersReadyCondition(
  pod: Pod,
  initStatuses: readonly ContainerStatus[],
  statuses: readonly ContainerStatus[],
  phase: PodPhase,
): Condition {
  const unknown: string[] = [];
  const unready: string[] = [];
  const check = (name: string, from: readonly ContainerStatus[]) => {
    const s = from.find((x) => x.name === name);
    if (!s) unknown.push(name);
    else if (!s.ready) unready.push(name);
  };
  for (const c of initContainers(pod)) if (isSidecar(c)) check(c.name, initStatuses);
  for (const c of appContainers(pod)) check(c.name, statuses);
  if (phase === 'Succeeded' && unknown.length === 0) {
    return { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  }
  if (phase === 'Failed') return { type: 'ContainersReady', status: 'False', reason: 'PodFailed' };
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${list(unknown)}`);
  if (unready.length) messages.push(`containers with unready status: ${list(unready)}`);
  if (messages.length) {
    return {
      type: 'ContainersReady',
      status: 'False',
      reason: 'ContainersNotReady',
      message: messages.join(', '),
    };
  }
  return { type: 'ContainersReady', status: 'True' };
}

/** Ready copies ContainersReady unless that is True; then the readiness gates decide. */
export function podReadyCondition(
  pod: Pod,
  containersReady: Condition,
  existing: readonly PodCondition[],
): Condition {
  if (containersReady.status !== 'True') {
    const c: Condition = { type: 'Ready', status: containersReady.status };
    if (containersReady.reason) c.reason = containersReady.reason;
    if (containersReady.message) c.message = containersReady.message;
    return c;
  }
  const messages: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const c = existing.find((x) => x.type === gate.conditionType);
    if (!c)
      messages.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') {
      messages.push(
        `the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`,
      );
    }
  }
  if (messages.length) {
    return { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: messages.join(', ') };
  }
  return { type: 'Ready', status: 'True' };
}
