// Pods for the start-up benchmarks: the benchmark's pod (three init containers, one app), and a watch of a
// namespace that tells when each pod was seen Running, its milestones, and when it was gone.
import type { KubeClient, KubeObjectLike, WatchStream } from './kube-client.js';

export const GRACE_SECONDS = 2;

export interface BenchPodOptions {
  /** Default busybox:1.36. */
  image?: string;
  annotations?: Record<string, string>;
}

export function benchPod(
  namespace: string,
  name: string,
  marker: string,
  opts: BenchPodOptions = {},
): KubeObjectLike {
  const env = [{ name: 'PODRUN_BENCH', value: marker }];
  const image = opts.image ?? 'busybox:1.36';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { app: 'bench-startup' },
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    },
    spec: {
      // `sleep` is PID 1 of its PID namespace and ignores SIGTERM, as in any cluster: keep deletion short.
      terminationGracePeriodSeconds: GRACE_SECONDS,
      initContainers: [1, 2, 3].map((i) => ({
        name: `init-${i}`,
        image,
        command: ['true'],
        env,
      })),
      containers: [{ name: 'app', image, command: ['sleep', '3600'], env }],
    },
  };
}

export const MILESTONES = [
  'scheduled',
  'init-1 done',
  'init-2 done',
  'init-3 done',
  'app started',
  'Running',
] as const;
type Milestone = (typeof MILESTONES)[number];

interface ContainerStatusLike {
  state?: { terminated?: unknown; running?: unknown };
}

/** The milestones a pod object shows as reached. */
function milestonesOf(pod: KubeObjectLike): Milestone[] {
  const out: Milestone[] = [];
  const spec = pod.spec as { nodeName?: string } | undefined;
  if (spec?.nodeName) out.push('scheduled');
  const status = (pod.status ?? {}) as {
    phase?: string;
    initContainerStatuses?: ContainerStatusLike[];
    containerStatuses?: ContainerStatusLike[];
  };
  (status.initContainerStatuses ?? []).forEach((c, i) => {
    if (c.state?.terminated && i < 3) out.push(`init-${i + 1} done` as Milestone);
  });
  if (status.containerStatuses?.some((c) => c.state?.running)) out.push('app started');
  if (status.phase === 'Running') out.push('Running');
  return out;
}

/** Follows one namespace's pods and lets callers wait for a pod to be Running or gone. */
export class PodTracker {
  constructor(readonly recordMilestones = false) {}

  readonly running = new Map<string, number>();
  readonly deleted = new Set<string>();
  readonly failed = new Map<string, string>();
  /** When each milestone of a pod was first seen through the watch (ms, hrtime clock). */
  readonly milestones = new Map<string, Map<Milestone, number>>();
  /** Milestone times relative to each timed create (filled by startOnePod). */
  readonly offsets: [Milestone, number][] = [];
  #waiters: { test: () => boolean; resolve: () => void }[] = [];
  #stream: WatchStream | undefined;
  #ended: string | undefined;

  async open(client: KubeClient, namespace: string): Promise<void> {
    const list = await client.must<{ metadata: { resourceVersion: string } }>(
      'GET',
      `/api/v1/namespaces/${namespace}/pods`,
    );
    this.#stream = client.watch(
      `/api/v1/namespaces/${namespace}/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}`,
      (ev) => {
        const name = ev.object.metadata.name ?? '';
        const at = process.hrtime.bigint();
        if (ev.type === 'DELETED') {
          this.deleted.add(name);
        } else {
          const phase = ev.object.status?.phase;
          if (phase === 'Running' && !this.running.has(name)) this.running.set(name, Number(at) / 1e6);
          if (this.recordMilestones) {
            const seen = this.milestones.get(name) ?? new Map<Milestone, number>();
            this.milestones.set(name, seen);
            for (const m of milestonesOf(ev.object)) if (!seen.has(m)) seen.set(m, Number(at) / 1e6);
          }
          if (phase === 'Failed' || phase === 'Succeeded') this.failed.set(name, phase);
        }
        this.#wake();
      },
      (err) => {
        this.#ended = err?.message ?? 'the server closed the watch';
        this.#wake();
      },
    );
    // Not awaiting #stream.ready: the server may send the headers only with the first event, and the
    // resourceVersion of the list replays whatever happens before the stream is connected.
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves true when test() holds, false after timeoutMs or if the watch ends. */
  until(test: () => boolean, timeoutMs: number): Promise<boolean> {
    if (test()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        test: () => test() || this.#ended !== undefined,
        resolve: () => {
          clearTimeout(timer);
          resolve(test());
        },
      };
      this.#waiters.push(waiter);
    });
  }

  get ended(): string | undefined {
    return this.#ended;
  }

  close(): void {
    this.#stream?.close();
  }
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** One pod: create → Running (through the watch), then delete and wait until it is gone. */
export async function startOnePod(
  client: KubeClient,
  tracker: PodTracker,
  ns: string,
  name: string,
  marker: string,
  podOptions: BenchPodOptions = {},
): Promise<number> {
  const t0 = nowMs();
  await client.must('POST', `/api/v1/namespaces/${ns}/pods`, benchPod(ns, name, marker, podOptions));
  const ok = await tracker.until(() => tracker.running.has(name) || tracker.failed.has(name), 60_000);
  if (!ok || !tracker.running.has(name)) {
    throw new Error(
      `pod ${ns}/${name} was not Running within 60 s (${tracker.failed.get(name) ?? tracker.ended ?? 'timeout'})`,
    );
  }
  const took = tracker.running.get(name)! - t0;
  const seen = tracker.milestones.get(name);
  if (seen) for (const [m, at] of seen) tracker.offsets.push([m, at - t0]);
  await client.must('DELETE', `/api/v1/namespaces/${ns}/pods/${name}`);
  if (!(await tracker.until(() => tracker.deleted.has(name), 60_000))) {
    throw new Error(`pod ${ns}/${name} was not gone within 60 s of its deletion`);
  }
  return took;
}
