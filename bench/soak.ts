// Soak of `podrun serve` on the host runtime (issue 12, "Soak"): BENCH_SOAK_PODS pods (1,000 for the full run)
// whose containers keep exiting and being restarted, for BENCH_SOAK_MINUTES (60). Every BENCH_SOAK_SAMPLE_SECONDS
// (30) it samples, from the outside: the server's memory and open descriptors, its helpers', the processes,
// mounts, pod addresses and cgroups of its state directory, the kubelet's log files, the restart count from the
// API and GET /readyz round trips (the event loop's lag as a client sees it). It fits a line through the second
// half of the run and judges memory and descriptors flat by a stated threshold; then it deletes every pod and
// checks that nothing is left, before and after podrun stops.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  leftovers,
  mergeFootprints,
  type RuntimeFootprint,
  runtimeFootprint,
} from '../test/e2e/support/leftovers.js';
import { hostUnavailableReason } from './host-pod-startup.js';
import { deferCleanup } from './lib/cleanup.js';
import { positiveIntFromEnv } from './lib/env.js';
import { Inspector, inspectorUrl } from './lib/inspector.js';
import { type KubeClient, pool } from './lib/kube-client.js';
import { processesMarked } from './lib/proc.js';
import { type BenchResult, check, type Metric, newResult } from './lib/report.js';
import { type ServerHandle, startServer } from './lib/server.js';
import {
  cgroupsOf,
  ipAllocations,
  SeenIds,
  type SoakSample,
  sampleProcesses,
  type Trend,
  trend,
} from './lib/soak-probes.js';
import { elapsedMs, median, ms, now, percentile } from './lib/stats.js';
import { SOAK_GRACE_SECONDS, SOAK_POD_KINDS, soakPod } from './soak-pods.js';

export interface SoakOptions {
  pods: number;
  minutes: number;
  sampleSeconds: number;
  /** `podrun serve --backoff-initial` / `--backoff-max`. */
  backoffInitial: string;
  backoffMax: string;
  /**
   * A directory: the server writes a heap snapshot there after the second sample and at the end, to compare
   * (writing one takes about twice the heap's memory: RSS is then higher than in a run without them, but the
   * early snapshot is before the second half, whose trend is judged).
   */
  heapDir: string | undefined;
  log: (line: string) => void;
}

export const FULL_SOAK = { pods: 1000, minutes: 60 };

/** Memory is flat when the fitted growth over an hour is at most this share of its mean (second half). */
const RSS_GROWTH_PER_HOUR = 0.1;
/** Descriptors: the floor may rise by at most this share, or FDS_GROWTH_FLOOR, whichever is larger. */
const FDS_GROWTH_PER_HOUR = 0.05;
const FDS_GROWTH_FLOOR = 10;

export function soakOptionsFromEnv(env: NodeJS.ProcessEnv, log: (l: string) => void): SoakOptions {
  const n = (name: string, dflt: number) => positiveIntFromEnv(env, name, dflt);
  return {
    pods: n('BENCH_SOAK_PODS', FULL_SOAK.pods),
    minutes: n('BENCH_SOAK_MINUTES', FULL_SOAK.minutes),
    sampleSeconds: n('BENCH_SOAK_SAMPLE_SECONDS', 30),
    backoffInitial: env.BENCH_SOAK_BACKOFF_INITIAL || '1s',
    backoffMax: env.BENCH_SOAK_BACKOFF_MAX || '10s',
    heapDir: env.BENCH_SOAK_HEAP_DIR || undefined,
    log,
  };
}

const sleep = (msecs: number) => new Promise((r) => setTimeout(r, msecs));
const mbOf = (kib: number) => (kib * 1024) / 1e6;
const signed = (v: number, digits = 1) => `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;

interface PodList {
  items: {
    status?: {
      phase?: string;
      containerStatuses?: { restartCount?: number }[];
      initContainerStatuses?: { restartCount?: number }[];
    };
  }[];
}

async function restartsAndRunning(
  client: KubeClient,
  ns: string,
): Promise<{ restarts: number; running: number; pods: number }> {
  const list = await client.must<PodList>('GET', `/api/v1/namespaces/${ns}/pods`);
  let restarts = 0;
  let running = 0;
  for (const p of list.items) {
    if (p.status?.phase === 'Running') running++;
    for (const c of [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])])
      restarts += c.restartCount ?? 0;
  }
  return { restarts, running, pods: list.items.length };
}

/** GET /readyz once a second; the round trips since the last take(). */
class ApiProbe {
  #times: number[] = [];
  readonly all: number[] = [];
  #stopped = false;
  #done: Promise<void>;

  constructor(client: KubeClient) {
    this.#done = (async () => {
      while (!this.#stopped) {
        const t0 = now();
        try {
          await client.request('GET', '/readyz');
          const took = elapsedMs(t0);
          this.#times.push(took);
          this.all.push(took);
        } catch {
          // The server is being stopped, or a connection was reset: the samples report what was answered.
        }
        await sleep(1000);
      }
    })();
  }

  take(): number[] {
    const out = this.#times;
    this.#times = [];
    return out;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }
}

function describeTrend(t: Trend, unit: string, digits = 0): string {
  return `mean ${t.mean.toFixed(digits)} ${unit} (min ${t.min.toFixed(digits)}, max ${t.max.toFixed(digits)}), fitted ${signed(t.perHour, digits)} ${unit}/h`;
}

function sampleLine(s: SoakSample): string {
  return (
    `t=${s.t.toFixed(0)}s heap=${s.heapAfterGcMb.toFixed(0)}MB rss=${mbOf(s.rssKb).toFixed(0)}MB hwm=${mbOf(s.hwmKb).toFixed(0)}MB fds=${s.fds} ` +
    `helpers=${mbOf(s.helperRssKb).toFixed(0)}MB/${s.helperFds}fds procs=${s.processes} mounts=${s.mounts} ` +
    `ips=${s.ips}(+${s.ipsOfGoneSandboxes} gone) cgroups=${s.cgroups}(+${s.cgroupsOfGoneContainers} gone) ` +
    `records=${s.containerRecords}c/${s.sandboxRecords}s logs=${s.logFiles}f/${(s.logBytes / 1e6).toFixed(1)}MB ` +
    `restarts=${s.restarts} running=${s.podsRunning} api=${s.apiMedianMs.toFixed(0)}/${s.apiMaxMs.toFixed(0)}ms ` +
    `cpu=${s.cpuSeconds.toFixed(0)}s load=${s.load1.toFixed(2)}`
  );
}

const CSV_FIELDS: (keyof SoakSample)[] = [
  't',
  'heapAfterGcMb',
  'rssKb',
  'hwmKb',
  'fds',
  'helperRssKb',
  'helperFds',
  'cpuSeconds',
  'processes',
  'mounts',
  'ips',
  'ipsOfGoneSandboxes',
  'cgroups',
  'cgroupsOfGoneContainers',
  'containerRecords',
  'sandboxRecords',
  'logFiles',
  'logBytes',
  'restarts',
  'podsRunning',
  'apiMedianMs',
  'apiMaxMs',
  'load1',
];

export async function runSoakBench(o: SoakOptions): Promise<BenchResult> {
  const started = now();
  const full = o.pods >= FULL_SOAK.pods && o.minutes >= FULL_SOAK.minutes;
  const result = newResult('soak', 'Soak: pods restarting for a long time', '12 (reliability and security)');
  const metrics: Metric[] = result.metrics;
  const reason = hostUnavailableReason();
  if (reason) {
    result.available = false;
    result.problem = reason;
    return result;
  }
  const marker = `soak-${randomBytes(4).toString('hex')}`;
  const markerEnv = `PODRUN_BENCH=${marker}`;
  const ns = 'soak';
  let server: ServerHandle | undefined;
  let seen: SeenIds | undefined;
  let probe: ApiProbe | undefined;
  let inspector: Inspector | undefined;
  let forgetInspector: (() => void) | undefined;
  let footprint: RuntimeFootprint = { sandboxes: [], containers: [] };
  const killStrays = (): number => {
    const strays = processesMarked(markerEnv);
    for (const p of strays) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    return strays.length;
  };
  const forgetStrays = deferCleanup(() => {
    killStrays();
  });
  try {
    const serveArgs = [
      '--runtime',
      'host',
      '--images',
      'host',
      '--max-pods',
      String(Math.max(110, o.pods + 10)),
      '--backoff-initial',
      o.backoffInitial,
      '--backoff-max',
      o.backoffMax,
    ];
    if (o.heapDir) mkdirSync(o.heapDir, { recursive: true });
    o.log(`starting podrun serve ${serveArgs.join(' ')}`);
    server = await startServer({
      allowFallback: false,
      serveArgs,
      maxSockets: 16,
      // The inspector, on a port of its own on loopback, for the heap after a full collection.
      nodeArgs: [
        '--inspect=127.0.0.1:0',
        ...(o.heapDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${o.heapDir}`] : []),
      ],
    });
    const srv = server;
    const client = srv.client;
    const url = inspectorUrl(srv.stderrTail());
    if (!url) throw new Error(`podrun's inspector did not say where it listens:\n${srv.stderrTail()}`);
    inspector = await Inspector.connect(url);
    const insp = inspector;
    // On an interrupt the server's cleanup sends SIGTERM; node waits at exit for an attached debugger, so the
    // session ends first (cleanups run newest first).
    forgetInspector = deferCleanup(() => insp.close());
    result.setup.push(
      `Server: \`bin/podrun serve --port 0 --state-dir <tmp> ${serveArgs.join(' ')}\` as a child process (the backoff options are podrun's documented ones for fast crash-loop retries, so that containers keep restarting instead of waiting up to the kubelet's 5 minutes).`,
      `Pods, in turn: ${SOAK_POD_KINDS.join('; ')}. terminationGracePeriodSeconds ${SOAK_GRACE_SECONDS}.`,
      `Parameters: ${o.pods} pods for ${o.minutes} min, a sample every ${o.sampleSeconds} s; the trends are fitted by least squares over the second half of the run (the first half includes the pods' start).${full ? '' : ' — **short run**: the issue asks for 1,000 pods for an hour; the verdicts are "not checked" below that.'}`,
      `Every sample first forces a full garbage collection through the server's inspector (\`--inspect=127.0.0.1:0\`) and reads the JS heap in use: a leak shows there, where RSS also moves with the collector's timing. "Flat": memory's fitted growth at most ${RSS_GROWTH_PER_HOUR * 100}% of its mean per hour; open descriptors' at most ${FDS_GROWTH_PER_HOUR * 100}% of their mean per hour or ${FDS_GROWTH_FLOOR}, whichever is larger. Processes, mounts, pod addresses and cgroups: none left for a container or sandbox whose record is gone, and none at all after the deletion.`,
    );

    await sleep(2000);
    const idle = sampleProcesses(srv.pid, srv.stateDir, new SeenIds(srv.stateDir));
    seen = new SeenIds(srv.stateDir);
    seen.start(2000);
    await client.must('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
    o.log(`creating ${o.pods} pods`);
    const t0 = now();
    await pool(
      Array.from({ length: o.pods }, (_, i) => i),
      8,
      (i) => client.must('POST', `/api/v1/namespaces/${ns}/pods`, soakPod(ns, i, marker)),
    );
    o.log(`created in ${ms(elapsedMs(t0))}; soaking for ${o.minutes} min`);
    probe = new ApiProbe(client);
    const samples: SoakSample[] = [];
    const endAt = o.minutes * 60_000;
    const heapAt = [o.sampleSeconds * 2000];
    const heapFiles: string[] = [];
    const snapshot = async (label: string) => {
      if (!o.heapDir) return;
      const before = new Set(readdirSync(o.heapDir));
      process.kill(srv.pid, 'SIGUSR2');
      // Writing a snapshot stops the server's event loop for as long as it takes; wait for the file.
      for (let i = 0; i < 600; i++) {
        await sleep(1000);
        const added = readdirSync(o.heapDir).filter((f) => !before.has(f));
        if (added.length > 0) {
          heapFiles.push(`${label}: ${join(o.heapDir, added[0]!)}`);
          return;
        }
      }
    };
    while (elapsedMs(t0) < endAt) {
      await sleep(Math.min(o.sampleSeconds * 1000, Math.max(0, endAt - elapsedMs(t0))));
      if (!srv.alive()) throw new Error(`podrun exited during the soak:\n${srv.stderrTail()}`);
      const t = elapsedMs(t0) / 1000;
      const heapAfterGcMb = (await insp.heapAfterGc()) / 1e6;
      const proc = sampleProcesses(srv.pid, srv.stateDir, seen);
      footprint = mergeFootprints(footprint, runtimeFootprint(srv.stateDir));
      const api = await restartsAndRunning(client, ns);
      const round = probe.take();
      const s: SoakSample = {
        t,
        heapAfterGcMb,
        ...proc,
        restarts: api.restarts,
        podsRunning: api.running,
        apiMedianMs: median(round),
        apiMaxMs: round.length > 0 ? Math.max(...round) : Number.NaN,
        load1: loadavg()[0] ?? 0,
      };
      samples.push(s);
      o.log(sampleLine(s));
      if (heapAt.length > 0 && elapsedMs(t0) >= heapAt[0]!) {
        heapAt.shift();
        await snapshot(`after ${(o.sampleSeconds * 2) / 60} min`);
      }
    }
    await snapshot('at the end');
    await probe.stop();
    const csv = join(tmpdir(), `podrun-soak-${marker}.csv`);
    writeFileSync(
      csv,
      `${CSV_FIELDS.join(',')}\n${samples.map((s) => CSV_FIELDS.map((f) => s[f]).join(',')).join('\n')}\n`,
    );
    o.log(`samples written to ${csv}`);

    // The trends, over the second half.
    const half = samples.filter((s) => s.t >= samples.at(-1)!.t / 2);
    const fit = (f: (s: SoakSample) => number) => trend(half.map((s) => ({ t: s.t, v: f(s) })));
    const rss = fit((s) => mbOf(s.rssKb));
    const fds = fit((s) => s.fds);
    const heap = fit((s) => s.heapAfterGcMb);
    const rssFlat = rss.perHour <= RSS_GROWTH_PER_HOUR * rss.mean;
    const heapFlat = heap.perHour <= RSS_GROWTH_PER_HOUR * heap.mean;
    // Descriptors swing with the work in flight (a sample may land on a burst of exec'd probes); a leak
    // raises the floor. So: the lowest count of each quarter of the run, the last against the second.
    const end = samples.at(-1)!.t || 1;
    const floors = [0, 1, 2, 3].map((q) =>
      Math.min(...samples.filter((s) => Math.min(3, Math.floor((s.t / end) * 4)) === q).map((s) => s.fds)),
    );
    const [, fdsBase = 0, , fdsLast = 0] = floors;
    const fdsFlat =
      Number.isFinite(fdsBase) &&
      fdsLast - fdsBase <= Math.max(FDS_GROWTH_PER_HOUR * fdsBase, FDS_GROWTH_FLOOR);
    const first = samples[0]!;
    const last = samples.at(-1)!;
    const restartsPerMin = ((last.restarts - half[0]!.restarts) / (last.t - half[0]!.t || 1)) * 60;
    metrics.push({
      name: 'container restarts (from the API: restartCount summed over every container)',
      value: `${last.restarts} in ${(last.t / 60).toFixed(1)} min; ${restartsPerMin.toFixed(0)} a minute over the second half; ${last.podsRunning}/${o.pods} pods Running at the end`,
    });
    metrics.push({
      name: 'podrun RSS (the server process), second half',
      value: `${describeTrend(rss, 'MB')}; idle before the pods ${mbOf(idle.rssKb).toFixed(0)} MB, first sample ${mbOf(first.rssKb).toFixed(0)} MB, last ${mbOf(last.rssKb).toFixed(0)} MB, peak (VmHWM) ${mbOf(last.hwmKb).toFixed(0)} MB — ${rssFlat ? 'flat' : 'GROWING'}`,
      target: `flat (≤ ${RSS_GROWTH_PER_HOUR * 100}% of the mean per hour)`,
      verdict: check(rssFlat, full),
    });
    metrics.push({
      name: 'podrun JS heap in use after a full collection (through the inspector), second half',
      value: `${describeTrend(heap, 'MB')}; first sample ${first.heapAfterGcMb.toFixed(0)} MB, last ${last.heapAfterGcMb.toFixed(0)} MB — ${heapFlat ? 'flat' : 'GROWING'}`,
      target: `flat (≤ ${RSS_GROWTH_PER_HOUR * 100}% of the mean per hour)`,
      verdict: check(heapFlat, full),
    });
    metrics.push({
      name: 'podrun open file descriptors (the server process)',
      value: `lowest by quarter ${floors.join(' / ')}; ${describeTrend(fds, 'fds')}; idle before the pods ${idle.fds}, first sample ${first.fds}, last ${last.fds} — ${fdsFlat ? 'flat' : 'GROWING'}`,
      target: `flat (the last quarter's lowest count at most ${FDS_GROWTH_PER_HOUR * 100}% or ${FDS_GROWTH_FLOOR} above the second quarter's)`,
      verdict: check(fdsFlat, full),
    });
    metrics.push({
      name: "podrun's helpers (the shim server): RSS / open descriptors, second half",
      value: `${describeTrend(
        fit((s) => mbOf(s.helperRssKb)),
        'MB',
      )} / ${describeTrend(
        fit((s) => s.helperFds),
        'fds',
      )}`,
    });
    metrics.push({
      name: 'processes under podrun (shims, holders, containers), second half',
      value: describeTrend(
        fit((s) => s.processes),
        'processes',
      ),
    });
    metrics.push({
      name: 'mounts under the state directory (host mount namespace), second half',
      value: describeTrend(
        fit((s) => s.mounts),
        'mounts',
      ),
    });
    metrics.push({
      name: 'pod addresses allocated / sandboxes recorded, second half',
      value: `${describeTrend(
        fit((s) => s.ips),
        'addresses',
      )} / ${describeTrend(
        fit((s) => s.sandboxRecords),
        'sandboxes',
      )}`,
    });
    metrics.push({
      name: 'container cgroups of live records, second half',
      value: describeTrend(
        fit((s) => s.cgroups),
        'cgroups',
      ),
    });
    const maxGone = Math.max(...samples.map((s) => s.cgroupsOfGoneContainers + s.ipsOfGoneSandboxes));
    metrics.push({
      name: 'cgroups and addresses of containers or sandboxes whose record was gone, worst sample',
      value: `${Math.max(...samples.map((s) => s.cgroupsOfGoneContainers))} cgroups, ${Math.max(...samples.map((s) => s.ipsOfGoneSandboxes))} addresses (${seen.containers.size} containers and ${seen.sandboxes.size} sandboxes seen in all)`,
      target: 'none',
      verdict: check(maxGone === 0, full),
    });
    metrics.push({
      name: "the kubelet's container log files, second half",
      value: `${describeTrend(
        fit((s) => s.logFiles),
        'files',
      )}; ${describeTrend(
        fit((s) => s.logBytes / 1e6),
        'MB',
        1,
      )}`,
    });
    const cpuPerMin = ((last.cpuSeconds - half[0]!.cpuSeconds) / (last.t - half[0]!.t || 1)) * 60;
    metrics.push({
      name: 'podrun CPU (server and helpers), second half',
      value: `${cpuPerMin.toFixed(1)} s a minute (${((cpuPerMin / 60) * 100).toFixed(0)}% of one CPU); ${restartsPerMin > 0 ? ((cpuPerMin / restartsPerMin) * 1000).toFixed(1) : 'n/a'} ms a restart`,
    });
    const all = probe.all;
    metrics.push({
      name: 'GET /readyz round trip, once a second through the run (the event loop as a client sees it)',
      value: `median ${ms(median(all))}, p99 ${ms(percentile(all, 99))}, max ${ms(Math.max(...all))} (${all.length} requests)`,
    });
    const loads = samples.map((s) => s.load1);
    metrics.push({
      name: 'load average (1 min) during the run',
      value: `median ${median(loads).toFixed(2)}, min ${Math.min(...loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)}`,
      note: `${result.machine.nproc} CPUs shared with other work`,
    });
    const every = Math.max(1, Math.ceil(samples.length / 8));
    result.notes.push(
      `Samples (every ${every}th): ${samples
        .filter((_, i) => i % every === 0 || i === samples.length - 1)
        .map(
          (s) =>
            `${(s.t / 60).toFixed(1)} min: RSS ${mbOf(s.rssKb).toFixed(0)} MB, heap ${s.heapAfterGcMb.toFixed(0)} MB, ${s.fds} fds, ${s.processes} processes, ${s.restarts} restarts, load ${s.load1.toFixed(1)}`,
        )
        .join('; ')}.`,
    );
    if (heapFiles.length > 0) result.notes.push(`Heap snapshots: ${heapFiles.join('; ')}.`);

    // Delete everything and check that nothing is left while podrun still runs.
    o.log('deleting every pod');
    const td = now();
    await client.must('DELETE', `/api/v1/namespaces/${ns}/pods`);
    let remaining = o.pods;
    for (let i = 0; i < 300 && remaining > 0; i++) {
      await sleep(1000);
      remaining = (await restartsAndRunning(client, ns)).pods;
    }
    const deleteMs = elapsedMs(td);
    seen.stop();
    let after = sampleProcesses(srv.pid, srv.stateDir, seen);
    let marked = processesMarked(markerEnv).length;
    const stillThere = () =>
      marked +
      after.mounts +
      after.ips +
      after.cgroups +
      after.cgroupsOfGoneContainers +
      after.containerRecords +
      after.sandboxRecords +
      after.logFiles;
    for (let i = 0; i < 30 && stillThere() > 0; i++) {
      await sleep(1000);
      after = sampleProcesses(srv.pid, srv.stateDir, seen);
      marked = processesMarked(markerEnv).length;
    }
    metrics.push({
      name: `delete all ${o.pods} pods (deletecollection) → none listed`,
      value: remaining === 0 ? ms(deleteMs) : `${remaining} still listed after ${ms(deleteMs)}`,
      note: `grace period ${SOAK_GRACE_SECONDS} s`,
    });
    metrics.push({
      name: 'left after the deletion, podrun still running: pod processes / mounts / addresses / cgroups / container and sandbox records / log files',
      value: `${marked} / ${after.mounts} / ${after.ips} / ${after.cgroups + after.cgroupsOfGoneContainers} / ${after.containerRecords + after.sandboxRecords} / ${after.logFiles}`,
      target: 'nothing left',
      verdict: remaining === 0 && stillThere() === 0 && seen.containers.size > 0 ? 'pass' : 'FAIL',
    });
    metrics.push({
      name: 'podrun after the deletion: RSS / open descriptors / processes under it',
      value: `${mbOf(after.rssKb).toFixed(0)} MB / ${after.fds} / ${after.processes} (idle before the pods: ${mbOf(idle.rssKb).toFixed(0)} MB / ${idle.fds} / ${idle.processes})`,
    });

    // And after podrun stopped: the e2e tests' leftover check over every container and sandbox recorded.
    const stateDir = srv.stateDir;
    // Node waits at exit for an attached debugger to go: the inspector session ends first.
    insp.close();
    const stopped = await srv.stop({ keepState: true });
    server = undefined;
    const problems = leftovers(stateDir, footprint, [marker]);
    const groups = cgroupsOf(seen.containers);
    const ips = ipAllocations(stateDir);
    metrics.push({
      name: 'left after podrun stopped (SIGTERM): processes, mounts, veths, cgroups, pod addresses',
      value:
        problems.length + groups.length + ips.size === 0
          ? `nothing (${footprint.containers.length} container and ${footprint.sandboxes.length} sandbox records checked, ${seen.containers.size} container ids for cgroups)`
          : [...problems.slice(0, 5), ...groups.slice(0, 3), ...[...ips.keys()].slice(0, 3)].join('; '),
      target: 'nothing left',
      verdict: problems.length + groups.length + ips.size === 0 && stopped.exitedCleanly ? 'pass' : 'FAIL',
    });
    if (stopped.mountsLeft.length === 0) {
      await rm(stateDir, { recursive: true, force: true });
    }
  } catch (err) {
    result.problem = `${(err as Error).message}${server ? `\nserver stderr:\n${server.stderrTail()}` : ''}`;
  } finally {
    seen?.stop();
    await probe?.stop();
    inspector?.close();
    forgetInspector?.();
    if (server) await server.stop();
    const strays = killStrays();
    forgetStrays();
    if (strays > 0) result.notes.push(`Killed ${strays} stray pod processes after podrun stopped.`);
    result.durationMs = elapsedMs(started);
  }
  return result;
}
