// The set-up the streaming benchmarks share (bench/exec.ts, bench/port-forward.ts): `podrun serve --runtime
// host` as a child process, a namespace, one pod running a given command with the benchmark's marker in its
// environment, and, once it runs, the host pid of its process (to enter its namespaces by hand or find its
// network). `stop` deletes nothing by hand: stopping the server stops the pod, and processes still carrying the
// marker are killed.
import { readFileSync } from 'node:fs';
import type { KubeObjectLike } from './kube-client.js';
import { GRACE_SECONDS, PodTracker } from './pod-tracker.js';
import { processesMarked } from './proc.js';
import { type ServerHandle, startServer } from './server.js';

export interface StreamingPod {
  server: ServerHandle;
  /** The pod as read once Running (status.podIP and all). */
  pod: KubeObjectLike;
  /** The host pid of the pod's main process. */
  pid: number;
}

/** Kills what carries the marker (a pod process left behind). */
export function killMarked(marker: string): void {
  for (const p of processesMarked(`PODRUN_BENCH=${marker}`)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/**
 * Starts the server and the pod `namespace/name` running `command` (host binaries: `--images host`); the
 * server is handed to `onServer` at once, so that the caller can stop it whatever happens next.
 */
export async function startStreamingPod(o: {
  namespace: string;
  name: string;
  command: string[];
  marker: string;
  log: (line: string) => void;
  onServer: (server: ServerHandle) => void;
  /** More environment for the server. */
  env?: Record<string, string>;
  onStderrLine?: (line: string) => void;
}): Promise<StreamingPod> {
  o.log('starting podrun serve --runtime host');
  const server = await startServer({
    allowFallback: false,
    serveArgs: ['--runtime', 'host', '--images', 'host'],
    ...(o.env ? { env: o.env } : {}),
    ...(o.onStderrLine ? { onStderrLine: o.onStderrLine } : {}),
  });
  o.onServer(server);
  const c = server.client;
  await c.must('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: o.namespace },
  });
  const tracker = new PodTracker();
  try {
    await tracker.open(c, o.namespace);
    await c.must('POST', `/api/v1/namespaces/${o.namespace}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: o.name, namespace: o.namespace },
      spec: {
        terminationGracePeriodSeconds: GRACE_SECONDS,
        containers: [
          {
            name: 'main',
            image: 'busybox:1.36',
            command: o.command,
            env: [{ name: 'PODRUN_BENCH', value: o.marker }],
          },
        ],
      },
    });
    if (!(await tracker.until(() => tracker.running.has(o.name), 60_000))) {
      throw new Error(`pod ${o.name} was not Running within 60 s (${tracker.ended ?? 'timeout'})`);
    }
  } finally {
    tracker.close();
  }
  const pod = await c.must<KubeObjectLike>('GET', `/api/v1/namespaces/${o.namespace}/pods/${o.name}`);
  const binary = o.command[0]!;
  const pid = processesMarked(`PODRUN_BENCH=${o.marker}`).find((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'latin1').startsWith(`${binary}\0`);
    } catch {
      return false;
    }
  });
  if (pid === undefined) throw new Error(`the pod's process (${binary}) was not found in /proc`);
  return { server, pod, pid };
}
