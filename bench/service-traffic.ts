// Benchmark of traffic through a ClusterIP against the same traffic to the pod IP (issue "Services and cluster
// DNS"), on `podrun serve --runtime host`: a server pod (a node script: port 8080 closes each connection at
// once, port 9000 swallows what it is sent and answers the byte count), a Service with that pod as its one
// endpoint, and a client pod (`sleep`) whose network namespace the client process joins with
// `nsenter --net=/proc/<pid of the client pod's sleep>/ns/net`. The same client also runs in the host's network
// namespace (the machine reaches ClusterIPs through podrun's host table). Measured both ways, VIP and pod IP,
// runs alternating between the two:
//   - new connections per second: connect, the server closes, the client closes; C connections in flight for
//     BENCH_TRAFFIC_SECONDS;
//   - bulk throughput: BENCH_TRAFFIC_MB MB through one connection, until the server has acknowledged them all.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostUnavailableReason } from './host-pod-startup.js';
import { deferCleanup } from './lib/cleanup.js';
import { positiveIntFromEnv } from './lib/env.js';
import type { KubeClient, KubeObjectLike } from './lib/kube-client.js';
import { GRACE_SECONDS, PodTracker } from './lib/pod-tracker.js';
import { processesMarked } from './lib/proc.js';
import { type BenchResult, check, type Metric, newResult } from './lib/report.js';
import { type ServerHandle, startServer } from './lib/server.js';
import { elapsedMs, median, now } from './lib/stats.js';

export interface TrafficOptions {
  runs: number;
  seconds: number;
  megabytes: number;
  concurrency: number;
  log: (line: string) => void;
}

export const FULL_TRAFFIC_OPTIONS = { runs: 5, seconds: 3, megabytes: 1000 };

export function trafficOptionsFromEnv(env: NodeJS.ProcessEnv, log: (l: string) => void): TrafficOptions {
  return {
    runs: positiveIntFromEnv(env, 'BENCH_RUNS', FULL_TRAFFIC_OPTIONS.runs),
    seconds: positiveIntFromEnv(env, 'BENCH_TRAFFIC_SECONDS', FULL_TRAFFIC_OPTIONS.seconds),
    megabytes: positiveIntFromEnv(env, 'BENCH_TRAFFIC_MB', FULL_TRAFFIC_OPTIONS.megabytes),
    concurrency: positiveIntFromEnv(env, 'BENCH_TRAFFIC_CONCURRENCY', 4),
    log,
  };
}

const NS = 'bench-traffic';
const CONN_PORT = 8080;
const BULK_PORT = 9000;

/** The server pod's program (CommonJS through `node -e`). PID 1 of its PID namespace: SIGTERM needs a handler. */
const SERVER = `
const net = require('node:net');
process.on('SIGTERM', () => process.exit(0));
net.createServer((s) => { s.on('error', () => {}); s.end(); }).listen(${CONN_PORT});
net.createServer((s) => {
  let n = 0;
  s.on('error', () => {});
  s.on('data', (c) => { n += c.length; });
  s.on('end', () => s.end(String(n)));
}).listen(${BULK_PORT});
`;

/**
 * The client: `conns HOST PORT SECONDS CONCURRENCY` or `bulk HOST PORT BYTES`; prints one JSON line.
 * Connections that fail are counted, not retried, and end the run's worker.
 */
const CLIENT = `
const net = require('node:net');
const [mode, host, port, arg, conc] = process.argv.slice(1);
if (mode === 'conns') {
  const deadline = Date.now() + Number(arg) * 1000;
  let count = 0, errors = 0;
  const t0 = process.hrtime.bigint();
  const worker = () => new Promise((done) => {
    const next = () => {
      if (Date.now() >= deadline) return done();
      const s = net.connect(Number(port), host);
      let failed = false;
      s.on('error', () => { failed = true; });
      s.on('close', () => { if (failed) { errors++; return done(); } count++; next(); });
      s.resume();
    };
    next();
  });
  Promise.all(Array.from({ length: Number(conc) }, worker)).then(() => {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(JSON.stringify({ count, errors, ms }));
  });
} else {
  const total = Number(arg);
  const chunk = Buffer.alloc(1 << 20, 120);
  const t0 = process.hrtime.bigint();
  const s = net.connect(Number(port), host);
  let sent = 0, reply = '';
  s.setEncoding('utf8');
  s.on('data', (d) => { reply += d; });
  s.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(1); });
  const pump = () => {
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return s.once('drain', pump);
    }
    s.end();
  };
  s.on('connect', pump);
  s.on('close', () => {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(JSON.stringify({ bytes: Number(reply), ms }));
  });
}
`;

interface ConnsResult {
  count: number;
  errors: number;
  ms: number;
}
interface BulkResult {
  bytes: number;
  ms: number;
  error?: string;
}

/** Runs the client, in the network namespace of `netnsPid` or (undefined) in the host's; its JSON line. */
function client<T>(netnsPid: number | undefined, args: (string | number)[]): Promise<T> {
  const node = [process.execPath, '-e', CLIENT, ...args.map(String)];
  const [cmd, ...argv] =
    netnsPid === undefined ? node : ['nsenter', `--net=/proc/${netnsPid}/ns/net`, ...node];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as T);
      } catch {
        reject(
          new Error(`the traffic client (${args.join(' ')}) exited ${code}: ${err.trim() || out.trim()}`),
        );
      }
    });
  });
}

function pod(
  name: string,
  labels: Record<string, string>,
  command: string[],
  marker: string,
): KubeObjectLike {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels },
    spec: {
      terminationGracePeriodSeconds: GRACE_SECONDS,
      containers: [
        { name: 'main', image: 'busybox:1.36', command, env: [{ name: 'PODRUN_BENCH', value: marker }] },
      ],
    },
  };
}

/** A pid in the client pod's network namespace: its `sleep`. */
function clientPid(marker: string): number {
  const pid = processesMarked(`PODRUN_BENCH=${marker}`).find((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'latin1').startsWith('sleep\0');
    } catch {
      return false;
    }
  });
  if (pid === undefined) throw new Error("the client pod's process (sleep) was not found in /proc");
  return pid;
}

/** Waits until a connection to host:port succeeds from the given network namespace (the rules are in place). */
async function reachable(netnsPid: number | undefined, host: string, port: number): Promise<void> {
  const t0 = now();
  for (;;) {
    const r = await client<BulkResult>(netnsPid, ['bulk', host, port, 1]).catch((e: Error) => ({
      bytes: 0,
      ms: 0,
      error: e.message,
    }));
    if (r.bytes === 1) return;
    if (elapsedMs(t0) > 30_000) {
      throw new Error(
        `${host}:${port} not reachable after 30 s from ${netnsPid ? 'the client pod' : 'the host'}: ${r.error ?? 'no answer'}`,
      );
    }
    await new Promise((res) => setTimeout(res, 250));
  }
}

async function create(c: KubeClient, path: string, body: KubeObjectLike): Promise<KubeObjectLike> {
  return c.must<KubeObjectLike>('POST', path, body);
}

export async function runTrafficBench(o: TrafficOptions): Promise<BenchResult> {
  const started = now();
  const full =
    o.runs >= FULL_TRAFFIC_OPTIONS.runs &&
    o.seconds >= FULL_TRAFFIC_OPTIONS.seconds &&
    o.megabytes >= FULL_TRAFFIC_OPTIONS.megabytes;
  const result = newResult(
    'service-traffic',
    'Traffic through a ClusterIP against the pod IP',
    '"Services and cluster DNS"',
  );
  const reason = hostUnavailableReason();
  if (reason) {
    result.available = false;
    result.problem = reason;
    return result;
  }
  const marker = `bench-${randomBytes(4).toString('hex')}`;
  const clientMarker = `${marker}-client`;
  let server: ServerHandle | undefined;
  let tracker: PodTracker | undefined;
  const killStrays = () => {
    for (const m of [marker, clientMarker]) {
      for (const p of processesMarked(`PODRUN_BENCH=${m}`)) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
  };
  const forgetStrays = deferCleanup(killStrays);
  try {
    o.log('starting podrun serve --runtime host');
    server = await startServer({
      allowFallback: false,
      serveArgs: ['--runtime', 'host', '--images', 'host'],
    });
    const c = server.client;
    await create(c, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    tracker = new PodTracker();
    await tracker.open(c, NS);
    await create(
      c,
      `/api/v1/namespaces/${NS}/pods`,
      pod('server', { app: 'traffic-server' }, [process.execPath, '-e', SERVER], marker),
    );
    await create(
      c,
      `/api/v1/namespaces/${NS}/pods`,
      pod('client', { app: 'traffic-client' }, ['sleep', '3600'], clientMarker),
    );
    const svc = await create(c, `/api/v1/namespaces/${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'traffic', namespace: NS },
      spec: {
        selector: { app: 'traffic-server' },
        ports: [
          { name: 'conn', port: 80, targetPort: CONN_PORT },
          { name: 'bulk', port: 90, targetPort: BULK_PORT },
        ],
      },
    });
    const t = tracker;
    if (!(await t.until(() => t.running.has('server') && t.running.has('client'), 60_000))) {
      throw new Error('the server and client pods were not Running within 60 s');
    }
    const serverPod = await c.must<KubeObjectLike>('GET', `/api/v1/namespaces/${NS}/pods/server`);
    const podIP = String(serverPod.status?.podIP ?? '');
    const vip = String((svc.spec as { clusterIP?: string }).clusterIP ?? '');
    if (!podIP || !vip) throw new Error(`no pod IP (${podIP}) or ClusterIP (${vip})`);
    const inPod = clientPid(clientMarker);
    const sources: [string, number | undefined][] = [
      ['from a pod', inPod],
      ['from the host', undefined],
    ];
    for (const [, pid] of sources) {
      await reachable(pid, podIP, BULK_PORT);
      await reachable(pid, vip, 90);
    }
    result.setup.push(
      'Server: `bin/podrun serve --port 0 --state-dir <tmp> --runtime host` as a child process.',
      `Pods: a server (a node script: port ${CONN_PORT} closes each connection at once, port ${BULK_PORT} reads everything and answers the byte count) and a client pod (\`sleep\`); a Service (ports 80 → ${CONN_PORT}, 90 → ${BULK_PORT}) with the server as its one endpoint. The client is a node process run with \`nsenter --net=/proc/<the client pod's sleep>/ns/net\` ("from a pod"), or in the host's network namespace ("from the host", through podrun's host table).`,
      `Connections per second: ${o.concurrency} connections in flight for ${o.seconds} s, each connect → the server closes → the client closes. Bulk: ${o.megabytes} MB through one connection, timed from connect to the server's count of bytes received.`,
      `Parameters: ${o.runs} runs of each measurement, alternating VIP and pod IP (the order swapped every run); one untimed warm-up of each.`,
    );

    const bytes = o.megabytes * 1e6;
    const rows: Metric[] = [];
    for (const [from, pid] of sources) {
      o.log(`${from}: connections per second and bulk, ${o.runs} runs each way`);
      const conns = { vip: [] as number[], pod: [] as number[] };
      const bulk = { vip: [] as number[], pod: [] as number[] };
      let errors = 0;
      const measure = async (way: 'vip' | 'pod', record: boolean) => {
        const host = way === 'vip' ? vip : podIP;
        const r = await client<ConnsResult>(pid, [
          'conns',
          host,
          way === 'vip' ? 80 : CONN_PORT,
          o.seconds,
          o.concurrency,
        ]);
        const b = await client<BulkResult>(pid, ['bulk', host, way === 'vip' ? 90 : BULK_PORT, bytes]);
        if (b.error !== undefined || b.bytes !== bytes) {
          throw new Error(
            `bulk ${from} to ${host}: the server counted ${b.bytes} of ${bytes} bytes${b.error ? ` (${b.error})` : ''}`,
          );
        }
        if (!record) return;
        errors += r.errors;
        conns[way].push(r.count / (r.ms / 1000));
        bulk[way].push((bytes * 8) / (b.ms / 1000) / 1e9);
      };
      await measure('vip', false);
      await measure('pod', false);
      for (let i = 0; i < o.runs; i++) {
        const order: ('vip' | 'pod')[] = i % 2 === 0 ? ['vip', 'pod'] : ['pod', 'vip'];
        for (const way of order) await measure(way, true);
      }
      const cr = median(conns.vip) / median(conns.pod);
      const br = median(bulk.vip) / median(bulk.pod);
      // Each run measures both ways back to back, so a run's own ratio is less exposed to the load drifting
      // between runs than the ratio of the medians.
      const paired = (xs: Record<'vip' | 'pod', number[]>) =>
        median(xs.vip.map((v, i) => v / (xs.pod[i] ?? Number.NaN))).toFixed(2);
      const range = (xs: number[], digits: number) =>
        `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
      rows.push(
        {
          name: `${from}: new connections/s, pod IP ${podIP}, median of ${o.runs}`,
          value: `${median(conns.pod).toFixed(0)}/s (${range(conns.pod, 0)})`,
        },
        {
          name: `${from}: new connections/s, ClusterIP ${vip}, median of ${o.runs}`,
          value: `${median(conns.vip).toFixed(0)}/s (${range(conns.vip, 0)})${errors ? `; ${errors} failed connections` : ''}`,
        },
        {
          name: `${from}: connections/s, ClusterIP / pod IP`,
          value: `${cr.toFixed(2)}× (median of the run-by-run ratios: ${paired(conns)}×)`,
          target: '≥ 0.9×',
          verdict: check(cr >= 0.9 && errors === 0, full),
        },
        {
          name: `${from}: bulk, ${o.megabytes} MB over one connection, pod IP, median of ${o.runs}`,
          value: `${median(bulk.pod).toFixed(2)} Gbit/s (${range(bulk.pod, 2)})`,
        },
        {
          name: `${from}: bulk, ${o.megabytes} MB over one connection, ClusterIP, median of ${o.runs}`,
          value: `${median(bulk.vip).toFixed(2)} Gbit/s (${range(bulk.vip, 2)})`,
        },
        {
          name: `${from}: bulk throughput, ClusterIP / pod IP`,
          value: `${br.toFixed(2)}× (median of the run-by-run ratios: ${paired(bulk)}×)`,
          target: '≥ 0.9×',
          verdict: check(br >= 0.9, full),
        },
      );
    }
    result.metrics.push(...rows);
  } catch (err) {
    result.problem = `${(err as Error).message}${server ? `\nserver stderr:\n${server.stderrTail()}` : ''}`;
  } finally {
    tracker?.close();
    if (server) {
      const stopped = await server.stop();
      if (!stopped.exitedCleanly)
        result.notes.push('podrun did not exit within 30 s of SIGTERM and was killed.');
    }
    killStrays();
    forgetStrays();
    result.durationMs = elapsedMs(started);
  }
  return result;
}
