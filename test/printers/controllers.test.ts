// The DaemonSet, CronJob and ReplicationController rows of `kubectl get` (and -o wide), as v1.32 prints them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { printerFor } from '../../src/printers/index.js';

const NOW = Date.parse('2026-01-01T12:10:00Z');
const CREATED = '2026-01-01T12:00:00Z';
const CONTAINERS = {
  containers: [
    { name: 'a', image: 'busybox' },
    { name: 'b', image: 'nginx' },
  ],
};

function table(
  kind: string,
  obj: Record<string, unknown>,
): { header: string[]; wide: string[]; cells: unknown[] } {
  const t = printerFor(kind)!([{ kind, apiVersion: 'v1', ...obj } as KubeObject], NOW);
  return {
    header: t.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name),
    wide: t.columnDefinitions.filter((c) => c.priority === 1).map((c) => c.name),
    cells: t.rows[0]!.cells,
  };
}

describe('workload controller printers', () => {
  test('DaemonSet: the status counts and the template node selector', () => {
    const t = table('DaemonSet', {
      metadata: { name: 'agent', creationTimestamp: CREATED },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { spec: { ...CONTAINERS, nodeSelector: { disk: 'ssd' } } },
      },
      status: {
        desiredNumberScheduled: 2,
        currentNumberScheduled: 2,
        numberReady: 1,
        updatedNumberScheduled: 1,
        numberAvailable: 1,
      },
    });
    assert.deepEqual(t.header, [
      'Name',
      'Desired',
      'Current',
      'Ready',
      'Up-to-date',
      'Available',
      'Node Selector',
      'Age',
    ]);
    assert.deepEqual(t.wide, ['Containers', 'Images', 'Selector']);
    assert.deepEqual(t.cells, [
      'agent',
      2,
      2,
      1,
      1,
      1,
      'disk=ssd',
      '10m',
      'a,b',
      'busybox,nginx',
      'app=agent',
    ]);
    const bare = table('DaemonSet', {
      metadata: { name: 'x', creationTimestamp: CREATED },
      spec: { template: { spec: CONTAINERS } },
    });
    assert.deepEqual(bare.cells.slice(1, 7), [0, 0, 0, 0, 0, '<none>']);
  });

  test('CronJob: schedule, time zone, suspend, active jobs and the last schedule', () => {
    const t = table('CronJob', {
      metadata: { name: 'tick', creationTimestamp: CREATED },
      spec: {
        schedule: '*/5 * * * *',
        timeZone: 'Europe/Paris',
        suspend: false,
        jobTemplate: { spec: { template: { spec: CONTAINERS } } },
      },
      status: { active: [{ name: 'tick-1' }], lastScheduleTime: '2026-01-01T12:05:00Z' },
    });
    assert.deepEqual(t.header, ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age']);
    assert.deepEqual(t.cells, [
      'tick',
      '*/5 * * * *',
      'Europe/Paris',
      'False',
      1,
      '5m',
      '10m',
      'a,b',
      'busybox,nginx',
      '<none>',
    ]);
    const never = table('CronJob', {
      metadata: { name: 'tick', creationTimestamp: CREATED },
      spec: { schedule: '@hourly', jobTemplate: { spec: { template: { spec: CONTAINERS } } } },
    });
    assert.deepEqual(never.cells.slice(2, 6), ['<none>', '<unset>', 0, '<none>']);
  });

  test('ReplicationController: desired, current, ready and the equality selector', () => {
    const t = table('ReplicationController', {
      metadata: { name: 'web', creationTimestamp: CREATED },
      spec: { replicas: 3, selector: { app: 'web', tier: 'fe' }, template: { spec: CONTAINERS } },
      status: { replicas: 2, readyReplicas: 1 },
    });
    assert.deepEqual(t.header, ['Name', 'Desired', 'Current', 'Ready', 'Age']);
    assert.deepEqual(t.cells, ['web', 3, 2, 1, '10m', 'a,b', 'busybox,nginx', 'app=web,tier=fe']);
  });
});
