// Benchmark of `kubectl exec` (issue "kubectl exec, attach, cp, port-forward, run -i and debug"), on
// `podrun serve --runtime host`, one pod running `sleep`:
//   - `kubectl exec pod -- true`, wall clock from spawn to exit, against `nsenter` into the same namespaces by
//     hand (the floor: no API, no TLS, no shim), runs alternating; kubectl forced to SPDY is timed alongside;
//   - the server's share of each `kubectl exec`, measured by the server itself (PODRUN_STREAM_TIMINGS: from
//     the upgrade request's arrival to the Status and the close frame handed to the socket, with the steps
//     between): target < 10 ms;
//   - the same exec as a client sees it: a client in this process on a TLS connection already open, from
//     writing the upgrade request to the Status (exit code) received; and with the TLS handshake of a new
//     connection, as kubectl pays it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { WebSocket } from 'ws';
import {
  parseStreamTimingsLine,
  STREAM_TIMINGS_ENV,
  type StreamStep,
  type StreamTimingsLine,
} from '../src/apiserver/streaming/timings.js';
import { hostUnavailableReason } from './host-pod-startup.js';
import { deferCleanup } from './lib/cleanup.js';
import { positiveIntFromEnv } from './lib/env.js';
import type { KubeEndpoint } from './lib/kube-client.js';
import { kubectl } from './lib/kubectl.js';
import { type BenchResult, check, newResult } from './lib/report.js';
import type { ServerHandle } from './lib/server.js';
import { elapsedMs, median, ms, now, percentile } from './lib/stats.js';
import { killMarked, startStreamingPod } from './lib/streaming-pod.js';

export interface ExecOptions {
  runs: number;
  log: (line: string) => void;
}

export const FULL_EXEC_OPTIONS = { runs: 20 };

export function execOptionsFromEnv(env: NodeJS.ProcessEnv, log: (l: string) => void): ExecOptions {
  return { runs: positiveIntFromEnv(env, 'BENCH_RUNS', FULL_EXEC_OPTIONS.runs), log };
}

const NS = 'bench-exec';
const POD = 'target';
const EXEC_QUERY = 'command=true&container=main&stderr=true&stdout=true';

/** nsenter's flags for the namespaces of `pid` that differ from this process's (the container's own). */
async function nsenterFlags(pid: number): Promise<string[]> {
  const flags: string[] = [];
  for (const [ns, flag] of [
    ['mnt', '--mount'],
    ['uts', '--uts'],
    ['ipc', '--ipc'],
    ['net', '--net'],
    ['pid', '--pid'],
    ['cgroup', '--cgroup'],
  ] as const) {
    const theirs = await readlink(`/proc/${pid}/ns/${ns}`);
    if (theirs !== (await readlink(`/proc/self/ns/${ns}`))) flags.push(flag);
  }
  return flags;
}

/** Wall clock of one command, spawn to exit; throws unless it exits 0. */
async function timed(cmd: string, args: string[]): Promise<number> {
  const t0 = now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const [code] = (await once(child, 'close')) as [number | null];
  const took = elapsedMs(t0);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`);
  return took;
}

/**
 * One exec of `true` over the WebSocket protocol kubectl uses: the TLS handshake's time, and the time from the
 * upgrade request written on the open connection to the Status frame received (which must say Success).
 */
async function execOnce(endpoint: KubeEndpoint): Promise<{ tls: number; exec: number }> {
  const url = new URL(`/api/v1/namespaces/${NS}/pods/${POD}/exec?${EXEC_QUERY}`, endpoint.server);
  const t0 = now();
  const socket = connect({
    host: url.hostname,
    port: Number(url.port),
    ca: endpoint.ca,
    ALPNProtocols: ['http/1.1'],
  });
  await once(socket, 'secureConnect');
  const tls = elapsedMs(t0);
  const t1 = now();
  const ws = new WebSocket(url.toString().replace(/^https/, 'wss'), ['v5.channel.k8s.io'], {
    headers: { Authorization: `Bearer ${endpoint.token}` },
    // The connection is already made: the time below is the upgrade's and the command's, not TCP's or TLS's.
    createConnection: () => socket,
  });
  return new Promise((resolve, reject) => {
    let exec: number | undefined;
    ws.on('message', (data: Buffer) => {
      if (data[0] !== 3) return;
      exec = elapsedMs(t1);
      const status = JSON.parse(data.subarray(1).toString('utf8')) as { status?: string; message?: string };
      if (status.status !== 'Success') reject(new Error(`exec true: ${status.message ?? status.status}`));
    });
    ws.on('error', reject);
    ws.on('unexpected-response', (_req, res) => reject(new Error(`exec upgrade answered ${res.statusCode}`)));
    ws.on('close', () =>
      exec === undefined ? reject(new Error('exec ended without a Status')) : resolve({ tls, exec }),
    );
  });
}

/** The server's timing lines, taken one per exec in the order they come. */
class ServerTimings {
  #lines: StreamTimingsLine[] = [];
  #waiting: ((line: StreamTimingsLine | undefined) => void) | undefined;

  onStderrLine = (text: string): void => {
    const line = parseStreamTimingsLine(text);
    if (!line) return;
    const w = this.#waiting;
    this.#waiting = undefined;
    if (w) w(line);
    else this.#lines.push(line);
  };

  /** Drops what came so far (the warm-up's). */
  clear(): void {
    this.#lines.length = 0;
  }

  /** The next exec's line: the server writes it as the exec ends, but it may reach us after the client ends. */
  next(what: string): Promise<StreamTimingsLine> {
    const line = this.#lines.shift();
    if (line) return Promise.resolve(line);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined;
        reject(new Error(`the server wrote no ${STREAM_TIMINGS_ENV} line for ${what} within 5 s`));
      }, 5000);
      this.#waiting = (l) => {
        clearTimeout(timer);
        resolve(l!);
      };
    });
  }
}

const STEPS: [StreamStep, string][] = [
  ['admitted', 'authenticated and authorized'],
  ['checked', 'pod read, request checked'],
  ['upgraded', '101 written'],
  ['started', 'the runtime says the command runs'],
  ['exited', 'exit code reported, output ended'],
  ['closed', 'Status and close frame written'],
];

export async function runExecBench(o: ExecOptions): Promise<BenchResult> {
  const started = now();
  const full = o.runs >= FULL_EXEC_OPTIONS.runs;
  const result = newResult(
    'kubectl-exec',
    '`kubectl exec` against nsenter by hand',
    '"kubectl exec, attach, cp, port-forward, run -i and debug"',
  );
  const reason = hostUnavailableReason();
  if (reason) {
    result.available = false;
    result.problem = reason;
    return result;
  }
  const marker = `bench-${randomBytes(4).toString('hex')}`;
  const forgetStrays = deferCleanup(() => killMarked(marker));
  let server: ServerHandle | undefined;
  const cacheDir = await mkdtemp(join(tmpdir(), 'podrun-bench-exec-kubectl-'));
  const timings = new ServerTimings();
  try {
    const setup = await startStreamingPod({
      namespace: NS,
      name: POD,
      command: ['sleep', '3600'],
      marker,
      log: o.log,
      onServer: (s) => {
        server = s;
      },
      env: { [STREAM_TIMINGS_ENV]: '1' },
      onStderrLine: timings.onStderrLine,
    });
    const kc = setup.server.kubeconfigPath;
    const endpoint = setup.server.client.endpoint;
    const flags = await nsenterFlags(setup.pid);
    const nsenter = ['-t', String(setup.pid), ...flags, '--', 'true'];
    const kubectlExec = async (env: Record<string, string> = {}) => {
      const r = await kubectl(['exec', '-n', NS, POD, '--', 'true'], kc, cacheDir, 60_000, env);
      if (r.code !== 0) throw new Error(`kubectl exec exited ${r.code}: ${r.stderr.trim()}`);
      return { ms: r.ms, server: await timings.next('kubectl exec') };
    };
    const spdy = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
    const kubectlStart = async () =>
      (await kubectl(['version', '--client', '-o', 'json'], kc, cacheDir, 60_000)).ms;

    result.setup.push(
      'Server: `bin/podrun serve --port 0 --state-dir <tmp> --runtime host --images host` as a child process; one pod running `sleep 3600`.',
      `Floor: \`nsenter -t <the pod's sleep> ${flags.join(' ')} -- true\` (the namespaces of the container that differ from the host's), spawned the same way as kubectl.`,
      `Server's share: measured by the server (\`${STREAM_TIMINGS_ENV}=1\`, src/apiserver/streaming/timings.ts) for each \`kubectl exec\`: from the upgrade request's arrival (the HTTP server's 'upgrade' event) to the Status and the WebSocket close frame handed to the socket, with the steps between.`,
      'As a client sees it: a client in the benchmark process opens a TLS connection to the server, then times from writing the pods/exec WebSocket upgrade (v5.channel.k8s.io, `command=true`) to receiving the Status on the error channel; also timed with the TLS handshake of the new connection included, as kubectl pays it.',
      `Parameters: ${o.runs} runs of each, alternating (the order rotated every run); one untimed warm-up of each.`,
    );

    const samples = {
      kubectl: [] as number[],
      spdy: [] as number[],
      nsenter: [] as number[],
      start: [] as number[],
      server: [] as number[],
      serverTls: [] as number[],
    };
    const shares: StreamTimingsLine[] = [];
    const spdyShares: number[] = [];
    const steps: [keyof typeof samples | 'both', () => Promise<void>][] = [
      [
        'kubectl',
        async () => {
          const r = await kubectlExec();
          samples.kubectl.push(r.ms);
          shares.push(r.server);
        },
      ],
      [
        'spdy',
        async () => {
          const r = await kubectlExec(spdy);
          samples.spdy.push(r.ms);
          spdyShares.push(r.server.ms.closed ?? Number.NaN);
        },
      ],
      ['nsenter', async () => void samples.nsenter.push(await timed('nsenter', nsenter))],
      ['start', async () => void samples.start.push(await kubectlStart())],
      [
        'both',
        async () => {
          const r = await execOnce(endpoint);
          await timings.next('the benchmark client');
          samples.server.push(r.exec);
          samples.serverTls.push(r.tls + r.exec);
        },
      ],
    ];
    o.log('warm-up');
    for (const [, step] of steps) await step();
    for (const xs of Object.values(samples)) xs.length = 0;
    shares.length = 0;
    spdyShares.length = 0;
    timings.clear();
    o.log(`${o.runs} runs`);
    for (let i = 0; i < o.runs; i++) {
      for (let j = 0; j < steps.length; j++) await steps[(i + j) % steps.length]![1]();
    }
    const k = median(samples.kubectl);
    const f = median(samples.nsenter);
    const closed = shares.map((l) => l.ms.closed ?? Number.NaN);
    const share = median(closed);
    const stepMedians = STEPS.map(([step, what]) => {
      const at = median(shares.map((l) => l.ms[step] ?? Number.NaN));
      return `${step} (${what}) ${at.toFixed(1)}`;
    });
    result.metrics.push(
      { name: `\`kubectl exec pod -- true\` (WebSocket), median of ${o.runs}`, value: ms(k) },
      {
        name: `\`kubectl exec pod -- true\` forced to SPDY, median of ${o.runs}`,
        value: ms(median(samples.spdy)),
      },
      { name: `\`nsenter … -- true\` by hand, median of ${o.runs}`, value: ms(f) },
      { name: 'kubectl exec / nsenter', value: `${(k / f).toFixed(1)}×` },
      {
        name: `kubectl's own start-up (\`kubectl version --client\`), median of ${o.runs}`,
        value: ms(median(samples.start)),
      },
      {
        name: `server's share of \`kubectl exec\` (WebSocket), measured by the server: upgrade request arrived → Status and close frame written, median of ${o.runs}`,
        value: `${ms(share)} (p90 ${ms(percentile(closed, 90))})`,
        target: '< 10 ms',
        verdict: check(share < 10, full),
      },
      {
        name: 'its steps, ms from the upgrade request (medians of each)',
        value: stepMedians.join('; '),
      },
      {
        name: `server's share of \`kubectl exec\` forced to SPDY, measured the same way, median of ${o.runs}`,
        value: ms(median(spdyShares)),
      },
      {
        name: `a client in the benchmark: upgrade request written → exit Status received, on an open connection, median of ${o.runs}`,
        value: `${ms(median(samples.server))} (p90 ${ms(percentile(samples.server, 90))})`,
      },
      {
        name: `the same with a new connection's TLS handshake, median of ${o.runs}`,
        value: ms(median(samples.serverTls)),
      },
    );
  } catch (err) {
    result.problem = `${(err as Error).message}${server ? `\nserver stderr:\n${server.stderrTail()}` : ''}`;
  } finally {
    if (server) {
      const stopped = await server.stop();
      if (!stopped.exitedCleanly)
        result.notes.push('podrun did not exit within 30 s of SIGTERM and was killed.');
    }
    killMarked(marker);
    forgetStrays();
    await rm(cacheDir, { recursive: true, force: true });
    result.durationMs = elapsedMs(started);
  }
  return result;
}
