// Benchmark of pod start-up on the host runtime (issue "Host runtime"), black-box against
// `podrun serve --runtime host`:
//   (a) one pod with three init containers (`true`) and an app container (`sleep 3600`), from the create
//       request to phase Running seen through a watch, median of several runs;
//   (b) the floor: bench/floor.sh does the same namespace steps by hand with unshare/nsenter, timed the same
//       way (spawn to "running"), and the ratio podrun / floor;
//   (c) BENCH_PODS such pods (1,000 for the full run) at once: time until all are Running, podrun's memory,
//       then delete them all and check that no process and no mount is left;
//   (d) the floor at scale: BENCH_PODS runs of bench/floor.sh, 2 × CPUs at a time, held;
//   (e) the control plane alone: BENCH_PODS pods on podrun with the fake runtime (no processes), podrun's CPU.
// Every container gets PODRUN_BENCH=<marker> in its environment, so that leftovers can be found in /proc.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { deferCleanup } from './lib/cleanup.js';
import { controlPlaneAtScale } from './lib/control-plane.js';
import { positiveIntFromEnv } from './lib/env.js';
import { fileCreateMicros } from './lib/fs-probe.js';
import { type KubeObjectLike, pool } from './lib/kube-client.js';
import { benchPod, GRACE_SECONDS, MILESTONES, nowMs, PodTracker, startOnePod } from './lib/pod-tracker.js';
import {
  commandLine,
  descendants,
  machineBusyCpuSeconds,
  podrunProcesses,
  procCpu,
  processesMarked,
  procMemory,
} from './lib/proc.js';
import { type BenchResult, check, type Metric, newResult } from './lib/report.js';
import {
  mountsUnder,
  podrunServeAvailable,
  REPO_ROOT,
  type ServerHandle,
  startServer,
} from './lib/server.js';
import { elapsedMs, kibToMb, mb, median, ms, now } from './lib/stats.js';

export interface HostBenchOptions {
  /** Pods for the scale part (c). */
  pods: number;
  /** Timed runs for (a) and (b), each after one untimed warm-up. */
  runs: number;
  log: (line: string) => void;
}

export const FULL_HOST_OPTIONS = { pods: 1000, runs: 10 };

export function hostOptionsFromEnv(env: NodeJS.ProcessEnv, log: (l: string) => void): HostBenchOptions {
  const n = (name: string, dflt: number) => positiveIntFromEnv(env, name, dflt);
  return {
    pods: n('BENCH_PODS', FULL_HOST_OPTIONS.pods),
    runs: n('BENCH_RUNS', FULL_HOST_OPTIONS.runs),
    log,
  };
}

const FLOOR = join(REPO_ROOT, 'bench', 'floor.sh');

/** Why the benchmark cannot run here, or undefined. */
export function hostUnavailableReason(): string | undefined {
  const missing = ['src/runtime/host/index.ts', 'src/kubelet/kubelet.ts'].filter(
    (p) => !existsSync(join(REPO_ROOT, p)),
  );
  if (missing.length > 0)
    return `${missing.join(' and ')} not in this checkout (the host runtime or the kubelet is not written yet)`;
  if (process.getuid?.() !== 0) return 'the host runtime needs root (namespaces, mounts)';
  if (!podrunServeAvailable())
    return '`podrun serve` is not available in this checkout (bin/podrun serve --help failed)';
  return undefined;
}

/** User and system CPU so far of podrun and of each of its helpers (the shim server), by pid; not the pods'. */
function podrunCpuByProcess(server: number): Map<number, { user: number; system: number }> {
  const out = new Map<number, { user: number; system: number }>();
  for (const p of podrunProcesses(server)) {
    try {
      out.set(p, procCpu(p));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/** CPU seconds between two samples of podrunCpuByProcess, all processes together. */
function cpuSecondsBetween(
  before: Map<number, { user: number; system: number }>,
  after: Map<number, { user: number; system: number }>,
): number {
  const total = (m: Map<number, { user: number; system: number }>) =>
    [...m.values()].reduce((sum, c) => sum + c.user + c.system, 0);
  return total(after) - total(before);
}

/** Where podrun's CPU went between two samples: the server, and each helper named by its command line. */
function cpuBreakdown(
  server: number,
  before: Map<number, { user: number; system: number }>,
  after: Map<number, { user: number; system: number }>,
): string {
  const groups = new Map<string, { user: number; system: number }>();
  for (const [pid, cpu] of after) {
    const was = before.get(pid) ?? { user: 0, system: 0 };
    const label = pid === server ? 'server' : helperLabel(commandLine(pid));
    const g = groups.get(label) ?? { user: 0, system: 0 };
    g.user += cpu.user - was.user;
    g.system += cpu.system - was.system;
    groups.set(label, g);
  }
  return [...groups]
    .filter(([, g]) => g.user + g.system >= 0.05)
    .sort((a, b) => b[1].user + b[1].system - (a[1].user + a[1].system))
    .map(
      ([label, g]) =>
        `${label} ${(g.user + g.system).toFixed(1)} s (user ${g.user.toFixed(1)}, system ${g.system.toFixed(1)})`,
    )
    .join('; ');
}

/** "shim server", "mount helper"…: the script and mode a helper runs, from its command line. */
function helperLabel(cmd: string): string {
  const words = cmd.split(' ');
  const script = words.find((w) => w.endsWith('.pl'));
  if (script === undefined) return words[0]?.split('/').pop() ?? cmd;
  const mode = words[words.indexOf(script) + 1];
  return `${script.split('/').pop()}${mode ? ` ${mode}` : ''}`;
}

/** One run of floor.sh: spawn → "running" line; then it tears itself down. */
async function floorOnce(marker: string): Promise<number> {
  const t0 = now();
  const held = await floorHeld(marker);
  const took = elapsedMs(t0);
  await held.release();
  return took;
}

/** One floor.sh pod held running: when it ran, and how to end it. */
function floorHeld(marker: string): Promise<{ release: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [FLOOR, marker], { stdio: ['pipe', 'pipe', 'pipe'] });
    let running = false;
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const closed = new Promise<void>((r) => child.on('close', () => r()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (running || !line.startsWith('running ')) return;
      running = true;
      resolve({
        release: () => {
          child.stdin.end('\n');
          return closed;
        },
      });
    });
    child.on('close', (code) => {
      if (!running) reject(new Error(`bench/floor.sh exited ${code} before the app ran: ${stderr.trim()}`));
    });
  });
}

/**
 * The floor at scale: `pods` floor.sh pods started `inFlight` at a time and held until the last runs, as
 * podrun's pods are; the wall clock and the machine's busy CPU time, then all of them ended.
 */
async function floorAtScale(
  pods: number,
  inFlight: number,
  marker: string,
): Promise<{ ms: number; cpuSeconds: number }> {
  const cpu0 = machineBusyCpuSeconds();
  const t0 = nowMs();
  const held: Array<{ release: () => Promise<void> }> = [];
  try {
    await pool(
      Array.from({ length: pods }, (_, i) => i),
      inFlight,
      async () => {
        held.push(await floorHeld(marker));
      },
    );
    return { ms: nowMs() - t0, cpuSeconds: machineBusyCpuSeconds() - cpu0 };
  } finally {
    await Promise.all(held.map((h) => h.release()));
  }
}

/** Whether a process's environment holds `env` (NAME=value): the pods' processes carry the marker. */
function readEnvHas(pid: number, env: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(env);
  } catch {
    return false;
  }
}

function processList(pids: number[]): string {
  return pids
    .slice(0, 5)
    .map((p) => `${p} ${commandLine(p).slice(0, 80)}`)
    .join('; ');
}

export async function runHostBench(o: HostBenchOptions): Promise<BenchResult> {
  const started = now();
  const full = o.pods >= FULL_HOST_OPTIONS.pods && o.runs >= FULL_HOST_OPTIONS.runs;
  const result = newResult('host-pod-startup', 'Pod start-up on the host runtime', '"Host runtime"');
  const metrics: Metric[] = result.metrics;
  const marker = `bench-${randomBytes(4).toString('hex')}`;
  const markerEnv = `PODRUN_BENCH=${marker}`;

  const floorMetric = (floorTimes: number[]): Metric => ({
    name: `floor: bench/floor.sh by hand (unshare/nsenter), median of ${floorTimes.length}`,
    value: `${ms(median(floorTimes))} (min ${ms(Math.min(...floorTimes))}, max ${ms(Math.max(...floorTimes))})`,
  });

  const reason = hostUnavailableReason();
  if (reason) {
    result.available = false;
    result.problem = reason;
    // (b) needs only util-linux, so it is measured even when podrun's pieces are missing.
    try {
      o.log(`floor.sh: ${o.runs} runs`);
      await floorOnce(marker);
      const floorTimes: number[] = [];
      for (let i = 0; i < o.runs; i++) floorTimes.push(await floorOnce(marker));
      metrics.push(floorMetric(floorTimes));
      result.setup.push('Only the floor (b) was measured; (a) and (c) need podrun with the host runtime.');
    } catch (err) {
      result.notes.push(`The floor could not be measured either: ${(err as Error).message}`);
    }
    result.durationMs = elapsedMs(started);
    return result;
  }

  let server: ServerHandle | undefined;
  const trackers: PodTracker[] = [];
  // Registered before the server's own cleanup, so it runs after podrun stopped.
  const killStrays = (): { count: number; described: string } => {
    const strays = processesMarked(markerEnv, server?.stateDir).filter((p) => p !== process.pid);
    const described = processList(strays);
    for (const p of strays) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    return { count: strays.length, described };
  };
  const forgetStrays = deferCleanup(() => {
    killStrays();
  });
  try {
    o.log('starting podrun serve --runtime host');
    server = await startServer({
      allowFallback: false,
      // A kubelet admits 110 pods unless told otherwise; (c) starts o.pods at once.
      serveArgs: ['--runtime', 'host', '--images', 'host', '--max-pods', String(Math.max(110, o.pods + 10))],
      maxSockets: 32,
    });
    const client = server.client;
    result.setup.push(
      'Server: `bin/podrun serve --port 0 --state-dir <tmp> --runtime host` as a child process; requests and watches over HTTPS on loopback.',
      `Pod: three init containers \`true\`, one app container \`sleep 3600\` (image busybox:1.36, not pulled by the host runtime), terminationGracePeriodSeconds ${GRACE_SECONDS}.`,
      `Parameters: ${o.runs} timed runs for (a) and (b) after one warm-up each; ${o.pods} pods for (c)${full ? '' : ' — **quick run**: the scale targets are checked only with 1,000 pods'}.`,
    );

    // (a) one pod at a time.
    await client.must('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'bench-startup' },
    });
    const one = new PodTracker(true);
    trackers.push(one);
    await one.open(client, 'bench-startup');
    // (a) and (b) alternate, so that both see the same load on a shared machine.
    o.log(`one pod at a time and the floor, alternately: ${o.runs} runs each`);
    await floorOnce(marker);
    const warm = await startOnePod(client, one, 'bench-startup', 'warmup', marker);
    one.offsets.splice(0); // the warm-up does not count
    const times: number[] = [];
    const floorTimes: number[] = [];
    const pairRatios: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const f = await floorOnce(marker);
      const t = await startOnePod(client, one, 'bench-startup', `startup-${i}`, marker);
      floorTimes.push(f);
      times.push(t);
      pairRatios.push(t / f);
    }
    const podMedian = median(times);
    const floorMedian = median(floorTimes);
    metrics.push({
      name: `one pod, create → Running seen through a watch, median of ${o.runs}`,
      value: `${ms(podMedian)} (min ${ms(Math.min(...times))}, max ${ms(Math.max(...times))}; warm-up ${ms(warm)})`,
    });
    const timeline = MILESTONES.map((m) => {
      const at = one.offsets.filter(([name]) => name === m).map(([, t]) => t);
      return at.length > 0 ? `${m} ${ms(median(at))}` : `${m} (not seen)`;
    });
    metrics.push({
      name: 'one pod: when each step was first seen through the watch, medians from the create',
      value: timeline.join(', '),
    });
    metrics.push(floorMetric(floorTimes));
    const ratio = podMedian / floorMedian;
    metrics.push({
      name: 'ratio podrun / floor (medians)',
      value: `${ratio.toFixed(2)}× (median of the ${o.runs} run-by-run ratios: ${median(pairRatios).toFixed(2)}×)`,
      target: '≤ 2×',
      verdict: check(ratio <= 2, o.runs >= FULL_HOST_OPTIONS.runs),
    });

    // (c) many pods at once.
    const ns = 'bench-scale';
    await client.must('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
    const many = new PodTracker();
    trackers.push(many);
    await many.open(client, ns);
    o.log(`${o.pods} pods at once`);
    // Before the pods, so that their own files do not count (see fs-probe.ts).
    const createMicros = fileCreateMicros(server.stateDir);
    const names = Array.from({ length: o.pods }, (_, i) => `pod-${String(i).padStart(4, '0')}`);
    const cpuByProcess0 = podrunCpuByProcess(server.pid);
    const machineCpu0 = machineBusyCpuSeconds();
    const clientCpu0 = process.cpuUsage();
    const t0 = nowMs();
    await pool(names, 16, (name) =>
      client.must('POST', `/api/v1/namespaces/${ns}/pods`, benchPod(ns, name, marker)),
    );
    const createdMs = nowMs() - t0;
    const ended = await many.until(
      () => many.running.size + many.failed.size >= o.pods,
      Math.max(120_000, o.pods * 600),
    );
    const allRunning = ended && many.running.size === o.pods;
    const cpuByProcess = podrunCpuByProcess(server.pid);
    const cpuSeconds = cpuSecondsBetween(cpuByProcess0, cpuByProcess);
    const cpuWhere = cpuBreakdown(server.pid, cpuByProcess0, cpuByProcess);
    const machineCpu = machineBusyCpuSeconds() - machineCpu0;
    const clientCpu = process.cpuUsage(clientCpu0);
    const waitedMs = nowMs() - t0;
    const lastRunning = Math.max(...many.running.values());
    const allMs = lastRunning - t0;
    if (!allRunning) {
      // Stuck pods, or events the watch lost? The API's own list tells.
      const listed = await client.must<{ items: KubeObjectLike[] }>('GET', `/api/v1/namespaces/${ns}/pods`);
      const phases = new Map<string, number>();
      for (const p of listed.items)
        phases.set(p.status?.phase ?? '(none)', (phases.get(p.status?.phase ?? '(none)') ?? 0) + 1);
      const stuck = listed.items.find((p) => p.status?.phase !== 'Running');
      let why = '';
      if (stuck) {
        const events = await client.must<{ items: { reason?: string; message?: string }[] }>(
          'GET',
          `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${stuck.metadata.name}`)}`,
        );
        const last = events.items.at(-1);
        why = ` One that is not Running: ${stuck.metadata.name}, phase ${stuck.status?.phase}; its last event: ${last ? `${last.reason}: ${(last.message ?? '').slice(0, 300)}` : '(none)'}`;
      }
      result.notes.push(
        `After waiting ${ms(waitedMs)}, the watch had seen ${many.running.size} pods Running${many.ended ? ` and had ended (${many.ended})` : ''}; ` +
          `the API listed ${[...phases].map(([k, v]) => `${v} ${k}`).join(', ')}.${why}`,
      );
    }
    metrics.push({
      name: `${o.pods} pods at once: first create → all Running`,
      value: allRunning
        ? `${ms(allMs)} (the creates took ${ms(createdMs)})`
        : `${many.running.size}/${o.pods} Running (${many.failed.size} ended) after ${ms(waitedMs)}, when the benchmark stopped waiting`,
      target: '≤ 10 s',
      verdict: check(allRunning && allMs <= 10_000, full),
      note: `${result.machine.nproc} CPUs`,
    });
    const runningBy = (sec: number) =>
      [...many.running.values()].filter((at) => at - t0 <= sec * 1000).length;
    metrics.push({
      name: 'pods Running after 10 s / 30 s / 60 s / 120 s',
      value: [10, 30, 60, 120].map(runningBy).join(' / '),
    });
    metrics.push({
      name: 'podrun CPU time (user + system) from the first create to the end of the wait',
      value: `${cpuSeconds.toFixed(1)} s over ${ms(waitedMs)} of wall clock (this benchmark's own client: ${((clientCpu.user + clientCpu.system) / 1e6).toFixed(1)} s)`,
      note: "podrun and its shim server; not the shims or the pods' processes",
    });
    metrics.push({ name: "podrun's CPU time by process", value: cpuWhere });
    metrics.push({
      name: "the whole machine's busy CPU time over the same span, per pod",
      value: `${((machineCpu * 1000) / o.pods).toFixed(0)} ms (${machineCpu.toFixed(1)} s in all: podrun, the pods' processes, the kernel)`,
      note: 'compare with the floor at scale below',
    });
    const cpuPerPodMs = (cpuSeconds * 1000) / o.pods;
    metrics.push({
      name: "podrun's CPU time per pod (the above over the pods)",
      value: `${cpuPerPodMs.toFixed(1)} ms`,
      target: '≤ 5 ms',
      verdict: check(allRunning && cpuPerPodMs <= 5, full),
    });
    const mem = procMemory(server.pid);
    const own = new Set(podrunProcesses(server.pid));
    const helperRss = [...own]
      .filter((p) => p !== server!.pid)
      .reduce((sum, p) => {
        try {
          return sum + procMemory(p).vmRssKb;
        } catch {
          return sum;
        }
      }, 0);
    const podProcs = processesMarked(markerEnv, server.stateDir).filter((p) => !own.has(p));
    let podRss = 0;
    for (const p of podProcs) {
      try {
        podRss += procMemory(p).vmRssKb;
      } catch {
        // Ended meanwhile.
      }
    }
    metrics.push({
      name: `podrun memory with ${many.running.size} pods Running: VmRSS / VmHWM (peak)`,
      value: `${mb(mem.vmRssKb)} / ${mb(mem.vmHwmKb)}`,
      target: '< 300 MB',
      verdict: check(kibToMb(mem.vmHwmKb) < 300, full && allRunning),
      note: 'the podrun process only',
    });
    result.notes.push(
      `Creating a file in the state directory cost ${createMicros.toFixed(0)} µs of CPU just before (c) (a mean of 200; a pod makes about a dozen files and directories there: bench/lib/fs-probe.ts says why this varies).`,
    );
    result.notes.push(
      `With ${many.running.size} pods Running, ${podProcs.length} processes belonged to the pods (holders, shims and containers), ${mb(podRss)} RSS in all (shared pages counted in each); they are not part of podrun's memory above. podrun's shim server used ${mb(helperRss)} more.`,
    );

    // Delete them all, and check that nothing is left.
    o.log('deleting them all');
    const td = nowMs();
    const del = await client.request('DELETE', `/api/v1/namespaces/${ns}/pods`);
    if (del.status === 405 || del.status === 404) {
      await pool(names, 16, (name) => client.must('DELETE', `/api/v1/namespaces/${ns}/pods/${name}`));
    } else if (del.status >= 300) {
      throw new Error(
        `DELETE /api/v1/namespaces/${ns}/pods: HTTP ${del.status}: ${JSON.stringify(del.body).slice(0, 300)}`,
      );
    }
    const gone = await many.until(
      () => names.every((n) => many.deleted.has(n)),
      Math.max(120_000, o.pods * 600),
    );
    const deleteMs = nowMs() - td;
    // Asked before the wait for processes below: an idle keep-alive connection may be closed meanwhile.
    const remaining = await client.must<{ items: unknown[] }>('GET', `/api/v1/namespaces/${ns}/pods`);
    // podrun's standing helpers, made while the pods ran, also name the state directory: the spare network
    // namespaces' holders (`podrun-netns …`) and the shim server's forks; they are podrun's, not the pods'.
    const standing = (p: number, below: Set<number>) => {
      if (own.has(p)) return true;
      if (!below.has(p)) return false;
      const cmd = commandLine(p);
      return cmd === '' || cmd.startsWith('podrun-netns ') || cmd.includes('podrun-shim.pl serve');
    };
    const leftNow = () => {
      const below = new Set(descendants(server!.pid));
      return processesMarked(markerEnv, server!.stateDir).filter(
        (p) => !standing(p, below) || readEnvHas(p, markerEnv),
      );
    };
    // What the kubelet and the runtime keep per pod and per container on disk (the records' directories are
    // links to podrun's tmpfs): all of it must go with the pods. Log directories go just after the API
    // object, as the kubelet's container GC removes them, so this is waited for like the processes.
    const stateEntriesNow = () =>
      ['kubelet/pods', 'kubelet/logs', 'runtime/sandboxes', 'runtime/containers']
        .map((d) => {
          try {
            return readdirSync(join(server!.stateDir, d)).length;
          } catch {
            return 0;
          }
        })
        .reduce((a, b) => a + b, 0);
    let left = leftNow();
    let stateEntries = stateEntriesNow();
    for (let i = 0; i < 100 && (left.length > 0 || stateEntries > 0); i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = leftNow();
      stateEntries = stateEntriesNow();
    }
    metrics.push({
      name: `delete all ${o.pods} pods (deletecollection) → all gone`,
      value: gone
        ? ms(deleteMs)
        : `${names.filter((n) => many.deleted.has(n)).length}/${o.pods} gone before the timeout`,
      note: `grace period ${GRACE_SECONDS} s`,
      // Issue 12: deleting them all as fast as starting them.
      target: '≤ 10 s',
      verdict: check(gone && deleteMs <= 10_000, full),
    });
    const mountsLeft = mountsUnder(server.stateDir).length;
    metrics.push({
      name: 'left after the deletion: pods in the API / pod processes / mounts under the state dir / pod and container directories and records',
      value: `${remaining.items.length} / ${left.length} / ${mountsLeft} / ${stateEntries}`,
      target: 'nothing left',
      // Finding no process proves nothing unless the same search found the pods' processes while they ran.
      verdict:
        remaining.items.length === 0 &&
        left.length === 0 &&
        mountsLeft === 0 &&
        stateEntries === 0 &&
        podProcs.length >= many.running.size
          ? 'pass'
          : 'FAIL',
    });
    if (left.length > 0) result.notes.push(`Processes left after the deletion: ${processList(left)}`);

    // (d) The same number of pods by hand, to tell what the machine itself allows at this scale.
    const inFlight = 2 * result.machine.nproc;
    o.log(`${o.pods} floor.sh pods, ${inFlight} at a time`);
    const floor = await floorAtScale(o.pods, inFlight, marker);
    metrics.push({
      name: `floor at scale: ${o.pods} bench/floor.sh pods, ${inFlight} at a time, held → all running`,
      value: `${ms(floor.ms)}; the machine's busy CPU ${((floor.cpuSeconds * 1000) / o.pods).toFixed(0)} ms a pod`,
      note: 'no network, cgroups, volumes, logs or API: less than a pod of podrun does',
    });
    if (allRunning) {
      metrics.push({
        name: `ratio podrun / floor at scale (${o.pods} pods: all Running against all running)`,
        value: `${(allMs / floor.ms).toFixed(2)}×; machine CPU ${(machineCpu / floor.cpuSeconds).toFixed(2)}×`,
      });
    }

    // (e) The same pods on the fake runtime: podrun's own CPU without the pods' processes.
    o.log(`${o.pods} pods on the fake runtime`);
    const cp = await controlPlaneAtScale(o.pods, marker);
    const cpPerPodMs = (cp.cpuSeconds * 1000) / o.pods;
    metrics.push({
      name: `control plane alone: ${o.pods} pods on the fake runtime (no processes) → all Running; podrun's CPU per pod`,
      value:
        cp.running === o.pods
          ? `${ms(cp.allMs)}; ${cpPerPodMs.toFixed(1)} ms a pod (${cp.cpuSeconds.toFixed(1)} s); VmHWM ${mb(cp.vmHwmKb)}`
          : `${cp.running}/${o.pods} Running when the benchmark stopped waiting`,
      target: '≤ 5 ms',
      verdict: check(cp.running === o.pods && cpPerPodMs <= 5, full),
      note: 'API server, store, watches, controllers, scheduler and kubelet; the 5 ms is for all of podrun',
    });
    metrics.push({
      name: `control plane alone: delete all ${o.pods} pods → all gone; podrun's CPU per pod`,
      value:
        cp.deleted === o.pods
          ? `${ms(cp.deleteMs)}; ${((cp.deleteCpuSeconds * 1000) / o.pods).toFixed(1)} ms a pod`
          : `${cp.deleted}/${o.pods} gone before the timeout`,
    });
  } catch (err) {
    result.problem = `${(err as Error).message}${server ? `\nserver stderr:\n${server.stderrTail()}` : ''}`;
  } finally {
    for (const t of trackers) t.close();
    if (server) {
      const stopped = await server.stop();
      if (!stopped.exitedCleanly)
        result.notes.push('podrun did not exit within 30 s of SIGTERM and was killed.');
      if (stopped.mountsLeft.length > 0) {
        result.notes.push(
          `Mounts left under the state directory after podrun stopped (so it was not removed): ${stopped.mountsLeft.slice(0, 5).join(', ')}`,
        );
      }
    }
    // Whatever the pods started and podrun left behind: these processes exist only because of this run.
    const strays = killStrays();
    forgetStrays();
    if (strays.count > 0) {
      result.notes.push(
        `Killed ${strays.count} stray pod processes after podrun stopped: ${strays.described}`,
      );
    }
    result.durationMs = elapsedMs(started);
  }
  return result;
}
