// The persistent volume controller's decisions and the scheduler's volume checks, as pure functions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../../src/api/types.js';
import {
  decideClaim,
  decideVolume,
  SELECTED_NODE_ANNOTATION,
} from '../../src/controllers/volumes/decisions.js';
import { provisionedVolume } from '../../src/controllers/volumes/local-path.js';
import { admitPodVolumes, checkPodClaims, unschedulableMessage } from '../../src/server/volume-scheduling.js';

const wffc: StorageClass = {
  metadata: { name: 'standard' },
  provisioner: 'podrun.dev/local-path',
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'WaitForFirstConsumer',
};
const immediate: StorageClass = { ...wffc, metadata: { name: 'fast' }, volumeBindingMode: 'Immediate' };
const classes = new Map([
  ['standard', wffc],
  ['fast', immediate],
]);

function claim(
  className: string,
  extra: Partial<PersistentVolumeClaim['metadata']> = {},
): PersistentVolumeClaim {
  return {
    metadata: { name: 'data', namespace: 'default', uid: 'u1', ...extra },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      storageClassName: className,
      volumeMode: 'Filesystem',
    },
    status: { phase: 'Pending' },
  };
}

describe('claim decisions', () => {
  test('WaitForFirstConsumer waits until a node is selected, then provisions', () => {
    assert.deepEqual(decideClaim(claim('standard'), classes, []), { action: 'waitForFirstConsumer' });
    const selected = claim('standard', { annotations: { [SELECTED_NODE_ANNOTATION]: 'podrun' } });
    assert.equal(decideClaim(selected, classes, []).action, 'provision');
  });

  test('Immediate provisions at once; a missing class or no class says why', () => {
    assert.equal(decideClaim(claim('fast'), classes, []).action, 'provision');
    assert.deepEqual(decideClaim(claim('gone'), classes, []), {
      action: 'pending',
      reason: 'ProvisioningFailed',
      message: 'storageclass.storage.k8s.io "gone" not found',
    });
    assert.equal((decideClaim(claim(''), classes, []) as { reason: string }).reason, 'FailedBinding');
  });

  test('an available volume of the class, large enough, is bound rather than provisioned', () => {
    const small: PersistentVolume = {
      metadata: { name: 'small' },
      spec: {
        accessModes: ['ReadWriteOnce'],
        capacity: { storage: '1Mi' },
        storageClassName: 'fast',
        hostPath: { path: '/x' },
      },
      status: { phase: 'Available' },
    };
    const big = {
      ...small,
      metadata: { name: 'big' },
      spec: { ...small.spec, capacity: { storage: '5Gi' } },
    };
    const d = decideClaim(claim('fast'), classes, [small, big]);
    assert.equal(d.action, 'bind');
    assert.equal((d as { volume: PersistentVolume }).volume.metadata?.name, 'big');
  });

  test('a provisioned volume is bound to its claim, then released when the claim goes, then deleted', () => {
    const c = claim('standard');
    const pv = provisionedVolume(c, wffc, '/state/volumes', 'podrun');
    assert.equal(pv.metadata?.name, 'pvc-u1');
    assert.equal(pv.spec?.hostPath?.path, '/state/volumes/pvc-u1');
    assert.equal(pv.spec?.persistentVolumeReclaimPolicy, 'Delete');
    const withStatus = { ...pv, status: { phase: 'Pending' } } as PersistentVolume;
    const claims = new Map([['default/data', { ...c, spec: { ...c.spec, volumeName: 'pvc-u1' } }]]);
    assert.deepEqual(decideVolume(withStatus, claims), { action: 'phase', phase: 'Bound' });
    const bound = { ...pv, status: { phase: 'Bound' } } as PersistentVolume;
    assert.deepEqual(decideVolume(bound, new Map()), { action: 'phase', phase: 'Released' });
    const released = { ...pv, status: { phase: 'Released' } } as PersistentVolume;
    assert.deepEqual(decideVolume(released, new Map()), { action: 'delete' });
    const retained = { ...released, spec: { ...released.spec, persistentVolumeReclaimPolicy: 'Retain' } };
    assert.deepEqual(decideVolume(retained, new Map()), { action: 'none' });
  });
});

describe('scheduler volume checks', () => {
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'default' },
    spec: { containers: [], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] },
  };
  const deps = (c: PersistentVolumeClaim | undefined) => ({
    getClaim: async () => c,
    getClass: async (n: string) => classes.get(n),
  });

  test('a missing claim and an unbound immediate claim keep the pod Pending', async () => {
    assert.deepEqual(await checkPodClaims(deps(undefined), pod), {
      reason: 'persistentvolumeclaim "data" not found',
    });
    assert.deepEqual(await checkPodClaims(deps(claim('fast')), pod), {
      reason: 'pod has unbound immediate PersistentVolumeClaims',
    });
    assert.equal(
      unschedulableMessage('persistentvolumeclaim "data" not found'),
      '0/1 nodes are available: persistentvolumeclaim "data" not found. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
    );
  });

  test('a delayed claim lets the pod through and is returned for node selection', async () => {
    const r = await checkPodClaims(deps(claim('standard')), pod);
    assert.ok('delayed' in r);
    assert.equal(r.delayed.length, 1);
  });

  test('a delayed claim gets the node, and the pod is let through once the claim is bound', async () => {
    let c = claim('standard');
    const selected: string[] = [];
    let sleeps = 0;
    const ok = await admitPodVolumes(
      {
        nodeName: 'podrun',
        getClaim: async () => c,
        getClass: async (n: string) => classes.get(n),
        selectNode: async (_claim, node) => {
          selected.push(node);
        },
        markUnschedulable: async () => assert.fail('not unschedulable'),
        events: { event: () => {} },
        now: () => 0,
        sleep: async () => {
          sleeps++;
          // The provisioner binds the claim while the scheduler waits.
          c = { ...c, spec: { ...c.spec, volumeName: 'pvc-u1' }, status: { phase: 'Bound' } };
        },
      },
      pod,
    );
    assert.equal(ok, true);
    assert.deepEqual(selected, ['podrun']);
    assert.equal(sleeps, 1);
  });
});
