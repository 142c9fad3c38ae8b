// Benchmark of pod start-up on the host runtime with Service rules (issue "Services and cluster DNS"): the pod
// of host-pod-startup (three init containers `true`, an app `sleep 3600`), started through the runtime itself
// (runPodSandbox, then create, start and wait for each init container, then the app), by two runtimes side by
// side: one without Service rules, one with 100 Service ports of 2 endpoints each. Runs alternate between the
// two, so that both see the same load. Then the cost of one change of the rules with BENCH_SERVICE_PODS pods
// running. The runtime is driven directly, to isolate its part of the start-up (what the rules cost is
// there); host-startup-services measures the same through `podrun serve`.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderNftRuleset } from '../src/network/proxy/nft.js';
import { createHostRuntime } from '../src/runtime/host/index.js';
import type { ContainerConfig, PodSandboxConfig, RuntimeService } from '../src/runtime/types.js';
import { deferCleanup } from './lib/cleanup.js';
import { positiveIntFromEnv } from './lib/env.js';
import { type BenchResult, check, newResult } from './lib/report.js';
import { benchServiceRules } from './lib/service-rules.js';
import { elapsedMs, median, ms, now } from './lib/stats.js';

export interface ServicesBenchOptions {
  runs: number;
  services: number;
  /** Pods running while one change of the rules is applied to all of them. */
  pods: number;
  log: (line: string) => void;
}

export const FULL_SERVICES_OPTIONS = { runs: 20, services: 100, pods: 50 };

export function servicesOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  log: (l: string) => void,
): ServicesBenchOptions {
  return {
    runs: positiveIntFromEnv(env, 'BENCH_RUNS', FULL_SERVICES_OPTIONS.runs),
    services: positiveIntFromEnv(env, 'BENCH_SERVICES', FULL_SERVICES_OPTIONS.services),
    pods: positiveIntFromEnv(env, 'BENCH_SERVICE_PODS', FULL_SERVICES_OPTIONS.pods),
    log,
  };
}

/**
 * Between two pods: one pod at a time, as host-pod-startup (a) starts them (each after the previous one is
 * deleted, which takes longer than this). Spare network namespaces are made once no sandbox has been made for
 * 250 ms; pods started back to back (a burst) run nft in their holders, as the third runtime here does.
 */
const PAUSE_MS = 500;

/** The benchmark's own pod network, apart from podrun0 and the tests' network. */
const NETWORK = { bridgeName: 'podrunb0', podCidr: '10.251.0.0/22', runDir: '/run/podrun-bench' } as const;

interface Timed {
  total: number;
  sandbox: number;
}

/** One pod from runPodSandbox to its app started; removes the pod afterwards (untimed). */
async function startPod(rt: RuntimeService, name: string, logDir: string): Promise<Timed> {
  const config: PodSandboxConfig = {
    metadata: { name, namespace: 'bench', uid: `uid-${name}`, attempt: 0 },
    hostname: name,
    logDirectory: join(logDir, name),
    labels: { 'io.kubernetes.pod.uid': `uid-${name}` },
    annotations: {},
    portMappings: [],
  };
  const container = (cname: string, command: string[]): ContainerConfig => ({
    metadata: { name: cname, attempt: 0 },
    image: 'busybox:1.36',
    command,
    args: [],
    envs: [],
    mounts: [],
    labels: {},
    annotations: {},
    logPath: `${cname}/0.log`,
  });
  const t0 = now();
  const sandbox = await rt.runPodSandbox(config);
  const sandboxMs = elapsedMs(t0);
  for (const i of [1, 2, 3]) {
    const id = await rt.createContainer(sandbox, container(`init-${i}`, ['true']), config);
    await rt.startContainer(id);
    await waitExited(rt, id);
  }
  const app = await rt.createContainer(sandbox, container('app', ['sleep', '3600']), config);
  await rt.startContainer(app);
  const total = elapsedMs(t0);
  await rt.removePodSandbox(sandbox);
  return { total, sandbox: sandboxMs };
}

/** Waits for a container's exit through the runtime's events (its exit file is watched), polling as a fallback. */
function waitExited(rt: RuntimeService, id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      off?.();
      clearInterval(poll);
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    const off = rt.onEvent?.((e) => {
      if (e.type === 'ContainerStopped' && e.containerId === id) finish();
    });
    const poll = setInterval(() => {
      void rt.containerStatus(id).then((s) => s.state === 'exited' && finish(), finish);
    }, 50);
    const timer = setTimeout(() => finish(new Error(`container ${id} did not exit within 20 s`)), 20_000);
    void rt.containerStatus(id).then((s) => s.state === 'exited' && finish(), finish);
  });
}

export async function runServicesBench(o: ServicesBenchOptions): Promise<BenchResult> {
  const started = now();
  const full =
    o.runs >= FULL_SERVICES_OPTIONS.runs &&
    o.services >= FULL_SERVICES_OPTIONS.services &&
    o.pods >= FULL_SERVICES_OPTIONS.pods;
  const result = newResult(
    'host-services',
    'Pod start-up on the host runtime with Service rules',
    '"Services and cluster DNS"',
  );
  if (process.getuid?.() !== 0) {
    result.available = false;
    result.problem = 'the host runtime needs root (namespaces, mounts)';
    return result;
  }
  const work = mkdtempSync(join(tmpdir(), 'podrun-bench-services-'));
  const rules = benchServiceRules(o.services, 2);
  // What the runtime hands to nft in each pod (its default renderer is this one).
  const renderedBytes = renderNftRuleset(rules, { table: 'podrun' }).length;
  const plain = await createHostRuntime({ stateDir: join(work, 'plain'), ...NETWORK });
  const withRules = await createHostRuntime({
    stateDir: join(work, 'rules'),
    ...NETWORK,
  });
  const inline = await createHostRuntime({
    stateDir: join(work, 'inline'),
    ...NETWORK,
    spareNetns: 0,
  });
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    for (const rt of [plain, withRules, inline]) {
      for (const s of await rt.listPodSandboxes()) await rt.removePodSandbox(s.id).catch(() => {});
      await rt.close?.();
    }
    rmSync(work, { recursive: true, force: true });
  };
  const undefer = deferCleanup(cleanup);
  try {
    await withRules.setServiceRules!(rules);
    await inline.setServiceRules!(rules);
    result.setup.push(
      `The runtime driven directly (no API server, no kubelet): runPodSandbox, then create + start + wait for the exit of three init containers \`true\`, then create + start of the app \`sleep 3600\`; the pod is removed after each run (untimed).`,
      `Rules: ${o.services} Service ports × 2 endpoints, ${renderedBytes} bytes of nft input, rendered by the proxy's renderNftRuleset (the runtime's default); applied in a spare network namespace made ahead of time, or by the pod's holder while it sets the sandbox up.`,
      'Three runtimes side by side, runs alternating: no rules; the rules with spare network namespaces (the default); the rules with none (spareNetns: 0).',
      `Parameters: ${o.runs} timed runs of each runtime, after one warm-up each, ${PAUSE_MS} ms apart (one pod at a time, as host-pod-startup (a)); ${o.pods} pods for the update.`,
    );
    const tag = randomBytes(3).toString('hex');
    o.log('warm-up');
    await startPod(plain, `warm-plain-${tag}`, work);
    await startPod(withRules, `warm-rules-${tag}`, work);
    await startPod(inline, `warm-inline-${tag}`, work);
    const without: Timed[] = [];
    const withR: Timed[] = [];
    const inl: Timed[] = [];
    const pause = () => new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    for (let i = 0; i < o.runs; i++) {
      await pause();
      without.push(await startPod(plain, `plain-${tag}-${i}`, work));
      await pause();
      withR.push(await startPod(withRules, `rules-${tag}-${i}`, work));
      await pause();
      inl.push(await startPod(inline, `inline-${tag}-${i}`, work));
    }
    const a = median(without.map((t) => t.total));
    const b = median(withR.map((t) => t.total));
    const ratios = without.map((t, i) => (withR[i]?.total ?? Number.NaN) / t.total);
    result.metrics.push(
      {
        name: `pod start, no Service rules, median of ${o.runs}`,
        value: `${ms(a)} (min ${ms(Math.min(...without.map((t) => t.total)))}; sandbox alone ${ms(median(without.map((t) => t.sandbox)))})`,
      },
      {
        name: `pod start, ${o.services} Services, median of ${o.runs}`,
        value: `${ms(b)} (min ${ms(Math.min(...withR.map((t) => t.total)))}; sandbox alone ${ms(median(withR.map((t) => t.sandbox)))})`,
      },
      {
        name: `pod start, ${o.services} Services, no spare namespaces (each holder runs nft), median of ${o.runs}`,
        value: `${ms(median(inl.map((t) => t.total)))} (${((median(inl.map((t) => t.total)) / a - 1) * 100).toFixed(1)} % slower; sandbox alone ${ms(median(inl.map((t) => t.sandbox)))})`,
      },
      {
        name: 'slow-down with the rules (ratio of the medians)',
        value: `${((b / a - 1) * 100).toFixed(1)} % (median of the run-by-run ratios: ${((median(ratios) - 1) * 100).toFixed(1)} %)`,
        target: '≤ 10 %',
        verdict: check(b <= a * 1.1, full),
      },
    );

    // One change with many pods running: how long until every pod has it.
    o.log(`update: ${o.pods} pods`);
    const config = (i: number): PodSandboxConfig => ({
      metadata: { name: `upd-${i}`, namespace: 'bench', uid: `uid-upd-${tag}-${i}`, attempt: 0 },
      hostname: `upd-${i}`,
      logDirectory: join(work, 'upd'),
      labels: {},
      annotations: {},
      portMappings: [],
    });
    for (let i = 0; i < o.pods; i++) await withRules.runPodSandbox(config(i));
    const changed = benchServiceRules(o.services + 1, 2);
    const t0 = now();
    await withRules.setServiceRules!(changed);
    const updateMs = elapsedMs(t0);
    result.metrics.push({
      name: `one change of the rules applied to ${o.pods} running pods (2 at once)`,
      value: `${ms(updateMs)} (${ms(updateMs / o.pods)} per pod)`,
    });
  } catch (e) {
    result.problem = (e as Error).message;
  } finally {
    await cleanup();
    undefer();
  }
  result.durationMs = elapsedMs(started);
  return result;
}
