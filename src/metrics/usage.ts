// Usage as metrics-server computes it from two cumulative readings, and its metrics.k8s.io/v1beta1 spelling:
// CPU as a rate in nanocores (`resource.NewScaledQuantity(n, -9)`), memory as the working set in bytes
// (`resource.NewQuantity(b, BinarySI)`), each object stamped with the later reading's time and the window
// between the two readings (metrics-server's pkg/storage and pkg/api).

import { goDuration } from '../util/go-format.js';

/** A cumulative reading of one container or of the node. */
export interface UsagePoint {
  /** ms since the epoch. */
  timestampMs: number;
  /** CPU time used so far, ns. */
  cpuNanos: number;
  workingSetBytes: number;
}

/** Usage over a window: what one PodMetrics container entry or one NodeMetrics reports. */
export interface Usage {
  /** The later reading's time. */
  timestampMs: number;
  windowMs: number;
  /** Average cores over the window, in nanocores. */
  cpuNanoCores: number;
  /** The working set at the later reading. */
  workingSetBytes: number;
}

/**
 * The rate between two readings; undefined when there is no earlier one, no time passed, or the counter went
 * backwards (the container restarted, so its cumulative CPU started again: metrics-server drops that point).
 */
export function usageBetween(prev: UsagePoint | undefined, last: UsagePoint): Usage | undefined {
  if (!prev) return undefined;
  const windowMs = last.timestampMs - prev.timestampMs;
  if (windowMs <= 0 || last.cpuNanos < prev.cpuNanos) return undefined;
  return {
    timestampMs: last.timestampMs,
    windowMs,
    cpuNanoCores: Math.round(((last.cpuNanos - prev.cpuNanos) * 1000) / windowMs),
    workingSetBytes: last.workingSetBytes,
  };
}

const DECIMAL_SUFFIXES = ['n', 'u', 'm', '', 'k', 'M', 'G', 'T', 'P', 'E'];

/**
 * A nanocore count as Go's Quantity prints `NewScaledQuantity(n, -9)`: the largest decimal suffix that keeps the
 * number whole (`1500000n` → `1500u`, `250000000n` → `250m`, `2000000000n` → `2`).
 */
export function formatNanoCores(nanoCores: number): string {
  let n = Math.max(0, Math.round(nanoCores));
  if (n === 0) return '0';
  let i = 0;
  while (n % 1000 === 0 && i < DECIMAL_SUFFIXES.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n}${DECIMAL_SUFFIXES[i]}`;
}

const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** A byte count as Go's BinarySI Quantity prints it: `1048576` → `1Mi`, `1536000` → `1500Ki`, `1000` → `1000`. */
export function formatBytes(bytes: number): string {
  let n = Math.max(0, Math.round(bytes));
  if (n === 0) return '0';
  let i = 0;
  while (n % 1024 === 0 && i < BINARY_SUFFIXES.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n}${BINARY_SUFFIXES[i]}`;
}

/** metav1.Time: RFC 3339 at second precision. */
export function metaTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** The `usage` map of a container or node. */
export function resourceList(u: Usage): { cpu: string; memory: string } {
  return { cpu: formatNanoCores(u.cpuNanoCores), memory: formatBytes(u.workingSetBytes) };
}

export interface PodUsage {
  namespace: string;
  name: string;
  uid: string;
  timestampMs: number;
  windowMs: number;
  containers: { name: string; usage: Usage }[];
}

export const METRICS_API_VERSION = 'metrics.k8s.io/v1beta1';

/** A PodMetrics object; `labels` are the pod's, `nowMs` its creationTimestamp (metrics-server stamps now). */
export function podMetricsObject(
  p: PodUsage,
  labels: Record<string, string> | undefined,
  nowMs: number,
): Record<string, unknown> {
  return {
    kind: 'PodMetrics',
    apiVersion: METRICS_API_VERSION,
    metadata: {
      name: p.name,
      namespace: p.namespace,
      creationTimestamp: metaTime(nowMs),
      ...(labels && Object.keys(labels).length > 0 ? { labels } : {}),
    },
    timestamp: metaTime(p.timestampMs),
    window: goDuration(p.windowMs),
    containers: p.containers.map((c) => ({ name: c.name, usage: resourceList(c.usage) })),
  };
}

/** A NodeMetrics object. */
export function nodeMetricsObject(
  name: string,
  usage: Usage,
  labels: Record<string, string> | undefined,
  nowMs: number,
): Record<string, unknown> {
  return {
    kind: 'NodeMetrics',
    apiVersion: METRICS_API_VERSION,
    metadata: {
      name,
      creationTimestamp: metaTime(nowMs),
      ...(labels && Object.keys(labels).length > 0 ? { labels } : {}),
    },
    timestamp: metaTime(usage.timestampMs),
    window: goDuration(usage.windowMs),
    usage: resourceList(usage),
  };
}
