// The PVC, PV, StorageClass, StatefulSet and ControllerRevision rows of `kubectl get`.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { printerFor } from '../../src/printers/index.js';

const NOW = Date.parse('2026-01-01T12:10:00Z');
const CREATED = '2026-01-01T12:00:00Z';

function rows(kind: string, obj: Record<string, unknown>): { header: string[]; cells: unknown[] } {
  const table = printerFor(kind)!([{ kind, apiVersion: 'v1', ...obj } as KubeObject], NOW);
  return {
    header: table.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name),
    cells: table.rows[0]!.cells,
  };
}

describe('storage printers', () => {
  test('a bound claim shows its volume, capacity and modes; an unbound one leaves them empty', () => {
    const bound = rows('PersistentVolumeClaim', {
      metadata: { name: 'data', creationTimestamp: CREATED },
      spec: { volumeName: 'pvc-1', storageClassName: 'standard', volumeMode: 'Filesystem' },
      status: {
        phase: 'Bound',
        accessModes: ['ReadWriteOnce', 'ReadWriteMany'],
        capacity: { storage: '1Gi' },
      },
    });
    assert.deepEqual(bound.header, [
      'Name',
      'Status',
      'Volume',
      'Capacity',
      'Access Modes',
      'StorageClass',
      'VolumeAttributesClass',
      'Age',
    ]);
    assert.deepEqual(bound.cells, [
      'data',
      'Bound',
      'pvc-1',
      '1Gi',
      'RWO,RWX',
      'standard',
      '<unset>',
      '10m',
      'Filesystem',
    ]);
    const pending = rows('PersistentVolumeClaim', {
      metadata: { name: 'data', creationTimestamp: CREATED, deletionTimestamp: CREATED },
      spec: { storageClassName: 'standard' },
      status: { phase: 'Pending' },
    });
    assert.deepEqual(pending.cells.slice(0, 5), ['data', 'Terminating', '', '', '']);
  });

  test('a volume names its claim; a class is marked (default)', () => {
    const pv = rows('PersistentVolume', {
      metadata: { name: 'pvc-1', creationTimestamp: CREATED },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        claimRef: { namespace: 'default', name: 'data' },
        storageClassName: 'standard',
      },
      status: { phase: 'Released' },
    });
    assert.deepEqual(pv.cells, [
      'pvc-1',
      '1Gi',
      'RWO',
      'Delete',
      'Released',
      'default/data',
      'standard',
      '<unset>',
      '',
      '10m',
      '<unset>',
    ]);
    const sc = rows('StorageClass', {
      metadata: {
        name: 'standard',
        creationTimestamp: CREATED,
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      provisioner: 'podrun.dev/local-path',
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
    });
    assert.deepEqual(sc.cells, [
      'standard (default)',
      'podrun.dev/local-path',
      'Delete',
      'WaitForFirstConsumer',
      'false',
      '10m',
    ]);
  });

  test('a StatefulSet shows ready/desired, a revision its controller', () => {
    const sts = rows('StatefulSet', {
      metadata: { name: 'web', creationTimestamp: CREATED },
      spec: { replicas: 3, template: { spec: { containers: [{ name: 'app', image: 'busybox' }] } } },
      status: { readyReplicas: 2 },
    });
    assert.deepEqual(sts.header, ['Name', 'Ready', 'Age']);
    assert.deepEqual(sts.cells, ['web', '2/3', '10m', 'app', 'busybox']);
    const cr = rows('ControllerRevision', {
      metadata: {
        name: 'web-abc',
        creationTimestamp: CREATED,
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true },
        ],
      },
      revision: 2,
    });
    assert.deepEqual(cr.cells, ['web-abc', 'statefulset.apps/web', 2, '10m']);
  });
});
