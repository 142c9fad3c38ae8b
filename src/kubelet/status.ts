// generateAPIPodStatus + convertToAPIContainerStatuses (pkg/kubelet/kubelet_pods.go), the probe manager's
// UpdatePodStatus (ready/started) and the status manager's bookkeeping (lastTransitionTime, startTime, a
// terminal phase is never left). Pure: the previous status comes in as pod.status.

import { podQOSClass } from '../api/qos.js';
import type {
  Container,
  ContainerState,
  ContainerStatus,
  Pod,
  PodCondition,
  PodStatus,
} from '../api/types.js';
import {
  LABEL_CONTAINER_NAME,
  type PodSandboxStatus,
  type ContainerStatus as RuntimeContainerStatus,
} from '../runtime/types.js';
import { cloneJson } from '../store/json-clone.js';
import {
  containersReadyCondition,
  podInitializedCondition,
  podReadyCondition,
  podReadyToStartContainersCondition,
} from './conditions.js';
import { asEphemeralStatus } from './ephemeral.js';
import { INIT_TIMEOUT_REASON, initTimedOut, initTimeoutMessage } from './init-timeout.js';
import { getPhase, type PodPhase } from './phase.js';
import type { PodFailure } from './planner.js';
import { shouldContainerBeRestarted } from './planner.js';
import {
  appContainers,
  ephemeralContainers,
  initContainers,
  isSidecar,
  isTerminalPhase,
  toTime,
} from './pod-util.js';
import type { ReasonCache } from './reason-cache.js';
import { instancesByName, type ObservedPod, observe, restartCountOf } from './runtime-view.js';
import { podSandboxChanged } from './sandbox.js';
import type { ProbeResults } from './types.js';

export interface StatusInput {
  /** The pod; `pod.status` is the status last written (kept times, restart counts, terminal phase). */
  pod: Pod;
  sandboxes: readonly PodSandboxStatus[];
  containers: readonly RuntimeContainerStatus[];
  probes: ProbeResults;
  reasonCache: ReasonCache;
  /** `fake`, `host`, `docker`: the scheme of containerID. */
  runtimeName: string;
  hostIP: string;
  now: number;
  /** Every container has stopped and none will restart (a deleted pod after its kill). */
  podIsTerminal: boolean;
  podFailed: PodFailure | null;
}

export const CONTAINER_STATUS_UNKNOWN_MESSAGE =
  'The container could not be located when the pod was deleted.  The container used to be Running';

export function generatePodStatus(input: StatusInput): PodStatus {
  const { pod, now } = input;
  const old = pod.status ?? {};
  const observed = observe(input.sandboxes, input.containers);
  const hasInit = initContainers(pod).length > 0;

  const initStatuses = convertContainerStatuses(
    input,
    observed,
    initContainers(pod),
    old.initContainerStatuses ?? [],
    hasInit,
    true,
  );
  const statuses = convertContainerStatuses(
    input,
    observed,
    appContainers(pod),
    old.containerStatuses ?? [],
    hasInit,
    false,
  );

  const podHasInitialized = hasAnyActiveAppContainerStarted(pod, observed);
  let phase: PodPhase = getPhase(pod, initStatuses, statuses, input.podIsTerminal, podHasInitialized);
  let reason: string | undefined;
  let message: string | undefined;
  if (input.podFailed) {
    phase = 'Failed';
    reason = input.podFailed.reason;
    message = input.podFailed.message;
  }
  // A terminal phase is never left (the status manager refuses the transition).
  if (isTerminalPhase(old.phase)) {
    phase = old.phase as PodPhase;
    reason = old.reason ?? reason;
    message = old.message ?? message;
  }

  const sandboxReady = !podSandboxChanged(observed).changed;
  const oldConditions = old.conditions ?? [];
  const containersReady = containersReadyCondition(pod, initStatuses, statuses, phase);
  const generated = [
    podReadyToStartContainersCondition(sandboxReady),
    podInitializedCondition(pod, initStatuses, podHasInitialized, phase),
    podReadyCondition(pod, containersReady, oldConditions),
    containersReady,
  ];
  const conditions: PodCondition[] = generated.map((c) => withTransitionTime(c, oldConditions, now));
  // PodScheduled is the scheduler's; the kubelet re-asserts it and keeps its time.
  conditions.push(
    oldConditions.find((c) => c.type === 'PodScheduled') ?? {
      type: 'PodScheduled',
      status: 'True',
      lastTransitionTime: toTime(now),
    },
  );
  // Conditions the kubelet does not own (readiness gates' targets and the like) are kept.
  const owned = new Set([
    'PodReadyToStartContainers',
    'Initialized',
    'Ready',
    'ContainersReady',
    'PodScheduled',
  ]);
  conditions.push(...oldConditions.filter((c) => !owned.has(c.type)));

  const status: PodStatus = { phase, conditions };
  if (message !== undefined) status.message = message;
  if (reason !== undefined) status.reason = reason;
  // Only a known address, as upstream sets them only once the node's IPs are known (the API refuses an
  // empty one in hostIPs).
  if (input.hostIP) {
    status.hostIP = input.hostIP;
    status.hostIPs = [{ ip: input.hostIP }];
  }
  const readySandbox = sandboxReady ? observed.sandboxes[0] : undefined;
  const ip = readySandbox ? readySandbox.ip || input.hostIP : '';
  if (ip) {
    status.podIP = ip;
    status.podIPs = [{ ip }];
  } else if (old.podIP) {
    status.podIP = old.podIP;
    status.podIPs = old.podIPs ?? [{ ip: old.podIP }];
  }
  status.startTime = old.startTime ?? toTime(now);
  if (hasInit) status.initContainerStatuses = initStatuses;
  status.containerStatuses = statuses;
  const ephemeral = ephemeralContainers(pod);
  if (ephemeral.length > 0) {
    const previous = old.ephemeralContainerStatuses ?? [];
    const converted = convertContainerStatuses(input, observed, ephemeral, previous, hasInit, false);
    status.ephemeralContainerStatuses = converted.map(asEphemeralStatus);
  }
  status.qosClass = podQOSClass(pod);
  return status;
}

/**
 * HasAnyActiveRegularContainerStarted: an app container ran or runs in the newest sandbox. Instances from a
 * replaced sandbox do not count: a pod re-running its init containers is not initialized.
 */
function hasAnyActiveAppContainerStarted(pod: Pod, observed: ObservedPod): boolean {
  const sandboxId = observed.sandboxes[0]?.id;
  if (sandboxId === undefined) return false;
  const names = new Set(appContainers(pod).map((c) => c.name));
  return observed.containers.some(
    (c) =>
      c.podSandboxId === sandboxId &&
      names.has(c.labels[LABEL_CONTAINER_NAME] ?? c.metadata.name) &&
      (c.state === 'running' || c.state === 'exited'),
  );
}

function withTransitionTime(
  c: Omit<PodCondition, 'lastTransitionTime' | 'lastProbeTime'>,
  old: readonly PodCondition[],
  now: number,
): PodCondition {
  const prev = old.find((o) => o.type === c.type);
  const time =
    prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : toTime(now);
  return {
    type: c.type,
    status: c.status,
    lastTransitionTime: time,
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  };
}

/** convertToAPIContainerStatuses for one list (init or app), then ready/started as the prober sets them. */
function convertContainerStatuses(
  input: StatusInput,
  observed: ObservedPod,
  containers: readonly Container[],
  previous: readonly ContainerStatus[],
  hasInit: boolean,
  isInit: boolean,
): ContainerStatus[] {
  const { pod } = input;
  const defaultWaiting: ContainerState = {
    waiting: { reason: hasInit ? 'PodInitializing' : 'ContainerCreating' },
  };
  const out: ContainerStatus[] = [];
  for (const container of containers) {
    const oldStatus = previous.find((s) => s.name === container.name);
    // Defaults: a terminated old status stands until the runtime says more; otherwise keep the counters.
    let status: ContainerStatus;
    if (oldStatus?.state?.terminated) {
      status = cloneJson(oldStatus);
    } else {
      status = {
        name: container.name,
        image: container.image ?? '',
        imageID: '',
        ready: false,
        restartCount: oldStatus?.restartCount ?? 0,
        state: defaultWaiting,
        lastState: cloneJson(oldStatus?.lastState ?? {}),
      };
    }

    const instances = instancesByName(observed, container.name).slice(0, 2);
    if (instances.length === 0 && oldStatus?.state?.running && !status.lastState?.terminated) {
      // It was running and its record is gone: show it as stopped (not waiting), so the pod does not fall back
      // to Pending.
      status.lastState = {
        terminated: {
          exitCode: 137,
          reason: 'ContainerStatusUnknown',
          message: CONTAINER_STATUS_UNKNOWN_MESSAGE,
        },
      };
      if (!pod.metadata?.deletionTimestamp) status.restartCount += 1;
    }
    const [newest, previousInstance] = instances;
    // A run the planner killed for its init timeout says so (init-timeout.ts), in place of the runtime's Error.
    const apiState = (c: RuntimeContainerStatus): ContainerState => {
      const state = toApiState(c, input.runtimeName);
      if (isInit && state.terminated && initTimedOut(pod, container, c)) {
        state.terminated.reason = INIT_TIMEOUT_REASON;
        state.terminated.message = initTimeoutMessage(pod, container);
      }
      return state;
    };
    if (newest) {
      status = {
        name: container.name,
        state: apiState(newest),
        lastState: previousInstance ? apiState(previousInstance) : {},
        ready: false,
        restartCount: restartCountOf(newest),
        image: newest.image || (container.image ?? ''),
        imageID: newest.imageRef,
        containerID: `${input.runtimeName}://${newest.id}`,
      };
    }

    // A container that failed to start (or waits in backoff) shows why, its last run moving to lastState.
    const initSucceeded = isInit && newest?.state === 'exited' && newest.exitCode === 0;
    const failure = input.reasonCache.get(container.name);
    if (!initSucceeded && failure && shouldContainerBeRestarted(pod, container, newest)) {
      if (status.state?.terminated) status.lastState = status.state;
      status.state = {
        waiting: { reason: failure.reason, ...(failure.message ? { message: failure.message } : {}) },
      };
    }

    setStartedAndReady(status, container, newest, input.probes, isInit);
    out.push(status);
  }
  // Init statuses follow the spec; app statuses are sorted by name (kubetypes.SortedContainerStatuses).
  return isInit ? out : out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function toApiState(c: RuntimeContainerStatus, runtimeName: string): ContainerState {
  switch (c.state) {
    case 'running':
      return { running: { startedAt: toTime(c.startedAt) } };
    case 'exited': {
      const terminated: NonNullable<ContainerState['terminated']> = {
        exitCode: c.exitCode,
        startedAt: toTime(c.startedAt),
        finishedAt: toTime(c.finishedAt),
        containerID: `${runtimeName}://${c.id}`,
      };
      if (c.reason) terminated.reason = c.reason;
      if (c.message) terminated.message = c.message;
      return { terminated };
    }
    default:
      // created (not yet running) and unknown both read as waiting.
      return { waiting: {} };
  }
}

/** UpdatePodStatus: started = running and the startup probe (if any) succeeded; ready per kind. */
function setStartedAndReady(
  status: ContainerStatus,
  container: Container,
  newest: RuntimeContainerStatus | undefined,
  probes: ProbeResults,
  isInit: boolean,
): void {
  const running = Boolean(status.state?.running) && newest?.state === 'running';
  const started =
    running && (container.startupProbe ? probes.get(newest!.id, 'startup') === 'success' : true);
  status.started = started;
  if (isInit && !isSidecar(container)) {
    status.ready = Boolean(status.state?.terminated && status.state.terminated.exitCode === 0);
    return;
  }
  status.ready =
    started && (container.readinessProbe ? probes.get(newest!.id, 'readiness') === 'success' : true);
}
