// Ephemeral containers in the kubelet (computePodActions, SyncPod and convertToAPIContainerStatuses in
// pkg/kubelet/kuberuntime and kubelet_pods.go): each one starts once, in the running sandbox, as soon as it is
// in the spec (even before initialization completes), and is never restarted: once the runtime knows an
// instance of that name, whatever its state, nothing more is done. With targetContainerName it shares the
// target's PID namespace. Its status goes under ephemeralContainerStatuses, never ready, counting in no
// condition or phase.
import type { ContainerStatus, Pod } from '../api/types.js';
import { ephemeralContainers } from './pod-util.js';
import { newestByName, type ObservedPod } from './runtime-view.js';

/** Indices into spec.ephemeralContainers of those the runtime has no instance of. */
export function ephemeralContainersToStart(pod: Pod, observed: ObservedPod): number[] {
  const out: number[] = [];
  ephemeralContainers(pod).forEach((c, i) => {
    if (!newestByName(observed, c.name)) out.push(i);
  });
  return out;
}

/**
 * The runtime id of the container whose PID namespace the ephemeral container `name` joins: its target's
 * running instance. Undefined when it names no target; an Error when the target is not running.
 */
export function pidNamespaceTarget(pod: Pod, name: string, observed: ObservedPod): string | undefined {
  const spec = (pod.spec?.ephemeralContainers ?? []).find((c) => c.name === name);
  const target = spec?.targetContainerName;
  if (!target) return undefined;
  const instance = newestByName(observed, target);
  if (instance?.state !== 'running') throw new Error(`unable to find target container ${target}`);
  return instance.id;
}

/**
 * An ephemeral container is never ready and has no `started` (the prober does not look after it); otherwise
 * its status is converted as any container's.
 */
export function asEphemeralStatus(status: ContainerStatus): ContainerStatus {
  const { started: _started, ...rest } = status;
  return { ...rest, ready: false };
}
