// A podrun extension for faster failure loops (docs/lifecycle.md, "Init container timeouts"): a regular init
// container may be given a time limit through pod annotations. When a run outlives it, the planner kills it
// and the failed run is reported with reason InitTimeout, so restartPolicy and crash-loop backoff apply as to
// any failed init container. Kubernetes has no such field (a stuck init container waits forever, or until
// activeDeadlineSeconds ends the whole pod), so it is off unless annotated.
//
// Whether a run timed out is read back from the runtime alone (it failed, and it lasted the timeout or
// longer), not remembered: the kubelet keeps no state machine, and a restarted kubelet reports the same.
import { INIT_TIMEOUT_ANNOTATION, INIT_TIMEOUT_PREFIX, parseTimeout } from '../api/init-timeout.js';
import type { Container, Pod } from '../api/types.js';
import type { ContainerStatus } from '../runtime/types.js';
import { goDuration } from '../util/go-format.js';
import { isSidecar } from './pod-util.js';
import { isInitContainerFailed } from './runtime-view.js';

export const INIT_TIMEOUT_REASON = 'InitTimeout';

/** Which annotation sets a container's timeout: its own, else the pod-wide one; undefined when neither. */
export function initTimeoutAnnotation(pod: Pod, name: string): string | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  if (annotations[`${INIT_TIMEOUT_PREFIX}${name}`] !== undefined) return `${INIT_TIMEOUT_PREFIX}${name}`;
  if (annotations[INIT_TIMEOUT_ANNOTATION] !== undefined) return INIT_TIMEOUT_ANNOTATION;
  return undefined;
}

/**
 * The timeout of an init container in ms; undefined for sidecars (they run for the pod's life), app
 * containers, and when no valid annotation applies (validation refuses invalid values at admission).
 */
export function initTimeoutOf(pod: Pod, container: Container): number | undefined {
  if (isSidecar(container)) return undefined;
  if (!(pod.spec?.initContainers ?? []).some((c) => c.name === container.name)) return undefined;
  const key = initTimeoutAnnotation(pod, container.name);
  return key === undefined ? undefined : parseTimeout(pod.metadata?.annotations?.[key] ?? '');
}

/** When a running instance's time is up (ms), or undefined without a timeout. */
export function initDeadline(pod: Pod, container: Container, status: ContainerStatus): number | undefined {
  const timeout = initTimeoutOf(pod, container);
  if (timeout === undefined || status.startedAt <= 0) return undefined;
  return status.startedAt + timeout;
}

/** A stopped instance that failed after lasting at least its timeout: the planner's kill, or as good as. */
export function initTimedOut(pod: Pod, container: Container, status: ContainerStatus): boolean {
  const timeout = initTimeoutOf(pod, container);
  if (timeout === undefined || status.state !== 'exited' || !isInitContainerFailed(status)) return false;
  return status.startedAt > 0 && status.finishedAt - status.startedAt >= timeout;
}

/** The Killing event's message and the terminated state's message. */
export function initTimeoutMessage(pod: Pod, container: Container): string {
  const timeout = initTimeoutOf(pod, container) ?? 0;
  const key = initTimeoutAnnotation(pod, container.name) ?? INIT_TIMEOUT_ANNOTATION;
  return `Init container ${container.name} exceeded its timeout of ${goDuration(timeout)} (annotation ${key})`;
}
