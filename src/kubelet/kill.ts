// killContainer and killPodWithSyncResult (kuberuntime_container.go, kuberuntime_manager.go): a Killing event,
// the preStop hook bounded by the grace period, the container's turn in the termination order, then
// StopContainer with what is left of the grace (never less than 2 s).
import { waitableGraceSeconds } from '../api/grace-period.js';
import type { Container, Pod } from '../api/types.js';
import { ANNOTATION_TERMINATION_GRACE, type ContainerStatus, RuntimeError } from '../runtime/types.js';
import type { ExecutorDeps } from './executor.js';
import type { SyncResult } from './executor-types.js';
import type { KillReason } from './planner.js';
import { containerRef, findContainer, formatPod, hasSidecars, podGracePeriodSeconds } from './pod-util.js';
import { containerName, type ObservedPod } from './runtime-view.js';
import { TerminationOrdering } from './termination-order.js';

/** minimumGracePeriodInSeconds: containers always get a short window before SIGKILL. */
export const MINIMUM_GRACE_PERIOD_SECONDS = 2;

/** setTerminationGracePeriod: the deletion's grace, else the spec's, else a probe's own for probe kills. */
export function terminationGracePeriod(
  pod: Pod,
  container: Container | undefined,
  reason: KillReason | '',
): number {
  const deletion = pod.metadata?.deletionGracePeriodSeconds;
  if (deletion !== undefined && deletion !== null) return deletion;
  if (reason === 'StartupProbe' && container?.startupProbe?.terminationGracePeriodSeconds != null) {
    return container.startupProbe.terminationGracePeriodSeconds;
  }
  if (reason === 'LivenessProbe' && container?.livenessProbe?.terminationGracePeriodSeconds != null) {
    return container.livenessProbe.terminationGracePeriodSeconds;
  }
  return podGracePeriodSeconds(pod);
}

export interface KillOptions {
  /** The Killing event's message; default `Stopping container <name>`. */
  message?: string;
  reason?: KillReason | '';
  gracePeriodOverride?: number;
  ordering?: TerminationOrdering;
  podIP?: string;
}

export async function killContainer(
  deps: ExecutorDeps,
  pod: Pod,
  status: ContainerStatus,
  options: KillOptions = {},
): Promise<void> {
  const name = containerName(status);
  const spec = findContainer(pod, name)?.container;
  let grace = spec
    ? terminationGracePeriod(pod, spec, options.reason ?? '')
    : Number(status.annotations[ANNOTATION_TERMINATION_GRACE] ?? podGracePeriodSeconds(pod));
  deps.events.event(
    containerRef(pod, name),
    'Normal',
    'Killing',
    options.message || `Stopping container ${name}`,
  );
  if (options.gracePeriodOverride !== undefined) grace = options.gracePeriodOverride;
  // Any int64 is a valid grace period; the waits below are timers, which would end a longer one at once.
  grace = waitableGraceSeconds(grace);

  const preStop = spec?.lifecycle?.preStop;
  if (preStop && grace > 0 && spec) {
    grace -= await runPreStopHook(deps, pod, spec, status.id, grace, options.podIP ?? '');
  }
  if (options.ordering && grace > 0) {
    // Grace is in whole seconds: time spent waiting is truncated, as upstream.
    grace -= Math.trunc(await options.ordering.waitForTurn(name, grace));
  }
  grace = Math.max(grace, MINIMUM_GRACE_PERIOD_SECONDS);
  try {
    await deps.runtime.stopContainer(status.id, grace);
  } catch (e) {
    if (!(e instanceof RuntimeError && e.reason === 'NotFound')) throw e;
  }
  options.ordering?.containerTerminated(name);
}

/**
 * executePreStopHook: runs the hook and waits for it at most `grace` seconds (the hook itself keeps running),
 * returning the whole seconds spent.
 */
async function runPreStopHook(
  deps: ExecutorDeps,
  pod: Pod,
  container: Container,
  containerId: string,
  grace: number,
  podIP: string,
): Promise<number> {
  const start = deps.clock.now();
  const timeout = new AbortController();
  const hook = deps.collaborators
    .runHook(container.lifecycle!.preStop!, { pod, container, containerId, podIP })
    .then((r) => {
      if (!r.ok)
        deps.events.event(
          containerRef(pod, container.name),
          'Warning',
          'FailedPreStopHook',
          'PreStopHook failed',
        );
    })
    .catch(() => {
      deps.events.event(
        containerRef(pod, container.name),
        'Warning',
        'FailedPreStopHook',
        'PreStopHook failed',
      );
    });
  await Promise.race([hook, deps.clock.sleep(grace * 1000, timeout.signal).catch(() => {})]);
  timeout.abort();
  return Math.trunc((deps.clock.now() - start) / 1000);
}

/**
 * killPodWithSyncResult: every running container gets its own kill worker at once (so preStop hooks run
 * together); with sidecars, the termination ordering holds each SIGTERM back until its turn. Then the pod's
 * sandboxes are stopped.
 */
export async function killPod(
  deps: ExecutorDeps,
  pod: Pod,
  observed: ObservedPod,
  gracePeriodOverride?: number,
): Promise<SyncResult[]> {
  const running = observed.containers.filter((c) => c.state === 'running');
  const ordering = hasSidecars(pod)
    ? new TerminationOrdering(pod, running.map(containerName), deps.clock)
    : undefined;
  const podIP = observed.sandboxes[0]?.ip ?? '';
  const results = await Promise.all(
    running.map(async (c): Promise<SyncResult> => {
      const result: SyncResult = { action: 'KillContainer', target: containerName(c) };
      try {
        const options: KillOptions = { podIP };
        if (ordering) options.ordering = ordering;
        if (gracePeriodOverride !== undefined) options.gracePeriodOverride = gracePeriodOverride;
        await killContainer(deps, pod, c, options);
      } catch (e) {
        result.error = 'KillContainerError';
        result.message = (e as Error).message;
      }
      return result;
    }),
  );
  for (const sb of observed.sandboxes.filter((s) => s.state === 'ready')) {
    const result: SyncResult = { action: 'KillPodSandbox', target: formatPod(pod) };
    try {
      await deps.runtime.stopPodSandbox(sb.id);
    } catch (e) {
      result.error = 'KillPodSandboxError';
      result.message = (e as Error).message;
    }
    results.push(result);
  }
  return results;
}
