// The other cells of kubectl's pod row: RESTARTS in both regimes, AGE, the wide columns, row conditions and
// the column definitions the API server sends.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject, Pod } from '../../src/api/types.js';
import { podColumnDefinitions, podRestarts, printPodRow, printPods } from '../../src/printers/pod.js';
import {
  ago,
  app,
  condition,
  init,
  lastTerminated,
  NOW,
  pod,
  running,
  sidecar,
  terminated,
  waiting,
} from './pod-fixtures.js';

const restartsCell = (p: Pod) => printPodRow(p, NOW)[3];

describe('RESTARTS', () => {
  test('while initializing, RESTARTS sums the init containers up to the one the loop stopped at', () => {
    const p = pod({
      phase: 'Pending',
      initContainers: [init('a'), init('b'), init('c')],
      initStatuses: [
        terminated('a', 0, 'Completed', { restartCount: 1, ...lastTerminated(40) }),
        waiting('b', 'CrashLoopBackOff', { restartCount: 2, ...lastTerminated(10) }),
        waiting('c', 'PodInitializing', { restartCount: 5, ...lastTerminated(3) }),
      ],
      statuses: [waiting('app', 'PodInitializing', { restartCount: 7 })],
    });
    assert.equal(restartsCell(p), '3 (10s ago)');
  });

  test('once initialized, regular init containers drop out: only sidecars and app containers count', () => {
    const p = pod({
      phase: 'Running',
      initContainers: [init('migrate'), sidecar('proxy')],
      conditions: [condition('Initialized', 'True')],
      initStatuses: [
        terminated('migrate', 0, 'Completed', { restartCount: 4, ...lastTerminated(5) }),
        running('proxy', { restartCount: 1, ...lastTerminated(50) }),
      ],
      statuses: [running('app', { restartCount: 2, ...lastTerminated(10) })],
    });
    assert.equal(restartsCell(p), '3 (10s ago)');
    assert.deepEqual(podRestarts(p), { count: 3, lastRestart: NOW - 10_000 });
  });

  test('an initialized pod whose init loop stopped still counts only sidecars and app containers', () => {
    const p = pod({
      phase: 'Running',
      initContainers: [init('migrate'), sidecar('proxy')],
      conditions: [condition('Initialized', 'True')],
      initStatuses: [
        terminated('migrate', 0, 'Completed', { restartCount: 6 }),
        waiting('proxy', 'CrashLoopBackOff', { started: false, restartCount: 2, ...lastTerminated(70) }),
      ],
      statuses: [running('app', { restartCount: 1, ...lastTerminated(200) })],
    });
    assert.equal(restartsCell(p), '3 (70s ago)');
  });

  test('RESTARTS is a bare number when nothing restarted or no restart has a finish time', () => {
    assert.equal(restartsCell(pod({ phase: 'Running', statuses: [running('app')] })), '0');
    assert.equal(
      restartsCell(pod({ phase: 'Running', statuses: [running('app', { restartCount: 3 })] })),
      '3',
    );
  });

  test('the age of the newest restart is HumanDuration, like AGE', () => {
    const p = pod({
      phase: 'Running',
      statuses: [running('app', { restartCount: 12, ...lastTerminated(190) })],
    });
    assert.equal(restartsCell(p), '12 (3m10s ago)');
  });
});

describe('the pod row', () => {
  test('the row is NAME READY STATUS RESTARTS AGE then IP NODE NOMINATED NODE READINESS GATES', () => {
    const p: Pod = {
      ...pod({ name: 'test1', phase: 'Running', createdSecondsAgo: 11, statuses: [running('app')] }),
    };
    p.spec!.nodeName = 'local';
    p.spec!.readinessGates = [{ conditionType: 'c1' }, { conditionType: 'c2' }, { conditionType: 'c3' }];
    p.status!.podIPs = [{ ip: '10.88.0.2' }, { ip: 'fd00::2' }];
    p.status!.podIP = '10.88.0.2';
    p.status!.nominatedNodeName = 'node1';
    p.status!.conditions = [condition('c1', 'False'), condition('c2', 'True')];
    assert.deepEqual(printPodRow(p, NOW), [
      'test1',
      '1/1',
      'Running',
      '0',
      '11s',
      '10.88.0.2',
      'local',
      'node1',
      '1/3',
    ]);
  });

  test('unset wide fields print <none>, an unset creationTimestamp prints <unknown>', () => {
    const created = pod({ name: 'test2', phase: 'Pending' });
    const { creationTimestamp: _, ...metadata } = created.metadata!;
    const p: Pod = { ...created, metadata };
    assert.deepEqual(printPodRow(p, NOW), [
      'test2',
      '0/1',
      'Pending',
      '0',
      '<unknown>',
      '<none>',
      '<none>',
      '<none>',
      '<none>',
    ]);
  });

  test('a pod with only podIP set (not podIPs) shows it, as the internal conversion fills podIPs from it', () => {
    const p = pod({ phase: 'Running' });
    p.status!.podIP = '10.88.0.9';
    assert.equal(printPodRow(p, NOW)[5], '10.88.0.9');
  });

  test('rows of Succeeded and Failed pods carry the Completed row condition, others none', () => {
    const objects = [
      pod({ name: 'ok', phase: 'Succeeded' }),
      pod({ name: 'bad', phase: 'Failed' }),
      pod({ name: 'up', phase: 'Running' }),
    ] as unknown as KubeObject[];
    const table = printPods(objects, NOW);
    assert.deepEqual(table.rows[0]!.conditions, [
      {
        type: 'Completed',
        status: 'True',
        reason: 'Succeeded',
        message: 'The pod has completed successfully.',
      },
    ]);
    assert.deepEqual(table.rows[1]!.conditions, [
      { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
    ]);
    assert.equal(table.rows[2]!.conditions, undefined);
    assert.equal(table.rows[0]!.object, objects[0]);
  });

  test('the column definitions are upstream podColumnDefinitions', () => {
    assert.deepEqual(
      podColumnDefinitions.map((c) => [c.name, c.type, c.format, c.priority]),
      [
        ['Name', 'string', 'name', 0],
        ['Ready', 'string', '', 0],
        ['Status', 'string', '', 0],
        ['Restarts', 'string', '', 0],
        ['Age', 'string', '', 0],
        ['IP', 'string', '', 1],
        ['Node', 'string', '', 1],
        ['Nominated Node', 'string', '', 1],
        ['Readiness Gates', 'string', '', 1],
      ],
    );
    assert.match(podColumnDefinitions[0]!.description, /^Name must be unique within a namespace\./);
    assert.match(podColumnDefinitions[4]!.description, /^CreationTimestamp is a timestamp/);
    assert.equal(
      podColumnDefinitions[1]!.description,
      'The aggregate readiness state of this pod for accepting traffic.',
    );
  });

  test('a pod created in the future by more than the skew allowance has AGE <invalid>', () => {
    const created = pod({ phase: 'Pending' });
    const p: Pod = { ...created, metadata: { ...created.metadata, creationTimestamp: ago(-5) } };
    assert.equal(printPodRow(p, NOW)[4], '<invalid>');
  });

  test('app, regular init and sidecar definitions feed READY total', () => {
    const p = pod({ initContainers: [init('i'), sidecar('s')], containers: [app('a'), app('b')] });
    assert.equal(printPodRow(p, NOW)[1], '0/3');
  });
});
