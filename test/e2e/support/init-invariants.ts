// The invariants of upstream's test/e2e/common/node/init_container.go (`containerInitInvariant`,
// `initContainersInvariants`, `initialized`), checked on every version of the pod a watch delivers.
//
// Upstream states them but never enforces them: its `recordEvents` appends to a copy of the slice, so
// `checkInvariants` sees no events, and its result is ignored. Its `initialized` also reads
// `allInit && Waiting == nil` as an error for the very first init container, which would reject every
// completed init container. This port checks what the code's messages say it means (and what
// kubernetes-semantics.md §8a lists): every init status after an incomplete or failed one must be Waiting.
import type { Pod } from '../../../src/api/types.js';
import { initContainersInvariants, initialized } from '../../kubelet/invariants.js';

/** The kubelet has written status for the pod (before that, only the scheduler's PodScheduled exists). */
export function hasKubeletStatus(pod: Pod): boolean {
  return (
    (pod.status?.initContainerStatuses?.length ?? 0) > 0 || (pod.status?.containerStatuses?.length ?? 0) > 0
  );
}

/** containerInitInvariant(older, newer), plus the per-pod invariants on `newer` alone for the first version. */
export function containerInitInvariant(newer: Pod, older?: Pod): void {
  if ((newer.spec?.initContainers?.length ?? 0) === 0) return;
  if (!hasKubeletStatus(newer)) {
    if (older && hasKubeletStatus(older)) throw new Error('the kubelet status disappeared');
    return;
  }
  initContainersInvariants(newer.status ?? {});
  if (!older || !hasKubeletStatus(older)) return;
  if (older.spec?.initContainers?.length !== newer.spec?.initContainers?.length) {
    throw new Error('init container list changed');
  }
  if (older.metadata?.uid !== newer.metadata?.uid) {
    throw new Error(
      `two different pods exist in the condition: ${older.metadata?.uid} vs ${newer.metadata?.uid}`,
    );
  }
  if (initialized(older.status ?? {}).allInit && !initialized(newer.status ?? {}).allInit) {
    throw new Error('pod cannot be initialized and then regress to not being initialized');
  }
}
