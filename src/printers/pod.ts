// kubectl's printPod (pkg/printers/internalversion/printers.go, v1.32): the NAME READY STATUS RESTARTS AGE
// row, plus IP NODE NOMINATED NODE READINESS GATES under -o wide. The API server answers `as=Table` with
// these cells and the podrun CLI prints the same ones, so both agree with a real cluster to the character.
// See /work/shared/reference/kubernetes-semantics.md §5 and docs/printing.md.
import type { Container, ContainerStatus, KubeObject, Pod } from '../api/types.js';
import { humanDuration, parseTimestamp, translateTimestampSince } from './duration.js';
import { AGE_COLUMN, column, NAME_COLUMN } from './meta.js';
import type { PrintedTable, TableCell, TableColumnDefinition, TableRowCondition } from './types.js';

export const podColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
  column('Status', 'string', 'The aggregate status of the containers in this pod.'),
  column(
    'Restarts',
    'string',
    'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
  ),
  AGE_COLUMN,
  column(
    'IP',
    'string',
    'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
    1,
  ),
  column(
    'Node',
    'string',
    'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename',
    1,
  ),
  column(
    'Nominated Node',
    'string',
    'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.',
    1,
  ),
  column(
    'Readiness Gates',
    'string',
    'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates',
    1,
  ),
];

/** Everything printPod derives from a pod's status, before it is turned into text. */
export interface PodSummary {
  /** The STATUS column. */
  reason: string;
  /** READY = ready/total; total counts app containers and sidecars. */
  ready: number;
  total: number;
  /** RESTARTS: the count, and the newest `lastState.terminated.finishedAt` (ms) among the same containers. */
  restarts: number;
  lastRestart: number | undefined;
  /** True while the init loop broke on a container and the pod is not yet Initialized. */
  initializing: boolean;
}

/** pkg/util/node NodeUnreachablePodReason: set by the node lifecycle controller on pods of a lost node. */
const NODE_UNREACHABLE_POD_REASON = 'NodeLost';

function isRestartableInitContainer(c: Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

/** isPodInitializedConditionTrue: the first Initialized condition decides. */
function isInitialized(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).find((c) => c.type === 'Initialized')?.status === 'True';
}

/** hasPodReadyCondition: any Ready condition that is True. */
function hasReadyCondition(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function lastTerminationFinishedAt(s: ContainerStatus): number | undefined {
  return s.lastState?.terminated ? parseTimestamp(s.lastState.terminated.finishedAt) : undefined;
}

function later(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b > a ? b : a;
}

/** printPod's algorithm, step for step; printPodRow and the CLI's live view both read it. */
export function summarizePod(pod: Pod): PodSummary {
  const spec = pod.spec;
  const status = pod.status ?? {};
  const initSpecs = spec?.initContainers ?? [];
  let total = spec?.containers?.length ?? 0;
  let ready = 0;
  let restarts = 0;
  let restartableInitRestarts = 0;
  let lastRestart: number | undefined;
  let lastRestartableInitRestart: number | undefined;

  let reason = status.reason ? status.reason : (status.phase ?? '');
  for (const c of status.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initByName = new Map<string, Container>();
  for (const c of initSpecs) {
    initByName.set(c.name, c);
    if (isRestartableInitContainer(c)) total++;
  }

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const s = initStatuses[i]!;
    restarts += s.restartCount ?? 0;
    lastRestart = later(lastRestart, lastTerminationFinishedAt(s));
    const sidecar = isRestartableInitContainer(initByName.get(s.name));
    if (sidecar) {
      restartableInitRestarts += s.restartCount ?? 0;
      lastRestartableInitRestart = later(lastRestartableInitRestart, lastTerminationFinishedAt(s));
    }
    const terminated = s.state?.terminated;
    const waiting = s.state?.waiting;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (sidecar && s.started === true) {
      if (s.ready) ready++;
      continue;
    }
    if (terminated) {
      // initialization failed
      if (!terminated.reason) {
        reason = terminated.signal
          ? `Init:Signal:${terminated.signal}`
          : `Init:ExitCode:${terminated.exitCode ?? 0}`;
      } else {
        reason = `Init:${terminated.reason}`;
      }
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || isInitialized(pod)) {
    // Once initialized, regular init containers' restarts no longer count: only sidecars' and app containers'.
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    // Last to first, so the reason of the lowest-indexed container that has one wins.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const s = statuses[i]!;
      restarts += s.restartCount ?? 0;
      lastRestart = later(lastRestart, lastTerminationFinishedAt(s));
      const terminated = s.state?.terminated;
      if (s.state?.waiting?.reason) {
        reason = s.state.waiting.reason;
      } else if (terminated?.reason) {
        reason = terminated.reason;
      } else if (terminated) {
        reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
      } else if (s.ready && s.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    // A container that completed while another still runs does not make the pod Completed.
    if (reason === 'Completed' && hasRunning) reason = hasReadyCondition(pod) ? 'Running' : 'NotReady';
  }

  const deleting = Boolean(pod.metadata?.deletionTimestamp);
  if (deleting && status.reason === NODE_UNREACHABLE_POD_REASON) {
    reason = 'Unknown';
  } else if (deleting && status.phase !== 'Succeeded' && status.phase !== 'Failed') {
    reason = 'Terminating';
  }

  return { reason, ready, total, restarts, lastRestart, initializing };
}

/** The STATUS column alone: `Init:1/2`, `PodInitializing`, `Running`, `Init:CrashLoopBackOff`, … */
export function podStatusReason(pod: Pod): string {
  return summarizePod(pod).reason;
}

/** The READY column as numbers: ready sidecars and app containers, out of all of them. */
export function podReadyCount(pod: Pod): { ready: number; total: number } {
  const { ready, total } = summarizePod(pod);
  return { ready, total };
}

/** The RESTARTS column as data: the count and when the newest of those restarts' containers last ended. */
export function podRestarts(pod: Pod): { count: number; lastRestart: number | undefined } {
  const { restarts, lastRestart } = summarizePod(pod);
  return { count: restarts, lastRestart };
}

/** The RESTARTS cell: `3 (10s ago)` when there were restarts and one has a finish time, else `3`. */
export function formatRestarts(count: number, lastRestart: number | undefined, now: number): string {
  if (count !== 0 && lastRestart !== undefined) return `${count} (${humanDuration(now - lastRestart)} ago)`;
  return String(count);
}

function readinessGatesCell(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conditions = pod.status?.conditions ?? [];
  let trueConditions = 0;
  for (const gate of gates) {
    const condition = conditions.find((c) => c.type === gate.conditionType);
    if (condition?.status === 'True') trueConditions++;
  }
  return `${trueConditions}/${gates.length}`;
}

/** All nine cells (the API server always prints wide; kubectl hides priority-1 columns itself). */
export function printPodRow(pod: Pod, now: number): TableCell[] {
  const s = summarizePod(pod);
  // The internal type keeps only podIPs; conversion from v1 fills podIPs[0] from podIP when only that is set.
  const podIP = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || '<none>';
  return [
    pod.metadata?.name ?? '',
    `${s.ready}/${s.total}`,
    s.reason,
    formatRestarts(s.restarts, s.lastRestart, now),
    translateTimestampSince(pod.metadata?.creationTimestamp, now),
    podIP,
    pod.spec?.nodeName || '<none>',
    pod.status?.nominatedNodeName || '<none>',
    readinessGatesCell(pod),
  ];
}

const podSucceededConditions: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
];
const podFailedConditions: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
];

export function printPods(objects: KubeObject[], now: number): PrintedTable {
  return {
    columnDefinitions: podColumnDefinitions,
    rows: objects.map((object) => {
      const pod = object as unknown as Pod;
      const phase = pod.status?.phase;
      const conditions =
        phase === 'Succeeded' ? podSucceededConditions : phase === 'Failed' ? podFailedConditions : undefined;
      return { cells: printPodRow(pod, now), object, ...(conditions ? { conditions } : {}) };
    }),
  };
}
