// metrics.k8s.io and the horizontal pod autoscaler with real kubectl and `--images host`: `kubectl top pod`
// (and `--containers`) and `kubectl top node` from the containers' cgroups and the node's /proc, `kubectl
// autoscale` (autoscaling/v1, protobuf) scaling a Deployment whose pods use more CPU than they request,
// `kubectl get hpa`, and the discovery and OpenAPI behind `kubectl api-resources`, `api-versions` and `explain`.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { e2eCluster } from './support/cluster.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker } from './support/run-id.js';
import { poll } from './support/watch.js';

const MARK = `: ${marker('e2e-metrics-test')};`;
const cluster = e2eCluster({
  commandMarkers: [MARK],
  // Readings every second and an autoscaler pass every second, so that the test takes seconds.
  extraArgs: ['--metric-resolution', '1s', '--horizontal-pod-autoscaler-sync-period', '1s'],
});
before(cluster.start);
afterEach(cluster.record);
// The autoscaler first (it would scale the Deployment back), then the shared teardown.
after(async () => {
  if (!E2E_SKIP) await cluster.kubectl.run(['delete', 'hpa', '--all', '--wait=false']);
});
after(cluster.stopAndCheck);
const k = () => cluster.kubectl;

// A light, steady load (a short sleep in a loop) far above its 1m request.
const MANIFEST = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: busy}
spec:
  replicas: 1
  selector: {matchLabels: {app: busy}}
  template:
    metadata: {labels: {app: busy}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: work
          image: busybox
          command: [/bin/sh, -c, '${MARK} while true; do sleep 0.05; done']
          resources: {requests: {cpu: 1m}}
        - name: idle
          image: busybox
          command: [/bin/sh, -c, '${MARK} exec sleep 360000']
          resources: {requests: {cpu: 1m}}
`;

const rows = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/));

describe('metrics.k8s.io and the horizontal pod autoscaler', { skip: E2E_SKIP }, () => {
  test('kubectl api-resources and api-versions list every group, metrics.k8s.io and autoscaling among them', async () => {
    const resources = rows(await k().ok(['api-resources']));
    assert.deepEqual(resources[0], ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    const line = (name: string, apiVersion: string) =>
      resources.find((r) => r[0] === name && r.includes(apiVersion));
    assert.deepEqual(line('horizontalpodautoscalers', 'autoscaling/v2'), [
      'horizontalpodautoscalers',
      'hpa',
      'autoscaling/v2',
      'true',
      'HorizontalPodAutoscaler',
    ]);
    assert.deepEqual(line('pods', 'metrics.k8s.io/v1beta1'), [
      'pods',
      'metrics.k8s.io/v1beta1',
      'true',
      'PodMetrics',
    ]);
    assert.deepEqual(line('nodes', 'metrics.k8s.io/v1beta1'), [
      'nodes',
      'metrics.k8s.io/v1beta1',
      'false',
      'NodeMetrics',
    ]);
    assert.deepEqual(line('pods', 'v1'), ['pods', 'po', 'v1', 'true', 'Pod']);
    const versions = (await k().ok(['api-versions'])).trim().split('\n');
    for (const v of ['v1', 'apps/v1', 'autoscaling/v1', 'autoscaling/v2', 'metrics.k8s.io/v1beta1'])
      assert.ok(versions.includes(v), `api-versions lists ${v}: ${versions.join(' ')}`);
  });

  test("kubectl explain prints upstream's field descriptions", async () => {
    const out = await k().ok(['explain', 'pod.spec.initContainers']);
    assert.match(out, /FIELD: initContainers <\[\]Container>/);
    assert.match(
      out,
      /List of initialization containers belonging to the pod\. Init containers are\s+executed in order/,
    );
    const hpa = await k().ok(['explain', 'hpa.spec.maxReplicas']);
    assert.match(hpa, /VERSION:\s+v2/);
    assert.match(hpa, /maxReplicas is the upper limit for the number of replicas/);
  });

  test('kubectl top pod, top pod --containers and top node', async () => {
    await k().ok(['apply', '-f', '-'], { input: MANIFEST });
    const top = await poll(
      async () => {
        const r = await k().run(['top', 'pod']);
        return r.code === 0 && /busy-/.test(r.stdout) ? r.stdout : undefined;
      },
      'kubectl top pod lists the pod',
      90_000,
      1000,
    );
    const [header, row] = rows(top);
    assert.deepEqual(header, ['NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    assert.match(row?.[0] ?? '', /^busy-/);
    assert.match(row?.[1] ?? '', /^\d+m$/);
    assert.match(row?.[2] ?? '', /^\d+Mi$/);

    const containers = rows(await k().ok(['top', 'pod', '--containers']));
    assert.deepEqual(containers[0], ['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    assert.deepEqual(
      containers
        .slice(1)
        .map((r) => r[1])
        .sort(),
      ['idle', 'work'],
    );

    const node = rows(await k().ok(['top', 'node']));
    assert.deepEqual(node[0], ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)']);
    assert.equal(node[1]?.[0], 'podrun');
    assert.match(node[1]?.[1] ?? '', /^\d+m$/);
    assert.match(node[1]?.[2] ?? '', /^\d+%$/);

    // The API itself: the window and timestamp metrics-server reports.
    const raw = JSON.parse(
      await k().ok(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods']),
    ) as {
      kind: string;
      items: { timestamp: string; window: string; metadata: { labels?: Record<string, string> } }[];
    };
    assert.equal(raw.kind, 'PodMetricsList');
    assert.match(raw.items[0]?.window ?? '', /^\d+(\.\d+)?m?s$/);
    assert.match(raw.items[0]?.timestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(raw.items[0]?.metadata.labels?.app, 'busy');
    const missing = await k().run(['top', 'pod', 'nope']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /pods "nope" not found/);
  });

  test('kubectl autoscale creates an autoscaler that scales the Deployment on CPU against requests', async () => {
    const out = await k().ok(['autoscale', 'deployment', 'busy', '--cpu-percent=50', '--min=1', '--max=3']);
    assert.equal(out.trim(), 'horizontalpodautoscaler.autoscaling/busy autoscaled');
    const hpa = await poll(
      async () => {
        const got = rows(await k().ok(['get', 'hpa']));
        const row = got[1];
        return row && /^\d+%\/50%$/.test(row[3] ?? '') && row[6] === '3' ? got : undefined;
      },
      'the autoscaler reads the CPU and scales to its maximum',
      90_000,
      1000,
    );
    assert.deepEqual(hpa[0], ['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE']);
    assert.deepEqual(hpa[1]?.slice(0, 3), ['busy', 'Deployment/busy', 'cpu:']);
    assert.deepEqual(hpa[1]?.slice(4, 7), ['1', '3', '3']);
    const deploy = JSON.parse(await k().ok(['get', 'deployment', 'busy', '-o', 'json'])) as {
      spec: { replicas: number };
    };
    assert.equal(deploy.spec.replicas, 3);
    const v1 = JSON.parse(
      await k().ok(['get', '--raw', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/busy']),
    ) as { spec: Record<string, unknown>; status: Record<string, unknown> };
    assert.equal(v1.spec.targetCPUUtilizationPercentage, 50);
    assert.equal(typeof v1.status.currentCPUUtilizationPercentage, 'number');
    const described = await k().ok(['describe', 'hpa', 'busy']);
    assert.match(
      described,
      /SuccessfulRescale\s+.*New size: \d; reason: cpu resource utilization \(percentage of request\) above target/,
    );
  });
});
