// The node's lifecycle against an in-memory API: registration, the status loop's post-on-change-or-every-5-min
// rule, node events, and the Lease renewed every 10 s.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Lease, Node, ObjectReference } from '../../../src/api/types.js';
import { type NodeApi, NodeStatusManager } from '../../../src/kubelet/node-status/manager.js';
import type { NodeConfig, NodeReadings } from '../../../src/kubelet/node-status/types.js';
import { FakeClock } from '../../../src/util/clock.js';
import { CONFIG, readings } from './fixtures.js';

class MemoryApi implements NodeApi {
  node: Node | undefined;
  lease: Lease | undefined;
  statusWrites = 0;
  leaseWrites = 0;
  #rv = 0;
  async getNode() {
    return this.node && structuredClone(this.node);
  }
  async createNode(node: Node) {
    this.node = {
      ...structuredClone(node),
      metadata: { ...node.metadata, uid: 'node-uid', resourceVersion: String(++this.#rv) },
    };
    return this.node;
  }
  async updateNode(node: Node) {
    this.node = { ...structuredClone(node), status: this.node?.status };
    return this.node;
  }
  async updateNodeStatus(node: Node) {
    this.statusWrites++;
    this.node = { ...this.node!, status: structuredClone(node.status) };
    return this.node;
  }
  async getLease() {
    return this.lease && structuredClone(this.lease);
  }
  async createLease(lease: Lease) {
    this.leaseWrites++;
    this.lease = structuredClone(lease);
    return lease;
  }
  async updateLease(lease: Lease) {
    this.leaseWrites++;
    this.lease = structuredClone(lease);
    return lease;
  }
}

function setup(config: NodeConfig = CONFIG) {
  const clock = new FakeClock(Date.UTC(2026, 11, 5, 12, 0, 0));
  const api = new MemoryApi();
  const events: Array<[string, string, string]> = [];
  let current: NodeReadings = readings();
  const manager = new NodeStatusManager({
    api,
    clock,
    config,
    events: {
      event: (ref: ObjectReference, _t, reason, message) =>
        events.push([`${ref.kind}/${ref.name}`, reason, message]),
    },
    read: async () => current,
    readyErrors: async () => [],
    log: (line) => assert.fail(line),
  });
  return { clock, api, events, manager, set: (r: NodeReadings) => (current = r) };
}

describe('NodeStatusManager', () => {
  test('start registers the node with its labels and status, records the kubelet’s events, and takes the Lease', async () => {
    const { api, events, manager } = setup();
    await manager.start();
    try {
      assert.equal(api.node?.metadata?.labels?.['kubernetes.io/hostname'], 'podrun');
      assert.equal(api.node?.metadata?.labels?.['node-role.kubernetes.io/control-plane'], '');
      assert.deepEqual(api.node?.spec, {});
      assert.deepEqual(
        api.node?.status?.conditions?.map((c) => `${c.type}=${c.status}`),
        ['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'Ready=True'],
      );
      assert.deepEqual(events, [
        ['Node/podrun', 'Starting', 'Starting kubelet.'],
        ['Node/podrun', 'NodeHasSufficientMemory', 'Node podrun status is now: NodeHasSufficientMemory'],
        ['Node/podrun', 'NodeHasNoDiskPressure', 'Node podrun status is now: NodeHasNoDiskPressure'],
        ['Node/podrun', 'NodeHasSufficientPID', 'Node podrun status is now: NodeHasSufficientPID'],
        ['Node/podrun', 'NodeReady', 'Node podrun status is now: NodeReady'],
      ]);
      assert.deepEqual(api.lease?.metadata, {
        name: 'podrun',
        namespace: 'kube-node-lease',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'podrun', uid: 'node-uid' }],
      });
      assert.equal(api.lease?.spec?.holderIdentity, 'podrun');
      assert.equal(api.lease?.spec?.leaseDurationSeconds, 40);
      assert.equal(api.lease?.spec?.renewTime, '2026-12-05T12:00:00.000000Z');
    } finally {
      await manager.stop();
    }
  });

  test('the Lease is renewed every 10 s; an unchanged status is posted every 5 min, a changed one at once', async () => {
    const { api, clock, events, manager, set } = setup();
    await manager.start();
    try {
      assert.equal(api.statusWrites, 1);
      await clock.advance(10_000);
      assert.equal(api.lease?.spec?.renewTime, '2026-12-05T12:00:10.000000Z');
      assert.equal(api.statusWrites, 1, 'nothing changed: no status write');
      await clock.advance(290_000);
      assert.equal(api.statusWrites, 2, 'the report frequency passed');
      assert.equal(api.node?.status?.conditions?.[3]?.lastHeartbeatTime, '2026-12-05T12:05:00Z');
      assert.equal(api.node?.status?.conditions?.[3]?.lastTransitionTime, '2026-12-05T12:00:00Z');

      events.length = 0;
      set(readings({ memoryAvailableBytes: 10 * 1024 * 1024 }));
      await clock.advance(10_000);
      assert.equal(api.statusWrites, 3);
      assert.equal(api.node?.status?.conditions?.[0]?.status, 'True');
      assert.deepEqual(events, [
        ['Node/podrun', 'NodeHasInsufficientMemory', 'Node podrun status is now: NodeHasInsufficientMemory'],
      ]);
      // The signal clears, but the pressure stays for the transition period (5 min).
      set(readings());
      await clock.advance(280_000);
      assert.equal(api.node?.status?.conditions?.[0]?.status, 'True');
      await clock.advance(20_000);
      assert.equal(api.node?.status?.conditions?.[0]?.status, 'False');
    } finally {
      await manager.stop();
    }
  });

  test('a cordon and an uncordon are recorded as NodeNotSchedulable and NodeSchedulable', async () => {
    const { api, clock, events, manager } = setup();
    await manager.start();
    try {
      events.length = 0;
      api.node = { ...api.node!, spec: { unschedulable: true } };
      await clock.advance(10_000);
      api.node = { ...api.node!, spec: {} };
      await clock.advance(10_000);
      await clock.advance(10_000);
      assert.deepEqual(events, [
        ['Node/podrun', 'NodeNotSchedulable', 'Node podrun status is now: NodeNotSchedulable'],
        ['Node/podrun', 'NodeSchedulable', 'Node podrun status is now: NodeSchedulable'],
      ]);
    } finally {
      await manager.stop();
    }
  });

  test('the pods’ network is the node’s podCIDR, set at creation or on a node without one', async () => {
    const { api, manager } = setup({ ...CONFIG, podCIDR: '10.244.0.0/16' });
    await manager.register();
    assert.deepEqual(api.node?.spec, { podCIDR: '10.244.0.0/16', podCIDRs: ['10.244.0.0/16'] });
    api.node = { ...api.node!, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } };
    await manager.register();
    assert.deepEqual(api.node.spec, {
      taints: [{ key: 'k', effect: 'NoSchedule' }],
      podCIDR: '10.244.0.0/16',
      podCIDRs: ['10.244.0.0/16'],
    });
  });

  test('a restart keeps user labels and taints and puts back the kubelet’s labels', async () => {
    const { api, manager } = setup();
    api.node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'podrun', uid: 'old', labels: { team: 'a', 'kubernetes.io/os': 'windows' } },
      spec: { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] },
    };
    await manager.register();
    assert.deepEqual(api.node.metadata?.labels, {
      team: 'a',
      'kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': 'podrun',
    });
    assert.deepEqual(api.node.spec?.taints, [{ key: 'k', value: 'v', effect: 'NoSchedule' }]);
  });
});
