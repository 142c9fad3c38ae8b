// containerInitInvariant from test/e2e/common/node/init_container.go: what must hold for every pod status the
// kubelet writes while init containers run.
import assert from 'node:assert/strict';
import type { PodStatus } from '../../src/api/types.js';

/** initialized(): whether every init container completed, or one failed; throws when the statuses contradict. */
export function initialized(status: PodStatus): { allInit: boolean; failed: boolean } {
  let allInit = true;
  let failed = false;
  for (const s of status.initContainerStatuses ?? []) {
    if (failed && !s.state?.waiting)
      throw new Error(`container ${s.name} is after a failed container but isn't waiting`);
    if (!allInit && !s.state?.waiting)
      throw new Error(`container ${s.name} is after an initializing container but isn't waiting`);
    const t = s.state?.terminated;
    if (!t) allInit = false;
    else if (t.exitCode !== 0) {
      allInit = false;
      failed = true;
    } else if (!s.ready) throw new Error(`container ${s.name} initialized but isn't marked as ready`);
  }
  return { allInit, failed };
}

export function initContainersInvariants(status: PodStatus): void {
  const { allInit, failed } = initialized(status);
  if (!allInit || failed) {
    for (const s of status.containerStatuses ?? []) {
      if (!s.state?.waiting || s.restartCount !== 0) {
        throw new Error(`container ${s.name} is not waiting but initialization not complete`);
      }
      if (s.state.waiting.reason !== 'PodInitializing') {
        throw new Error(`container ${s.name} should have reason PodInitializing: ${s.state.waiting.reason}`);
      }
    }
  }
  const c = status.conditions?.find((x) => x.type === 'Initialized');
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

/** containerInitInvariant(older, newer). */
export function containerInitInvariant(newer: PodStatus, older: PodStatus | undefined): void {
  if (older) {
    assert.equal(
      newer.initContainerStatuses?.length,
      older.initContainerStatuses?.length,
      'init container list changed',
    );
    initContainersInvariants(older);
  }
  initContainersInvariants(newer);
  if (older && initialized(older).allInit && !initialized(newer).allInit) {
    throw new Error('pod cannot be initialized and then regress to not being initialized');
  }
}
