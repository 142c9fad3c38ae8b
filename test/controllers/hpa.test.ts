// The horizontal pod autoscaler: upstream's replica calculation (replica_calculator_test.go's shapes), the
// stabilization window and scaling rules, and the controller's loop over a fake API with an injected clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import { effectiveBehavior } from '../../src/api/hpa.js';
import type { Pod } from '../../src/api/types.js';
import { HorizontalPodAutoscalerController, type HpaApi } from '../../src/controllers/hpa/controller.js';
import {
  milliValue,
  newMemory,
  normalizeWithBehavior,
  normalizeWithoutBehavior,
  type PodMetric,
  recordScaleEvent,
  resourceReplicas,
  utilizationRatio,
} from '../../src/controllers/hpa/replicas.js';
import type { PodUsage } from '../../src/metrics/usage.js';
import { FakeClock } from '../../src/util/clock.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** A Running, Ready pod started long ago, requesting `request` of CPU. */
function pod(
  name: string,
  request = '1',
  opts: { phase?: string; ready?: 'True' | 'False'; startedMs?: number } = {},
): Pod {
  const started = opts.startedMs ?? T0 - 3_600_000;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: request } } }] },
    status: {
      phase: opts.phase ?? 'Running',
      startTime: iso(started),
      conditions: [{ type: 'Ready', status: opts.ready ?? 'True', lastTransitionTime: iso(started + 1000) }],
    },
  };
}

const metrics = (entries: [string, number][], at = T0): Map<string, PodMetric> =>
  new Map(entries.map(([n, v]) => [n, { milliValue: v, timestampMs: at, windowMs: 15_000 }]));

describe('replica calculation for a CPU utilization target', () => {
  test('quantities in milli-units', () => {
    assert.equal(milliValue('1'), 1000);
    assert.equal(milliValue('250m'), 250);
    assert.equal(milliValue('0.5'), 500);
  });

  test('utilization is total usage over total requests, truncated to a whole percent', () => {
    const r = utilizationRatio(
      new Map([
        ['a', 300],
        ['b', 500],
      ]),
      new Map([
        ['a', 1000],
        ['b', 1000],
      ]),
      50,
    );
    assert.deepEqual(r, { usageRatio: 0.8, utilization: 40, rawAverage: 400 });
  });

  test('scales up by the usage ratio over the ready pods', () => {
    const pods = [pod('a'), pod('b'), pod('c')];
    const r = resourceReplicas(
      3,
      30,
      'cpu',
      pods,
      metrics([
        ['a', 500],
        ['b', 500],
        ['c', 500],
      ]),
      T0,
    );
    // 50% against 30%: ceil(5/3 * 3) = 5.
    assert.equal(r.replicas, 5);
    assert.equal(r.utilization, 50);
    assert.equal(r.rawAverage, 500);
  });

  test('within the 0.1 tolerance the count stays', () => {
    const pods = [pod('a'), pod('b')];
    assert.equal(
      resourceReplicas(
        2,
        50,
        'cpu',
        pods,
        metrics([
          ['a', 540],
          ['b', 540],
        ]),
        T0,
      ).replicas,
      2,
    );
    assert.equal(
      resourceReplicas(
        2,
        50,
        'cpu',
        pods,
        metrics([
          ['a', 560],
          ['b', 560],
        ]),
        T0,
      ).replicas,
      3,
    );
  });

  test('scales down', () => {
    const pods = [pod('a'), pod('b'), pod('c'), pod('d')];
    const r = resourceReplicas(
      4,
      50,
      'cpu',
      pods,
      metrics([
        ['a', 100],
        ['b', 100],
        ['c', 100],
        ['d', 100],
      ]),
      T0,
    );
    assert.equal(r.replicas, 1);
  });

  test('missing pods count as at the target when scaling down, idle when scaling up', () => {
    const pods = [pod('a'), pod('b'), pod('c')];
    // Scale down: the missing pod is assumed at 100% of its request, which damps the change.
    const down = resourceReplicas(
      3,
      50,
      'cpu',
      pods,
      metrics([
        ['a', 100],
        ['b', 100],
      ]),
      T0,
    );
    // (100 + 100 + 1000) / 3000 = 40% → ratio 0.8 → ceil(0.8 * 3) = 3.
    assert.equal(down.replicas, 3);
    // Scale up: the missing pod counts as 0.
    const up = resourceReplicas(
      3,
      50,
      'cpu',
      pods,
      metrics([
        ['a', 1000],
        ['b', 1000],
      ]),
      T0,
    );
    // (1000 + 1000 + 0) / 3000 = 66% → ratio 1.32 → ceil(1.32 * 3) = 4.
    assert.equal(up.replicas, 4);
  });

  test('unready pods are left out, and count as 0 when scaling up', () => {
    const pods = [pod('a'), pod('b', '1', { ready: 'False', startedMs: T0 - 10_000 })];
    const r = resourceReplicas(
      2,
      50,
      'cpu',
      pods,
      metrics([
        ['a', 1000],
        ['b', 1000],
      ]),
      T0,
    );
    // Ready: 100% → ratio 2; with b at 0: 50% → within tolerance → stays.
    assert.equal(r.replicas, 2);
  });

  test('pending and failed pods are ignored; a container without a request is an error', () => {
    const pods = [pod('a'), pod('p', '1', { phase: 'Pending' })];
    assert.equal(resourceReplicas(2, 50, 'cpu', pods, metrics([['a', 1000]]), T0).replicas, 2);
    const noRequest = pod('n');
    noRequest.spec!.containers[0]!.resources = {};
    assert.throws(
      () => resourceReplicas(1, 50, 'cpu', [noRequest], metrics([['n', 10]]), T0),
      /missing request for cpu in container c of Pod n/,
    );
    assert.throws(() => resourceReplicas(1, 50, 'cpu', [pod('a')], new Map(), T0), /no metrics returned/);
  });
});

describe('normalization', () => {
  test('without behavior: the highest recommendation of the last 5 minutes holds a scale-down', () => {
    const m = newMemory(5, T0);
    let n = normalizeWithoutBehavior(m, 5, 2, 1, 10, T0 + 15_000);
    assert.equal(n.replicas, 5);
    assert.equal(n.ableToScale.reason, 'ScaleDownStabilized');
    n = normalizeWithoutBehavior(m, 5, 2, 1, 10, T0 + 299_000);
    assert.equal(n.replicas, 5, 'the initial recommendation is still within the window');
    n = normalizeWithoutBehavior(m, 5, 2, 1, 10, T0 + 316_000);
    assert.equal(n.replicas, 2, 'every recommendation of 5 is older than the window');
    assert.equal(n.ableToScale.reason, 'ReadyForNewScale');
  });

  test('without behavior: at most double (or 4) per step, and within min and max', () => {
    const m = newMemory(1, T0);
    let n = normalizeWithoutBehavior(m, 1, 10, 1, 20, T0);
    assert.deepEqual(
      [n.replicas, n.scalingLimited.reason, n.scalingLimited.limited],
      [4, 'ScaleUpLimit', true],
    );
    n = normalizeWithoutBehavior(newMemory(2, T0), 2, 10, 1, 3, T0);
    assert.deepEqual([n.replicas, n.scalingLimited.reason], [3, 'TooManyReplicas']);
    n = normalizeWithoutBehavior(newMemory(2, T0 - 600_000), 2, 1, 2, 3, T0);
    assert.deepEqual([n.replicas, n.scalingLimited.reason], [2, 'TooFewReplicas']);
  });

  test('with behavior: the scale-down policy limits the rate, scale events are remembered', () => {
    const hpa = {
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web' },
        maxReplicas: 10,
        behavior: {
          scaleDown: {
            stabilizationWindowSeconds: 0,
            policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
          },
        },
      },
    } as HorizontalPodAutoscaler;
    const behavior = effectiveBehavior(hpa);
    const m = newMemory(6, T0 - 600_000);
    let n = normalizeWithBehavior(m, behavior, 6, 2, 1, 10, T0);
    assert.deepEqual([n.replicas, n.scalingLimited.reason], [5, 'ScaleDownLimit']);
    recordScaleEvent(m, behavior, 6, 5, T0);
    n = normalizeWithBehavior(m, behavior, 5, 2, 1, 10, T0 + 15_000);
    assert.equal(n.replicas, 5, 'one pod per minute: no more this period');
    n = normalizeWithBehavior(m, behavior, 5, 2, 1, 10, T0 + 61_000);
    assert.equal(n.replicas, 4);
  });
});

describe('the controller', () => {
  function harness(initialReplicas: number) {
    const clock = new FakeClock(T0);
    let replicas = initialReplicas;
    let usage: PodUsage[] = [];
    const pods = () => Array.from({ length: replicas }, (_, i) => pod(`web-${i}`, '100m'));
    const events: string[] = [];
    let stored: HorizontalPodAutoscaler = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default', uid: 'hpa-uid', generation: 1 },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 1,
        maxReplicas: 5,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
          },
        ],
      },
    };
    const api: HpaApi = {
      listAutoscalers: async () => [structuredClone(stored)],
      getScale: async () => ({ replicas, selector: 'app=web' }),
      updateScale: async (_ns, _ref, n) => {
        replicas = n;
      },
      listPods: async () => pods(),
      updateStatus: async (hpa) => {
        stored = structuredClone(hpa);
      },
    };
    const controller = new HorizontalPodAutoscalerController({
      api,
      podUsage: () => usage,
      clock,
      events: { event: (_o, type, reason, message) => events.push(`${type} ${reason} ${message}`) },
    });
    const setCpu = (milliPerPod: number) => {
      usage = pods().map((p) => ({
        namespace: 'default',
        name: p.metadata!.name!,
        uid: p.metadata!.uid!,
        timestampMs: clock.now(),
        windowMs: 15_000,
        containers: [
          {
            name: 'c',
            usage: {
              timestampMs: clock.now(),
              windowMs: 15_000,
              cpuNanoCores: milliPerPod * 1e6,
              workingSetBytes: 1,
            },
          },
        ],
      }));
    };
    return { clock, controller, events, setCpu, replicas: () => replicas, stored: () => stored };
  }

  test('scales up at once, writes the status, and holds a scale-down for the stabilization window', async () => {
    const h = harness(1);
    h.setCpu(200); // 200% of a 100m request against 50%.
    await h.controller.syncAll();
    assert.equal(h.replicas(), 4);
    const status = h.stored().status!;
    assert.equal(status.currentReplicas, 1);
    assert.equal(status.desiredReplicas, 4);
    assert.equal(status.lastScaleTime, iso(T0));
    assert.deepEqual(status.currentMetrics, [
      {
        type: 'Resource',
        resource: { name: 'cpu', current: { averageUtilization: 200, averageValue: '200m' } },
      },
    ]);
    assert.ok(
      h.events.includes(
        'Normal SuccessfulRescale New size: 4; reason: cpu resource utilization (percentage of request) above target',
      ),
    );
    const conditions = Object.fromEntries(status.conditions!.map((c) => [c.type, c.reason]));
    assert.deepEqual(conditions, {
      AbleToScale: 'SucceededRescale',
      ScalingActive: 'ValidMetricFound',
      ScalingLimited: 'DesiredWithinRange',
    });

    // Load drops: the recommendation of 4 holds for 5 minutes.
    await h.clock.advance(15_000);
    h.setCpu(10);
    await h.controller.syncAll();
    assert.equal(h.replicas(), 4);
    assert.equal(
      h.stored().status!.conditions!.find((c) => c.type === 'AbleToScale')?.reason,
      'ScaleDownStabilized',
    );
    await h.clock.advance(300_000);
    h.setCpu(10);
    await h.controller.syncAll();
    assert.equal(h.replicas(), 1, 'past the window the scale-down happens');
    assert.ok(h.events.includes('Normal SuccessfulRescale New size: 1; reason: All metrics below target'));
  });

  test('without metrics the status says why and nothing is scaled', async () => {
    const h = harness(2);
    await h.controller.syncAll();
    assert.equal(h.replicas(), 2);
    const active = h.stored().status!.conditions!.find((c) => c.type === 'ScalingActive');
    assert.equal(active?.status, 'False');
    assert.equal(active?.reason, 'FailedGetResourceMetric');
    assert.ok(
      h.events.some((e) =>
        e.startsWith('Warning FailedComputeMetricsReplicas invalid metrics (1 invalid out of 1)'),
      ),
    );
  });
});
