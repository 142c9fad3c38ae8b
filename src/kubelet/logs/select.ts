// validateContainerLogStatus (pkg/kubelet/kubelet_pods.go): which container instance `kubectl logs` reads,
// or the kubelet's exact error when there is none.
import type { ContainerStatus, Pod } from '../../api/types.js';
import { LogError } from '../types.js';

export interface LogTarget {
  /** The selected instance's containerID as the status shows it (`<runtime>://<id>`). */
  containerID: string;
  /** The instance's restart count, for finding its log file when the runtime no longer knows it. */
  restartCount: number;
}

function findStatus(pod: Pod, name: string): ContainerStatus | undefined {
  const s = pod.status;
  return (
    s?.containerStatuses?.find((c) => c.name === name) ??
    s?.initContainerStatuses?.find((c) => c.name === name) ??
    s?.ephemeralContainerStatuses?.find((c) => c.name === name)
  );
}

/** Throws LogError with the kubelet's message when the container has no logs to show. */
export function selectLogTarget(pod: Pod, container: string, previous: boolean): LogTarget {
  const podName = pod.metadata?.name ?? '';
  const who = `container ${JSON.stringify(container)} in pod ${JSON.stringify(podName)}`;
  const cs = findStatus(pod, container);
  if (!cs) throw new LogError(`${who} is not available`);
  const last = cs.lastState?.terminated;
  const { waiting, running, terminated } = cs.state ?? {};
  const count = cs.restartCount ?? 0;
  // The last terminated run is the previous instance while a new one exists, and the newest one while the
  // container waits to restart (the kubelet moves the newest terminated state into lastState then).
  const lastCount = running || terminated ? Math.max(0, count - 1) : count;

  if (previous) {
    if (!last?.containerID) throw new LogError(`previous terminated ${who} not found`);
    return { containerID: last.containerID, restartCount: lastCount };
  }
  if (running) return { containerID: cs.containerID ?? '', restartCount: count };
  if (terminated) {
    if (terminated.containerID) return { containerID: terminated.containerID, restartCount: count };
    // The next instance did not start: show the last one that ran.
    if (last?.containerID) return { containerID: last.containerID, restartCount: lastCount };
    throw new LogError(`${who} is terminated`);
  }
  if (last) {
    if (!last.containerID) throw new LogError(`${who} is terminated`);
    return { containerID: last.containerID, restartCount: lastCount };
  }
  if (waiting) {
    switch (waiting.reason) {
      case 'ErrImagePull':
        throw new LogError(`${who} is waiting to start: image can't be pulled`);
      case 'ImagePullBackOff':
        throw new LogError(`${who} is waiting to start: trying and failing to pull image`);
      default:
        throw new LogError(`${who} is waiting to start: ${waiting.reason ?? ''}`);
    }
  }
  throw new LogError(`${who} is waiting to start - no logs yet`);
}
