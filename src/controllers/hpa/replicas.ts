// The horizontal pod autoscaler's arithmetic, as upstream's (pkg/controller/podautoscaler replica_calculator.go
// and horizontal.go, v1.32): the replica count a resource utilization target asks for (tolerance 0.1, missing
// and unready pods), the stabilization windows over recent recommendations, and the scaling rules' rate
// limits. Pure: every function takes `now` (ms) and the state it reads, so a fake clock drives it in tests.

import type { HPAScalingRules } from 'kubernetes-types/autoscaling/v2.js';
import type { Pod } from '../../api/types.js';

/** --horizontal-pod-autoscaler-tolerance. */
export const TOLERANCE = 0.1;
/** --horizontal-pod-autoscaler-cpu-initialization-period. */
export const CPU_INITIALIZATION_PERIOD_MS = 5 * 60_000;
/** --horizontal-pod-autoscaler-initial-readiness-delay. */
export const INITIAL_READINESS_DELAY_MS = 30_000;
/** --horizontal-pod-autoscaler-downscale-stabilization. */
export const DOWNSCALE_STABILIZATION_MS = 5 * 60_000;

/** One pod's usage of the resource, in milli-units, with the reading's time and window. */
export interface PodMetric {
  milliValue: number;
  timestampMs: number;
  windowMs: number;
}

export class ReplicaCalculationError extends Error {}

export function withinTolerance(usageRatio: number, tolerance = TOLERANCE): boolean {
  return 1 - tolerance <= usageRatio && usageRatio <= 1 + tolerance;
}

const ms = (t: string | undefined): number | undefined => (t ? Date.parse(t) : undefined);

/** groupPods: which pods count (ready), which are left out, which have no metrics yet. */
export function groupPods(
  pods: Pod[],
  metrics: Map<string, PodMetric>,
  cpu: boolean,
  now: number,
): { readyPodCount: number; unready: Set<string>; missing: Set<string>; ignored: Set<string> } {
  const unready = new Set<string>();
  const missing = new Set<string>();
  const ignored = new Set<string>();
  let readyPodCount = 0;
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const phase = pod.status?.phase;
    if (pod.metadata?.deletionTimestamp || phase === 'Failed' || phase === 'Pending') {
      ignored.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      missing.add(name);
      continue;
    }
    if (cpu) {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      const start = ms(pod.status?.startTime);
      let isUnready: boolean;
      if (!ready || start === undefined) isUnready = true;
      else {
        const transition = ms(ready.lastTransitionTime) ?? 0;
        if (start + CPU_INITIALIZATION_PERIOD_MS > now) {
          // Within the initialization period: unready, or no full window measured since it became ready.
          isUnready = ready.status === 'False' || metric.timestampMs < transition + metric.windowMs;
        } else {
          // Afterwards only a pod that never became ready is left out.
          isUnready = ready.status === 'False' && start + INITIAL_READINESS_DELAY_MS > transition;
        }
      }
      if (isUnready) {
        unready.add(name);
        continue;
      }
    }
    readyPodCount++;
  }
  return { readyPodCount, unready, missing, ignored };
}

/** Each pod's request of the resource in milli-units, the sum over its containers. */
export function podRequests(pods: Pod[], resource: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let total = 0;
    for (const c of pod.spec?.containers ?? []) {
      const req = c.resources?.requests?.[resource];
      if (req === undefined) {
        throw new ReplicaCalculationError(
          `missing request for ${resource} in container ${c.name} of Pod ${pod.metadata?.name ?? ''}`,
        );
      }
      total += milliValue(String(req));
    }
    out.set(pod.metadata?.name ?? '', total);
  }
  return out;
}

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Quantity.MilliValue (rounded up, as Go's). */
export function milliValue(q: string): number {
  const m = /^([+-]?\d*\.?\d+)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return 0;
  return Math.ceil(Number(m[1]) * (SUFFIX[m[2] ?? ''] ?? 1) * 1000 - 1e-9);
}

/** metricsclient.GetResourceUtilizationRatio. */
export function utilizationRatio(
  metrics: Map<string, number>,
  requests: Map<string, number>,
  targetUtilization: number,
): { usageRatio: number; utilization: number; rawAverage: number } {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let n = 0;
  for (const [pod, value] of metrics) {
    const request = requests.get(pod);
    if (request === undefined) continue;
    metricsTotal += value;
    requestsTotal += request;
    n++;
  }
  if (requestsTotal === 0) throw new ReplicaCalculationError('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return {
    usageRatio: utilization / targetUtilization,
    utilization,
    rawAverage: Math.trunc(metricsTotal / n),
  };
}

export interface ResourceReplicas {
  replicas: number;
  /** Current utilization, percent of requests. */
  utilization: number;
  /** Average usage per pod, milli-units. */
  rawAverage: number;
  timestampMs: number;
}

/** ReplicaCalculator.GetResourceReplicas for a utilization target. */
export function resourceReplicas(
  currentReplicas: number,
  targetUtilization: number,
  resource: string,
  pods: Pod[],
  podMetrics: Map<string, PodMetric>,
  now: number,
  tolerance = TOLERANCE,
): ResourceReplicas {
  if (podMetrics.size === 0)
    throw new ReplicaCalculationError(
      `unable to get metrics for resource ${resource}: no metrics returned from resource metrics API`,
    );
  if (pods.length === 0)
    throw new ReplicaCalculationError('no pods returned by selector while calculating replica count');
  const { readyPodCount, unready, missing, ignored } = groupPods(pods, podMetrics, resource === 'cpu', now);
  const metrics = new Map<string, number>();
  let timestampMs = 0;
  for (const [name, m] of podMetrics) {
    if (ignored.has(name) || unready.has(name)) continue;
    if (!pods.some((p) => p.metadata?.name === name)) continue;
    metrics.set(name, m.milliValue);
    timestampMs = Math.max(timestampMs, m.timestampMs);
  }
  if (metrics.size === 0)
    throw new ReplicaCalculationError('did not receive metrics for targeted pods (pods might be unready)');
  const requests = podRequests(pods, resource);
  const { usageRatio, utilization, rawAverage } = utilizationRatio(metrics, requests, targetUtilization);
  const result = (replicas: number): ResourceReplicas => ({ replicas, utilization, rawAverage, timestampMs });

  const scaleUpWithUnready = unready.size > 0 && usageRatio > 1;
  if (!scaleUpWithUnready && missing.size === 0) {
    if (withinTolerance(usageRatio, tolerance)) return result(currentReplicas);
    return result(Math.ceil(usageRatio * readyPodCount));
  }
  if (missing.size > 0) {
    // Missing pods are assumed at the target (or their request, whichever is more) when scaling down, idle
    // when scaling up: both damp the change.
    if (usageRatio < 1) {
      const fallback = Math.max(100, targetUtilization);
      for (const name of missing) metrics.set(name, Math.trunc(((requests.get(name) ?? 0) * fallback) / 100));
    } else if (usageRatio > 1) {
      for (const name of missing) metrics.set(name, 0);
    }
  }
  if (scaleUpWithUnready) for (const name of unready) metrics.set(name, 0);
  const next = utilizationRatio(metrics, requests, targetUtilization).usageRatio;
  if (withinTolerance(next, tolerance) || (usageRatio < 1 && next > 1) || (usageRatio > 1 && next < 1)) {
    return result(currentReplicas);
  }
  const replicas = Math.ceil(next * metrics.size);
  if ((next < 1 && replicas > currentReplicas) || (next > 1 && replicas < currentReplicas)) {
    return result(currentReplicas);
  }
  return result(replicas);
}

/** What the controller remembers of one autoscaler between syncs. */
export interface AutoscalerMemory {
  recommendations: { replicas: number; atMs: number }[];
  scaleUpEvents: { change: number; atMs: number }[];
  scaleDownEvents: { change: number; atMs: number }[];
}

export function newMemory(currentReplicas: number, now: number): AutoscalerMemory {
  return {
    recommendations: [{ replicas: currentReplicas, atMs: now }],
    scaleUpEvents: [],
    scaleDownEvents: [],
  };
}

export interface Normalized {
  replicas: number;
  /** The AbleToScale condition's reason and message. */
  ableToScale: { reason: string; message: string };
  /** The ScalingLimited condition: status True when the count was limited. */
  scalingLimited: { limited: boolean; reason: string; message: string };
}

const READY_FOR_NEW_SCALE = { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
const SCALE_DOWN_STABILIZED = {
  reason: 'ScaleDownStabilized',
  message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
};
const SCALE_UP_STABILIZED = {
  reason: 'ScaleUpStabilized',
  message: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
};
const WITHIN_RANGE = {
  reason: 'DesiredWithinRange',
  message: 'the desired count is within the acceptable range',
};

/** calculateScaleUpLimit: at most double, or 4, per sync without scaling rules. */
export function scaleUpLimit(currentReplicas: number): number {
  return Math.max(2 * currentReplicas, 4);
}

/** normalizeDesiredReplicas: an autoscaler without `behavior` (5 min down window, the doubling limit). */
export function normalizeWithoutBehavior(
  memory: AutoscalerMemory,
  currentReplicas: number,
  desired: number,
  minReplicas: number,
  maxReplicas: number,
  now: number,
  downscaleWindowMs = DOWNSCALE_STABILIZATION_MS,
): Normalized {
  // stabilizeRecommendation: the highest recommendation of the window; the oldest outdated one is replaced.
  let stabilized = desired;
  let oldIndex = -1;
  const cutoff = now - downscaleWindowMs;
  memory.recommendations.forEach((rec, i) => {
    if (rec.atMs < cutoff) oldIndex = i;
    else if (rec.replicas > stabilized) stabilized = rec.replicas;
  });
  if (oldIndex >= 0) memory.recommendations[oldIndex] = { replicas: desired, atMs: now };
  else memory.recommendations.push({ replicas: desired, atMs: now });
  const ableToScale = stabilized !== desired ? SCALE_DOWN_STABILIZED : READY_FOR_NEW_SCALE;

  // convertDesiredReplicasWithRules.
  const upLimit = scaleUpLimit(currentReplicas);
  let maximum: number;
  let limit: { reason: string; message: string };
  if (maxReplicas > upLimit) {
    maximum = upLimit;
    limit = {
      reason: 'ScaleUpLimit',
      message: 'the desired replica count is increasing faster than the maximum scale rate',
    };
  } else {
    maximum = maxReplicas;
    limit = {
      reason: 'TooManyReplicas',
      message: 'the desired replica count is more than the maximum replica count',
    };
  }
  let replicas = stabilized;
  if (stabilized < minReplicas) {
    replicas = minReplicas;
    limit = {
      reason: 'TooFewReplicas',
      message: 'the desired replica count is less than the minimum replica count',
    };
  } else if (stabilized > maximum) replicas = maximum;
  else limit = WITHIN_RANGE;
  return { replicas, ableToScale, scalingLimited: { limited: replicas !== stabilized, ...limit } };
}

function changeInPeriod(
  periodSeconds: number,
  events: { change: number; atMs: number }[],
  now: number,
): number {
  const cutoff = now - periodSeconds * 1000;
  return events.filter((e) => e.atMs > cutoff).reduce((s, e) => s + e.change, 0);
}

/** calculateScaleUpLimitWithScalingRules. */
export function scaleUpLimitWithRules(
  currentReplicas: number,
  memory: AutoscalerMemory,
  rules: HPAScalingRules,
  now: number,
): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start =
      currentReplicas -
      changeInPeriod(p.periodSeconds, memory.scaleUpEvents, now) +
      changeInPeriod(p.periodSeconds, memory.scaleDownEvents, now);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors. */
export function scaleDownLimitWithRules(
  currentReplicas: number,
  memory: AutoscalerMemory,
  rules: HPAScalingRules,
  now: number,
): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start =
      currentReplicas -
      changeInPeriod(p.periodSeconds, memory.scaleUpEvents, now) +
      changeInPeriod(p.periodSeconds, memory.scaleDownEvents, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** normalizeDesiredReplicasWithBehaviors: the windows and policies of the autoscaler's (defaulted) behavior. */
export function normalizeWithBehavior(
  memory: AutoscalerMemory,
  behavior: { scaleUp: HPAScalingRules; scaleDown: HPAScalingRules },
  currentReplicas: number,
  desired: number,
  minReplicas: number,
  maxReplicas: number,
  now: number,
): Normalized {
  // stabilizeRecommendationWithBehaviors.
  const upCutoff = now - (behavior.scaleUp.stabilizationWindowSeconds ?? 0) * 1000;
  const downCutoff = now - (behavior.scaleDown.stabilizationWindowSeconds ?? 0) * 1000;
  let up = desired;
  let down = desired;
  let oldIndex = -1;
  memory.recommendations.forEach((rec, i) => {
    if (rec.atMs > upCutoff) up = Math.min(rec.replicas, up);
    if (rec.atMs > downCutoff) down = Math.max(rec.replicas, down);
    if (rec.atMs < upCutoff && rec.atMs < downCutoff) oldIndex = i;
  });
  let stabilized = currentReplicas;
  if (stabilized < up) stabilized = up;
  if (stabilized > down) stabilized = down;
  if (oldIndex >= 0) memory.recommendations[oldIndex] = { replicas: desired, atMs: now };
  else memory.recommendations.push({ replicas: desired, atMs: now });
  const ableToScale =
    stabilized === desired
      ? READY_FOR_NEW_SCALE
      : desired >= currentReplicas
        ? SCALE_UP_STABILIZED
        : SCALE_DOWN_STABILIZED;

  // convertDesiredReplicasWithBehaviorRate.
  let replicas = stabilized;
  let limit = WITHIN_RANGE;
  if (stabilized > currentReplicas) {
    const upLimit = Math.max(
      currentReplicas,
      scaleUpLimitWithRules(currentReplicas, memory, behavior.scaleUp, now),
    );
    let maximum = maxReplicas;
    let why = {
      reason: 'TooManyReplicas',
      message: 'the desired replica count is more than the maximum replica count',
    };
    if (maximum > upLimit) {
      maximum = upLimit;
      why = {
        reason: 'ScaleUpLimit',
        message: 'the desired replica count is increasing faster than the maximum scale rate',
      };
    }
    if (stabilized > maximum) {
      replicas = maximum;
      limit = why;
    }
  } else if (stabilized < currentReplicas) {
    const downLimit = Math.min(
      currentReplicas,
      scaleDownLimitWithRules(currentReplicas, memory, behavior.scaleDown, now),
    );
    let minimum = minReplicas;
    let why = {
      reason: 'TooFewReplicas',
      message: 'the desired replica count is less than the minimum replica count',
    };
    if (minimum < downLimit) {
      minimum = downLimit;
      why = {
        reason: 'ScaleDownLimit',
        message: 'the desired replica count is decreasing faster than the maximum scale rate',
      };
    }
    if (stabilized < minimum) {
      replicas = minimum;
      limit = why;
    }
  }
  return { replicas, ableToScale, scalingLimited: { limited: replicas !== stabilized, ...limit } };
}

/** storeScaleEvent: remembered for the rate limits of autoscalers with `behavior`; events past every period go. */
export function recordScaleEvent(
  memory: AutoscalerMemory,
  behavior: { scaleUp: HPAScalingRules; scaleDown: HPAScalingRules },
  previous: number,
  next: number,
  now: number,
): void {
  const longest = (rules: HPAScalingRules) =>
    Math.max(0, ...(rules.policies ?? []).map((p) => p.periodSeconds)) * 1000;
  if (next > previous) {
    memory.scaleUpEvents = memory.scaleUpEvents.filter((e) => e.atMs > now - longest(behavior.scaleUp));
    memory.scaleUpEvents.push({ change: next - previous, atMs: now });
  } else if (next < previous) {
    memory.scaleDownEvents = memory.scaleDownEvents.filter((e) => e.atMs > now - longest(behavior.scaleDown));
    memory.scaleDownEvents.push({ change: previous - next, atMs: now });
  }
}
