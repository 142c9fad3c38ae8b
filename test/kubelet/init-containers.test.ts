// The four [sig-node] InitContainer [NodeConformance] tests (test/e2e/common/node/init_container.go), run on
// the fake runtime, with containerInitInvariant checked on every status the kubelet writes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import type { FakeBehaviour } from '../../src/runtime/fake/index.js';
import { container, UID } from './fixtures.js';
import { Harness } from './harness.js';
import { containerInitInvariant } from './invariants.js';

const TRUE: FakeBehaviour = { exitAfterMs: 100, exitCode: 0 };
const FALSE: FakeBehaviour = { exitAfterMs: 100, exitCode: 1 };

function pod(restartPolicy: 'Never' | 'Always' | undefined): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'pod-init', namespace: 'default', uid: UID },
    spec: {
      ...(restartPolicy ? { restartPolicy } : {}),
      initContainers: [container('init1'), container('init2')],
      containers: [container('run1', { resources: { limits: { cpu: '100m' } } })],
    },
    status: { phase: 'Pending' },
  };
}

describe('InitContainer [NodeConformance]', () => {
  it('should invoke init containers on a RestartNever pod', async () => {
    const h = new Harness({
      scripts: { init1: TRUE, init2: TRUE, run1: TRUE },
      invariant: containerInitInvariant,
    });
    await h.run(pod('Never'));
    const s = await h.until(UID, (st) => st.phase === 'Succeeded');
    assert.equal(s.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
    assert.equal(s.initContainerStatuses?.length, 2);
    for (const st of s.initContainerStatuses ?? []) {
      assert.equal(st.ready, true);
      assert.equal(st.state?.terminated?.exitCode, 0);
    }
    assert.deepEqual(h.calls('startContainer'), [
      'startContainer init1',
      'startContainer init2',
      'startContainer run1',
    ]);
    await h.stop();
  });

  it('should invoke init containers on a RestartAlways pod', async () => {
    const h = new Harness({ scripts: { init1: TRUE, init2: TRUE }, invariant: containerInitInvariant });
    await h.run(pod(undefined));
    const s = await h.until(UID, (st) => st.phase === 'Running');
    assert.equal(s.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
    assert.deepEqual(
      s.initContainerStatuses?.map((c) => [c.ready, c.state?.terminated?.exitCode]),
      [
        [true, 0],
        [true, 0],
      ],
    );
    assert.equal(s.qosClass, 'Burstable');
    await h.stop();
  });

  it('should not start app containers if init containers fail on a RestartAlways pod', async () => {
    const h = new Harness({
      scripts: { init1: FALSE, init2: TRUE },
      invariant: (s, prev) => {
        containerInitInvariant(s, prev);
        const [init1, init2] = s.initContainerStatuses ?? [];
        assert.equal(s.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
        assert.equal(init2?.state?.waiting?.reason, 'PodInitializing');
        assert.notEqual(init1?.state?.terminated?.exitCode, 0);
      },
    });
    await h.run(pod(undefined));
    await h.until(UID, (st) => st.initContainerStatuses?.[0]?.lastState?.terminated !== undefined);
    const s = await h.until(UID, (st) => (st.initContainerStatuses?.[0]?.restartCount ?? 0) >= 3);
    assert.equal(s.phase, 'Pending');
    const init = s.conditions?.find((c) => c.type === 'Initialized');
    assert.equal(init?.status, 'False');
    assert.equal(init?.reason, 'ContainersNotInitialized');
    assert.equal(init?.message, 'containers with incomplete status: [init1 init2]');
    assert.equal(s.initContainerStatuses?.length, 2);
    assert.deepEqual(
      h.calls('startContainer').filter((c) => c !== 'startContainer init1'),
      [],
    );
    await h.stop();
  });

  it('should not start app containers and fail the pod if init containers fail on a RestartNever pod', async () => {
    const h = new Harness({
      scripts: { init1: TRUE, init2: FALSE, run1: TRUE },
      invariant: containerInitInvariant,
    });
    await h.run(pod('Never'));
    const s = await h.until(UID, (st) => st.phase === 'Failed');
    const [init1, init2] = s.initContainerStatuses ?? [];
    assert.equal(init1?.state?.terminated?.exitCode, 0);
    assert.notEqual(init2?.state?.terminated?.exitCode, 0);
    const init = s.conditions?.find((c) => c.type === 'Initialized');
    assert.deepEqual(
      [init?.status, init?.reason, init?.message],
      ['False', 'ContainersNotInitialized', 'containers with incomplete status: [init2]'],
    );
    assert.ok(s.containerStatuses?.[0]?.state?.waiting);
    assert.ok(!h.calls('startContainer').includes('startContainer run1'));
    await h.stop();
  });
});
