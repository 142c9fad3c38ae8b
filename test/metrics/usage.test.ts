// metrics.k8s.io's arithmetic and spelling: rates between two cumulative readings, Go's Quantity and
// Duration strings, the PodMetrics/NodeMetrics objects, the /proc parsing and the collector over the fake runtime.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsCollector } from '../../src/metrics/collector.js';
import { busyCpuNanos, workingSetBytes } from '../../src/metrics/node-usage.js';
import {
  formatBytes,
  formatNanoCores,
  nodeMetricsObject,
  podMetricsObject,
  usageBetween,
} from '../../src/metrics/usage.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import {
  type ContainerConfig,
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  type PodSandboxConfig,
} from '../../src/runtime/types.js';
import { FakeClock } from '../../src/util/clock.js';

test('CPU is a rate in nanocores between two readings; memory is the later working set', () => {
  const prev = { timestampMs: 10_000, cpuNanos: 1_000_000_000, workingSetBytes: 1 };
  const last = { timestampMs: 25_000, cpuNanos: 4_000_000_000, workingSetBytes: 2048 };
  // 3 s of CPU over 15 s: 0.2 cores.
  assert.deepEqual(usageBetween(prev, last), {
    timestampMs: 25_000,
    windowMs: 15_000,
    cpuNanoCores: 200_000_000,
    workingSetBytes: 2048,
  });
  assert.equal(usageBetween(undefined, last), undefined, 'one reading is no rate');
  assert.equal(usageBetween(last, last), undefined, 'no time passed');
  assert.equal(usageBetween(last, { ...prev, timestampMs: 30_000 }), undefined, 'the counter restarted');
});

test("quantities are spelled as Go's resource.Quantity prints them", () => {
  assert.equal(formatNanoCores(0), '0');
  assert.equal(formatNanoCores(273004088456), '273004088456n');
  assert.equal(formatNanoCores(1_500_000), '1500u');
  assert.equal(formatNanoCores(250_000_000), '250m');
  assert.equal(formatNanoCores(2_000_000_000), '2');
  assert.equal(formatBytes(0), '0');
  assert.equal(formatBytes(1000), '1000');
  assert.equal(formatBytes(188 * 1024), '188Ki');
  assert.equal(formatBytes(1024 * 1024), '1Mi');
  assert.equal(formatBytes(1536 * 1024 * 1024), '1536Mi');
});

test('PodMetrics and NodeMetrics carry the labels, timestamp and window as metrics-server serves them', () => {
  const usage = {
    timestampMs: Date.UTC(2026, 0, 1, 12, 0, 15),
    windowMs: 15_012,
    cpuNanoCores: 5_000_000,
    workingSetBytes: 3 * 1024 * 1024,
  };
  const now = Date.UTC(2026, 0, 1, 12, 0, 20);
  assert.deepEqual(
    podMetricsObject(
      {
        namespace: 'default',
        name: 'web',
        uid: 'u',
        timestampMs: usage.timestampMs,
        windowMs: usage.windowMs,
        containers: [{ name: 'c', usage }],
      },
      { app: 'web' },
      now,
    ),
    {
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {
        name: 'web',
        namespace: 'default',
        creationTimestamp: '2026-01-01T12:00:20Z',
        labels: { app: 'web' },
      },
      timestamp: '2026-01-01T12:00:15Z',
      window: '15.012s',
      containers: [{ name: 'c', usage: { cpu: '5m', memory: '3Mi' } }],
    },
  );
  assert.deepEqual(nodeMetricsObject('podrun', usage, undefined, now), {
    kind: 'NodeMetrics',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: { name: 'podrun', creationTimestamp: '2026-01-01T12:00:20Z' },
    timestamp: '2026-01-01T12:00:15Z',
    window: '15.012s',
    usage: { cpu: '5m', memory: '3Mi' },
  });
});

test("the node's usage is /proc/stat's busy ticks and meminfo's used memory less the inactive file cache", () => {
  // user nice system idle iowait irq softirq steal: idle and iowait do not count.
  assert.equal(busyCpuNanos('cpu  100 20 30 5000 70 1 2 3 0 0\ncpu0 1 2 3 4\n'), 156 * 10_000_000);
  assert.equal(busyCpuNanos('intr 1 2 3\n'), undefined);
  const meminfo =
    'MemTotal:       1000 kB\nMemFree:         200 kB\nMemAvailable:    600 kB\nInactive(file):  300 kB\n';
  assert.equal(workingSetBytes(meminfo), 500 * 1024);
  assert.equal(workingSetBytes('MemTotal: 5 kB\n'), undefined);
});

test('the collector reports a pod from the second reading of every one of its containers', async () => {
  const clock = new FakeClock();
  const runtime = new FakeRuntime({ clock });
  const labels = (container: string) => ({
    [LABEL_POD_NAME]: 'web',
    [LABEL_POD_NAMESPACE]: 'default',
    [LABEL_POD_UID]: 'uid-1',
    [LABEL_CONTAINER_NAME]: container,
  });
  const sandboxConfig: PodSandboxConfig = {
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1', attempt: 0 },
    hostname: 'web',
    logDirectory: '/nonexistent',
    labels: { [LABEL_POD_UID]: 'uid-1' },
    annotations: {},
    portMappings: [],
  };
  const sandbox = await runtime.runPodSandbox(sandboxConfig);
  for (const name of ['app', 'sidecar']) {
    const config: ContainerConfig = {
      metadata: { name, attempt: 0 },
      image: 'busybox',
      command: ['sleep', '600'],
      args: [],
      envs: [],
      mounts: [],
      labels: labels(name),
      annotations: {},
      logPath: `${name}/0.log`,
    };
    await runtime.startContainer(await runtime.createContainer(sandbox, config, sandboxConfig));
  }
  let node = 0;
  const collector = new MetricsCollector({
    clock,
    runtime,
    node: (now) => {
      node += 2e9;
      return { timestampMs: now, cpuNanos: node, workingSetBytes: 4096 };
    },
  });
  runtime.usage.set('app', { cpuNanos: 1e9, workingSetBytes: 1024 });
  await collector.scrape();
  assert.deepEqual(collector.podUsage(), [], 'no rate from one reading');
  assert.equal(collector.nodeUsage(), undefined);
  await clock.advance(10_000);
  runtime.usage.set('app', { cpuNanos: 3e9, workingSetBytes: 2048 });
  await collector.scrape();
  const [pod] = collector.podUsage();
  assert.equal(pod?.name, 'web');
  assert.equal(pod?.windowMs, 10_000);
  assert.deepEqual(
    pod?.containers.map((c) => [c.name, c.usage.cpuNanoCores, c.usage.workingSetBytes]),
    [
      ['app', 200_000_000, 2048],
      ['sidecar', 0, 0],
    ],
  );
  assert.equal(collector.nodeUsage()?.cpuNanoCores, 200_000_000);
});
