// A deletion grace period longer than a timer can wait (any int64 is valid): the kubelet waits the longest a
// timer can, instead of a timer that overflows and fires at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TIMER_SECONDS } from '../../src/api/grace-period.js';
import type { Pod } from '../../src/api/types.js';
import { container, UID } from './fixtures.js';
import { Harness } from './harness.js';

const GRACE = 99_999_999_999_999;

const running: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: UID },
  spec: { terminationGracePeriodSeconds: GRACE, containers: [container('app')] },
  status: { phase: 'Pending' },
};

/** `running` as the API server has it after a plain DELETE: its deadline clamped to the last RFC3339 second. */
const deleted: Pod = {
  ...running,
  metadata: {
    ...running.metadata,
    deletionTimestamp: '9999-12-31T23:59:59Z',
    deletionGracePeriodSeconds: GRACE,
  },
};

describe('huge grace periods', () => {
  it('a container is stopped with at most the longest wait a timer can take, and the pod finishes', async () => {
    const h = new Harness({ scripts: { app: { onSigterm: { exitCode: 0 } } } });
    await h.run(running);
    await h.until(UID, (s) => s.phase === 'Running');
    h.kubelet.upsertPod(deleted);
    await h.advance(5000);
    assert.deepEqual(
      h.runtime.calls.filter((c) => c.op === 'stopContainer').map((c) => [c.target, c.detail]),
      [['app', String(MAX_TIMER_SECONDS)]],
    );
    assert.deepEqual(h.finalized, [UID]);
    await h.stop();
  });
});
