// The scheduler's filters and messages: requests as PodRequests counts them, NodeResourcesFit against
// allocatable less the bound pods, taints, node affinity, host ports, and the FitError texts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Node, Pod } from '../../../src/api/types.js';
import {
  filterNode,
  insufficientResources,
  toleratesTaint,
} from '../../../src/controllers/scheduler/filters.js';
import { fitErrorMessage } from '../../../src/controllers/scheduler/fit-error.js';
import { podRequests } from '../../../src/controllers/scheduler/requests.js';
import { schedulePodOnNodes, skipReason } from '../../../src/controllers/scheduler/schedule.js';
import { node, pod } from './fixtures.js';

const fitsOn = (p: Pod, n: Node, pods: Pod[] = []) => filterNode(p, { node: n, pods });

describe('pod requests', () => {
  test('app containers and sidecars add up; an init container counts beside the sidecars before it; overhead adds', () => {
    const p: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        initContainers: [
          { name: 'side', restartPolicy: 'Always', resources: { requests: { cpu: '100m', memory: '10Mi' } } },
          { name: 'init', resources: { requests: { cpu: '3', memory: '5Mi' } } },
        ],
        containers: [
          { name: 'a', resources: { requests: { cpu: '250m' } } },
          { name: 'b', resources: { limits: { cpu: '250m', memory: '64Mi' } } },
        ],
        overhead: { cpu: '10m' },
      },
    };
    const r = podRequests(p);
    // init: 3 + 100m of the sidecar = 3100m beats 100m + 250m + 250m.
    assert.equal(r.milliCPU, 3110);
    assert.equal(r.memory, 74 * 1024 * 1024);
  });

  test('cpu rounds up to a millicore, others to a byte; extended resources are scalars', () => {
    const r = podRequests(pod('p', { cpu: '0.0001', memory: '1.5', 'example.com/gpu': '1' }));
    assert.equal(r.milliCPU, 1);
    assert.equal(r.memory, 2);
    assert.deepEqual(r.scalar, { 'example.com/gpu': 1 });
  });
});

describe('NodeResourcesFit', () => {
  test('a pod asking more cpu than is left is Insufficient cpu; bound pods take their share', () => {
    assert.equal(fitsOn(pod('small', { cpu: '1' }), node()), undefined);
    assert.deepEqual(fitsOn(pod('big', { cpu: '3' }), node()), {
      plugin: 'NodeResourcesFit',
      code: 'Unschedulable',
      reasons: ['Insufficient cpu'],
    });
    const bound = [pod('a', { cpu: '1500m', memory: '8000000Ki' })];
    assert.deepEqual(
      insufficientResources(pod('b', { cpu: '600m', memory: '50000Ki' }), { node: node(), pods: bound }),
      ['Insufficient cpu', 'Insufficient memory'],
    );
    assert.deepEqual(
      insufficientResources(pod('disk', { 'ephemeral-storage': '91Gi', 'example.com/gpu': '1' }), {
        node: node(),
        pods: [],
      }),
      ['Insufficient ephemeral-storage', 'Insufficient example.com/gpu'],
    );
  });

  test('the pod count is checked even for a pod without requests', () => {
    const full = node({ allocatable: { pods: '2' } });
    assert.deepEqual(insufficientResources(pod('c'), { node: full, pods: [pod('a'), pod('b')] }), [
      'Too many pods',
    ]);
    assert.deepEqual(insufficientResources(pod('c'), { node: full, pods: [pod('a')] }), []);
  });
});

describe('taints, affinity, ports, cordon', () => {
  test('an untolerated NoSchedule or NoExecute taint rejects the node, naming the first one', () => {
    const tainted = node({
      spec: {
        taints: [
          { key: 'soft', effect: 'PreferNoSchedule' },
          { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
          { key: 'other', effect: 'NoExecute' },
        ],
      },
    });
    assert.deepEqual(fitsOn(pod('p'), tainted), {
      plugin: 'TaintToleration',
      code: 'UnschedulableAndUnresolvable',
      reasons: ['node(s) had untolerated taint {dedicated: gpu}'],
    });
    const tolerant = pod(
      't',
      {},
      {
        tolerations: [
          { key: 'dedicated', operator: 'Equal', value: 'gpu' },
          { key: 'other', operator: 'Exists' },
        ],
      },
    );
    assert.equal(fitsOn(tolerant, tainted), undefined);
    assert.equal(toleratesTaint({ operator: 'Exists' }, { key: 'any', effect: 'NoExecute' }), true);
    assert.equal(
      toleratesTaint(
        { key: 'k', value: 'v', effect: 'NoExecute' },
        { key: 'k', value: 'v', effect: 'NoSchedule' },
      ),
      false,
    );
  });

  test('nodeSelector and required node affinity must match the node’s labels or name', () => {
    const reject = {
      plugin: 'NodeAffinity',
      code: 'UnschedulableAndUnresolvable',
      reasons: ["node(s) didn't match Pod's node affinity/selector"],
    };
    assert.deepEqual(fitsOn(pod('p', {}, { nodeSelector: { disktype: 'ssd' } }), node()), reject);
    assert.equal(
      fitsOn(pod('p', {}, { nodeSelector: { disktype: 'ssd' } }), node({ labels: { disktype: 'ssd' } })),
      undefined,
    );
    const affinity = (terms: unknown[]) =>
      pod(
        'a',
        {},
        {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms as never },
            },
          },
        },
      );
    assert.equal(
      fitsOn(
        affinity([{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] }]),
        node(),
      ),
      undefined,
    );
    assert.deepEqual(
      fitsOn(affinity([{ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }]), node()),
      reject,
    );
    assert.equal(
      fitsOn(
        affinity([
          { matchExpressions: [{ key: 'zone', operator: 'Exists' }] },
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['podrun'] }] },
        ]),
        node(),
      ),
      undefined,
      'terms are ORed',
    );
    assert.deepEqual(fitsOn(affinity([{}]), node()), reject, 'an empty term matches nothing');
    assert.equal(
      fitsOn(
        affinity([{ matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['3'] }] }]),
        node({ labels: { gen: '4' } }),
      ),
      undefined,
    );
    assert.deepEqual(
      fitsOn(
        affinity([{ matchExpressions: [{ key: 'gen', operator: 'Lt', values: ['3'] }] }]),
        node({ labels: { gen: 'x' } }),
      ),
      reject,
    );
  });

  test('a host port another pod on the node holds rejects the node', () => {
    const withPort = (name: string, hostIP?: string) =>
      pod(
        name,
        {},
        {
          containers: [
            { name: 'c', ports: [{ containerPort: 80, hostPort: 8080, ...(hostIP ? { hostIP } : {}) }] },
          ],
        },
      );
    assert.deepEqual(fitsOn(withPort('b'), node(), [withPort('a')])?.reasons, [
      "node(s) didn't have free ports for the requested pod ports",
    ]);
    assert.equal(fitsOn(withPort('b', '127.0.0.2'), node(), [withPort('a', '127.0.0.1')]), undefined);
  });

  test('a cordoned node is unschedulable unless the pod tolerates node.kubernetes.io/unschedulable', () => {
    const cordoned = node({ spec: { unschedulable: true } });
    assert.deepEqual(fitsOn(pod('p'), cordoned)?.reasons, ['node(s) were unschedulable']);
    const tolerant = pod(
      't',
      {},
      {
        tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
      },
    );
    assert.equal(fitsOn(tolerant, cordoned), undefined);
  });
});

describe('FitError messages', () => {
  test('resources: No preemption victims found; affinity and taints: Preemption is not helpful', () => {
    const big = pod('big', { cpu: '3', memory: '100Gi' });
    const r = schedulePodOnNodes(big, [{ node: node(), pods: [] }]);
    assert.deepEqual(r, {
      fits: false,
      message:
        '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..',
    });
    const picky = pod('picky', {}, { nodeSelector: { disktype: 'ssd' } });
    assert.equal(
      (schedulePodOnNodes(picky, [{ node: node(), pods: [] }]) as { message: string }).message,
      "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..",
    );
    const never = pod('never', { cpu: '3' }, { preemptionPolicy: 'Never' });
    assert.equal(
      (schedulePodOnNodes(never, [{ node: node(), pods: [] }]) as { message: string }).message,
      '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never..',
    );
    assert.deepEqual(schedulePodOnNodes(pod('p'), []), {
      fits: false,
      message: 'no nodes available to schedule pods',
    });
    assert.deepEqual(schedulePodOnNodes(pod('p'), [{ node: node(), pods: [] }]), {
      fits: true,
      nodeName: 'podrun',
    });
  });

  test('reasons over several nodes are counted and sorted', () => {
    const statuses = [
      { plugin: 'NodeResourcesFit', code: 'Unschedulable' as const, reasons: ['Insufficient memory'] },
      {
        plugin: 'TaintToleration',
        code: 'UnschedulableAndUnresolvable' as const,
        reasons: ['node(s) had untolerated taint {a: }'],
      },
      { plugin: 'NodeResourcesFit', code: 'Unschedulable' as const, reasons: ['Insufficient memory'] },
    ];
    assert.equal(
      fitErrorMessage(pod('p'), statuses),
      '0/3 nodes are available: 1 node(s) had untolerated taint {a: }, 2 Insufficient memory. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod..',
    );
  });

  test('bound, deleting, other schedulers’ and gated pods are not this scheduler’s to place', () => {
    assert.equal(skipReason(pod('p', {}, { nodeName: 'x' })), 'bound');
    assert.equal(skipReason(pod('p', {}, { schedulerName: 'custom' })), 'other-scheduler');
    assert.equal(skipReason(pod('p', {}, { schedulingGates: [{ name: 'g' }] })), 'gated');
    assert.equal(skipReason(pod('p', {}, { schedulerName: 'default-scheduler' })), undefined);
  });
});
