// Benchmark of `kubectl port-forward` throughput (issue "kubectl exec, attach, cp, port-forward, run -i and
// debug"), on `podrun serve --runtime host`: a pod runs a node server that writes BENCH_PF_MB MB to each
// connection and closes it; the benchmark downloads it, timed from connect to the last byte, three ways,
// runs alternating:
//   - directly from the host to the pod IP on podrun's bridge (the reference);
//   - through `kubectl port-forward pod/source 0:9000` (the WebSocket tunnel, kubectl's default): target at
//     least 0.5× the direct figure;
//   - through the same forced to direct SPDY (KUBECTL_PORT_FORWARD_WEBSOCKETS=false), for comparison.
// Each kubectl port-forward is started once and serves all its runs, as a user keeps one open.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostUnavailableReason } from './host-pod-startup.js';
import { deferCleanup } from './lib/cleanup.js';
import { positiveIntFromEnv } from './lib/env.js';
import { descendants, procCpuSeconds } from './lib/proc.js';
import { type BenchResult, check, newResult } from './lib/report.js';
import type { ServerHandle } from './lib/server.js';
import { elapsedMs, median, now } from './lib/stats.js';
import { killMarked, startStreamingPod } from './lib/streaming-pod.js';

export interface PortForwardOptions {
  runs: number;
  megabytes: number;
  log: (line: string) => void;
}

export const FULL_PORT_FORWARD_OPTIONS = { runs: 5, megabytes: 100 };

export function portForwardOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  log: (l: string) => void,
): PortForwardOptions {
  return {
    runs: positiveIntFromEnv(env, 'BENCH_RUNS', FULL_PORT_FORWARD_OPTIONS.runs),
    megabytes: positiveIntFromEnv(env, 'BENCH_PF_MB', FULL_PORT_FORWARD_OPTIONS.megabytes),
    log,
  };
}

const NS = 'bench-port-forward';
const POD = 'source';
const PORT = 9000;

/** The pod's server (CommonJS through `node -e`, argv[1] the byte count). PID 1 of its PID namespace. */
const SERVER = `
const net = require('node:net');
process.on('SIGTERM', () => process.exit(0));
const total = Number(process.argv[1]);
const chunk = Buffer.alloc(1 << 20, 120);
net.createServer((s) => {
  s.on('error', () => {});
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return s.once('drain', pump);
    }
    s.end();
  };
  pump();
}).listen(${PORT});
`;

/** Downloads everything host:port sends; the byte count and the time from connect to the end. */
async function download(host: string, port: number): Promise<{ bytes: number; ms: number }> {
  const t0 = now();
  const s = connect(port, host);
  let bytes = 0;
  s.on('data', (c: Buffer) => {
    bytes += c.length;
  });
  await new Promise<void>((resolve, reject) => {
    s.on('end', resolve);
    s.on('error', reject);
  });
  const took = elapsedMs(t0);
  s.destroy();
  return { bytes, ms: took };
}

/** A running `kubectl port-forward` and the local port it listens on. */
async function portForward(
  kubeconfig: string,
  cacheDir: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    'kubectl',
    [`--cache-dir=${cacheDir}`, 'port-forward', '-n', NS, `pod/${POD}`, `0:${PORT}`],
    {
      env: { ...process.env, KUBECONFIG: kubeconfig, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`kubectl port-forward did not listen within 30 s: ${err}`)),
      30_000,
    );
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl port-forward exited ${code}: ${err.trim()}`));
    });
  });
  return { child, port };
}

/** CPU seconds used so far by a process and its descendants (kubectl may be a dispatcher's child). */
function treeCpuSeconds(pid: number): number {
  let total = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      total += procCpuSeconds(p);
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

export async function runPortForwardBench(o: PortForwardOptions): Promise<BenchResult> {
  const started = now();
  const full = o.runs >= FULL_PORT_FORWARD_OPTIONS.runs && o.megabytes >= FULL_PORT_FORWARD_OPTIONS.megabytes;
  const result = newResult(
    'kubectl-port-forward',
    '`kubectl port-forward` throughput against the pod IP',
    '"kubectl exec, attach, cp, port-forward, run -i and debug"',
  );
  const reason = hostUnavailableReason();
  if (reason) {
    result.available = false;
    result.problem = reason;
    return result;
  }
  const bytes = o.megabytes * 1e6;
  const marker = `bench-${randomBytes(4).toString('hex')}`;
  const forwards: ChildProcess[] = [];
  const forgetStrays = deferCleanup(async () => {
    for (const f of forwards) await stop(f);
    killMarked(marker);
  });
  let server: ServerHandle | undefined;
  const cacheDir = await mkdtemp(join(tmpdir(), 'podrun-bench-pf-kubectl-'));
  try {
    const setup = await startStreamingPod({
      namespace: NS,
      name: POD,
      command: [process.execPath, '-e', SERVER, String(bytes)],
      marker,
      log: o.log,
      onServer: (s) => {
        server = s;
      },
    });
    const podIP = String(setup.pod.status?.podIP ?? '');
    if (!podIP) throw new Error('the pod has no IP');
    const kc = setup.server.kubeconfigPath;
    const ws = await portForward(kc, cacheDir, {});
    forwards.push(ws.child);
    const spdy = await portForward(kc, cacheDir, { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' });
    forwards.push(spdy.child);
    result.setup.push(
      'Server: `bin/podrun serve --port 0 --state-dir <tmp> --runtime host --images host` as a child process.',
      `Pod: a node server on port ${PORT} that writes ${o.megabytes} MB (10⁶ bytes) to each connection, then closes it. The benchmark reads it all, timed from connect to the last byte: from the host to the pod IP ${podIP} on podrun's bridge; through \`kubectl port-forward pod/${POD} 0:${PORT}\` (WebSocket tunnel, kubectl 1.32's default); and through the same with \`KUBECTL_PORT_FORWARD_WEBSOCKETS=false\` (direct SPDY). Each port-forward is started once and kept for all its runs.`,
      `Parameters: ${o.runs} runs of each way, alternating (the order rotated every run); one untimed warm-up of each.`,
    );
    const ways: [string, string, number][] = [
      ['direct', podIP, PORT],
      ['websocket', '127.0.0.1', ws.port],
      ['spdy', '127.0.0.1', spdy.port],
    ];
    const gbits = new Map<string, number[]>(ways.map(([w]) => [w, []]));
    // CPU per run: podrun's (the server process, where the tunnel is) and the port-forward's kubectl. Less
    // sensitive than throughput to what else runs on the machine.
    const cpu = new Map<string, { podrun: number[]; kubectl: number[] }>(
      ways.map(([w]) => [w, { podrun: [], kubectl: [] }]),
    );
    const kubectlOf: Record<string, ChildProcess | undefined> = { websocket: ws.child, spdy: spdy.child };
    const serverPid = setup.server.pid;
    const measure = async ([way, host, port]: [string, string, number], record: boolean) => {
      const k = kubectlOf[way];
      const before = { podrun: procCpuSeconds(serverPid), kubectl: k ? treeCpuSeconds(k.pid!) : 0 };
      const r = await download(host, port);
      if (r.bytes !== bytes) throw new Error(`${way}: received ${r.bytes} of ${bytes} bytes`);
      if (!record) return;
      gbits.get(way)!.push((bytes * 8) / (r.ms / 1000) / 1e9);
      const c = cpu.get(way)!;
      c.podrun.push((procCpuSeconds(serverPid) - before.podrun) * 1000);
      if (k) c.kubectl.push((treeCpuSeconds(k.pid!) - before.kubectl) * 1000);
    };
    o.log('warm-up');
    for (const w of ways) await measure(w, false);
    o.log(`${o.runs} runs of ${o.megabytes} MB each way`);
    for (let i = 0; i < o.runs; i++) {
      for (let j = 0; j < ways.length; j++) await measure(ways[(i + j) % ways.length]!, true);
    }
    const med = (w: string) => median(gbits.get(w)!);
    const range = (w: string) =>
      `${Math.min(...gbits.get(w)!).toFixed(2)}–${Math.max(...gbits.get(w)!).toFixed(2)}`;
    const ratio = med('websocket') / med('direct');
    result.metrics.push(
      {
        name: `${o.megabytes} MB from the pod IP, median of ${o.runs}`,
        value: `${med('direct').toFixed(2)} Gbit/s (${range('direct')})`,
      },
      {
        name: `${o.megabytes} MB through kubectl port-forward (WebSocket), median of ${o.runs}`,
        value: `${med('websocket').toFixed(2)} Gbit/s (${range('websocket')})`,
      },
      {
        name: 'port-forward (WebSocket) / pod IP',
        value: `${ratio.toFixed(2)}×`,
        target: '≥ 0.5×',
        verdict: check(ratio >= 0.5, full),
      },
      {
        name: `${o.megabytes} MB through kubectl port-forward forced to SPDY, median of ${o.runs}`,
        value: `${med('spdy').toFixed(2)} Gbit/s (${range('spdy')}); ${(med('spdy') / med('direct')).toFixed(2)}× the pod IP`,
      },
      {
        name: `CPU per ${o.megabytes} MB through the WebSocket port-forward: podrun / kubectl, medians of ${o.runs} (clock ticks of 10 ms)`,
        value: `${median(cpu.get('websocket')!.podrun).toFixed(0)} ms / ${median(cpu.get('websocket')!.kubectl).toFixed(0)} ms`,
      },
      {
        name: `the same through SPDY: podrun / kubectl; podrun while the pod IP is read directly`,
        value: `${median(cpu.get('spdy')!.podrun).toFixed(0)} ms / ${median(cpu.get('spdy')!.kubectl).toFixed(0)} ms; ${median(cpu.get('direct')!.podrun).toFixed(0)} ms`,
      },
    );
  } catch (err) {
    result.problem = `${(err as Error).message}${server ? `\nserver stderr:\n${server.stderrTail()}` : ''}`;
  } finally {
    for (const f of forwards) await stop(f);
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
