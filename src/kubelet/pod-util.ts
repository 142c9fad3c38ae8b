// Small questions the kubelet asks of a pod spec (pkg/api/v1/pod/util.go, kubecontainer/helpers.go), asked the
// same way by the planner, the status generator and the executor.
import type { Container, ObjectReference, Pod } from '../api/types.js';

export type ContainerKind = 'init' | 'sidecar' | 'app' | 'ephemeral';

/** A restartable init container ("native sidecar", KEP-753): an init container with `restartPolicy: Always`. */
export function isSidecar(container: Container): boolean {
  return container.restartPolicy === 'Always';
}

export function hasSidecars(pod: Pod): boolean {
  return (pod.spec?.initContainers ?? []).some(isSidecar);
}

export function initContainers(pod: Pod): Container[] {
  return pod.spec?.initContainers ?? [];
}

export function appContainers(pod: Pod): Container[] {
  return pod.spec?.containers ?? [];
}

/** spec.ephemeralContainers as containers (EphemeralContainerCommon is a Container's fields). */
export function ephemeralContainers(pod: Pod): Container[] {
  return (pod.spec?.ephemeralContainers ?? []).map(
    ({ targetContainerName: _target, ...c }) => c as Container,
  );
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export function restartPolicy(pod: Pod): RestartPolicy {
  const p = pod.spec?.restartPolicy;
  return p === 'OnFailure' || p === 'Never' ? p : 'Always';
}

/** shouldRestartOnFailure: init containers are retried unless the pod says Never. */
export function shouldRestartOnFailure(pod: Pod): boolean {
  return restartPolicy(pod) !== 'Never';
}

/** The spec entry named `name`, with where it sits (for events' fieldPath and the kind annotation). */
export function findContainer(
  pod: Pod,
  name: string,
): { container: Container; kind: ContainerKind; index: number } | undefined {
  const inits = initContainers(pod);
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i]!;
    if (c.name === name) return { container: c, kind: isSidecar(c) ? 'sidecar' : 'init', index: i };
  }
  const apps = appContainers(pod);
  for (let i = 0; i < apps.length; i++) {
    const c = apps[i]!;
    if (c.name === name) return { container: c, kind: 'app', index: i };
  }
  const ephemeral = ephemeralContainers(pod);
  for (let i = 0; i < ephemeral.length; i++) {
    const c = ephemeral[i]!;
    if (c.name === name) return { container: c, kind: 'ephemeral', index: i };
  }
  return undefined;
}

/** format.Pod: `web_default(3f2a…)`, used in backoff messages and events. */
export function formatPod(pod: Pod | undefined): string {
  return `${pod?.metadata?.name ?? ''}_${pod?.metadata?.namespace ?? ''}(${pod?.metadata?.uid ?? ''})`;
}

export function podUid(pod: Pod): string {
  return pod.metadata?.uid ?? '';
}

/**
 * HashContainer: podrun hashes only what the kubelet compares for restarts (name and image), so a changed
 * command or env does not restart a container, exactly as upstream since the hash was narrowed.
 */
export function containerHash(container: Container): string {
  // FNV-1a 32-bit over a canonical string: stable across processes, cheap, and enough to tell images apart.
  const text = `${container.name}\u0000${container.image ?? ''}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** getStableKey: the crash-loop backoff key; a changed image is a new key, so an image update resets backoff. */
export function backoffKey(pod: Pod, container: Container): string {
  const m = pod.metadata ?? {};
  return `${m.name ?? ''}_${m.namespace ?? ''}_${m.uid ?? ''}_${container.name}_${containerHash(container)}`;
}

/** The pod's grace in seconds: the deletion's when deleting, else the spec's (API default 30). */
export function podGracePeriodSeconds(pod: Pod): number {
  const deletion = pod.metadata?.deletionGracePeriodSeconds;
  if (deletion !== undefined && deletion !== null) return deletion;
  return pod.spec?.terminationGracePeriodSeconds ?? 30;
}

export function isTerminalPhase(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The pod as an event's involved object, without a resourceVersion. */
export function podRef(pod: Pod): ObjectReference {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    namespace: pod.metadata?.namespace,
    name: pod.metadata?.name,
    uid: pod.metadata?.uid,
  };
}

/** GenerateContainerRef: the object an event about this container is recorded against. */
export function containerRef(pod: Pod, name?: string): ObjectReference {
  const ref = podRef(pod);
  if (pod.metadata?.resourceVersion) ref.resourceVersion = pod.metadata.resourceVersion;
  if (name !== undefined) {
    const found = findContainer(pod, name);
    if (found) {
      const list =
        found.kind === 'app'
          ? 'containers'
          : found.kind === 'ephemeral'
            ? 'ephemeralContainers'
            : 'initContainers';
      ref.fieldPath = `spec.${list}{${name}}`;
    }
  }
  return ref;
}

/** RFC 3339 with seconds, as metav1.Time serialises. */
export function toTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function fromTime(time: string | undefined | null): number | undefined {
  if (!time) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms;
}
