import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyDefaults, defaultPullPolicy } from '../../src/api/defaults.js';
import type { KubeObject } from '../../src/api/types.js';

describe('applyDefaults', () => {
  test('a minimal pod gets the API server defaults for the pod, its containers, probes and volumes', () => {
    const input: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        initContainers: [{ name: 'init', image: 'busybox:1.36' }],
        containers: [
          {
            name: 'app',
            image: 'nginx',
            ports: [{ containerPort: 80 }],
            env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            readinessProbe: { httpGet: { port: 80 } },
            resources: { limits: { cpu: '1' } },
          },
        ],
        volumes: [
          { name: 'cm', configMap: { name: 'c' } },
          { name: 's', secret: { secretName: 's' } },
          { name: 'd', downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } },
          { name: 'pr', projected: { sources: [] } },
          { name: 'h', hostPath: { path: '/tmp' } },
          { name: 'none' },
        ],
      },
    };
    const out = applyDefaults(input);
    assert.deepEqual(out.spec, {
      initContainers: [
        {
          name: 'init',
          image: 'busybox:1.36',
          imagePullPolicy: 'IfNotPresent',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          resources: {},
        },
      ],
      containers: [
        {
          name: 'app',
          image: 'nginx',
          imagePullPolicy: 'Always',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } } }],
          readinessProbe: {
            httpGet: { port: 80, path: '/', scheme: 'HTTP' },
            timeoutSeconds: 1,
            periodSeconds: 10,
            successThreshold: 1,
            failureThreshold: 3,
          },
          resources: { limits: { cpu: '1' }, requests: { cpu: '1' } },
        },
      ],
      volumes: [
        { name: 'cm', configMap: { name: 'c', defaultMode: 420 } },
        { name: 's', secret: { secretName: 's', defaultMode: 420 } },
        {
          name: 'd',
          downwardAPI: {
            defaultMode: 420,
            items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } }],
          },
        },
        { name: 'pr', projected: { sources: [], defaultMode: 420 } },
        { name: 'h', hostPath: { path: '/tmp', type: '' } },
        { name: 'none', emptyDir: {} },
      ],
      enableServiceLinks: true,
      dnsPolicy: 'ClusterFirst',
      restartPolicy: 'Always',
      securityContext: {},
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
    });
    assert.equal((input.spec as { dnsPolicy?: string }).dnsPolicy, undefined, 'the input is not modified');
  });

  test('imagePullPolicy is Always for :latest or no tag, IfNotPresent for a tag or a digest', () => {
    const cases: [string, string][] = [
      ['nginx', 'Always'],
      ['nginx:latest', 'Always'],
      ['nginx:1.27', 'IfNotPresent'],
      ['localhost:5000/app', 'Always'],
      ['localhost:5000/app:v2', 'IfNotPresent'],
      ['nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'IfNotPresent'],
      ['nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'Always'],
      ['docker.io/library/busybox', 'Always'],
      ['127.0.0.1:5000/team/app:latest', 'Always'],
      // A reference the kubelet cannot parse: upstream ignores the parse error, the tag is '' → IfNotPresent.
      ['BusyBox', 'IfNotPresent'],
      ['', 'IfNotPresent'],
    ];
    for (const [image, policy] of cases) assert.equal(defaultPullPolicy(image), policy, image);
  });

  test('set values are kept', () => {
    const out = applyDefaults({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        containers: [{ name: 'a', image: 'x', imagePullPolicy: 'Never' }],
        volumes: [{ name: 's', secret: { secretName: 's', defaultMode: 0o400 } }],
      },
    });
    const spec = out.spec as Record<string, unknown> & {
      containers: { imagePullPolicy: string }[];
      volumes: { secret: { defaultMode: number } }[];
    };
    assert.equal(spec.restartPolicy, 'Never');
    assert.equal(spec.terminationGracePeriodSeconds, 0);
    assert.equal(spec.containers[0]!.imagePullPolicy, 'Never');
    assert.equal(spec.volumes[0]!.secret.defaultMode, 256);
  });

  test('defaulting is idempotent for every kind', () => {
    const objects: KubeObject[] = [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'a', image: 'x' }] },
      },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd' },
        spec: { template: { spec: { containers: [] } } },
      },
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'j' },
        spec: { template: { spec: { containers: [] } } },
      },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } },
    ];
    for (const o of objects) {
      const once = applyDefaults(o);
      assert.deepEqual(applyDefaults(once), once, o.kind);
    }
  });

  test('Service: ClusterIP, no session affinity, TCP, targetPort from port', () => {
    const out = applyDefaults({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] },
    });
    assert.deepEqual(out.spec, {
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ports: [
        { port: 80, protocol: 'TCP', targetPort: 80 },
        { port: 53, protocol: 'UDP', targetPort: 'dns' },
      ],
    });
  });

  test('Deployment: one replica, RollingUpdate 25%/25%, history 10, deadline 600, template defaulted without service links', () => {
    const out = applyDefaults({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } },
      },
    });
    const spec = out.spec as Record<string, unknown> & { template: { spec: Record<string, unknown> } };
    assert.equal(spec.replicas, 1);
    assert.deepEqual(spec.strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
    });
    assert.equal(spec.revisionHistoryLimit, 10);
    assert.equal(spec.progressDeadlineSeconds, 600);
    assert.equal(spec.template.spec.restartPolicy, 'Always');
    assert.equal(spec.template.spec.enableServiceLinks, undefined);
  });

  test('ReplicaSet gets one replica; Recreate strategy gets no rollingUpdate', () => {
    const rs = applyDefaults({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'r' },
      spec: { template: {} },
    });
    assert.equal((rs.spec as { replicas: number }).replicas, 1);
    const d = applyDefaults({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { strategy: { type: 'Recreate' }, template: {} },
    });
    assert.deepEqual((d.spec as { strategy: unknown }).strategy, { type: 'Recreate' });
  });

  test('Job: completions and parallelism 1, backoffLimit 6, NonIndexed, not suspended, labels from the template', () => {
    const out = applyDefaults({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j' },
      spec: {
        template: {
          metadata: { labels: { app: 'j' } },
          spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] },
        },
      },
    });
    const spec = out.spec as Record<string, unknown> & { template: { spec: { restartPolicy: string } } };
    assert.equal(spec.completions, 1);
    assert.equal(spec.parallelism, 1);
    assert.equal(spec.backoffLimit, 6);
    assert.equal(spec.completionMode, 'NonIndexed');
    assert.equal(spec.suspend, false);
    assert.equal(spec.podReplacementPolicy, 'TerminatingOrFailed');
    assert.equal(spec.template.spec.restartPolicy, 'Never');
    assert.deepEqual(out.metadata.labels, { app: 'j' });
  });

  test('Secret type Opaque; Namespace finalizer kubernetes and phase Active', () => {
    assert.equal(applyDefaults({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }).type, 'Opaque');
    const ns = applyDefaults({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } });
    assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
    assert.deepEqual(ns.status, { phase: 'Active' });
  });
});
