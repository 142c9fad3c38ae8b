// The machine as a Node, through real kubectl and the Python client: `get nodes -o wide` and `describe node` as
// on a cluster, and the scheduler leaving a pod that asks for more than the node has Pending with the default
// scheduler's FailedScheduling message, then placing pods once they fit or room is made.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpus, release } from 'node:os';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Event, Lease, Node, Pod } from '../../src/api/types.js';
import { e2eCluster } from './support/cluster.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker } from './support/run-id.js';
import { condition, poll, pollPod } from './support/watch.js';

const MARK = `: ${marker('e2e-nodes-test')};`;
const cluster = e2eCluster({ commandMarkers: [MARK] });
before(cluster.start);
afterEach(cluster.record);
after(cluster.stopAndCheck);
const k = () => cluster.kubectl;

const CPUS = cpus().length;
/** Debian's interpreter, for which python3-kubernetes installs the client. */
const PYTHON = '/usr/bin/python3';
const hasPythonClient = spawnSync(PYTHON, ['-c', 'import kubernetes']).status === 0;

function podYaml(name: string, requests: string, extra = ''): string {
  return `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: busybox
      command: [sh, -c, '${MARK} trap "exit 0" TERM; while :; do sleep 1; done']
      resources: {requests: ${requests}}
${extra}`;
}

function inCidr(ip: string, cidr: string): boolean {
  const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(base ?? '') / size);
}

const running = (p: Pod) => p.status?.phase === 'Running';

async function failedScheduling(pod: string): Promise<string> {
  return poll(async () => {
    const list = await k().json<{ items: Event[] }>([
      'get',
      'events',
      '--field-selector',
      `involvedObject.name=${pod},reason=FailedScheduling`,
    ]);
    return list.items[0]?.message;
  }, `a FailedScheduling event for ${pod}`);
}

describe('the Node', { skip: E2E_SKIP }, () => {
  test('kubectl get nodes -o wide shows the machine Ready, as control-plane, at the version /version reports', {
    timeout: 60_000,
  }, async () => {
    const out = await k().ok(['get', 'nodes', '-o', 'wide']);
    const [header, row, ...rest] = out.trimEnd().split('\n');
    assert.match(
      header!,
      /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME$/,
    );
    assert.deepEqual(rest, []);
    const version = JSON.parse(await k().ok(['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string };
    };
    const cells = row!.split(/\s{2,}/);
    assert.deepEqual(cells.slice(0, 3), ['podrun', 'Ready', 'control-plane']);
    assert.equal(cells[4], version.serverVersion.gitVersion);
    assert.equal(cells[6], '<none>', 'no ExternalIP');
    assert.equal(cells[8], release());
    assert.match(cells[9]!, /^host:\/\/\S+$/);

    const node = await k().json<Node>(['get', 'node', 'podrun']);
    assert.equal(node.status?.capacity?.cpu, String(CPUS));
    assert.equal(node.status?.capacity?.pods, '110');
    assert.match(node.status?.capacity?.memory ?? '', /^\d+Ki$/);
    assert.equal(node.status?.nodeInfo?.osImage, cells[7]);
    assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], 'podrun');
    assert.equal(node.metadata?.labels?.['kubernetes.io/os'], 'linux');
    assert.match(node.spec?.podCIDR ?? '', /^\d+\.\d+\.\d+\.\d+\/\d+$/, 'the pods’ network');
    assert.deepEqual(node.spec?.podCIDRs, [node.spec?.podCIDR]);
    const lease = await k().json<Lease>(['get', 'lease', '-n', 'kube-node-lease', 'podrun']);
    assert.equal(lease.spec?.holderIdentity, 'podrun');
    assert.equal(lease.spec?.leaseDurationSeconds, 40);
    assert.deepEqual(
      lease.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid]),
      [['Node', 'podrun', node.metadata?.uid]],
    );
  });

  test('a pod asking more cpu than the machine has stays Pending with the scheduler’s message; a smaller one runs', {
    timeout: 90_000,
  }, async () => {
    await k().create(podYaml('too-big', `{cpu: "${CPUS + 1}"}`));
    const message =
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..';
    assert.equal(await failedScheduling('too-big'), message);
    const pending = await k().json<Pod>(['get', 'pod', 'too-big']);
    assert.equal(pending.status?.phase, 'Pending');
    assert.equal(pending.spec?.nodeName, undefined);
    const cond = condition(pending, 'PodScheduled');
    assert.deepEqual([cond?.status, cond?.reason, cond?.message], ['False', 'Unschedulable', message]);
    const described = await k().ok(['describe', 'pod', 'too-big']);
    assert.match(
      described,
      /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/1 nodes are available: 1 Insufficient cpu\./,
    );

    await k().create(podYaml('right-size', '{cpu: 100m, memory: 16Mi}'));
    const placed = await pollPod(k(), 'right-size', running, 'right-size to run');
    assert.equal(placed.spec?.nodeName, 'podrun');
    assert.equal((await k().json<Pod>(['get', 'pod', 'too-big'])).status?.phase, 'Pending');

    const node = await k().ok(['describe', 'node', 'podrun']);
    assert.match(node, /Lease:\n\s+HolderIdentity:\s+podrun\n/);
    assert.match(node, /PodCIDR:\s+\d+\.\d+\.\d+\.\d+\/\d+\nPodCIDRs:/);
    const nodeObj = await k().json<Node>(['get', 'node', 'podrun']);
    const internal = nodeObj.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    // As the kubelet: a pod's hostIP is the node's InternalIP (loopback would be the pod's own).
    assert.equal(placed.status?.hostIP, internal ?? '127.0.0.1');
    const cidr = nodeObj.spec?.podCIDR ?? '';
    assert.ok(
      inCidr(placed.status?.podIP ?? '', cidr),
      `pod IP ${placed.status?.podIP} in the node's ${cidr}`,
    );
    assert.match(node, /Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status/);
    assert.match(
      node,
      /MemoryPressure\s+False\s+.*KubeletHasSufficientMemory\s+kubelet has sufficient memory available/,
    );
    assert.match(node, /Non-terminated Pods:\s+\(1 in total\)/, 'the Pending pod is on no node');
    assert.match(node, /default\s+right-size\s+100m \(\d+%\)\s+0 \(0%\)\s+16Mi \(0%\)/);
    assert.match(node, /Allocated resources:[\s\S]*cpu\s+100m \(\d+%\)/);
    assert.match(node, /Normal\s+NodeReady\s+\S+\s+kubelet\s+Node podrun status is now: NodeReady/);
    await k().ok(['delete', 'pod', 'too-big', 'right-size', '--grace-period=1']);
  });

  test('a pod that waits for room is placed when the pod holding the cpu goes', {
    timeout: 90_000,
  }, async () => {
    await k().create(podYaml('holder', `{cpu: "${CPUS}"}`));
    await pollPod(k(), 'holder', running, 'holder to run');
    await k().create(podYaml('waiter', '{cpu: 500m}'));
    assert.match(await failedScheduling('waiter'), /^0\/1 nodes are available: 1 Insufficient cpu\./);
    await k().ok(['delete', 'pod', 'holder', '--grace-period=1']);
    const placed = await pollPod(k(), 'waiter', running, 'waiter to run once holder is gone', 60_000);
    assert.equal(condition(placed, 'PodScheduled')?.status, 'True');
    await k().ok(['delete', 'pod', 'waiter', '--grace-period=1']);
  });

  test('a nodeSelector the node lacks, then a label that satisfies it; a taint the pod does not tolerate', {
    timeout: 90_000,
  }, async () => {
    await k().create(podYaml('picky', '{}', '  nodeSelector: {disktype: ssd}'));
    assert.equal(
      await failedScheduling('picky'),
      "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..",
    );
    await k().ok(['taint', 'nodes', 'podrun', 'dedicated=gpu:NoSchedule']);
    try {
      await k().ok(['label', 'nodes', 'podrun', 'disktype=ssd']);
      // Labelled, it now fails on the taint, which comes first among the filters.
      await poll(async () => {
        const list = await k().json<{ items: Event[] }>([
          'get',
          'events',
          '--field-selector',
          'involvedObject.name=picky',
        ]);
        return list.items.find((e) => e.message?.includes('untolerated taint')) ? true : undefined;
      }, 'a FailedScheduling event naming the taint');
      const events = await k().ok(['get', 'events', '--field-selector', 'involvedObject.name=picky']);
      assert.match(
        events,
        /0\/1 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: gpu\}\./,
      );
      await k().ok(['taint', 'nodes', 'podrun', 'dedicated-']);
      await pollPod(k(), 'picky', running, 'picky to run on the labelled node');
    } finally {
      await k().run(['taint', 'nodes', 'podrun', 'dedicated-']);
      await k().run(['label', 'nodes', 'podrun', 'disktype-']);
      await k().run(['delete', 'pod', 'picky', '--grace-period=1']);
    }
  });

  test('a cordoned node takes the unschedulable taint and no new pod; uncordoned, the pod is placed', {
    timeout: 90_000,
  }, async () => {
    await k().ok(['cordon', 'podrun']);
    try {
      const tainted = await poll(async () => {
        const n = await k().json<Node>(['get', 'node', 'podrun']);
        return n.spec?.taints?.find((t) => t.key === 'node.kubernetes.io/unschedulable') ? n : undefined;
      }, 'the unschedulable taint');
      assert.equal(tainted.spec?.taints?.[0]?.effect, 'NoSchedule');
      assert.match(await k().ok(['get', 'nodes']), /podrun\s+Ready,SchedulingDisabled\s+control-plane/);
      assert.match(
        await k().ok(['describe', 'node', 'podrun']),
        /Taints:\s+node\.kubernetes\.io\/unschedulable:NoSchedule\nUnschedulable:\s+true/,
      );
      await k().create(podYaml('after-cordon', '{}'));
      assert.equal(
        await failedScheduling('after-cordon'),
        '0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..',
      );
    } finally {
      await k().run(['uncordon', 'podrun']);
    }
    await pollPod(k(), 'after-cordon', running, 'after-cordon to run once uncordoned');
    const n = await k().json<Node>(['get', 'node', 'podrun']);
    assert.deepEqual(n.spec?.taints ?? [], []);
    await k().ok(['delete', 'pod', 'after-cordon', '--grace-period=1']);
  });

  test('the Python client lists the node', {
    timeout: 30_000,
    skip: !hasPythonClient && 'python3-kubernetes is not installed',
  }, () => {
    const script = `
import json, sys
from kubernetes import client, config
config.load_kube_config(sys.argv[1])
nodes = client.CoreV1Api().list_node().items
print(json.dumps([[n.metadata.name, [c.type + "=" + c.status for c in n.status.conditions],
                   n.status.allocatable["pods"], n.status.node_info.kubelet_version] for n in nodes]))
`;
    const r = spawnSync(PYTHON, ['-c', script, cluster.serve.kubeconfig], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const nodes = JSON.parse(r.stdout) as [string, string[], string, string][];
    assert.equal(nodes.length, 1);
    const [name, conditions, pods, kubelet] = nodes[0]!;
    assert.equal(name, 'podrun');
    assert.deepEqual(conditions, [
      'MemoryPressure=False',
      'DiskPressure=False',
      'PIDPressure=False',
      'Ready=True',
    ]);
    assert.equal(pods, '110');
    assert.match(kubelet!, /^v1\.32\./);
  });
});
