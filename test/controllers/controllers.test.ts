import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { KubeObject, Pod } from '../../src/api/types.js';
import { createEventRecorder } from '../../src/apiserver/events.js';
import { createRegistry, type Registry } from '../../src/apiserver/registry.js';
import { endpointSubsets } from '../../src/controllers/endpoints.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { registryControllerClient } from '../../src/server/controller-client.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { FakeClock, flushMicrotasks } from '../../src/util/clock.js';

let registry: Registry;
let manager: ControllerManager;
let clock: FakeClock;
let nextIp = 2;

beforeEach(async () => {
  clock = new FakeClock();
  registry = await createRegistry({ store: openSqliteStore(':memory:'), clock, nodeName: 'podrun' });
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

async function pods(ns = 'default'): Promise<Pod[]> {
  return (await registry.list('pods', ns)).items as unknown as Pod[];
}

/** Plays the kubelet: every pod becomes Running and Ready (or the given phase). */
async function runPods(
  phase: 'Running' | 'Succeeded' | 'Failed' = 'Running',
  filter: (p: Pod) => boolean = () => true,
) {
  for (const p of await pods()) {
    if (!filter(p) || p.status?.phase === phase || p.metadata?.deletionTimestamp) continue;
    const ready = phase === 'Running' ? 'True' : 'False';
    const now = new Date(clock.now()).toISOString();
    await registry.updateStatus('pods', 'default', p.metadata!.name!, {
      ...p,
      status: {
        phase,
        podIP: `10.244.0.${nextIp++}`,
        conditions: [{ type: 'Ready', status: ready, lastTransitionTime: now }],
        containerStatuses: [
          {
            name: 'app',
            image: 'busybox',
            imageID: '',
            ready: ready === 'True',
            restartCount: 0,
            state:
              phase === 'Running'
                ? { running: { startedAt: now } }
                : { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, finishedAt: now } },
          },
        ],
      },
    });
  }
  await settle();
}

const template = (labels: Record<string, string>, image = 'busybox:1.36', restartPolicy?: string) => ({
  metadata: { labels },
  spec: {
    ...(restartPolicy ? { restartPolicy } : {}),
    containers: [
      { name: 'app', image, command: ['sleep', '3600'], ports: [{ name: 'http', containerPort: 8080 }] },
    ],
  },
});

const deployment = (replicas: number, image = 'busybox:1.36'): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }, image) },
});

describe('ReplicaSet controller', () => {
  test('creates spec.replicas pods owned by the ReplicaSet and deletes the surplus on scale-down', async () => {
    await registry.create('replicasets.apps', 'default', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rs1' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'a' } }, template: template({ app: 'a' }) },
    });
    await settle();
    let list = await pods();
    assert.equal(list.length, 3);
    for (const p of list) {
      assert.match(p.metadata!.name!, /^rs1-[a-z0-9]{5}$/);
      assert.equal(p.metadata?.ownerReferences?.[0]?.kind, 'ReplicaSet');
      assert.equal(p.metadata?.ownerReferences?.[0]?.controller, true);
    }
    await runPods();
    const rs = await registry.get('replicasets.apps', 'default', 'rs1');
    assert.deepEqual(
      { ...(rs.status as object), observedGeneration: undefined },
      {
        replicas: 3,
        fullyLabeledReplicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        observedGeneration: undefined,
      },
    );

    await registry.patch('replicasets.apps', 'default', 'rs1', 'merge', { spec: { replicas: 1 } });
    await settle();
    list = await pods();
    assert.equal(list.length, 1);
  });
});

describe('Deployment controller', () => {
  test('creates a ReplicaSet named after the pod-template-hash and reports availability', async () => {
    await registry.create('deployments.apps', 'default', deployment(2));
    await settle();
    const rsList = (await registry.list('replicasets.apps', 'default')).items;
    assert.equal(rsList.length, 1);
    const rs = rsList[0]!;
    const hash = rs.metadata.labels?.['pod-template-hash'];
    assert.ok(hash);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.equal((await pods()).length, 2);

    await runPods();
    const d = await registry.get('deployments.apps', 'default', 'web');
    const status = d.status as {
      availableReplicas?: number;
      updatedReplicas?: number;
      conditions?: { type: string; reason: string }[];
    };
    assert.equal(status.availableReplicas, 2);
    assert.equal(status.updatedReplicas, 2);
    assert.deepEqual(
      status.conditions?.map((c) => `${c.type}/${c.reason}`),
      ['Available/MinimumReplicasAvailable', 'Progressing/NewReplicaSetAvailable'],
    );
    const events = (await registry.list('events', 'default')).items.map((e) => e.message);
    assert.ok(events.includes(`Scaled up replica set web-${hash} from 0 to 2`), String(events));
  });

  test('a template change rolls out a new ReplicaSet and scales the old one to zero', async () => {
    await registry.create('deployments.apps', 'default', deployment(2));
    await settle();
    await runPods();
    await registry.patch('deployments.apps', 'default', 'web', 'strategic', {
      spec: { template: { spec: { containers: [{ name: 'app', image: 'busybox:1.37' }] } } },
    });
    // Each round: the kubelet starts what was created, the controller takes the next step.
    for (let i = 0; i < 6; i++) await runPods();
    const rsList = (await registry.list('replicasets.apps', 'default')).items;
    assert.equal(rsList.length, 2);
    const byRevision = new Map(
      rsList.map((r) => [r.metadata.annotations?.['deployment.kubernetes.io/revision'], r]),
    );
    const replicasOf = (rev: string) =>
      (byRevision.get(rev)?.spec as { replicas?: number } | undefined)?.replicas;
    assert.equal(replicasOf('1'), 0);
    assert.equal(replicasOf('2'), 2);
    const live = (await pods()).filter((p) => !p.metadata?.deletionTimestamp);
    assert.ok(live.every((p) => p.spec?.containers[0]?.image === 'busybox:1.37'));
  });
});

describe('Job controller', () => {
  const job = (backoffLimit = 6): KubeObject => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate' },
    spec: { backoffLimit, template: template({}, 'busybox', 'Never') },
  });

  test('a Job whose pod succeeds gets SuccessCriteriaMet and Complete with a completionTime', async () => {
    await registry.create('jobs.batch', 'default', job());
    await settle();
    const [pod] = await pods();
    assert.ok(pod);
    assert.match(pod.metadata!.name!, /^migrate-[a-z0-9]{5}$/);
    assert.equal(pod.metadata?.labels?.['batch.kubernetes.io/job-name'], 'migrate');
    await runPods('Succeeded');
    const j = await registry.get('jobs.batch', 'default', 'migrate');
    const status = j.status as {
      succeeded?: number;
      completionTime?: string;
      conditions?: { type: string }[];
    };
    assert.equal(status.succeeded, 1);
    assert.ok(status.completionTime);
    assert.deepEqual(
      status.conditions?.map((c) => c.type),
      ['SuccessCriteriaMet', 'Complete'],
    );
  });

  test('failures beyond backoffLimit fail the Job with BackoffLimitExceeded, replacements waiting the pod backoff', async () => {
    await registry.create('jobs.batch', 'default', job(1));
    await settle();
    await runPods('Failed');
    assert.equal((await pods()).length, 1, 'the replacement waits 10 s after the first failure');
    await clock.advance(10_000);
    await settle();
    assert.equal((await pods()).length, 2);
    await runPods('Failed');
    const j = await registry.get('jobs.batch', 'default', 'migrate');
    const status = j.status as { failed?: number; conditions?: { type: string; reason: string }[] };
    assert.equal(status.failed, 2);
    assert.deepEqual(
      status.conditions?.map((c) => `${c.type}/${c.reason}`),
      ['FailureTarget/BackoffLimitExceeded', 'Failed/BackoffLimitExceeded'],
    );
  });
});

describe('Endpoints controller', () => {
  test('lists ready pods under addresses and others under notReadyAddresses, resolving a named targetPort', async () => {
    await registry.create('services', 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] },
    });
    await registry.create('deployments.apps', 'default', deployment(2));
    await settle();
    const all = await pods();
    await runPods('Running', (p) => p.metadata?.name === all[0]?.metadata?.name);
    const ep = await registry.get('endpoints', 'default', 'web');
    const subsets = ep.subsets as { addresses?: { ip: string }[]; ports?: { port: number }[] }[];
    assert.equal(subsets.length, 1);
    assert.equal(subsets[0]?.addresses?.length, 1);
    assert.deepEqual(subsets[0]?.ports, [{ port: 8080, protocol: 'TCP' }]);
  });

  test('pods without an IP or terminal are left out', () => {
    const svc = { spec: { selector: { a: 'b' }, ports: [{ port: 80 }] } };
    const pod = (ip: string | undefined, phase: string): Pod => ({
      metadata: { name: `p-${phase}`, namespace: 'default' },
      spec: { containers: [] },
      status: { phase, ...(ip ? { podIP: ip } : {}) },
    });
    assert.deepEqual(endpointSubsets(svc, [pod(undefined, 'Pending'), pod('10.0.0.9', 'Succeeded')]), []);
  });
});
