// The horizontal pod autoscaler controller (pkg/controller/podautoscaler/horizontal.go, v1.32): every sync
// period each HorizontalPodAutoscaler reads its target's scale subresource, the CPU usage of the pods its
// selector picks (metrics.k8s.io's readings), computes the replica count for each metric, stabilizes and
// limits it, updates the scale when it changes, and writes its status and conditions. Resource metrics with
// a Utilization or AverageValue target are computed; other metric types report that podrun has no source.

import type {
  HorizontalPodAutoscaler,
  HorizontalPodAutoscalerCondition,
  MetricSpec,
  MetricStatus,
} from 'kubernetes-types/autoscaling/v2.js';
import { effectiveBehavior } from '../../api/hpa.js';
import type { Pod } from '../../api/types.js';
import type { EventRecorder } from '../../kubelet/types.js';
import type { PodUsage } from '../../metrics/usage.js';
import type { Clock } from '../../util/clock.js';
import {
  type AutoscalerMemory,
  milliValue,
  type Normalized,
  newMemory,
  normalizeWithBehavior,
  normalizeWithoutBehavior,
  type PodMetric,
  recordScaleEvent,
  resourceReplicas,
  TOLERANCE,
  withinTolerance,
} from './replicas.js';

/** What the controller reads and writes, over the API server's registry in podrun. */
export interface HpaApi {
  listAutoscalers(): Promise<HorizontalPodAutoscaler[]>;
  /** The target's scale: spec replicas, status selector. Rejects when the target or its scale is missing. */
  getScale(
    namespace: string,
    ref: { apiVersion?: string; kind: string; name: string },
  ): Promise<{ replicas: number; selector: string }>;
  updateScale(
    namespace: string,
    ref: { apiVersion?: string; kind: string; name: string },
    replicas: number,
  ): Promise<void>;
  listPods(namespace: string, selector: string): Promise<Pod[]>;
  updateStatus(hpa: HorizontalPodAutoscaler): Promise<void>;
}

export interface HpaControllerOptions {
  api: HpaApi;
  /** The pods' usage, as metrics.k8s.io serves it. */
  podUsage: () => PodUsage[];
  clock: Clock;
  events: EventRecorder;
  /** --horizontal-pod-autoscaler-sync-period. @default 15000 */
  periodMs?: number;
  onError?: (key: string, e: unknown) => void;
}

const metaTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

function setCondition(
  hpa: HorizontalPodAutoscaler,
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
  now: number,
): void {
  hpa.status ??= { desiredReplicas: 0 };
  hpa.status.conditions ??= [];
  const conditions = hpa.status.conditions;
  const existing = conditions.find((c) => c.type === type);
  const next: HorizontalPodAutoscalerCondition = {
    type,
    status,
    lastTransitionTime:
      existing && existing.status === status && existing.lastTransitionTime
        ? existing.lastTransitionTime
        : metaTime(now),
    reason,
    message,
  };
  if (existing) Object.assign(existing, next);
  else conditions.push(next);
}

interface MetricResult {
  replicas: number;
  name: string;
  status: MetricStatus;
  timestampMs: number;
}

export class HorizontalPodAutoscalerController {
  readonly #o: HpaControllerOptions;
  readonly #memory = new Map<string, AutoscalerMemory>();
  #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(options: HpaControllerOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#loop) return;
    const signal = this.#stop.signal;
    this.#loop = (async () => {
      while (!signal.aborted) {
        try {
          await this.#o.clock.sleep(this.#o.periodMs ?? 15_000, signal);
        } catch {
          return;
        }
        await this.syncAll();
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  /** One pass over every autoscaler. */
  async syncAll(): Promise<void> {
    let all: HorizontalPodAutoscaler[];
    try {
      all = await this.#o.api.listAutoscalers();
    } catch (e) {
      this.#o.onError?.('', e);
      return;
    }
    const live = new Set<string>();
    for (const hpa of all) {
      const key = `${hpa.metadata?.namespace}/${hpa.metadata?.name}`;
      live.add(key);
      try {
        await this.reconcile(hpa);
      } catch (e) {
        this.#o.onError?.(key, e);
      }
    }
    for (const key of this.#memory.keys()) if (!live.has(key)) this.#memory.delete(key);
  }

  #event(hpa: HorizontalPodAutoscaler, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#o.events.event(
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        namespace: hpa.metadata?.namespace ?? '',
        name: hpa.metadata?.name ?? '',
        uid: hpa.metadata?.uid ?? '',
        ...(hpa.metadata?.resourceVersion ? { resourceVersion: hpa.metadata.resourceVersion } : {}),
      },
      type,
      reason,
      message,
    );
  }

  /** reconcileAutoscaler. */
  async reconcile(original: HorizontalPodAutoscaler): Promise<void> {
    const now = this.#o.clock.now();
    const hpa = structuredClone(original);
    const ns = hpa.metadata?.namespace ?? '';
    const key = `${ns}/${hpa.metadata?.name}`;
    const spec = hpa.spec!;
    const ref = spec.scaleTargetRef;
    const reference = `${ref.kind}/${ref.name}`;
    hpa.status ??= { desiredReplicas: 0 };
    if (hpa.metadata?.generation !== undefined) hpa.status.observedGeneration = hpa.metadata.generation;

    let scale: { replicas: number; selector: string };
    try {
      scale = await this.#o.api.getScale(ns, ref);
    } catch (e) {
      const msg = (e as Error).message;
      setCondition(
        hpa,
        'AbleToScale',
        'False',
        'FailedGetScale',
        `the HPA controller was unable to get the target's current scale: ${msg}`,
        now,
      );
      this.#event(hpa, 'Warning', 'FailedGetScale', msg);
      await this.#writeStatus(original, hpa);
      return;
    }
    setCondition(
      hpa,
      'AbleToScale',
      'True',
      'SucceededGetScale',
      "the HPA controller was able to get the target's current scale",
      now,
    );
    const currentReplicas = scale.replicas;
    let memory = this.#memory.get(key);
    if (!memory) {
      memory = newMemory(currentReplicas, now);
      this.#memory.set(key, memory);
    }
    const minReplicas = spec.minReplicas ?? 1;
    let desiredReplicas = 0;
    let rescale = true;
    let rescaleReason = '';
    let statuses: MetricStatus[] = hpa.status.currentMetrics ?? [];

    if (currentReplicas === 0 && minReplicas !== 0) {
      desiredReplicas = 0;
      rescale = false;
      setCondition(
        hpa,
        'ScalingActive',
        'False',
        'ScalingDisabled',
        'scaling is disabled since the replica count of the target is zero',
        now,
      );
    } else if (currentReplicas > spec.maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desiredReplicas = spec.maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desiredReplicas = minReplicas;
    } else {
      const computed = await this.#computeForMetrics(hpa, scale, currentReplicas, now);
      statuses = computed.statuses;
      if (computed.replicas === -1) {
        hpa.status.currentReplicas = currentReplicas;
        hpa.status.currentMetrics = statuses;
        await this.#writeStatus(original, hpa);
        this.#event(hpa, 'Warning', 'FailedComputeMetricsReplicas', computed.error);
        throw new Error(
          `failed to compute desired number of replicas based on listed metrics for ${reference}: ${computed.error}`,
        );
      }
      desiredReplicas = computed.replicas;
      if (desiredReplicas > currentReplicas) rescaleReason = `${computed.metricName} above target`;
      if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
      let normalized: Normalized;
      if (!spec.behavior) {
        normalized = normalizeWithoutBehavior(
          memory,
          currentReplicas,
          desiredReplicas,
          minReplicas,
          spec.maxReplicas,
          now,
        );
      } else {
        normalized = normalizeWithBehavior(
          memory,
          effectiveBehavior(hpa),
          currentReplicas,
          desiredReplicas,
          minReplicas,
          spec.maxReplicas,
          now,
        );
      }
      setCondition(
        hpa,
        'AbleToScale',
        'True',
        normalized.ableToScale.reason,
        normalized.ableToScale.message,
        now,
      );
      setCondition(
        hpa,
        'ScalingLimited',
        normalized.scalingLimited.limited ? 'True' : 'False',
        normalized.scalingLimited.reason,
        normalized.scalingLimited.message,
        now,
      );
      desiredReplicas = normalized.replicas;
      rescale = desiredReplicas !== currentReplicas;
    }

    if (rescale) {
      try {
        await this.#o.api.updateScale(ns, ref, desiredReplicas);
      } catch (e) {
        const msg = (e as Error).message;
        this.#event(
          hpa,
          'Warning',
          'FailedRescale',
          `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${msg}`,
        );
        setCondition(
          hpa,
          'AbleToScale',
          'False',
          'FailedUpdateScale',
          `the HPA controller was unable to update the target scale: ${msg}`,
          now,
        );
        hpa.status.currentReplicas = currentReplicas;
        hpa.status.currentMetrics = statuses;
        await this.#writeStatus(original, hpa);
        throw new Error(`failed to rescale ${reference}: ${msg}`);
      }
      setCondition(
        hpa,
        'AbleToScale',
        'True',
        'SucceededRescale',
        `the HPA controller was able to update the target scale to ${desiredReplicas}`,
        now,
      );
      this.#event(
        hpa,
        'Normal',
        'SuccessfulRescale',
        `New size: ${desiredReplicas}; reason: ${rescaleReason}`,
      );
      if (spec.behavior)
        recordScaleEvent(memory, effectiveBehavior(hpa), currentReplicas, desiredReplicas, now);
      hpa.status.lastScaleTime = metaTime(now);
    } else {
      desiredReplicas = currentReplicas;
    }
    hpa.status.currentReplicas = currentReplicas;
    hpa.status.desiredReplicas = desiredReplicas;
    hpa.status.currentMetrics = statuses;
    await this.#writeStatus(original, hpa);
  }

  async #writeStatus(original: HorizontalPodAutoscaler, hpa: HorizontalPodAutoscaler): Promise<void> {
    if (JSON.stringify(original.status ?? {}) === JSON.stringify(hpa.status ?? {})) return;
    await this.#o.api.updateStatus(hpa);
  }

  /** computeReplicasForMetrics: the largest count any metric asks for; -1 when none could be computed. */
  async #computeForMetrics(
    hpa: HorizontalPodAutoscaler,
    scale: { selector: string },
    currentReplicas: number,
    now: number,
  ): Promise<{ replicas: number; metricName: string; statuses: MetricStatus[]; error: string }> {
    const metrics = hpa.spec?.metrics ?? [];
    const statuses: MetricStatus[] = metrics.map(() => ({ type: '' }) as MetricStatus);
    let replicas = -1;
    let metricName = '';
    let invalid = 0;
    let firstError = '';
    const ns = hpa.metadata?.namespace ?? '';
    if (!scale.selector) {
      const msg = 'selector is required';
      setCondition(
        hpa,
        'ScalingActive',
        'False',
        'InvalidSelector',
        "the HPA target's scale is missing a selector",
        now,
      );
      this.#event(hpa, 'Warning', 'SelectorRequired', msg);
      return { replicas: -1, metricName, statuses, error: msg };
    }
    const pods = await this.#o.api.listPods(ns, scale.selector);
    for (const [i, spec] of metrics.entries()) {
      try {
        const r = this.#computeMetric(spec, pods, currentReplicas, now);
        statuses[i] = r.status;
        if (replicas === -1 || r.replicas > replicas) {
          replicas = r.replicas;
          metricName = r.name;
        }
      } catch (e) {
        invalid++;
        const msg = (e as Error).message;
        if (!firstError) firstError = msg;
        const reason = spec.type === 'Resource' ? 'FailedGetResourceMetric' : `FailedGet${spec.type}Metric`;
        setCondition(
          hpa,
          'ScalingActive',
          'False',
          reason,
          `the HPA was unable to compute the replica count: ${msg}`,
          now,
        );
        this.#event(hpa, 'Warning', reason, msg);
      }
    }
    if (invalid === metrics.length || (invalid > 0 && replicas < currentReplicas)) {
      return {
        replicas: -1,
        metricName,
        statuses,
        error: `invalid metrics (${invalid} invalid out of ${metrics.length}), first error is: ${firstError}`,
      };
    }
    setCondition(
      hpa,
      'ScalingActive',
      'True',
      'ValidMetricFound',
      `the HPA was able to successfully calculate a replica count from ${metricName}`,
      now,
    );
    return { replicas, metricName, statuses, error: '' };
  }

  #computeMetric(spec: MetricSpec, pods: Pod[], currentReplicas: number, now: number): MetricResult {
    if (spec.type !== 'Resource' || !spec.resource) {
      throw new Error(
        `failed to get ${spec.type} metric: podrun serves only resource metrics (metrics.k8s.io)`,
      );
    }
    const resource = spec.resource.name;
    const podMetrics = this.#podMetrics(pods, resource);
    const target = spec.resource.target;
    if (target.averageUtilization !== undefined) {
      let r: ReturnType<typeof resourceReplicas>;
      try {
        r = resourceReplicas(currentReplicas, target.averageUtilization, resource, pods, podMetrics, now);
      } catch (e) {
        throw new Error(
          `failed to get ${resource} resource metric value: failed to get ${resource} utilization: ${(e as Error).message}`,
        );
      }
      return {
        replicas: r.replicas,
        name: `${resource} resource utilization (percentage of request)`,
        timestampMs: r.timestampMs,
        status: {
          type: 'Resource',
          resource: {
            name: resource,
            current: { averageUtilization: r.utilization, averageValue: formatMilli(r.rawAverage) },
          },
        },
      };
    }
    if (target.averageValue !== undefined) {
      // GetRawResourceReplicas: usage per pod against a raw average.
      if (podMetrics.size === 0)
        throw new Error(
          `failed to get ${resource} usage: unable to get metrics for resource ${resource}: no metrics returned from resource metrics API`,
        );
      const values = [...podMetrics.values()].map((m) => m.milliValue);
      const total = values.reduce((s, v) => s + v, 0);
      const targetMilli = milliValue(String(target.averageValue));
      const ratio = total / (targetMilli * values.length);
      const replicas = withinTolerance(ratio, TOLERANCE) ? currentReplicas : Math.ceil(total / targetMilli);
      return {
        replicas,
        name: `${resource} resource`,
        timestampMs: now,
        status: {
          type: 'Resource',
          resource: {
            name: resource,
            current: { averageValue: formatMilli(Math.trunc(total / values.length)) },
          },
        },
      };
    }
    throw new Error(
      'invalid resource metric source: neither a utilization target nor a value target was set',
    );
  }

  #podMetrics(pods: Pod[], resource: string): Map<string, PodMetric> {
    const uids = new Set(pods.map((p) => p.metadata?.uid));
    const out = new Map<string, PodMetric>();
    for (const u of this.#o.podUsage()) {
      if (!uids.has(u.uid)) continue;
      const milli = u.containers.reduce(
        (s, c) => s + (resource === 'cpu' ? c.usage.cpuNanoCores / 1e6 : c.usage.workingSetBytes * 1000),
        0,
      );
      out.set(u.name, { milliValue: Math.round(milli), timestampMs: u.timestampMs, windowMs: u.windowMs });
    }
    return out;
  }
}

/** resource.NewMilliQuantity(v, DecimalSI).String(): `250m`, `1`, `1500m`. */
export function formatMilli(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}
