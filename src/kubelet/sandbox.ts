// PodSandboxChanged (pkg/kubelet/kuberuntime/util/util.go): does this pod need a new sandbox?
import type { ObservedPod } from './runtime-view.js';

export interface SandboxDecision {
  /** No usable sandbox: kill the pod, create a new one, re-run init containers from index 0. */
  changed: boolean;
  /** The attempt number of the sandbox to create (the newest one's + 1), or of the one in use. */
  attempt: number;
  /** The newest sandbox's id ('' when there is none). */
  sandboxId: string;
}

/**
 * A new sandbox is needed when there is none, when the newest is not ready, or when more than one is ready.
 * podrun does not require an IP: a runtime that gives pods no address of their own reports '' (the pod then
 * uses the host's address, as hostNetwork pods do).
 */
export function podSandboxChanged(observed: ObservedPod): SandboxDecision {
  const newest = observed.sandboxes[0];
  if (!newest) return { changed: true, attempt: 0, sandboxId: '' };
  const ready = observed.sandboxes.filter((s) => s.state === 'ready').length;
  if (ready > 1 || newest.state !== 'ready') {
    return { changed: true, attempt: newest.metadata.attempt + 1, sandboxId: newest.id };
  }
  return { changed: false, attempt: newest.metadata.attempt, sandboxId: newest.id };
}
