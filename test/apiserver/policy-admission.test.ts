// The policy admission plugins and the eviction subresource against a registry: LimitRanger defaults and
// refusals, Priority from priorityClassName, ResourceQuota charges and refusals, and evictions guarded by a
// PodDisruptionBudget, each with upstream's words.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatQuantity, parseQuantity } from '../../src/api/resource-quantity.js';
import type {
  LimitRange,
  Pod,
  PodDisruptionBudget,
  PriorityClass,
  ResourceQuota,
} from '../../src/api/types.js';
import { ApiError } from '../../src/apiserver/errors.js';
import { evictPod } from '../../src/apiserver/eviction.js';
import { installPolicyAdmission } from '../../src/apiserver/policy-admission/install.js';
import { limitPod } from '../../src/apiserver/policy-admission/limit-ranger.js';
import {
  admitPodPriority,
  ensureSystemPriorityClasses,
} from '../../src/apiserver/policy-admission/priority.js';
import { chargeQuotas } from '../../src/apiserver/policy-admission/resource-quota.js';
import type { Registry } from '../../src/apiserver/registry.js';
import { newRegistry, pod } from './helpers.js';

const PODS = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  resource: 'pods',
  singular: 'pod',
  namespaced: true,
  shortNames: [],
  categories: [],
  subresources: [],
  verbs: [],
};

function podWith(resources: Record<string, Record<string, string>> | undefined, name = 'web'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'busybox', ...(resources ? { resources } : {}) }] },
  } as Pod;
}

function limitRange(item: Record<string, unknown>): LimitRange {
  return {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'lr' },
    spec: { limits: [{ type: 'Container', ...item }] },
  } as LimitRange;
}

function quota(hard: Record<string, string>, used: Record<string, string>): ResourceQuota {
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'compute', namespace: 'default' },
    spec: { hard },
    status: { hard, used },
  };
}

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  assert.fail('expected the call to be refused');
}

describe('resource quantities', () => {
  test('print as resource.Quantity.String does', () => {
    const cases: Array<[string, string]> = [
      ['0.5', '500m'],
      ['2000', '2k'],
      ['1.5Gi', '1536Mi'],
      ['100', '100'],
      ['1e3', '1e3'],
      ['0', '0'],
    ];
    for (const [input, want] of cases) assert.equal(formatQuantity(parseQuantity(input)!), want, input);
  });
});

describe('LimitRanger', () => {
  test('fills in defaults and records them in the kubernetes.io/limit-ranger annotation', () => {
    const p = podWith(undefined);
    const errs = limitPod(p, [
      limitRange({
        default: { cpu: '200m', memory: '64Mi' },
        defaultRequest: { cpu: '100m', memory: '64Mi' },
      }),
    ]);
    assert.deepEqual(errs, []);
    assert.deepEqual(p.spec?.containers[0]?.resources, {
      limits: { cpu: '200m', memory: '64Mi' },
      requests: { cpu: '100m', memory: '64Mi' },
    });
    assert.equal(
      p.metadata?.annotations?.['kubernetes.io/limit-ranger'],
      'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app',
    );
  });

  test('a limit without a request keeps the limit as its request, as API defaulting would', () => {
    const p = podWith({ limits: { cpu: '500m' } });
    limitPod(p, [limitRange({ defaultRequest: { cpu: '100m' } })]);
    assert.equal(p.spec?.containers[0]?.resources?.requests?.cpu, '500m');
  });

  test('max, min and maxLimitRequestRatio refusals carry upstream’s messages', () => {
    assert.deepEqual(limitPod(podWith({ limits: { cpu: '2' } }), [limitRange({ max: { cpu: '1' } })]), [
      'maximum cpu usage per Container is 1, but limit is 2',
    ]);
    assert.deepEqual(limitPod(podWith(undefined), [limitRange({ min: { memory: '100Mi' } })]), [
      'minimum memory usage per Container is 100Mi.  No request is specified',
    ]);
    assert.deepEqual(
      limitPod(podWith({ requests: { cpu: '100m' }, limits: { cpu: '1' } }), [
        limitRange({ maxLimitRequestRatio: { cpu: '4' } }),
      ]),
      ['cpu max limit to request ratio per Container is 4, but provided ratio is 10.000000'],
    );
  });

  test('refuses the create through the registry as Forbidden', async () => {
    const registry = await newRegistry();
    installPolicyAdmission(registry);
    await registry.create('limitranges', 'default', {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'lr' },
      spec: { limits: [{ type: 'Container', max: { cpu: '1' } }] },
    });
    const err = await rejection(registry.create('pods', 'default', podWith({ limits: { cpu: '2' } })));
    assert.equal(err.status.code, 403);
    assert.equal(
      err.message,
      'pods "web" is forbidden: maximum cpu usage per Container is 1, but limit is 2',
    );
    const stored = await registry.get('limitranges', 'default', 'lr');
    // SetDefaults_LimitRangeItem: the default limit falls back to max, the default request to the default.
    assert.deepEqual((stored.spec as LimitRange['spec'])?.limits[0]?.default, { cpu: '1' });
    assert.deepEqual((stored.spec as LimitRange['spec'])?.limits[0]?.defaultRequest, { cpu: '1' });
  });
});

describe('Priority', () => {
  const classes: PriorityClass[] = [
    {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'high' },
      value: 1000,
      preemptionPolicy: 'Never',
    },
    {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'low' },
      value: 10,
      globalDefault: true,
    },
  ];

  test('takes spec.priority from the class, or from the global default', () => {
    const named = podWith(undefined);
    named.spec!.priorityClassName = 'high';
    admitPodPriority(named, classes);
    assert.equal(named.spec?.priority, 1000);
    assert.equal(named.spec?.preemptionPolicy, 'Never');
    const plain = podWith(undefined);
    admitPodPriority(plain, classes);
    assert.equal(plain.spec?.priorityClassName, 'low');
    assert.equal(plain.spec?.priority, 10);
    const none = podWith(undefined);
    admitPodPriority(none, []);
    assert.equal(none.spec?.priority, 0);
  });

  test('an unknown class and a conflicting priority are refused', async () => {
    const registry = await newRegistry();
    installPolicyAdmission(registry);
    await ensureSystemPriorityClasses(registry);
    const unknown = await rejection(
      registry.create(
        'pods',
        'default',
        pod('web', { spec: { priorityClassName: 'nope', containers: [{ name: 'a', image: 'busybox' }] } }),
      ),
    );
    assert.equal(unknown.message, 'pods "web" is forbidden: no PriorityClass with name nope was found');
    const wrong = await rejection(
      registry.create(
        'pods',
        'default',
        pod('web', {
          spec: {
            priorityClassName: 'system-node-critical',
            priority: 5,
            containers: [{ name: 'a', image: 'busybox' }],
          },
        }),
      ),
    );
    assert.equal(
      wrong.message,
      'pods "web" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 2000001000 from the given PriorityClass name',
    );
    const ok = await registry.create(
      'pods',
      'default',
      pod('crit', {
        spec: { priorityClassName: 'system-cluster-critical', containers: [{ name: 'a', image: 'busybox' }] },
      }),
    );
    assert.equal((ok.spec as Pod['spec'])?.priority, 2000000000);
  });

  test('a second global default and a user class above 1000000000 are refused', async () => {
    const registry = await newRegistry();
    installPolicyAdmission(registry);
    await registry.create('priorityclasses.scheduling.k8s.io', undefined, classes[1]);
    const second = await rejection(
      registry.create('priorityclasses.scheduling.k8s.io', undefined, { ...classes[0], globalDefault: true }),
    );
    assert.equal(
      second.message,
      'priorityclasses.scheduling.k8s.io "high" is forbidden: PriorityClass low is already marked as default. Only one default can exist',
    );
    const big = await rejection(
      registry.create('priorityclasses.scheduling.k8s.io', undefined, { ...classes[0], value: 2000000000 }),
    );
    assert.equal(big.status.code, 422);
    assert.match(
      big.message,
      /value: Forbidden: maximum allowed value of a user defined priority is 1000000000/,
    );
  });
});

describe('ResourceQuota', () => {
  test('a create over the hard limit is refused with what was requested, used and limited', () => {
    const p = podWith({ requests: { cpu: '100m' }, limits: { memory: '64Mi' } });
    assert.throws(
      () => chargeQuotas(PODS, p as never, [quota({ 'requests.cpu': '250m' }, { 'requests.cpu': '200m' })]),
      (e: unknown) =>
        e instanceof ApiError &&
        e.message ===
          'pods "web" is forbidden: exceeded quota: compute, requested: requests.cpu=100m, used: requests.cpu=200m, limited: requests.cpu=250m',
    );
  });

  test('charges the usage, and wants every container to name the quota’s compute resources', () => {
    const p = podWith({ requests: { cpu: '100m' }, limits: { memory: '64Mi' } });
    const [charged] = chargeQuotas(PODS, p as never, [
      quota(
        { 'requests.cpu': '1', 'limits.memory': '1Gi', pods: '3' },
        { 'requests.cpu': '0', 'limits.memory': '0', pods: '1' },
      ),
    ]);
    assert.deepEqual(charged?.status?.used, { 'limits.memory': '64Mi', pods: '2', 'requests.cpu': '100m' });
    assert.throws(
      () =>
        chargeQuotas(PODS, podWith(undefined) as never, [
          quota({ 'limits.memory': '1Gi' }, { 'limits.memory': '0' }),
        ]),
      (e: unknown) =>
        e instanceof ApiError &&
        e.message === 'pods "web" is forbidden: failed quota: compute: must specify limits.memory for: app',
    );
    // A quota the controller has not filled in yet is not enforced.
    assert.deepEqual(chargeQuotas(PODS, p as never, [{ ...quota({}, {}), status: {} }]), []);
  });

  test('count/<resource> quotas refuse through the registry and record the usage', async () => {
    const registry = await newRegistry();
    installPolicyAdmission(registry);
    await registry.create('resourcequotas', 'default', {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'objects' },
      spec: { hard: { 'count/configmaps': '1' } },
    });
    // What the quota controller does first.
    await registry.updateStatus('resourcequotas', 'default', 'objects', {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'objects' },
      status: { hard: { 'count/configmaps': '1' }, used: { 'count/configmaps': '0' } },
    });
    await registry.create('configmaps', 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a' },
    });
    const q = await registry.get('resourcequotas', 'default', 'objects');
    assert.deepEqual((q.status as ResourceQuota['status'])?.used, { 'count/configmaps': '1' });
    const err = await rejection(
      registry.create('configmaps', 'default', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'b' },
      }),
    );
    assert.equal(
      err.message,
      'configmaps "b" is forbidden: exceeded quota: objects, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1',
    );
  });
});

describe('eviction', () => {
  async function runningPod(registry: Registry, name: string): Promise<void> {
    await registry.create('pods', 'default', pod(name, { metadata: { name, labels: { app: 'web' } } }));
    await registry.writePodStatus(
      'default',
      name,
      (await registry.get('pods', 'default', name)).metadata.uid,
      {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    );
  }

  async function budget(registry: Registry, name: string, allowed: number): Promise<void> {
    await registry.create('poddisruptionbudgets.policy', 'default', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
    });
    const pdb = await registry.get('poddisruptionbudgets.policy', 'default', name);
    await registry.updateStatus('poddisruptionbudgets.policy', 'default', name, {
      ...pdb,
      status: {
        observedGeneration: pdb.metadata.generation,
        disruptionsAllowed: allowed,
        currentHealthy: 1 + allowed,
        desiredHealthy: 1,
        expectedPods: 1 + allowed,
      },
    });
  }

  const eviction = (name: string) => ({
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name, namespace: 'default' },
  });

  test('a budget without disruptions left answers 429 with the budget’s numbers', async () => {
    const registry = await newRegistry();
    await runningPod(registry, 'a');
    await budget(registry, 'web', 0);
    const err = await rejection(evictPod(registry, 'default', 'a', eviction('a'), false));
    assert.equal(err.status.code, 429);
    assert.equal(err.status.reason, 'TooManyRequests');
    assert.equal(err.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.deepEqual(err.status.details?.causes, [
      {
        reason: 'DisruptionBudget',
        message: 'The disruption budget web needs 1 healthy pods and has 1 currently',
      },
    ]);
    assert.ok(await registry.find('pods', 'default', 'a'));
  });

  test('an allowed eviction takes a disruption, marks the pod and deletes it', async () => {
    const registry = await newRegistry();
    await runningPod(registry, 'a');
    await budget(registry, 'web', 1);
    const result = await evictPod(registry, 'default', 'a', eviction('a'), false);
    assert.equal(result.code, 201);
    assert.equal(await registry.find('pods', 'default', 'a'), undefined);
    const pdb = (await registry.get(
      'poddisruptionbudgets.policy',
      'default',
      'web',
    )) as unknown as PodDisruptionBudget;
    assert.equal(pdb.status?.disruptionsAllowed, 0);
    assert.deepEqual(Object.keys(pdb.status?.disruptedPods ?? {}), ['a']);
    assert.equal(pdb.status?.conditions?.[0]?.reason, 'InsufficientPods');
  });

  test('two budgets for one pod are a 500, and a name other than the URL’s a 400', async () => {
    const registry = await newRegistry();
    await runningPod(registry, 'a');
    await budget(registry, 'one', 1);
    await budget(registry, 'two', 1);
    const result = await evictPod(registry, 'default', 'a', eviction('a'), false);
    assert.equal(result.code, 500);
    assert.equal(
      result.status.message,
      'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    );
    const err = await rejection(evictPod(registry, 'default', 'a', eviction('b'), false));
    assert.equal(err.message, 'name in URL does not match name in Eviction object');
  });
});
