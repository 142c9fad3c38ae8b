// Benchmark of the API server (issue "podrun serve"), black-box against a `podrun serve` child process:
// creating 1,000 pods through the API, listing them (raw HTTP and `kubectl get pods -A`), 100 concurrent
// watchers each receiving every one of 200 updates, `kubectl apply -f` of 1,000 objects, and the server's
// memory after all that. The pods are bound to node "elsewhere", so no kubelet runs them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { deferCleanup } from './lib/cleanup.js';
import { positiveIntFromEnv } from './lib/env.js';
import { type KubeClient, type KubeObjectLike, pool, type WatchStream } from './lib/kube-client.js';
import { kubectl, kubectlOk } from './lib/kubectl.js';
import { descendants, procMemory } from './lib/proc.js';
import { type BenchResult, check, type Metric, newResult } from './lib/report.js';
import { type ServerHandle, startServer } from './lib/server.js';
import { elapsedMs, kibToMb, mb, median, ms, now, percentile } from './lib/stats.js';

export interface ApiserverBenchOptions {
  pods: number;
  kubectlRuns: number;
  httpRuns: number;
  watchers: number;
  events: number;
  applyObjects: number;
  log: (line: string) => void;
}

export const FULL_API_OPTIONS = {
  pods: 1000,
  kubectlRuns: 10,
  watchers: 100,
  events: 200,
  applyObjects: 1000,
};

export function apiserverOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  log: (l: string) => void,
): ApiserverBenchOptions {
  const n = (name: string, dflt: number) => positiveIntFromEnv(env, name, dflt);
  return {
    pods: n('BENCH_API_PODS', FULL_API_OPTIONS.pods),
    kubectlRuns: n('BENCH_RUNS', FULL_API_OPTIONS.kubectlRuns),
    httpRuns: n('BENCH_RUNS', FULL_API_OPTIONS.kubectlRuns),
    watchers: n('BENCH_WATCHERS', FULL_API_OPTIONS.watchers),
    events: n('BENCH_EVENTS', FULL_API_OPTIONS.events),
    applyObjects: n('BENCH_APPLY_OBJECTS', FULL_API_OPTIONS.applyObjects),
    log,
  };
}

const LIST_NS = 'bench-list';
const APPLY_NS = 'bench-apply';

function parkedPod(namespace: string, name: string): KubeObjectLike {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'bench' } },
    spec: {
      nodeName: 'elsewhere',
      containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }],
    },
  };
}

async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await client.must('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
}

interface WatchOutcome {
  latencies: number[];
  missing: number;
  duplicates: number;
  errors: string[];
}

/** Opens `watchers` watches from `rv`, sends `events` annotation updates to one pod, collects delivery times. */
async function watchFanOut(
  client: KubeClient,
  watchers: number,
  events: number,
  podName: string,
): Promise<WatchOutcome> {
  const list = await client.must<{ metadata: { resourceVersion: string } }>('GET', `/api/v1/pods?limit=1`);
  const rv = list.metadata.resourceVersion;
  const sentAt = new Array<bigint | undefined>(events);
  const received: Map<number, number>[] = Array.from({ length: watchers }, () => new Map());
  const errors: string[] = [];
  const primed = new Set<number>();
  let duplicates = 0;
  let complete = 0;
  let wake: () => void = () => {};
  const waitFor = (test: () => boolean, timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(test()), timeoutMs);
      wake = () => {
        if (test()) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      wake();
    });
  const streams: WatchStream[] = [];
  for (let w = 0; w < watchers; w++) {
    const got = received[w]!;
    streams.push(
      client.watch(
        `/api/v1/pods?watch=true&resourceVersion=${rv}`,
        (ev) => {
          const seq = ev.object.metadata.annotations?.['bench/seq'];
          if (ev.type !== 'MODIFIED' || seq === undefined) return;
          const at = process.hrtime.bigint();
          if (seq === 'prime') {
            primed.add(w);
            wake();
            return;
          }
          const i = Number(seq);
          if (got.has(i)) {
            duplicates++;
            return;
          }
          const sent = sentAt[i];
          got.set(i, sent === undefined ? Number.NaN : Number(at - sent) / 1e6);
          if (got.size === events) {
            complete++;
            wake();
          }
        },
        (err) => errors.push(`watcher ${w} ended: ${err?.message ?? 'stream closed by the server'}`),
      ),
    );
  }
  const path = `/api/v1/namespaces/${LIST_NS}/pods/${podName}`;
  const patch = (seq: string) =>
    client.must(
      'PATCH',
      path,
      { metadata: { annotations: { 'bench/seq': seq } } },
      'application/merge-patch+json',
    );
  try {
    // One untimed change first: every stream is then connected and registered before the timed ones.
    await patch('prime');
    if (!(await waitFor(() => primed.size === watchers, 30_000))) {
      errors.push(`only ${primed.size}/${watchers} watchers saw the priming change within 30 s`);
    }
    for (let i = 0; i < events; i++) {
      sentAt[i] = process.hrtime.bigint();
      await patch(String(i));
    }
    await waitFor(() => complete === watchers, 30_000);
  } finally {
    for (const s of streams) s.close();
  }
  const latencies: number[] = [];
  let missing = 0;
  for (const got of received) {
    missing += events - got.size;
    for (const v of got.values()) if (Number.isFinite(v)) latencies.push(v);
  }
  return { latencies, missing, duplicates, errors };
}

function applyManifest(count: number): string {
  const docs: unknown[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      docs.push({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cm-${i}`, namespace: APPLY_NS },
        data: { 'app.properties': `index=${i}\nmode=bench\n`, greeting: 'hello' },
      });
    } else {
      docs.push(parkedPod(APPLY_NS, `pod-${i}`));
    }
  }
  return docs.map((d) => stringify(d)).join('---\n');
}

export async function runApiserverBench(o: ApiserverBenchOptions): Promise<BenchResult> {
  const started = now();
  const full =
    o.pods >= FULL_API_OPTIONS.pods &&
    o.kubectlRuns >= FULL_API_OPTIONS.kubectlRuns &&
    o.watchers >= FULL_API_OPTIONS.watchers &&
    o.events >= FULL_API_OPTIONS.events &&
    o.applyObjects >= FULL_API_OPTIONS.applyObjects;
  const result = newResult('apiserver', 'API server (`podrun serve`)', '"podrun serve"');
  const metrics: Metric[] = result.metrics;
  const workDir = await mkdtemp(join(tmpdir(), 'podrun-bench-api-'));
  const forgetWorkDir = deferCleanup(() => rm(workDir, { recursive: true, force: true }));
  let server: ServerHandle | undefined;
  try {
    o.log('starting the server');
    server = await startServer({ allowFallback: true, maxSockets: 32 });
    const client = server.client;
    result.setup.push(
      server.kind === 'podrun serve'
        ? 'Server: `bin/podrun serve --port 0 --state-dir <tmp>` as a child process (runtime host; the pods are on node "elsewhere", so no kubelet runs them).'
        : 'Server: **stand-in** (`bench/lib/apiserver-child.ts`: store + registry + HTTPS API server, no controllers/kubelet), because `podrun serve` was not available in this checkout. Memory of the stand-in is not the memory of `podrun serve`.',
      `Parameters: ${o.pods} pods, ${o.kubectlRuns} timed kubectl runs, ${o.watchers} watchers × ${o.events} events, apply of ${o.applyObjects} objects${full ? '' : ' — **quick run**: targets are checked only at full size'}.`,
    );
    metrics.push({ name: 'server start (spawn to /readyz)', value: ms(server.startupMs) });

    // 1,000 pods through the API, 16 requests in flight.
    await createNamespace(client, LIST_NS);
    o.log(`creating ${o.pods} pods`);
    const names = Array.from({ length: o.pods }, (_, i) => `pod-${String(i).padStart(4, '0')}`);
    const createLatencies: number[] = [];
    const t0 = now();
    await pool(names, 16, async (name) => {
      const t = now();
      await client.must('POST', `/api/v1/namespaces/${LIST_NS}/pods`, parkedPod(LIST_NS, name));
      createLatencies.push(elapsedMs(t));
    });
    const createMs = elapsedMs(t0);
    metrics.push({
      name: `create ${o.pods} pods via the API (16 in flight)`,
      value: `${ms(createMs)} (${Math.round((o.pods / createMs) * 1000)} pods/s; per request median ${ms(median(createLatencies))}, p99 ${ms(percentile(createLatencies, 99))})`,
    });

    // Raw list over HTTP (JSON), steady state over a warm connection.
    const httpTimes: number[] = [];
    let listed = 0;
    for (let i = 0; i < o.httpRuns + 1; i++) {
      const t = now();
      const body = await client.must<{ items: unknown[] }>('GET', '/api/v1/pods');
      const took = elapsedMs(t);
      if (i > 0) httpTimes.push(took);
      listed = body.items.length;
    }
    if (listed < o.pods) throw new Error(`GET /api/v1/pods returned ${listed} pods, expected ${o.pods}`);
    metrics.push({
      name: `HTTP GET /api/v1/pods (${listed} pods, JSON), median of ${o.httpRuns}`,
      value: `${ms(median(httpTimes))} (max ${ms(Math.max(...httpTimes))})`,
    });

    // kubectl get pods -A: one cold run fills the discovery cache, then timed runs on the warm cache.
    o.log('timing kubectl get pods -A');
    const cacheDir = join(workDir, 'kubectl-cache');
    const cold = await kubectlOk(['get', 'pods', '-A'], server.kubeconfigPath, cacheDir);
    const rows = cold.stdout.trim().split('\n').length - 1;
    if (rows < o.pods)
      throw new Error(`kubectl get pods -A printed ${rows} rows, expected at least ${o.pods}`);
    const getTimes: number[] = [];
    for (let i = 0; i < o.kubectlRuns; i++) {
      getTimes.push((await kubectlOk(['get', 'pods', '-A'], server.kubeconfigPath, cacheDir)).ms);
    }
    const getMedian = median(getTimes);
    metrics.push({
      name: `kubectl get pods -A (${rows} rows), median of ${o.kubectlRuns}`,
      value: `${ms(getMedian)} (min ${ms(Math.min(...getTimes))}, max ${ms(Math.max(...getTimes))}; first run, cold cache: ${ms(cold.ms)})`,
      target: '< 300 ms',
      verdict: check(getMedian < 300, full),
      note: 'warm --cache-dir',
    });
    const version = await kubectl(['version', '-o', 'json'], server.kubeconfigPath, cacheDir);
    const floorTimes: number[] = [];
    for (let i = 0; i < Math.min(5, o.kubectlRuns); i++) {
      floorTimes.push(
        (await kubectl(['version', '--client', '-o', 'json'], server.kubeconfigPath, cacheDir)).ms,
      );
    }
    result.notes.push(
      `kubectl's own start-up on this machine (\`kubectl version --client\`, no server call) has a median of ${ms(median(floorTimes))}; the server's share of \`get pods -A\` is the rest.` +
        (version.code === 0 ? '' : ` (kubectl version against the server exited ${version.code}.)`),
    );

    // Watch fan-out.
    o.log(`${o.watchers} watchers × ${o.events} events`);
    const watch = await watchFanOut(client, o.watchers, o.events, names[0]!);
    const expected = o.watchers * o.events;
    metrics.push({
      name: `watch delivery, ${o.watchers} watchers × ${o.events} updates`,
      value: `${expected - watch.missing}/${expected} delivered, ${watch.duplicates} duplicates`,
      target: 'every watcher gets every event',
      verdict: watch.missing === 0 && watch.duplicates === 0 && watch.errors.length === 0 ? 'pass' : 'FAIL',
    });
    metrics.push({
      name: 'watch delivery latency (PATCH sent → event parsed by the watcher)',
      value: `median ${ms(median(watch.latencies))}, p99 ${ms(percentile(watch.latencies, 99))}, max ${ms(Math.max(...watch.latencies))}`,
    });
    if (watch.errors.length > 0) result.notes.push(`Watch errors: ${watch.errors.slice(0, 3).join('; ')}`);
    result.notes.push(
      'Watch latency: the updates are sent one after another (each PATCH awaited), all watchers are HTTPS streams in the benchmark process, so the figure includes the client parsing 100 streams on one event loop.',
    );

    // kubectl apply -f of one file with ConfigMaps and parked pods.
    o.log(`kubectl apply -f (${o.applyObjects} objects)`);
    await createNamespace(client, APPLY_NS);
    const manifest = join(workDir, 'objects.yaml');
    await writeFile(manifest, applyManifest(o.applyObjects));
    const apply = await kubectlOk(['apply', '-f', manifest], server.kubeconfigPath, cacheDir, 600_000);
    const cms = await client.must<{ items: unknown[] }>('GET', `/api/v1/namespaces/${APPLY_NS}/configmaps`);
    const pods = await client.must<{ items: unknown[] }>('GET', `/api/v1/namespaces/${APPLY_NS}/pods`);
    // kube-root-ca.crt may be published into every namespace; count only ours.
    const appliedCms = (cms.items as KubeObjectLike[]).filter((c) =>
      c.metadata.name?.startsWith('cm-'),
    ).length;
    const applied = appliedCms + pods.items.length;
    metrics.push({
      name: `kubectl apply -f (${o.applyObjects} objects: ConfigMaps and pods, one file)`,
      value: `${ms(apply.ms)} (${applied}/${o.applyObjects} objects present afterwards)`,
      target: '< 10 s',
      verdict: check(apply.ms < 10_000 && applied === o.applyObjects, full),
      note: 'one run',
    });
    const again = await kubectlOk(['apply', '-f', manifest], server.kubeconfigPath, cacheDir, 600_000);
    const unchanged = again.stdout.split('\n').filter((l) => l.endsWith(' unchanged')).length;
    metrics.push({
      name: 'the same apply again (nothing changes)',
      value: `${ms(again.ms)} (${unchanged} reported unchanged)`,
    });

    // Memory after all that.
    const mem = procMemory(server.pid);
    const childPids = descendants(server.pid);
    let childRss = 0;
    for (const p of childPids) {
      try {
        childRss += procMemory(p).vmRssKb;
      } catch {
        // Ended meanwhile.
      }
    }
    metrics.push({
      name: 'server memory after all the above: VmRSS / VmHWM (peak)',
      value: `${mb(mem.vmRssKb)} / ${mb(mem.vmHwmKb)}`,
      target: '< 200 MB',
      verdict: check(kibToMb(mem.vmHwmKb) < 200, full && server.kind === 'podrun serve'),
      note: 'the server process, from /proc/<pid>/status',
    });
    if (childPids.length > 0) {
      result.notes.push(
        `The server process has ${childPids.length} child process(es) (${mb(childRss)} RSS in all) not counted above: with a checkout (no dist/), bin/podrun runs the TypeScript through tsx, whose esbuild service is a child process.`,
      );
    }
  } catch (err) {
    result.problem = `${(err as Error).message}${server ? `\nserver stderr:\n${server.stderrTail()}` : ''}`;
  } finally {
    if (server) {
      const { exitedCleanly } = await server.stop();
      if (!exitedCleanly) result.notes.push('The server did not exit within 30 s of SIGTERM and was killed.');
    }
    await rm(workDir, { recursive: true, force: true });
    forgetWorkDir();
    result.durationMs = elapsedMs(started);
  }
  return result;
}
