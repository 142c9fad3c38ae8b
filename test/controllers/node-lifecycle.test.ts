// Conditions and cordon as NoSchedule taints, leaving the user's taints alone.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Node } from '../../src/api/types.js';
import { noScheduleTaints } from '../../src/controllers/node-lifecycle.js';

const NOW = '2026-12-05T12:00:00Z';
const node = (spec: Node['spec'], conditions: Array<[string, string]>): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'podrun' },
  spec,
  status: { conditions: conditions.map(([type, status]) => ({ type, status })) },
});

describe('noScheduleTaints', () => {
  test('a healthy, schedulable node needs no taint', () => {
    assert.equal(
      noScheduleTaints(
        node({}, [
          ['Ready', 'True'],
          ['DiskPressure', 'False'],
        ]),
        NOW,
      ),
      undefined,
    );
  });

  test('cordon and pressure add their taints after the user’s, with timeAdded', () => {
    const user = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    assert.deepEqual(
      noScheduleTaints(
        node({ unschedulable: true, taints: [user] }, [
          ['Ready', 'True'],
          ['DiskPressure', 'True'],
        ]),
        NOW,
      ),
      [
        user,
        { key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule', timeAdded: NOW },
        { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: NOW },
      ],
    );
    assert.deepEqual(noScheduleTaints(node({}, [['Ready', 'False']]), NOW), [
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule', timeAdded: NOW },
    ]);
  });

  test('taints whose cause went are removed; a NoExecute taint of the same key is not the controller’s here', () => {
    const spec = {
      taints: [
        { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: NOW },
        { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
      ],
    };
    assert.deepEqual(noScheduleTaints(node(spec, [['Ready', 'True']]), NOW), [
      { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
    ]);
  });
});
