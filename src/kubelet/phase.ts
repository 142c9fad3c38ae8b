// getPhase (pkg/kubelet/kubelet_pods.go): the pod phase from the container statuses just generated.
import type { ContainerStatus, Pod } from '../api/types.js';
import { appContainers, initContainers, isSidecar, restartPolicy } from './pod-util.js';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

function find(list: readonly ContainerStatus[], name: string): ContainerStatus | undefined {
  return list.find((s) => s.name === name);
}

/**
 * `podIsTerminal`: every container is stopped and none will restart (a deleted pod once killed). Then
 * Always no longer means Running: the pod Succeeded or Failed by its app containers' exit codes.
 * `podHasInitialized`: an app container has started in the current sandbox (HasAnyActiveRegularContainerStarted);
 * statuses from a previous sandbox do not count, so a pod re-initializing after a reboot is Pending.
 */
export function getPhase(
  pod: Pod,
  initStatuses: readonly ContainerStatus[],
  statuses: readonly ContainerStatus[],
  podIsTerminal: boolean,
  podHasInitialized: boolean,
): PodPhase {
  let pendingRegularInit = 0;
  let pendingSidecars = 0;
  let failedInitialization = 0;
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;

  for (const c of initContainers(pod)) {
    const s = find(initStatuses, c.name);
    if (isSidecar(c)) {
      // Terminated sidecars do not count toward the phase.
      if (!s) {
        unknown++;
      } else if (s.state?.running) {
        if (!s.started) pendingSidecars++;
        running++;
      } else if (s.state?.terminated) {
        // ignored
      } else if (s.state?.waiting) {
        if (!s.lastState?.terminated) {
          pendingSidecars++;
          waiting++;
        }
      } else {
        pendingSidecars++;
        unknown++;
      }
      continue;
    }
    if (!s) {
      pendingRegularInit++;
    } else if (s.state?.running) {
      pendingRegularInit++;
    } else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInitialization++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInitialization++;
      } else {
        pendingRegularInit++;
      }
    } else {
      pendingRegularInit++;
    }
  }

  for (const c of appContainers(pod)) {
    const s = find(statuses, c.name);
    if (!s) unknown++;
    else if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }

  const policy = restartPolicy(pod);
  if (failedInitialization > 0 && policy === 'Never') return 'Failed';
  // Restarting sidecars do not take an initialized pod back to Pending.
  if (pendingRegularInit > 0 || (pendingSidecars > 0 && !podHasInitialized) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}
