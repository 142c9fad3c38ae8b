// The disruption and resource quota controllers through the controller manager: a budget's status follows
// its pods becoming ready and going, and a quota's status.used follows the pods and objects of its namespace
// (including a pod that finished, which stops counting its compute resources).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { PodDisruptionBudget, ResourceQuota } from '../../src/api/types.js';
import { createEventRecorder } from '../../src/apiserver/events.js';
import { createRegistry, type Registry } from '../../src/apiserver/registry.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { registryControllerClient } from '../../src/server/controller-client.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { FakeClock, flushMicrotasks } from '../../src/util/clock.js';

let registry: Registry;
let manager: ControllerManager;
let clock: FakeClock;

beforeEach(async () => {
  clock = new FakeClock();
  registry = await createRegistry({ store: openSqliteStore(':memory:'), clock, nodeName: 'local' });
  manager = new ControllerManager({
    client: registryControllerClient(registry),
    clock,
    recorderFor: (component) => createEventRecorder(registry, { component, clock }),
  });
  await manager.start();
});

afterEach(() => manager.stop());

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await flushMicrotasks();
    await manager.settled();
  }
}

async function createPod(name: string, resources: Record<string, Record<string, string>>): Promise<void> {
  await registry.create('pods', 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'web' } },
    spec: { containers: [{ name: 'app', image: 'busybox', resources }] },
  });
}

async function setPhase(name: string, phase: string, ready: boolean): Promise<void> {
  const p = await registry.get('pods', 'default', name);
  await registry.writePodStatus('default', name, p.metadata.uid, {
    phase,
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
  });
}

describe('policy controllers', () => {
  test('a budget counts its ready pods', async () => {
    await registry.create('poddisruptionbudgets.policy', 'default', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
    });
    await createPod('a', {});
    await createPod('b', {});
    await setPhase('a', 'Running', true);
    await setPhase('b', 'Running', true);
    await settle();
    const pdb = (await registry.get(
      'poddisruptionbudgets.policy',
      'default',
      'web',
    )) as unknown as PodDisruptionBudget;
    assert.deepEqual(
      { ...pdb.status, conditions: pdb.status?.conditions?.map((c) => [c.type, c.status, c.reason]) },
      {
        observedGeneration: 1,
        disruptionsAllowed: 1,
        currentHealthy: 2,
        desiredHealthy: 1,
        expectedPods: 2,
        conditions: [['DisruptionAllowed', 'True', 'SufficientPods']],
      },
    );
    await registry.delete('pods', 'default', 'b', { gracePeriodSeconds: 0 });
    await settle();
    const after = (await registry.get(
      'poddisruptionbudgets.policy',
      'default',
      'web',
    )) as unknown as PodDisruptionBudget;
    assert.equal(after.status?.disruptionsAllowed, 0);
    assert.equal(after.status?.conditions?.[0]?.reason, 'InsufficientPods');
  });

  test('a quota recounts what its namespace uses', async () => {
    await registry.create('resourcequotas', 'default', {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'compute' },
      spec: { hard: { pods: '5', 'requests.cpu': '2', 'limits.memory': '1Gi', 'count/configmaps': '9' } },
    });
    await createPod('a', { requests: { cpu: '500m' }, limits: { memory: '64Mi' } });
    await createPod('b', { limits: { cpu: '250m', memory: '64Mi' } });
    await registry.create('configmaps', 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
    });
    await settle();
    const quota = async () =>
      ((await registry.get('resourcequotas', 'default', 'compute')) as unknown as ResourceQuota).status;
    assert.deepEqual(await quota(), {
      hard: { 'count/configmaps': '9', 'limits.memory': '1Gi', pods: '5', 'requests.cpu': '2' },
      used: { 'count/configmaps': '1', 'limits.memory': '128Mi', pods: '2', 'requests.cpu': '750m' },
    });
    // A finished pod no longer holds its compute resources.
    await setPhase('a', 'Succeeded', false);
    await settle();
    assert.deepEqual((await quota())?.used, {
      'count/configmaps': '1',
      'limits.memory': '64Mi',
      pods: '1',
      'requests.cpu': '250m',
    });
  });
});
