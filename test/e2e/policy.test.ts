// The policy kinds end to end with real kubectl: one manifest that mixes a LimitRange, a ResourceQuota, a
// PriorityClass, a NetworkPolicy, an IngressClass, an Ingress, a PodDisruptionBudget and a Deployment applies
// as on a cluster; the LimitRange's defaults show up in the Deployment's pods; a pod over the quota is
// refused with upstream's message; `kubectl drain` is held back by the budget; and a removed API version
// gets kubectl's `no matches for kind` error. kubectl's typed `create` commands for these kinds send protobuf.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Pod, ResourceQuota } from '../../src/api/types.js';
import { e2eCluster } from './support/cluster.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker, RUN_SLEEP_SECONDS } from './support/run-id.js';
import { poll } from './support/watch.js';

const MARK = marker('e2e-policy-test');
const cluster = e2eCluster({ commandMarkers: [MARK] });
before(cluster.start);
afterEach(cluster.record);
after(cluster.stopAndCheck);
const k = () => cluster.kubectl;

const MANIFEST = `
apiVersion: v1
kind: LimitRange
metadata: {name: defaults}
spec:
  limits:
    - type: Container
      default: {cpu: 200m, memory: 64Mi}
      defaultRequest: {cpu: 100m}
      max: {cpu: "1"}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute}
spec:
  hard: {requests.cpu: 250m, limits.memory: 1Gi, pods: "5"}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: web-high}
value: 1000
description: the web tier
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec:
  podSelector: {}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: nginx
  rules:
    - host: web.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      priorityClassName: web-high
      terminationGracePeriodSeconds: 1
      containers:
        - name: app
          image: busybox
          command: [/bin/sh, -c, ': ${MARK}; exec sleep ${RUN_SLEEP_SECONDS}']
`;

describe('policy kinds with kubectl', { skip: E2E_SKIP }, () => {
  test('a manifest mixing the policy kinds applies, and each prints as kubectl prints it', async () => {
    const out = await k().apply(MANIFEST);
    assert.equal(
      out,
      [
        'limitrange/defaults created',
        'resourcequota/compute created',
        'priorityclass.scheduling.k8s.io/web-high created',
        'networkpolicy.networking.k8s.io/deny-all created',
        'ingressclass.networking.k8s.io/nginx created',
        'ingress.networking.k8s.io/web created',
        'poddisruptionbudget.policy/web created',
        'deployment.apps/web created',
        '',
      ].join('\n'),
    );
    await k().ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
    const netpol = await k().ok(['get', 'netpol', 'deny-all']);
    assert.match(netpol, /^NAME\s+POD-SELECTOR\s+AGE\ndeny-all\s+<none>\s+\S+\n$/);
    const ing = await k().ok(['get', 'ingress', 'web']);
    assert.match(
      ing,
      /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\nweb\s+nginx\s+web\.example\.com\s+80\s+\S+\n$/,
    );
    const pc = await k().ok(['get', 'priorityclass', 'web-high', 'system-node-critical']);
    assert.match(pc, /^NAME\s+VALUE\s+GLOBAL-DEFAULT\s+AGE\s+PREEMPTIONPOLICY\n/);
    assert.match(pc, /\nsystem-node-critical\s+2000001000\s+false\s+\S+\s+PreemptLowerPriority\n/);
    // The budget's controller counts the two ready pods against minAvailable 2.
    const pdb = await poll(async () => {
      const text = await k().ok(['get', 'pdb', 'web']);
      return /\nweb\s+2\s+N\/A\s+0\s+/.test(text) ? text : undefined;
    }, 'the budget to count its pods');
    assert.match(pdb, /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\n/);
  });

  test('the LimitRange defaults show up in the pods, with their priority', async () => {
    const pods = await k().json<{ items: Pod[] }>(['get', 'pods', '-l', 'app=web']);
    assert.equal(pods.items.length, 2);
    for (const p of pods.items) {
      assert.deepEqual(p.spec?.containers[0]?.resources, {
        limits: { cpu: '200m', memory: '64Mi' },
        requests: { cpu: '100m', memory: '64Mi' },
      });
      assert.equal(
        p.metadata?.annotations?.['kubernetes.io/limit-ranger'],
        'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app',
      );
      assert.equal(p.spec?.priority, 1000);
    }
  });

  test('a pod over the quota is refused with upstream’s message', async () => {
    await poll(async () => {
      const q = await k().json<ResourceQuota>(['get', 'quota', 'compute']);
      return q.status?.used?.pods === '2' ? q : undefined;
    }, 'the quota controller to count the two pods');
    const quota = await k().ok(['get', 'quota', 'compute']);
    assert.match(
      quota,
      /\ncompute\s+\S+\s+pods: 2\/5, requests\.cpu: 200m\/250m\s+limits\.memory: 128Mi\/1Gi\n$/,
    );
    const r = await k().run(['run', 'extra', '--image=busybox', '--restart=Never', '--', 'sleep', '1']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'Error from server (Forbidden): pods "extra" is forbidden: exceeded quota: compute, requested: requests.cpu=100m, used: requests.cpu=200m, limited: requests.cpu=250m\n',
    );
  });

  test('kubectl drain of the node is held back by the disruption budget', async () => {
    const node = (await k().ok(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    try {
      const r = await k().run(['drain', node, '--pod-selector=app=web', '--timeout=8s'], {
        timeoutMs: 30_000,
      });
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /error when evicting pods\/"web-[a-z0-9-]+" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./,
      );
      assert.match(
        r.stderr,
        /error: unable to drain node "[^"]+" due to error: .*global timeout reached: 8s/,
      );
      const pods = await k().json<{ items: Pod[] }>(['get', 'pods', '-l', 'app=web']);
      assert.equal(pods.items.filter((p) => !p.metadata?.deletionTimestamp).length, 2);
    } finally {
      await k().ok(['uncordon', node]);
    }
  });

  test('kubectl create pdb|priorityclass|quota|ingress, whose bodies are protobuf, create what they say', async () => {
    await k().ok(['create', 'pdb', 'made', '--selector=app=made', '--max-unavailable=1']);
    await k().ok(['create', 'priorityclass', 'made', '--value=0']);
    await k().ok(['create', 'quota', 'made', '--hard=count/secrets=50']);
    await k().ok(['create', 'ingress', 'made', '--rule=made.example.com/app=made:8080']);
    const pdb = await k().json<{ spec: unknown }>(['get', 'pdb', 'made']);
    assert.deepEqual(pdb.spec, { maxUnavailable: 1, selector: { matchLabels: { app: 'made' } } });
    const pc = await k().json<{ value: number }>(['get', 'priorityclass', 'made']);
    assert.equal(pc.value, 0);
    const ing = await k().json<{ spec: unknown }>(['get', 'ingress', 'made']);
    assert.deepEqual(ing.spec, {
      rules: [
        {
          host: 'made.example.com',
          http: {
            paths: [
              {
                path: '/app',
                pathType: 'Exact',
                backend: { service: { name: 'made', port: { number: 8080 } } },
              },
            ],
          },
        },
      ],
    });
  });

  test('a removed API version gets kubectl’s `no matches for kind` error', async () => {
    const r = await k().run(['apply', '-f', '-'], {
      input: 'apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: old}\nspec: {}\n',
    });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'error: resource mapping not found for name: "old" namespace: "" from "STDIN": no matches for kind "Ingress" in version "extensions/v1beta1"\nensure CRDs are installed first\n',
    );
  });
});
