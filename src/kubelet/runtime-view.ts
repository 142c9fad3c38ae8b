// What the kubelet reads back from the runtime for one pod (kubecontainer.PodStatus): every sandbox and every
// container instance carrying the pod's UID label, newest first.
import {
  ANNOTATION_CONTAINER_HASH,
  ANNOTATION_RESTART_COUNT,
  type ContainerStatus,
  LABEL_CONTAINER_NAME,
  type PodSandboxStatus,
} from '../runtime/types.js';

export interface ObservedPod {
  /** Newest first (by createdAt, then attempt). */
  sandboxes: PodSandboxStatus[];
  /** Newest first (by createdAt, then restart count). */
  containers: ContainerStatus[];
}

export function containerName(c: ContainerStatus): string {
  return c.labels[LABEL_CONTAINER_NAME] ?? c.metadata.name;
}

/** The kubelet's restart count for an instance: its annotation, else the CRI attempt. */
export function restartCountOf(c: ContainerStatus): number {
  const n = Number.parseInt(c.annotations[ANNOTATION_RESTART_COUNT] ?? '', 10);
  return Number.isNaN(n) ? c.metadata.attempt : n;
}

export function hashOf(c: ContainerStatus): string {
  return c.annotations[ANNOTATION_CONTAINER_HASH] ?? '';
}

export function sortSandboxes(sandboxes: readonly PodSandboxStatus[]): PodSandboxStatus[] {
  return [...sandboxes].sort(
    (a, b) => b.createdAt - a.createdAt || b.metadata.attempt - a.metadata.attempt || (a.id < b.id ? 1 : -1),
  );
}

export function sortContainers(containers: readonly ContainerStatus[]): ContainerStatus[] {
  return [...containers].sort(
    (a, b) => b.createdAt - a.createdAt || restartCountOf(b) - restartCountOf(a) || (a.id < b.id ? 1 : -1),
  );
}

export function observe(
  sandboxes: readonly PodSandboxStatus[],
  containers: readonly ContainerStatus[],
): ObservedPod {
  return { sandboxes: sortSandboxes(sandboxes), containers: sortContainers(containers) };
}

/** FindContainerStatusByName: the newest instance of a container. */
export function newestByName(observed: ObservedPod, name: string): ContainerStatus | undefined {
  return observed.containers.find((c) => containerName(c) === name);
}

/** Every instance of a container, newest first. */
export function instancesByName(observed: ObservedPod, name: string): ContainerStatus[] {
  return observed.containers.filter((c) => containerName(c) === name);
}

/** isInitContainerFailed: non-zero exit, OOMKilled even with exit 0, or an unknown state. */
export function isInitContainerFailed(c: ContainerStatus): boolean {
  if (c.state === 'exited' && (c.exitCode !== 0 || c.reason === 'OOMKilled')) return true;
  return c.state === 'unknown';
}
