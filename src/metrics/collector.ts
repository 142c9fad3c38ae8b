// metrics-server in process: every `resolutionMs` (its --metric-resolution, 15 s by default) it reads each
// running container's cgroup usage through the runtime (CRI ListContainerStats) and the node's from /proc,
// keeping the last two readings of each; rates come from those two, so a container shows up from its second
// reading on.

import {
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  type RuntimeService,
} from '../runtime/types.js';
import type { Clock } from '../util/clock.js';
import { type PodUsage, type Usage, type UsagePoint, usageBetween } from './usage.js';

export const DEFAULT_METRIC_RESOLUTION_MS = 15_000;

export interface MetricsCollectorOptions {
  clock: Clock;
  runtime: Pick<RuntimeService, 'listContainerStats'>;
  /** One reading of the node (readNodeUsage), or undefined when it cannot be read. */
  node: (now: number) => UsagePoint | undefined;
  /** @default DEFAULT_METRIC_RESOLUTION_MS */
  resolutionMs?: number;
  onError?: (e: unknown) => void;
}

interface ContainerSeries {
  namespace: string;
  pod: string;
  uid: string;
  name: string;
  prev: UsagePoint | undefined;
  last: UsagePoint;
}

/** The source the metrics.k8s.io handlers read. */
export interface MetricsSource {
  podUsage(): PodUsage[];
  nodeUsage(): Usage | undefined;
}

export class MetricsCollector implements MetricsSource {
  readonly #options: MetricsCollectorOptions;
  #containers = new Map<string, ContainerSeries>();
  #node: { prev: UsagePoint | undefined; last: UsagePoint } | undefined;
  #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(options: MetricsCollectorOptions) {
    this.#options = options;
  }

  /** Takes one reading of every running container and of the node. */
  async scrape(): Promise<void> {
    const now = this.#options.clock.now();
    const node = this.#options.node(now);
    if (node) this.#node = { prev: this.#node?.last, last: node };
    const stats = (await this.#options.runtime.listContainerStats?.()) ?? [];
    const next = new Map<string, ContainerSeries>();
    for (const s of stats) {
      const name = s.labels[LABEL_CONTAINER_NAME];
      const pod = s.labels[LABEL_POD_NAME];
      const namespace = s.labels[LABEL_POD_NAMESPACE];
      if (!name || !pod || !namespace) continue;
      const point = {
        timestampMs: s.timestampMs,
        cpuNanos: s.cpuUsageCoreNanoSeconds,
        workingSetBytes: s.memoryWorkingSetBytes,
      };
      // Keyed by container id: a restarted container is a new id, whose rate starts over.
      next.set(s.id, {
        namespace,
        pod,
        uid: s.labels[LABEL_POD_UID] ?? '',
        name,
        prev: this.#containers.get(s.id)?.last,
        last: point,
      });
    }
    this.#containers = next;
  }

  /** Scrapes now and every resolution after, until stop(). */
  start(): void {
    if (this.#loop) return;
    const period = this.#options.resolutionMs ?? DEFAULT_METRIC_RESOLUTION_MS;
    const signal = this.#stop.signal;
    this.#loop = (async () => {
      while (!signal.aborted) {
        try {
          await this.scrape();
        } catch (e) {
          this.#options.onError?.(e);
        }
        try {
          await this.#options.clock.sleep(period, signal);
        } catch {
          return;
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  /** Pods every one of whose running containers has a rate, as metrics-server reports them. */
  podUsage(): PodUsage[] {
    const pods = new Map<string, PodUsage & { complete: boolean }>();
    for (const c of this.#containers.values()) {
      const key = `${c.namespace}/${c.pod}/${c.uid}`;
      let p = pods.get(key);
      if (!p) {
        p = {
          namespace: c.namespace,
          name: c.pod,
          uid: c.uid,
          timestampMs: 0,
          windowMs: 0,
          containers: [],
          complete: true,
        };
        pods.set(key, p);
      }
      const usage = usageBetween(c.prev, c.last);
      if (!usage) {
        p.complete = false;
        continue;
      }
      p.containers.push({ name: c.name, usage });
      if (usage.timestampMs >= p.timestampMs) {
        p.timestampMs = usage.timestampMs;
        p.windowMs = usage.windowMs;
      }
    }
    const out: PodUsage[] = [];
    for (const { complete, ...p } of pods.values()) {
      if (!complete || p.containers.length === 0) continue;
      p.containers.sort((a, b) => a.name.localeCompare(b.name));
      out.push(p);
    }
    return out.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  nodeUsage(): Usage | undefined {
    return this.#node ? usageBetween(this.#node.prev, this.#node.last) : undefined;
  }
}
