// Part (e) of the host benchmark: the same pods on podrun with the fake runtime (bench/lib/fake-runtime-child.mjs).
// No process, namespace, cgroup or file of a pod's is made, so the machine's cost of running pods (what part
// (d) measures) is out of the figure: what is left is podrun's own CPU per pod (API server, store, watches,
// controllers, scheduler, kubelet), measured without the pods' processes competing for the CPUs.
import { pool } from './kube-client.js';
import { benchPod, nowMs, PodTracker, startOnePod } from './pod-tracker.js';
import { procCpu, procMemory } from './proc.js';
import { startServer } from './server.js';

export interface ControlPlaneRun {
  running: number;
  /** First create → all Running (ms). */
  allMs: number;
  /** The server's CPU (user + system, seconds) over the same span. */
  cpuSeconds: number;
  deleted: number;
  /** The deletecollection → all gone (ms), and the server's CPU over it. */
  deleteMs: number;
  deleteCpuSeconds: number;
  vmHwmKb: number;
}

export async function controlPlaneAtScale(pods: number, marker: string): Promise<ControlPlaneRun> {
  const server = await startServer({ allowFallback: false, fakeRuntimeMaxPods: pods + 10, maxSockets: 32 });
  const tracker = new PodTracker();
  try {
    const { client } = server;
    const ns = 'bench-control-plane';
    await client.must('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
    await tracker.open(client, ns);
    // As (c) comes after (a): the code every pod runs is loaded and compiled before the measurement.
    await startOnePod(client, tracker, ns, 'warmup', marker);
    const cpu = () => {
      const c = procCpu(server.pid);
      return c.user + c.system;
    };
    const names = Array.from({ length: pods }, (_, i) => `pod-${String(i).padStart(4, '0')}`);
    const cpu0 = cpu();
    const t0 = nowMs();
    await pool(names, 16, (name) =>
      client.must('POST', `/api/v1/namespaces/${ns}/pods`, benchPod(ns, name, marker)),
    );
    // The warm-up's pod stays in the tracker's maps: only these names count.
    const ended = (n: string) => tracker.running.has(n) || tracker.failed.has(n);
    await tracker.until(() => names.every(ended), Math.max(120_000, pods * 600));
    const cpu1 = cpu();
    const runningAt = names.flatMap((n) => tracker.running.get(n) ?? []);
    const allMs = Math.max(...runningAt) - t0;
    const vmHwmKb = procMemory(server.pid).vmHwmKb;
    const td = nowMs();
    await client.must('DELETE', `/api/v1/namespaces/${ns}/pods`);
    await tracker.until(() => names.every((n) => tracker.deleted.has(n)), Math.max(120_000, pods * 600));
    return {
      running: runningAt.length,
      allMs,
      cpuSeconds: cpu1 - cpu0,
      deleted: names.filter((n) => tracker.deleted.has(n)).length,
      deleteMs: nowMs() - td,
      deleteCpuSeconds: cpu() - cpu1,
      vmHwmKb,
    };
  } finally {
    tracker.close();
    await server.stop();
  }
}
