// The kubelet's decision for one pod, as data (computePodActions + computeInitContainerActions + doBackOff,
// pkg/kubelet/kuberuntime/kuberuntime_manager.go and kuberuntime_container.go). It reads the spec and what the
// runtime reports, never calls anything, and returns a PodPlan that the executor carries out in SyncPod's order.
// There is no stored state machine: every sync diffs the spec against the runtime's containers again.
import type { Container, Pod } from '../api/types.js';
import type { ContainerStatus, PodSandboxStatus } from '../runtime/types.js';
import { goDuration } from '../util/go-format.js';
import { type BackoffEntry, type BackoffState, backoffUntil, nextBackoff } from './backoff.js';
import { ephemeralContainersToStart } from './ephemeral.js';
import {
  type ImageMode,
  type ImageObservations,
  type ImagePullState,
  type ImageStep,
  planImages,
} from './image-plan.js';
import { initDeadline, initTimeoutMessage } from './init-timeout.js';
import {
  appContainers,
  backoffKey,
  containerHash,
  ephemeralContainers,
  formatPod,
  fromTime,
  initContainers,
  isSidecar,
  isTerminalPhase,
  restartPolicy,
  shouldRestartOnFailure,
} from './pod-util.js';
import {
  hashOf,
  instancesByName,
  isInitContainerFailed,
  newestByName,
  type ObservedPod,
  observe,
} from './runtime-view.js';
import { podSandboxChanged } from './sandbox.js';
import type { BackoffConfig, ProbeResults } from './types.js';

export interface PlanInput {
  /** The pod as the kubelet knows it: spec, metadata.deletionTimestamp, and status.phase/startTime it last wrote. */
  pod: Pod;
  /** Every sandbox and container instance the runtime holds for this pod's UID. */
  sandboxes: readonly PodSandboxStatus[];
  containers: readonly ContainerStatus[];
  probes: ProbeResults;
  /** Crash-loop backoff per backoffKey. */
  backoff: BackoffState;
  /** What the runtime holds of each image the pod names (runtime.imageStatus, gathered before planning). */
  images: ImageObservations;
  /** Image pull backoff and last pull errors. */
  imagePulls: ImagePullState;
  /** ms since epoch */
  now: number;
  /** `images`: the kubelet's image mode (default `pull`); the pod's annotation may override it. */
  config: { crashLoopBackOff: BackoffConfig; images?: ImageMode };
}

/** containerKillReason, plus the cases upstream leaves blank. */
export type KillReason = 'StartupProbe' | 'LivenessProbe' | 'DefinitionChanged' | 'InitTimeout' | 'Unknown';

export interface ContainerToKill {
  containerId: string;
  name: string;
  reason: KillReason;
  /** The Killing event's message. */
  message: string;
}

/** A container that should restart but is still in crash-loop backoff. */
export interface BackoffWait {
  name: string;
  reason: 'CrashLoopBackOff';
  /** `back-off 10s restarting failed container=app pod=web_default(uid)` */
  message: string;
  /** When the backoff ends (ms). */
  until: number;
}

export interface PodFailure {
  reason: 'DeadlineExceeded';
  message: string;
}

export interface PodPlan {
  /** Stop every running container (in termination order) and the sandbox. */
  killPod: boolean;
  /** Create a new sandbox (after killing the pod); init containers then start again from index 0. */
  createSandbox: boolean;
  /** The sandbox containers start in ('' when one is to be created). */
  sandboxId: string;
  /** The attempt number of the sandbox to create, or of the one in use. */
  sandboxAttempt: number;
  /** Indices into spec.initContainers, ascending. */
  initContainersToStart: number[];
  /** Indices into spec.containers, ascending. */
  containersToStart: number[];
  /** Indices into spec.ephemeralContainers: each starts once and is never restarted (ephemeral.ts). */
  ephemeralContainersToStart: number[];
  containersToKill: ContainerToKill[];
  /** Containers that would start but are in crash-loop backoff (not in the start lists). */
  waiting: BackoffWait[];
  /** Backoff entries advanced by this plan's restarts (doBackOff's Next), to merge into the state. */
  backoffUpdates: Record<string, BackoffEntry>;
  /** Stopped instances to remove after the kills: old init instances, or all of them when the sandbox is new. */
  pruneContainerIds: string[];
  /**
   * By container name, for each container in the start lists: what to do about its image just before creating
   * it (use it, pull it) or why it waits instead (ImagePullBackOff, ErrImageNeverPull, InvalidImageName).
   */
  images: Record<string, ImageStep>;
  /** When to plan again even if nothing happens (backoff ends, active deadline); null when not needed. */
  wakeAt: number | null;
  /** The pod must end now, Failed with this reason. */
  podFailed: PodFailure | null;
}

export const DEADLINE_EXCEEDED_MESSAGE = 'Pod was active on the node longer than the specified deadline';

/** A plan that does nothing: the base every decision starts from. */
export function emptyPlan(): PodPlan {
  return {
    killPod: false,
    createSandbox: false,
    sandboxId: '',
    sandboxAttempt: 0,
    initContainersToStart: [],
    containersToStart: [],
    ephemeralContainersToStart: [],
    containersToKill: [],
    waiting: [],
    backoffUpdates: {},
    pruneContainerIds: [],
    images: {},
    wakeAt: null,
    podFailed: null,
  };
}

/** planPod decides what to do with a pod right now. */
export function planPod(input: PlanInput): PodPlan {
  const { pod } = input;
  const observed = observe(input.sandboxes, input.containers);
  const sandbox = podSandboxChanged(observed);
  const plan: PodPlan = {
    ...emptyPlan(),
    killPod: sandbox.changed,
    createSandbox: sandbox.changed,
    sandboxId: sandbox.changed ? '' : sandbox.sandboxId,
    sandboxAttempt: sandbox.attempt,
  };

  // A pod that is deleted, terminal, or past its active deadline only stops: nothing is (re)started while
  // terminating (ShouldContainerBeRestarted is false once deletionTimestamp is set) and a terminal phase
  // is never left.
  plan.podFailed = activeDeadlineExceeded(pod, input.now);
  if (plan.podFailed || pod.metadata?.deletionTimestamp || isTerminalPhase(pod.status?.phase)) {
    plan.killPod = true;
    plan.createSandbox = false;
    return plan;
  }

  if (sandbox.changed) {
    planNewSandbox(pod, observed, input.probes, plan);
  } else {
    const initialized = computeInitContainerActions(pod, observed, input.probes, plan, input.now);
    if (!plan.killPod && initialized) computeAppContainerActions(pod, observed, input.probes, plan);
  }

  // Ephemeral containers start in the running sandbox, initialized or not; a new sandbox runs none.
  if (!plan.killPod && !plan.createSandbox)
    plan.ephemeralContainersToStart = ephemeralContainersToStart(pod, observed);
  plan.pruneContainerIds = containersToPrune(pod, observed, plan.createSandbox);
  applyCrashLoopBackOff(input, observed, plan);
  // Images are decided for what actually starts: a container in crash-loop backoff pulls nothing.
  const inits = initContainers(pod);
  const apps = appContainers(pod);
  const images = planImages({
    pod,
    containers: [
      ...plan.initContainersToStart.map((i) => inits[i]!),
      ...plan.containersToStart.map((i) => apps[i]!),
      ...plan.ephemeralContainersToStart.map((i) => ephemeralContainers(pod)[i]!),
    ],
    images: input.images,
    pulls: input.imagePulls,
    mode: input.config.images ?? 'pull',
    now: input.now,
  });
  plan.images = images.steps;
  plan.wakeAt = earliest([
    ...plan.waiting.map((w) => w.until),
    ...runningInitDeadlines(pod, observed, input.now),
    activeDeadline(pod),
    images.wakeAt ?? undefined,
  ]);
  return plan;
}

/**
 * The sandbox is gone or unusable: everything is killed and started again in a new one, init containers from
 * index 0. Two exceptions create no sandbox: a Never pod whose containers already ran just ends, and a pod
 * whose containers are all done (OnFailure, all succeeded) after initialization has nothing to run.
 */
function planNewSandbox(pod: Pod, observed: ObservedPod, probes: ProbeResults, plan: PodPlan): void {
  if (!shouldRestartOnFailure(pod) && plan.sandboxAttempt !== 0 && observed.containers.length !== 0) {
    plan.createSandbox = false;
    return;
  }
  const containersToStart = appContainers(pod)
    .map((c, idx) => ({ c, idx }))
    .filter(({ c }) => !(restartPolicy(pod) === 'OnFailure' && containerSucceeded(c, observed)))
    .map(({ idx }) => idx);
  // Whether initialization is complete, asked of the same rules as always (on a scratch plan).
  const initialized = computeInitContainerActions(
    pod,
    observed,
    probes,
    { ...plan, containersToKill: [] },
    0,
  );
  if (containersToStart.length === 0 && initialized) {
    plan.createSandbox = false;
    return;
  }
  if (initContainers(pod).length > 0) {
    plan.initContainersToStart = [0];
    return;
  }
  plan.containersToStart = containersToStart;
}

/**
 * computeInitContainerActions: walks init containers from the last to the first, so that progress is read
 * from the newest status that still exists (older ones may have been removed), then keeps sidecars running.
 * Returns whether the pod is initialized.
 */
function computeInitContainerActions(
  pod: Pod,
  observed: ObservedPod,
  probes: ProbeResults,
  plan: PodPlan,
  now: number,
): boolean {
  const inits = initContainers(pod);
  if (inits.length === 0) return true;

  // Initialized = some app container is created or running. Exited ones do not count: after a node reboot
  // every container is exited and the new sandbox must be initialized again.
  let podHasInitialized = appContainers(pod).some((c) => {
    const state = newestByName(observed, c.name)?.state;
    return state === 'created' || state === 'running';
  });
  // Whether a later init container (or an app container) has run, so the current one completed earlier.
  let isPreviouslyInitialized = podHasInitialized;
  const restartOnFailure = shouldRestartOnFailure(pod);
  const starts: number[] = [];
  const last = inits.length - 1;

  for (let i = last; i >= 0; i--) {
    const container = inits[i]!;
    const status = newestByName(observed, container.name);
    if (!status) {
      // Its record is gone after initialization: only a sidecar must be brought back.
      if (isPreviouslyInitialized && isSidecar(container)) starts.push(i);
      continue;
    }
    // After initialization, only sidecars are kept running; regular init containers never run again.
    if (isPreviouslyInitialized && !isSidecar(container)) continue;

    switch (status.state) {
      case 'created':
        // Create and start happen in one step; a container stuck in created failed to start. Start it again.
        starts.push(i);
        break;
      case 'running': {
        // A regular init container is running: wait for it to finish, or until its timeout (init-timeout.ts).
        if (!isSidecar(container)) {
          const deadline = initDeadline(pod, container, status);
          if (deadline !== undefined && now >= deadline) {
            // Killed only: the next sync sees a failed run, and restartPolicy and backoff take it from there.
            kill(plan, status, container.name, 'InitTimeout', initTimeoutMessage(pod, container));
          }
          break;
        }
        if (container.startupProbe) {
          const startup = probes.get(status.id, 'startup');
          if (startup !== 'success') {
            if (startup === 'failure') {
              kill(
                plan,
                status,
                container.name,
                'StartupProbe',
                `Init container ${container.name} failed startup probe`,
              );
              starts.push(i);
            }
            // Not started yet: the next init container waits for this one's startup probe.
            break;
          }
        }
        if (i === last) podHasInitialized = true;
        else if (!isPreviouslyInitialized) starts.push(i + 1);

        if (hashOf(status) !== containerHash(container)) {
          kill(
            plan,
            status,
            container.name,
            'DefinitionChanged',
            `Init container ${container.name} definition changed`,
          );
          starts.push(i);
          break;
        }
        // Liveness does not gate the next init container, but a failure restarts the sidecar.
        if (container.livenessProbe && probes.get(status.id, 'liveness') === 'failure') {
          kill(
            plan,
            status,
            container.name,
            'LivenessProbe',
            `Init container ${container.name} failed liveness probe`,
          );
          starts.push(i);
        }
        break;
      }
      case 'exited':
        if (isSidecar(container)) {
          // A sidecar is restarted whatever the pod's restartPolicy.
          starts.push(i);
        } else if (isInitContainerFailed(status)) {
          if (!restartOnFailure) {
            plan.killPod = true;
            plan.initContainersToStart = [];
            return false;
          }
          // Only the failed one runs again; earlier ones are not re-run, later ones not started.
          starts.push(i);
        } else if (i === last) {
          podHasInitialized = true;
        } else {
          starts.push(i + 1);
        }
        break;
      default: {
        // Unknown: it may still run, so kill it before starting another instance.
        const message = `Init container is in "unknown" state, try killing it before restart`;
        if (!isSidecar(container) && !restartOnFailure) {
          plan.killPod = true;
          plan.initContainersToStart = [];
          return false;
        }
        kill(plan, status, container.name, 'Unknown', message);
        starts.push(i);
      }
    }
    isPreviouslyInitialized = true;
  }

  // Nothing has started yet: begin with the first init container.
  if (!isPreviouslyInitialized) starts.push(0);
  plan.initContainersToStart = [...new Set(starts)].sort((a, b) => a - b);
  return podHasInitialized;
}

/** The app-container half of computePodActions, run once the pod is initialized. */
function computeAppContainerActions(
  pod: Pod,
  observed: ObservedPod,
  probes: ProbeResults,
  plan: PodPlan,
): void {
  // Number of running app containers to keep.
  let keepCount = 0;
  appContainers(pod).forEach((container, idx) => {
    const status = newestByName(observed, container.name);
    if (status?.state !== 'running') {
      if (shouldContainerBeRestarted(pod, container, status)) {
        plan.containersToStart.push(idx);
        if (status?.state === 'unknown') {
          kill(
            plan,
            status,
            container.name,
            'Unknown',
            `Container is in "unknown" state, try killing it before restart`,
          );
        }
      }
      return;
    }
    let restart = shouldRestartOnFailure(pod);
    let reason: KillReason;
    let message: string;
    if (hashOf(status) !== containerHash(container)) {
      // A changed spec restarts the container whatever the restartPolicy.
      reason = 'DefinitionChanged';
      message = `Container ${container.name} definition changed`;
      restart = true;
    } else if (container.livenessProbe && probes.get(status.id, 'liveness') === 'failure') {
      reason = 'LivenessProbe';
      message = `Container ${container.name} failed liveness probe`;
    } else if (container.startupProbe && probes.get(status.id, 'startup') === 'failure') {
      reason = 'StartupProbe';
      message = `Container ${container.name} failed startup probe`;
    } else {
      keepCount++;
      return;
    }
    if (restart) {
      message = `${message}, will be restarted`;
      plan.containersToStart.push(idx);
    }
    kill(plan, status, container.name, reason, message);
  });

  // Job semantics: every app container is done and none will restart, so the pod stops, and its sidecars
  // are not restarted to keep it alive.
  if (keepCount === 0 && plan.containersToStart.length === 0) {
    plan.killPod = true;
    plan.initContainersToStart = [];
  }
}

/** ShouldContainerBeRestarted, for a container that is not running. */
export function shouldContainerBeRestarted(
  pod: Pod,
  container: Container,
  status: ContainerStatus | undefined,
): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (!status) return true;
  if (status.state === 'running') return false;
  if (status.state === 'unknown' || status.state === 'created') return true;
  if (isSidecar(container)) return true;
  const policy = restartPolicy(pod);
  if (policy === 'Never') return false;
  if (policy === 'OnFailure') return status.exitCode !== 0;
  return true;
}

function containerSucceeded(container: Container, observed: ObservedPod): boolean {
  const status = newestByName(observed, container.name);
  return status?.state === 'exited' && status.exitCode === 0;
}

/**
 * purgeInitContainers (new sandbox: every init instance goes) or pruneInitContainersBeforeStart (only the
 * newest stopped instance of each init container is kept), plus the container GC's rule for app containers
 * (the newest stopped instance is kept, for lastState).
 */
function containersToPrune(pod: Pod, observed: ObservedPod, purgeInit: boolean): string[] {
  const ids: string[] = [];
  for (const c of initContainers(pod)) {
    const instances = instancesByName(observed, c.name);
    if (purgeInit) {
      ids.push(...instances.map((s) => s.id));
      continue;
    }
    const stopped = instances.filter((s) => s.state === 'exited' || s.state === 'unknown');
    ids.push(...stopped.slice(1).map((s) => s.id));
  }
  for (const c of appContainers(pod)) {
    const stopped = instancesByName(observed, c.name).filter((s) => s.state === 'exited');
    ids.push(...stopped.slice(1).map((s) => s.id));
  }
  return ids;
}

/**
 * doBackOff, decided before starting: a container whose newest stopped instance finished less than the
 * current delay ago waits (CrashLoopBackOff); otherwise it starts and the delay advances. A regular init
 * container that must wait also holds back the init containers after it, as a start failure would.
 */
function applyCrashLoopBackOff(input: PlanInput, observed: ObservedPod, plan: PodPlan): void {
  const { pod, now } = input;
  const config = input.config.crashLoopBackOff;
  const mayStart = (container: Container): boolean => {
    const exited = instancesByName(observed, container.name).find((s) => s.state === 'exited');
    if (!exited) return true;
    const key = backoffKey(pod, container);
    const until = backoffUntil(input.backoff, key, exited.finishedAt, now, config);
    if (until !== undefined) {
      const delay = input.backoff[key]?.backoffMs ?? 0;
      plan.waiting.push({
        name: container.name,
        reason: 'CrashLoopBackOff',
        message: `back-off ${goDuration(delay)} restarting failed container=${container.name} pod=${formatPod(pod)}`,
        until,
      });
      return false;
    }
    plan.backoffUpdates[key] = nextBackoff(input.backoff, key, exited.finishedAt, now, config);
    return true;
  };

  const inits = initContainers(pod);
  const initStarts: number[] = [];
  for (const idx of plan.initContainersToStart) {
    const container = inits[idx]!;
    if (mayStart(container)) initStarts.push(idx);
    else if (!isSidecar(container)) break;
  }
  plan.initContainersToStart = initStarts;
  const apps = appContainers(pod);
  plan.containersToStart = plan.containersToStart.filter((idx) => mayStart(apps[idx]!));
}

function kill(
  plan: PodPlan,
  status: ContainerStatus,
  name: string,
  reason: KillReason,
  message: string,
): void {
  plan.containersToKill.push({ containerId: status.id, name, reason, message });
}

/** The end of activeDeadlineSeconds, counted from status.startTime; undefined when not set or not started. */
function activeDeadline(pod: Pod): number | undefined {
  const seconds = pod.spec?.activeDeadlineSeconds;
  const start = fromTime(pod.status?.startTime);
  if (seconds === undefined || seconds === null || start === undefined) return undefined;
  return start + seconds * 1000;
}

function activeDeadlineExceeded(pod: Pod, now: number): PodFailure | null {
  const deadline = activeDeadline(pod);
  if (deadline === undefined || now < deadline) return null;
  return { reason: 'DeadlineExceeded', message: DEADLINE_EXCEEDED_MESSAGE };
}

/** The timeouts still ahead of the regular init containers running now, so the kubelet syncs when one ends. */
function runningInitDeadlines(pod: Pod, observed: ObservedPod, now: number): number[] {
  const out: number[] = [];
  for (const c of initContainers(pod)) {
    const status = newestByName(observed, c.name);
    if (status?.state !== 'running') continue;
    const deadline = initDeadline(pod, c, status);
    if (deadline !== undefined && deadline > now) out.push(deadline);
  }
  return out;
}

function earliest(times: (number | undefined)[]): number | null {
  const defined = times.filter((t): t is number => t !== undefined);
  return defined.length ? Math.min(...defined) : null;
}
