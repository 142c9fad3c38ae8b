// Validation, defaulting and printing of the policy kinds, with upstream's field paths and messages, and the
// disruption controller's status arithmetic.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyDefaultsInPlace } from '../../src/api/defaults.js';
import type { KubeObject, Pod, PodDisruptionBudget } from '../../src/api/types.js';
import { formatFieldError, validateObject, validateUpdate } from '../../src/api/validation/index.js';
import { computeDisruptionStatus } from '../../src/controllers/policy/disruption.js';
import { printerFor } from '../../src/printers/index.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');

function obj(
  apiVersion: string,
  kind: string,
  body: Record<string, unknown>,
  namespace?: string,
): KubeObject {
  return { apiVersion, kind, metadata: { name: 'x', ...(namespace ? { namespace } : {}) }, ...body };
}

const errors = (o: KubeObject) => validateObject(o).map(formatFieldError);

describe('policy kinds: validation', () => {
  test('PodDisruptionBudget', () => {
    const both = obj(
      'policy/v1',
      'PodDisruptionBudget',
      { spec: { minAvailable: 1, maxUnavailable: 1 } },
      'default',
    );
    assert.match(
      errors(both)[0]!,
      /^spec: Invalid value: .*: minAvailable and maxUnavailable cannot be both set$/,
    );
    assert.deepEqual(
      errors(obj('policy/v1', 'PodDisruptionBudget', { spec: { minAvailable: -1 } }, 'default')),
      ['spec.minAvailable: Invalid value: -1: must be greater than or equal to 0'],
    );
    assert.deepEqual(
      errors(obj('policy/v1', 'PodDisruptionBudget', { spec: { maxUnavailable: '120%' } }, 'default')),
      ['spec.maxUnavailable: Invalid value: "120%": must not be greater than 100%'],
    );
  });

  test('PriorityClass', () => {
    assert.deepEqual(errors(obj('scheduling.k8s.io/v1', 'PriorityClass', { value: 2_000_000_000 })), [
      'value: Forbidden: maximum allowed value of a user defined priority is 1000000000',
    ]);
    const system = {
      ...obj('scheduling.k8s.io/v1', 'PriorityClass', { value: 5 }),
      metadata: { name: 'system-x' },
    };
    assert.deepEqual(errors(system), [
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-x is not a known system priority class",
    ]);
    const old = obj('scheduling.k8s.io/v1', 'PriorityClass', { value: 5, preemptionPolicy: 'Never' });
    const changed = { ...old, metadata: { ...old.metadata, resourceVersion: '1' }, value: 6 };
    assert.ok(
      validateUpdate(changed, { ...old, metadata: { ...old.metadata, resourceVersion: '1' } })
        .map(formatFieldError)
        .includes('value: Forbidden: may not be changed in an update.'),
    );
  });

  test('LimitRange', () => {
    const lr = obj(
      'v1',
      'LimitRange',
      { spec: { limits: [{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }] } },
      'default',
    );
    assert.ok(
      errors(lr).includes(
        'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
      ),
    );
    const pod = obj(
      'v1',
      'LimitRange',
      { spec: { limits: [{ type: 'Pod', default: { cpu: '1' } }] } },
      'default',
    );
    assert.deepEqual(errors(pod), [
      "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
    ]);
  });

  test('Ingress and NetworkPolicy', () => {
    const ing = obj(
      'networking.k8s.io/v1',
      'Ingress',
      {
        spec: {
          rules: [
            {
              http: {
                paths: [
                  {
                    path: 'x',
                    pathType: 'Prefix',
                    backend: { service: { name: 'web', port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      },
      'default',
    );
    assert.deepEqual(errors(ing), [
      'spec.rules[0].http.paths[0].path: Invalid value: "x": must be an absolute path',
    ]);
    const np = obj(
      'networking.k8s.io/v1',
      'NetworkPolicy',
      { spec: { podSelector: {}, policyTypes: ['Sideways'] } },
      'default',
    );
    assert.deepEqual(errors(np), [
      'spec.policyTypes[0]: Unsupported value: "Sideways": supported values: "Egress", "Ingress"',
    ]);
  });
});

describe('policy kinds: defaulting', () => {
  test('LimitRangeItem, NetworkPolicy and PriorityClass defaults', () => {
    const lr = applyDefaultsInPlace(
      obj('v1', 'LimitRange', {
        spec: { limits: [{ type: 'Container', max: { cpu: '1' }, min: { memory: '1Mi' } }] },
      }),
    );
    assert.deepEqual((lr.spec as { limits: unknown[] }).limits[0], {
      type: 'Container',
      max: { cpu: '1' },
      min: { memory: '1Mi' },
      default: { cpu: '1' },
      defaultRequest: { cpu: '1', memory: '1Mi' },
    });
    const np = applyDefaultsInPlace(
      obj('networking.k8s.io/v1', 'NetworkPolicy', {
        spec: { podSelector: {}, egress: [{ ports: [{ port: 53 }] }] },
      }),
    );
    assert.deepEqual(np.spec, {
      podSelector: {},
      egress: [{ ports: [{ port: 53, protocol: 'TCP' }] }],
      policyTypes: ['Ingress', 'Egress'],
    });
    const pc = applyDefaultsInPlace(obj('scheduling.k8s.io/v1', 'PriorityClass', { value: 1 }));
    assert.equal(pc.preemptionPolicy, 'PreemptLowerPriority');
  });
});

describe('policy kinds: printing', () => {
  test('kubectl’s columns for PodDisruptionBudget and ResourceQuota', () => {
    const created = { creationTimestamp: '2026-01-01T11:59:00Z' };
    const pdb = {
      ...obj('policy/v1', 'PodDisruptionBudget', {
        spec: { minAvailable: '50%' },
        status: { disruptionsAllowed: 1 },
      }),
      metadata: { name: 'web', ...created },
    };
    const t = printerFor('PodDisruptionBudget')!([pdb], NOW);
    assert.deepEqual(
      t.columnDefinitions.map((c) => c.name),
      ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age'],
    );
    assert.deepEqual(t.rows[0]?.cells, ['web', '50%', 'N/A', 1, '60s']);
    const quota = {
      ...obj('v1', 'ResourceQuota', {
        status: {
          hard: { 'limits.memory': '1Gi', pods: '5', 'requests.cpu': '0.25' },
          used: { 'limits.memory': '134217728', pods: '2', 'requests.cpu': '200m' },
        },
      }),
      metadata: { name: 'compute', ...created },
    };
    const q = printerFor('ResourceQuota')!([quota], NOW);
    assert.deepEqual(
      q.columnDefinitions.map((c) => c.name),
      ['Name', 'Age', 'Request', 'Limit'],
    );
    assert.deepEqual(q.rows[0]?.cells, [
      'compute',
      '60s',
      'pods: 2/5, requests.cpu: 200m/250m',
      'limits.memory: 134217728/1Gi',
    ]);
  });
});

describe('disruption controller status', () => {
  const ready = (name: string, extra: Partial<Pod['metadata']> = {}): Pod =>
    ({
      metadata: { name, namespace: 'default', labels: { app: 'web' }, ...extra },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    }) as Pod;
  const none = { get: () => undefined, list: () => [] } as never;
  const deps = { replicaSets: none, deployments: none, statefulSets: none };

  test('minAvailable counts the selected pods; an evicted pod is not healthy until its deletion times out', () => {
    const pdb = {
      metadata: { name: 'web', namespace: 'default', generation: 2 },
      spec: { minAvailable: 1 },
    } as PodDisruptionBudget;
    const status = computeDisruptionStatus(
      deps,
      pdb,
      [ready('a'), ready('b'), ready('c', { deletionTimestamp: '2026-01-01T11:59:59Z' })],
      NOW,
    );
    assert.deepEqual(status, {
      observedGeneration: 2,
      disruptionsAllowed: 1,
      currentHealthy: 2,
      desiredHealthy: 1,
      expectedPods: 3,
    });
    const evicted = {
      ...pdb,
      status: { ...status, disruptedPods: { a: '2026-01-01T11:59:30Z' } },
    } as PodDisruptionBudget;
    assert.equal(computeDisruptionStatus(deps, evicted, [ready('a'), ready('b')], NOW).disruptionsAllowed, 0);
    assert.equal(
      computeDisruptionStatus(deps, evicted, [ready('a'), ready('b')], NOW + 120_000).disruptionsAllowed,
      1,
    );
  });

  test('maxUnavailable counts the replicas of the pods’ controller', () => {
    const rs = { metadata: { name: 'rs', uid: 'u1' }, spec: { replicas: 3 } };
    const owned = (name: string) =>
      ready(name, {
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true },
        ],
      });
    const pdb = {
      metadata: { name: 'web', namespace: 'default' },
      spec: { maxUnavailable: 1 },
    } as PodDisruptionBudget;
    const status = computeDisruptionStatus(
      { ...deps, replicaSets: { get: () => rs, list: () => [rs] } as never },
      pdb,
      [owned('a'), owned('b')],
      NOW,
    );
    assert.deepEqual(
      [status.expectedPods, status.desiredHealthy, status.currentHealthy, status.disruptionsAllowed],
      [3, 2, 2, 0],
    );
  });
});
