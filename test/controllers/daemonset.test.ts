// The DaemonSet controller: its pure plan (which nodes run a daemon pod, per nodeSelector, affinity and taints;
// rolling updates within maxUnavailable or maxSurge; status counts), and the controller over an in-process
// registry with the test playing the scheduler and kubelet: one pinned pod per node, status, ControllerRevisions
// across a template change and a rollback, and OnDelete.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { ControllerRevision, DaemonSet, Node, Pod } from '../../src/api/types.js';
import { createEventRecorder } from '../../src/apiserver/events.js';
import { createRegistry, type Registry } from '../../src/apiserver/registry.js';
import {
  DAEMONSET_HASH_LABEL,
  daemonSetStatusCounts,
  nodeShouldRunDaemonPod,
  planDaemonSet,
  targetNodeOf,
} from '../../src/controllers/daemonset-plan.js';
import { FailedPodsBackoff } from '../../src/controllers/failed-pods-backoff.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { registryControllerClient } from '../../src/server/controller-client.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { FakeClock, flushMicrotasks } from '../../src/util/clock.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function node(name: string, extra: Partial<Node['spec']> = {}, labels: Record<string, string> = {}): Node {
  return { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: { ...extra } };
}

function ds(spec: Record<string, unknown> = {}, templateSpec: Record<string, unknown> = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid', generation: 1 },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { containers: [{ name: 'a', image: 'busybox' }], ...templateSpec },
      },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      ...spec,
    },
  } as DaemonSet;
}

function pod(
  name: string,
  nodeName: string,
  hash: string,
  opts: { ready?: boolean; phase?: string; at?: number } = {},
): Pod {
  const at = opts.at ?? T0;
  return {
    metadata: {
      name,
      namespace: 'default',
      creationTimestamp: iso(at),
      labels: { [DAEMONSET_HASH_LABEL]: hash },
    },
    spec: { nodeName, containers: [] },
    status: {
      phase: opts.phase ?? 'Running',
      conditions:
        opts.ready === false ? [] : [{ type: 'Ready', status: 'True', lastTransitionTime: iso(at) }],
    },
  } as Pod;
}

describe('DaemonSet plan', () => {
  test('nodeSelector, node affinity and taints decide where a daemon pod runs', () => {
    assert.deepEqual(nodeShouldRunDaemonPod(node('n1'), ds()), {
      shouldRun: true,
      shouldContinueRunning: true,
    });
    const selecting = ds({}, { nodeSelector: { disk: 'ssd' } });
    assert.equal(nodeShouldRunDaemonPod(node('n1'), selecting).shouldRun, false);
    assert.equal(nodeShouldRunDaemonPod(node('n1', {}, { disk: 'ssd' }), selecting).shouldRun, true);
    // Cordoned and pressure-tainted nodes still run daemon pods: the controller adds those tolerations.
    const cordoned = node('n1', {
      unschedulable: true,
      taints: [
        { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' },
      ],
    });
    assert.equal(nodeShouldRunDaemonPod(cordoned, ds()).shouldRun, true);
    // A NoSchedule taint of its own keeps new pods off but lets a running one stay; NoExecute evicts it.
    const noSchedule = node('n1', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
    assert.deepEqual(nodeShouldRunDaemonPod(noSchedule, ds()), {
      shouldRun: false,
      shouldContinueRunning: true,
    });
    const noExecute = node('n1', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] });
    assert.deepEqual(nodeShouldRunDaemonPod(noExecute, ds()), {
      shouldRun: false,
      shouldContinueRunning: false,
    });
    const tolerating = ds({}, { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db' }] });
    assert.equal(nodeShouldRunDaemonPod(noExecute, tolerating).shouldRun, true);
    const affinity = ds(
      {},
      {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] },
              ],
            },
          },
        },
      },
    );
    assert.equal(nodeShouldRunDaemonPod(node('n1'), affinity).shouldRun, false);
    assert.equal(nodeShouldRunDaemonPod(node('n2'), affinity).shouldRun, true);
  });

  test('creates a pod where one is missing, deletes extras and pods on nodes that should not run one', () => {
    const plan = planDaemonSet({
      ds: ds({}, { nodeSelector: { role: 'x' } }),
      nodes: [node('n1', {}, { role: 'x' }), node('n2', {}, { role: 'x' }), node('n3')],
      podsByNode: new Map([
        ['n2', [pod('old', 'n2', 'h', { at: T0 }), pod('young', 'n2', 'h', { at: T0 + 1000 })]],
        ['n3', [pod('stray', 'n3', 'h')]],
      ]),
      hash: 'h',
      now: T0 + 5000,
    });
    assert.deepEqual(plan.create, ['n1']);
    assert.deepEqual(plan.delete.sort(), ['stray', 'young']);
  });

  test('a failed daemon pod is deleted with a FailedDaemonPod warning', () => {
    const plan = planDaemonSet({
      ds: ds(),
      nodes: [node('n1')],
      podsByNode: new Map([['n1', [pod('p', 'n1', 'h', { phase: 'Failed' })]]]),
      hash: 'h',
      now: T0,
    });
    assert.deepEqual(plan.delete, ['p']);
    assert.deepEqual(plan.events, [
      {
        type: 'Warning',
        reason: 'FailedDaemonPod',
        message: 'Found failed daemon pod default/p on node n1, will try to kill it',
      },
    ]);
  });

  test('failed daemon pods on a node are deleted with a backoff: 1 s, then doubling', () => {
    const backoff = new FailedPodsBackoff();
    const plan = (now: number) =>
      planDaemonSet({
        ds: ds(),
        nodes: [node('n1')],
        podsByNode: new Map([['n1', [pod('p', 'n1', 'h', { phase: 'Failed' })]]]),
        hash: 'h',
        now,
        backoff,
      });
    assert.deepEqual(plan(T0).delete, ['p']);
    // The replacement failed at once: it waits out the second.
    const waiting = plan(T0 + 500);
    assert.deepEqual(
      [waiting.delete, waiting.create, waiting.events, waiting.requeueAfterMs],
      [[], [], [], 1000],
    );
    assert.deepEqual(plan(T0 + 1000).delete, ['p']);
    assert.equal(plan(T0 + 2500).requeueAfterMs, 2000);
    assert.deepEqual(plan(T0 + 3000).delete, ['p']);
  });

  test('rolling update with maxUnavailable deletes old pods first, at most maxUnavailable at a time', () => {
    const nodes = [node('n1'), node('n2'), node('n3')];
    const podsByNode = new Map([
      ['n1', [pod('a', 'n1', 'old')]],
      ['n2', [pod('b', 'n2', 'old')]],
      ['n3', [pod('c', 'n3', 'old')]],
    ]);
    const one = planDaemonSet({ ds: ds(), nodes, podsByNode, hash: 'new', now: T0 });
    assert.equal(one.delete.length, 1);
    assert.deepEqual(one.create, []);
    const two = planDaemonSet({
      ds: ds({
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '50%', maxSurge: 0 } },
      }),
      nodes,
      podsByNode,
      hash: 'new',
      now: T0,
    });
    // 50% of 3, rounded up.
    assert.equal(two.delete.length, 2);
    // A new pod not yet ready counts against maxUnavailable: nothing more goes.
    const waiting = planDaemonSet({
      ds: ds(),
      nodes,
      podsByNode: new Map([
        ['n1', [pod('a2', 'n1', 'new', { ready: false })]],
        ['n2', [pod('b', 'n2', 'old')]],
        ['n3', [pod('c', 'n3', 'old')]],
      ]),
      hash: 'new',
      now: T0,
    });
    assert.deepEqual(waiting, { create: [], delete: [], events: [] });
    // OnDelete leaves old pods alone.
    const onDelete = planDaemonSet({
      ds: ds({ updateStrategy: { type: 'OnDelete' } }),
      nodes,
      podsByNode,
      hash: 'new',
      now: T0,
    });
    assert.deepEqual(onDelete, { create: [], delete: [], events: [] });
  });

  test('rolling update with maxSurge creates the new pod first and deletes the old one once it is available', () => {
    const surge = ds({
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    });
    const nodes = [node('n1')];
    const first = planDaemonSet({
      ds: surge,
      nodes,
      podsByNode: new Map([['n1', [pod('a', 'n1', 'old')]]]),
      hash: 'new',
      now: T0,
    });
    assert.deepEqual(first, { create: ['n1'], delete: [], events: [] });
    const notYet = planDaemonSet({
      ds: surge,
      nodes,
      podsByNode: new Map([
        ['n1', [pod('a', 'n1', 'old'), pod('a2', 'n1', 'new', { ready: false, at: T0 + 1 })]],
      ]),
      hash: 'new',
      now: T0,
    });
    assert.deepEqual(notYet, { create: [], delete: [], events: [] });
    const ready = planDaemonSet({
      ds: surge,
      nodes,
      podsByNode: new Map([['n1', [pod('a', 'n1', 'old'), pod('a2', 'n1', 'new', { at: T0 + 1 })]]]),
      hash: 'new',
      now: T0 + 1000,
    });
    assert.deepEqual(ready.delete, ['a']);
  });

  test('status counts: desired, current, ready, up to date, available, misscheduled', () => {
    const counts = daemonSetStatusCounts({
      ds: ds({ minReadySeconds: 10 }, { nodeSelector: { role: 'x' } }),
      nodes: [
        node('n1', {}, { role: 'x' }),
        node('n2', {}, { role: 'x' }),
        node('n3', {}, { role: 'x' }),
        node('n4'),
      ],
      podsByNode: new Map([
        ['n1', [pod('a', 'n1', 'new', { at: T0 })]],
        ['n2', [pod('b', 'n2', 'old', { at: T0 + 9000 })]],
        ['n4', [pod('d', 'n4', 'new')]],
      ]),
      hash: 'new',
      now: T0 + 10_000,
    });
    assert.deepEqual(counts, {
      desiredNumberScheduled: 3,
      currentNumberScheduled: 2,
      numberMisscheduled: 1,
      numberReady: 2,
      updatedNumberScheduled: 1,
      numberAvailable: 1,
      numberUnavailable: 2,
    });
  });
});

describe('DaemonSet controller', () => {
  let registry: Registry;
  let manager: ControllerManager;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock();
    registry = await createRegistry({ store: openSqliteStore(':memory:'), clock, nodeName: 'podrun' });
    if (!(await registry.find('nodes', undefined, 'podrun'))) {
      await registry.create('nodes', undefined, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'podrun', labels: { 'kubernetes.io/hostname': 'podrun' } },
        spec: {},
      });
    }
    manager = new ControllerManager({
      client: registryControllerClient(registry),
      clock,
      recorderFor: (component) => createEventRecorder(registry, { component, clock }),
    });
    await manager.start();
  });
  afterEach(() => manager.stop());

  async function settle(): Promise<void> {
    for (let i = 0; i < 6; i++) {
      await flushMicrotasks();
      await manager.settled();
    }
  }
  const pods = async () => (await registry.list('pods', 'default')).items as unknown as Pod[];
  const getDs = async () =>
    (await registry.get('daemonsets.apps', 'default', 'agent')) as unknown as DaemonSet;
  const revisions = async () =>
    (
      (await registry.list('controllerrevisions.apps', 'default')).items as unknown as ControllerRevision[]
    ).sort((a, b) => a.revision - b.revision);

  /** Plays the scheduler and the kubelet: pods are bound to their node, Running and Ready. */
  async function runPods(): Promise<void> {
    for (const p of await pods()) {
      if (p.metadata?.deletionTimestamp) {
        await registry.delete('pods', 'default', p.metadata.name!, { gracePeriodSeconds: 0 });
        continue;
      }
      if (p.status?.phase === 'Running') continue;
      const bound = p.spec?.nodeName
        ? p
        : ((await registry.bind(
            'default',
            p.metadata!.name!,
            p.metadata!.uid,
            targetNodeOf(p)!,
          )) as unknown as Pod);
      await registry.updateStatus('pods', 'default', p.metadata!.name!, {
        ...bound,
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(clock.now()) }],
        },
      });
    }
    await settle();
  }

  const manifest = (image: string, strategy?: Record<string, unknown>) => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image }] } },
      ...(strategy ? { updateStrategy: strategy } : {}),
    },
  });

  test('one pod pinned to the node, with daemon tolerations, and the status counts', async () => {
    await registry.create('daemonsets.apps', 'default', manifest('busybox:1'));
    await settle();
    const created = await getDs();
    assert.equal(created.metadata?.annotations?.['deprecated.daemonset.template.generation'], '1');
    assert.deepEqual(created.spec?.updateStrategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    const [p, ...rest] = await pods();
    assert.equal(rest.length, 0);
    assert.match(p!.metadata!.name!, /^agent-[a-z0-9]{5}$/);
    assert.equal(targetNodeOf(p!), 'podrun');
    assert.equal(p!.metadata?.labels?.['pod-template-generation'], '1');
    assert.ok(p!.spec?.tolerations?.some((t) => t.key === 'node.kubernetes.io/unschedulable'));
    const [rev] = await revisions();
    assert.equal(p!.metadata?.labels?.[DAEMONSET_HASH_LABEL], rev!.metadata!.name!.slice('agent-'.length));
    assert.equal(rev!.revision, 1);
    assert.deepEqual((await getDs()).status, {
      currentNumberScheduled: 1,
      numberMisscheduled: 0,
      desiredNumberScheduled: 1,
      numberReady: 0,
      observedGeneration: 1,
      updatedNumberScheduled: 1,
      numberUnavailable: 1,
    });
    await runPods();
    const status = (await getDs()).status;
    assert.equal(status?.numberReady, 1);
    assert.equal(status?.numberAvailable, 1);
    assert.equal(status?.updatedNumberScheduled, 1);
    assert.equal(status?.numberUnavailable, undefined);
  });

  test('a template change rolls the pod to a new revision; going back makes the old revision the newest', async () => {
    await registry.create('daemonsets.apps', 'default', manifest('busybox:1'));
    await settle();
    await runPods();
    const first = (await pods())[0]!;
    await registry.patch('daemonsets.apps', 'default', 'agent', 'merge', {
      spec: { template: { spec: { containers: [{ name: 'a', image: 'busybox:2' }] } } },
    });
    await settle();
    assert.equal((await getDs()).metadata?.annotations?.['deprecated.daemonset.template.generation'], '2');
    // maxUnavailable 1: the old pod goes first, then its replacement comes.
    assert.ok(
      (await pods()).find((p) => p.metadata?.name === first.metadata?.name)?.metadata?.deletionTimestamp,
    );
    await runPods();
    await runPods();
    const [second] = await pods();
    assert.equal(second!.spec?.containers[0]?.image, 'busybox:2');
    let revs = await revisions();
    assert.deepEqual(
      revs.map((r) => r.revision),
      [1, 2],
    );
    assert.equal((await getDs()).status?.updatedNumberScheduled, 1);
    // Rolling back to the first template reuses its revision, renumbered 3.
    await registry.patch('daemonsets.apps', 'default', 'agent', 'merge', {
      spec: { template: { spec: { containers: [{ name: 'a', image: 'busybox:1' }] } } },
    });
    await settle();
    await runPods();
    await runPods();
    revs = await revisions();
    assert.deepEqual(
      revs.map((r) => r.revision),
      [2, 3],
    );
    assert.equal(
      (await pods())[0]!.metadata?.labels?.[DAEMONSET_HASH_LABEL],
      first.metadata?.labels?.[DAEMONSET_HASH_LABEL],
    );
  });

  test('OnDelete: a template change waits for the pod to be deleted', async () => {
    await registry.create('daemonsets.apps', 'default', manifest('busybox:1', { type: 'OnDelete' }));
    await settle();
    await runPods();
    await registry.patch('daemonsets.apps', 'default', 'agent', 'merge', {
      spec: { template: { spec: { containers: [{ name: 'a', image: 'busybox:2' }] } } },
    });
    await settle();
    const [p] = await pods();
    assert.equal(p!.spec?.containers[0]?.image, 'busybox:1');
    assert.equal(p!.metadata?.deletionTimestamp, undefined);
    assert.equal((await getDs()).status?.updatedNumberScheduled, undefined);
    await registry.delete('pods', 'default', p!.metadata!.name!, { gracePeriodSeconds: 0 });
    await settle();
    assert.equal((await pods())[0]!.spec?.containers[0]?.image, 'busybox:2');
  });

  test('a node selector that no node matches: no pod, desired 0', async () => {
    const m = manifest('busybox:1');
    (m.spec.template.spec as Record<string, unknown>).nodeSelector = { disk: 'ssd' };
    await registry.create('daemonsets.apps', 'default', m);
    await settle();
    assert.deepEqual(await pods(), []);
    assert.equal((await getDs()).status?.desiredNumberScheduled, 0);
    // Labelling the node brings the pod.
    await registry.patch('nodes', undefined, 'podrun', 'merge', { metadata: { labels: { disk: 'ssd' } } });
    await settle();
    assert.equal((await pods()).length, 1);
  });
});
