// PersistentVolumeClaim, PersistentVolume, StorageClass and StatefulSet validation and defaulting, in upstream's
// words (Kubernetes v1.30).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyDefaults } from '../../src/api/defaults.js';
import type { KubeObject } from '../../src/api/types.js';
import { formatFieldError } from '../../src/api/validation/field-error.js';
import { validateUpdate } from '../../src/api/validation/index.js';
import { messages } from './helpers.js';

function claim(spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: 'default', resourceVersion: '1' },
    spec,
    ...(status ? { status } : {}),
  };
}

const GOOD_CLAIM = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } };

describe('PersistentVolumeClaim', () => {
  test('a valid claim is defaulted to Filesystem and phase Pending', () => {
    const c = applyDefaults(claim(GOOD_CLAIM));
    assert.deepEqual(messages(c), []);
    assert.equal((c.spec as { volumeMode?: string }).volumeMode, 'Filesystem');
    assert.deepEqual(c.status, { phase: 'Pending' });
  });

  test('access modes and the storage request are required', () => {
    assert.deepEqual(messages(claim({})), [
      'spec.accessModes: Required value: at least 1 access mode is required',
      'spec.resources[storage]: Required value',
    ]);
  });

  test('unknown modes, ReadWriteOncePod with others and a zero request are refused', () => {
    assert.deepEqual(
      messages(
        claim({ accessModes: ['ReadWriteOncePod', 'ReadMany'], resources: { requests: { storage: '0' } } }),
      ),
      [
        'spec.accessModes: Unsupported value: "ReadMany": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
        'spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes',
        'spec.resources[storage]: Invalid value: "0": must be greater than zero',
      ],
    );
  });

  test('a bound claim may grow its request but nothing else; an unbound one may get its volumeName', () => {
    const bound = applyDefaults(claim({ ...GOOD_CLAIM, volumeName: 'pv1' }, { phase: 'Bound' }));
    const grown = applyDefaults(
      claim({ ...GOOD_CLAIM, volumeName: 'pv1', resources: { requests: { storage: '2Gi' } } }),
    );
    assert.deepEqual(validateUpdate(grown, bound).map(formatFieldError), []);
    const other = applyDefaults(claim({ ...GOOD_CLAIM, volumeName: 'pv1', accessModes: ['ReadWriteMany'] }));
    assert.deepEqual(validateUpdate(other, bound).map(formatFieldError), [
      'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    ]);
    const shrunk = applyDefaults(
      claim({ ...GOOD_CLAIM, volumeName: 'pv1', resources: { requests: { storage: '1Mi' } } }),
    );
    assert.deepEqual(validateUpdate(shrunk, bound).map(formatFieldError), [
      'spec.resources.requests.storage: Forbidden: field can not be less than previous value',
    ]);
    const pending = applyDefaults(claim(GOOD_CLAIM));
    const named = applyDefaults(claim({ ...GOOD_CLAIM, volumeName: 'pv1' }));
    assert.deepEqual(validateUpdate(named, pending).map(formatFieldError), []);
    const resized = applyDefaults(claim({ ...GOOD_CLAIM, resources: { requests: { storage: '2Gi' } } }));
    assert.equal(validateUpdate(resized, pending).length, 1);
  });
});

describe('PersistentVolume and StorageClass', () => {
  const pv = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'pv1' },
    spec,
  });

  test('a volume needs modes, a storage capacity and exactly one source; the policy defaults to Retain', () => {
    const ok = applyDefaults(
      pv({ accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, hostPath: { path: '/srv/x' } }),
    );
    assert.deepEqual(messages(ok), []);
    assert.equal(
      (ok.spec as { persistentVolumeReclaimPolicy?: string }).persistentVolumeReclaimPolicy,
      'Retain',
    );
    assert.deepEqual(messages(pv({ capacity: { storage: '1Gi' } })), [
      'spec.accessModes: Required value: must specify at least 1 access mode',
      'spec: Required value: must specify a volume type',
    ]);
    assert.deepEqual(
      messages(pv({ accessModes: ['ReadWriteOnce'], local: { path: '/srv' }, capacity: { storage: '1' } })),
      ['spec.nodeAffinity: Required value: Local volume requires node affinity'],
    );
  });

  test('a StorageClass needs a provisioner, known policies, and keeps them on update', () => {
    const sc = (extra: Record<string, unknown>): KubeObject => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'fast' },
      provisioner: 'podrun.dev/local-path',
      ...extra,
    });
    const ok = applyDefaults(sc({}));
    assert.equal(ok.reclaimPolicy, 'Delete');
    assert.equal(ok.volumeBindingMode, 'Immediate');
    assert.deepEqual(messages(sc({ reclaimPolicy: 'Recycle', volumeBindingMode: 'Later' })), [
      'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
      'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"',
    ]);
    const changed = applyDefaults(sc({ provisioner: 'other.io/x', reclaimPolicy: 'Retain' }));
    assert.deepEqual(validateUpdate(changed, ok).map(formatFieldError), [
      'provisioner: Forbidden: updates to provisioner are forbidden.',
      'reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.',
    ]);
  });
});

describe('StatefulSet', () => {
  const sts = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'app', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/d' }] }],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: GOOD_CLAIM }],
      ...spec,
    },
  });

  test('defaults as upstream, and a container may mount a claim template', () => {
    const d = applyDefaults(sts({})).spec as Record<string, unknown>;
    assert.equal(d.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(d.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.deepEqual(d.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
    assert.equal(d.replicas, 1);
    assert.equal(d.revisionHistoryLimit, 10);
    assert.deepEqual(messages(sts({})), []);
  });

  test('policies, a bad partition and a mismatched selector are refused', () => {
    assert.deepEqual(
      messages(
        sts({
          podManagementPolicy: 'Random',
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: -1 } },
          selector: { matchLabels: { app: 'other' } },
        }),
      ),
      [
        'spec.podManagementPolicy: Unsupported value: "Random": supported values: "OrderedReady", "Parallel"',
        'spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0',
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
      ],
    );
  });

  test('only some spec fields may change', () => {
    const old = applyDefaults(sts({}));
    const scaled = applyDefaults(sts({ replicas: 3 }));
    assert.deepEqual(validateUpdate(scaled, old).map(formatFieldError), []);
    const renamed = applyDefaults(sts({ serviceName: 'other' }));
    assert.deepEqual(validateUpdate(renamed, old).map(formatFieldError), [
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
  });
});
