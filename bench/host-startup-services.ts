// Benchmark of pod start-up through `podrun serve` with Services defined (issue "Services and cluster DNS"):
// the pod of host-pod-startup (a) (three init containers `true`, an app `sleep 3600`), create → Running seen
// through a watch, on two `podrun serve --runtime host` side by side: one with no Services of its own, one
// with BENCH_SERVICES Services, each selecting the same 2 running pods (so every pod's network namespace gets
// BENCH_SERVICES VIPs × 2 endpoints). Runs alternate between the two servers (the order swapped every run),
// so that both see the same load on a shared machine.
import { randomBytes } from 'node:crypto';
import { hostUnavailableReason } from './host-pod-startup.js';
import { deferCleanup } from './lib/cleanup.js';
import { positiveIntFromEnv } from './lib/env.js';
import type { KubeClient, KubeObjectLike } from './lib/kube-client.js';
import { pool } from './lib/kube-client.js';
import { GRACE_SECONDS, PodTracker, startOnePod } from './lib/pod-tracker.js';
import { processesMarked } from './lib/proc.js';
import { type BenchResult, check, newResult } from './lib/report.js';
import { type ServerHandle, startServer } from './lib/server.js';
import { elapsedMs, median, ms, now } from './lib/stats.js';

export interface StartupServicesOptions {
  runs: number;
  services: number;
  log: (line: string) => void;
}

export const FULL_STARTUP_SERVICES_OPTIONS = { runs: 10, services: 100 };

export function startupServicesOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  log: (l: string) => void,
): StartupServicesOptions {
  return {
    runs: positiveIntFromEnv(env, 'BENCH_RUNS', FULL_STARTUP_SERVICES_OPTIONS.runs),
    services: positiveIntFromEnv(env, 'BENCH_SERVICES', FULL_STARTUP_SERVICES_OPTIONS.services),
    log,
  };
}

const NS = 'bench-startup';
const BACKENDS = 'bench-backends';

function backendPod(name: string, marker: string): KubeObjectLike {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: BACKENDS, labels: { app: 'backend' } },
    spec: {
      terminationGracePeriodSeconds: GRACE_SECONDS,
      containers: [
        {
          name: 'app',
          image: 'busybox:1.36',
          command: ['sleep', '3600'],
          env: [{ name: 'PODRUN_BENCH', value: marker }],
          ports: [{ name: 'http', containerPort: 8080 }],
        },
      ],
    },
  };
}

function service(i: number): KubeObjectLike {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `svc-${String(i).padStart(3, '0')}`, namespace: BACKENDS },
    spec: { selector: { app: 'backend' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
}

async function namespace(client: KubeClient, name: string): Promise<void> {
  await client.must('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
}

interface SliceLike {
  metadata: { labels?: Record<string, string> };
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
}

/** Services in BACKENDS whose EndpointSlices list both backends ready. */
async function servicesWithEndpoints(client: KubeClient): Promise<number> {
  const slices = await client.must<{ items: SliceLike[] }>(
    'GET',
    `/apis/discovery.k8s.io/v1/namespaces/${BACKENDS}/endpointslices`,
  );
  const ready = new Map<string, number>();
  for (const s of slices.items) {
    const svc = s.metadata.labels?.['kubernetes.io/service-name'];
    if (!svc) continue;
    const n = (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length;
    ready.set(svc, (ready.get(svc) ?? 0) + n);
  }
  return [...ready.values()].filter((n) => n >= 2).length;
}

export async function runStartupServicesBench(o: StartupServicesOptions): Promise<BenchResult> {
  const started = now();
  const full =
    o.runs >= FULL_STARTUP_SERVICES_OPTIONS.runs && o.services >= FULL_STARTUP_SERVICES_OPTIONS.services;
  const result = newResult(
    'host-startup-services',
    'Pod start-up through podrun serve with Services defined',
    '"Services and cluster DNS"',
  );
  const reason = hostUnavailableReason();
  if (reason) {
    result.available = false;
    result.problem = reason;
    return result;
  }
  const marker = `bench-${randomBytes(4).toString('hex')}`;
  const servers: ServerHandle[] = [];
  const trackers: PodTracker[] = [];
  const killStrays = (): number => {
    let n = 0;
    for (const s of servers) {
      for (const p of processesMarked(`PODRUN_BENCH=${marker}`, s.stateDir)) {
        if (p === process.pid) continue;
        try {
          process.kill(p, 'SIGKILL');
          n++;
        } catch {
          // Already gone.
        }
      }
    }
    return n;
  };
  const forgetStrays = deferCleanup(() => {
    killStrays();
  });
  try {
    o.log('starting two podrun serve --runtime host');
    const plain = await startServer({
      allowFallback: false,
      serveArgs: ['--runtime', 'host', '--images', 'host'],
    });
    servers.push(plain);
    const withSvc = await startServer({
      allowFallback: false,
      serveArgs: ['--runtime', 'host', '--images', 'host'],
    });
    servers.push(withSvc);
    for (const s of servers) await namespace(s.client, NS);

    o.log(`${o.services} Services over 2 running pods`);
    await namespace(withSvc.client, BACKENDS);
    const backends = new PodTracker();
    trackers.push(backends);
    await backends.open(withSvc.client, BACKENDS);
    for (const name of ['backend-0', 'backend-1']) {
      await withSvc.client.must('POST', `/api/v1/namespaces/${BACKENDS}/pods`, backendPod(name, marker));
    }
    if (!(await backends.until(() => backends.running.size === 2, 60_000))) {
      throw new Error('the 2 backend pods were not Running within 60 s');
    }
    const indices = Array.from({ length: o.services }, (_, i) => i);
    await pool(indices, 8, (i) =>
      withSvc.client.must('POST', `/api/v1/namespaces/${BACKENDS}/services`, service(i)),
    );
    const t0 = now();
    for (;;) {
      const covered = await servicesWithEndpoints(withSvc.client);
      if (covered >= o.services) break;
      if (elapsedMs(t0) > 60_000) {
        throw new Error(`only ${covered}/${o.services} Services had 2 ready endpoints after 60 s`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const endpointsMs = elapsedMs(t0);
    // The proxy applies the last change in the background; give it time, and the warm-ups come after.
    await new Promise((r) => setTimeout(r, 2_000));

    result.setup.push(
      'Two servers side by side: `bin/podrun serve --port 0 --state-dir <tmp> --runtime host` each, as child processes; requests and watches over HTTPS on loopback.',
      `One has no Services but its own (kubernetes, kube-dns); the other has ${o.services} more, each selecting the same 2 running pods (${o.services} VIPs × 2 endpoints in every new pod's nftables, and in the host table); their EndpointSlices were complete ${ms(endpointsMs)} after the creates.`,
      `Pod: three init containers \`true\`, one app container \`sleep 3600\`, terminationGracePeriodSeconds ${GRACE_SECONDS}; create → Running seen through a watch, then deleted and gone before the next run.`,
      `Parameters: ${o.runs} timed runs on each server after one warm-up each, alternating between the servers (the order swapped every run).`,
    );

    const trackerPlain = new PodTracker(true);
    const trackerSvc = new PodTracker(true);
    trackers.push(trackerPlain, trackerSvc);
    await trackerPlain.open(plain.client, NS);
    await trackerSvc.open(withSvc.client, NS);
    o.log(`alternating: ${o.runs} runs each`);
    const tag = randomBytes(2).toString('hex');
    const warmPlain = await startOnePod(plain.client, trackerPlain, NS, `warm-${tag}`, marker);
    const warmSvc = await startOnePod(withSvc.client, trackerSvc, NS, `warm-${tag}`, marker);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const runPlain = async () =>
        a.push(await startOnePod(plain.client, trackerPlain, NS, `p-${tag}-${i}`, marker));
      const runSvc = async () =>
        b.push(await startOnePod(withSvc.client, trackerSvc, NS, `s-${tag}-${i}`, marker));
      if (i % 2 === 0) {
        await runPlain();
        await runSvc();
      } else {
        await runSvc();
        await runPlain();
      }
    }
    const ma = median(a);
    const mb = median(b);
    const ratios = a.map((t, i) => (b[i] ?? Number.NaN) / t);
    result.metrics.push(
      {
        name: `one pod, create → Running, no Services, median of ${o.runs}`,
        value: `${ms(ma)} (min ${ms(Math.min(...a))}, max ${ms(Math.max(...a))}; warm-up ${ms(warmPlain)})`,
      },
      {
        name: `one pod, create → Running, ${o.services} Services, median of ${o.runs}`,
        value: `${ms(mb)} (min ${ms(Math.min(...b))}, max ${ms(Math.max(...b))}; warm-up ${ms(warmSvc)})`,
      },
      {
        name: `ratio with ${o.services} Services / without (medians)`,
        value: `${(mb / ma).toFixed(3)}× (${((mb / ma - 1) * 100).toFixed(1)} %; median of the run-by-run ratios: ${median(ratios).toFixed(3)}×)`,
        target: '≤ 1.10× (at most 10 % slower)',
        verdict: check(mb <= ma * 1.1, full),
      },
    );
  } catch (err) {
    const tails = servers.map((s) => s.stderrTail()).join('\n---\n');
    result.problem = `${(err as Error).message}${servers.length ? `\nserver stderr:\n${tails}` : ''}`;
  } finally {
    for (const t of trackers) t.close();
    for (const s of servers) {
      const stopped = await s.stop();
      if (!stopped.exitedCleanly)
        result.notes.push('A podrun did not exit within 30 s of SIGTERM and was killed.');
    }
    const strays = killStrays();
    forgetStrays();
    if (strays > 0) result.notes.push(`Killed ${strays} stray pod processes after podrun stopped.`);
    result.durationMs = elapsedMs(started);
  }
  return result;
}
