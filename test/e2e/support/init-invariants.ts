// The invariants of upstream's test/e2e/common/node/init_container.go (`containerInitInvariant`,
// `initContainersInvariants`, `initialized`), checked on every version of the pod a watch delivers.
//
// Upstream states them but never enforces them: its `recordEvents` appends to a copy of the slice, so
// `checkInvariants` sees no events, and its result is ignored. Its `initialized` also reads
// `allInit && Waiting == nil` as an error for the very first init container, which would reject every
// completed init container. This port checks what the code's messages say it means (and what
// kubernetes-semantics.md §8a lists): every init status after an incomplete or failed one must be Waiting.
import type { Pod } from '../../../src/api/types.js';

/** The kubelet has written status for the pod (before that, only the scheduler's PodScheduled exists). */
export function hasKubeletStatus(pod: Pod): boolean {
  return (
    (pod.status?.initContainerStatuses?.length ?? 0) > 0 || (pod.status?.containerStatuses?.length ?? 0) > 0
  );
}

/** [all init containers done, some init container failed]; throws on an impossible combination. */
export function initialized(pod: Pod): { allInit: boolean; failed: boolean } {
  let allInit = true;
  let failed = false;
  for (const s of pod.status?.initContainerStatuses ?? []) {
    if (failed && !s.state?.waiting)
      throw new Error(`container ${s.name} is after a failed container but isn't waiting`);
    if (!allInit && !s.state?.waiting) {
      throw new Error(`container ${s.name} is after an initializing container but isn't waiting`);
    }
    const t = s.state?.terminated;
    if (!t) allInit = false;
    else if (t.exitCode !== 0) {
      allInit = false;
      failed = true;
    } else if (!s.ready) throw new Error(`container ${s.name} initialized but isn't marked as ready`);
  }
  return { allInit, failed };
}

export function initContainersInvariants(pod: Pod): void {
  const { allInit, failed } = initialized(pod);
  if (!allInit || failed) {
    for (const s of pod.status?.containerStatuses ?? []) {
      if (!s.state?.waiting || s.restartCount !== 0) {
        throw new Error(`container ${s.name} is not waiting but initialization not complete`);
      }
      if (s.state.waiting.reason !== 'PodInitializing') {
        throw new Error(`container ${s.name} should have reason PodInitializing: ${s.state.waiting.reason}`);
      }
    }
  }
  const c = pod.status?.conditions?.find((x) => x.type === 'Initialized');
  if (!c) throw new Error('pod does not have initialized condition');
  if (!c.lastTransitionTime) throw new Error('PodInitialized condition should always have a transition time');
  if (c.status === 'Unknown') throw new Error('PodInitialized condition should never be Unknown');
  if (c.status === 'True' && (failed || !allInit)) {
    throw new Error('PodInitialized condition was True but all not all containers initialized');
  }
  if (c.status === 'False' && !failed && allInit) {
    throw new Error('PodInitialized condition was False but all containers initialized');
  }
}

/** containerInitInvariant(older, newer), plus the per-pod invariants on `newer` alone for the first version. */
export function containerInitInvariant(newer: Pod, older?: Pod): void {
  if ((newer.spec?.initContainers?.length ?? 0) === 0) return;
  if (!hasKubeletStatus(newer)) {
    if (older && hasKubeletStatus(older)) throw new Error('the kubelet status disappeared');
    return;
  }
  initContainersInvariants(newer);
  if (!older || !hasKubeletStatus(older)) return;
  if (older.spec?.initContainers?.length !== newer.spec?.initContainers?.length) {
    throw new Error('init container list changed');
  }
  if (older.metadata?.uid !== newer.metadata?.uid) {
    throw new Error(
      `two different pods exist in the condition: ${older.metadata?.uid} vs ${newer.metadata?.uid}`,
    );
  }
  if (initialized(older).allInit && !initialized(newer).allInit) {
    throw new Error('pod cannot be initialized and then regress to not being initialized');
  }
}
