// The head every e2e file with its own server repeats: a marker that only this file's container commands
// carry (for the leftover check), the cluster with its hooks, and a scratch directory removed at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before } from 'node:test';
import { type E2eCluster, e2eCluster } from './cluster.js';
import { marker } from './run-id.js';
import type { ServeOptions } from './serve.js';

export interface E2eFile {
  /** `: <name>-<run id>;`, a no-op shell command to put in front of each container command. */
  mark: string;
  cluster: E2eCluster;
  scratch: string;
}

/** Call at the top level of a test file: registers the before/after hooks of the file's cluster. */
export function e2eFile(name: string, options: ServeOptions & { keepPods?: boolean } = {}): E2eFile {
  const mark = `: ${marker(name)};`;
  const cluster = e2eCluster({ ...options, commandMarkers: [mark] });
  before(cluster.start);
  afterEach(cluster.record);
  after(cluster.stopAndCheck);
  const scratch = mkdtempSync(join(tmpdir(), `podrun-${name}-`));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  return { mark, cluster, scratch };
}

/** A pod whose init container fails with exit 3 after a line on stdout and one on stderr. */
export function failingInitPod(mark: string): string {
  return `
apiVersion: v1
kind: Pod
metadata: {name: fails-init}
spec:
  terminationGracePeriodSeconds: 2
  initContainers:
    - name: migrate
      image: busybox
      command: [sh, -c, '${mark} echo "connecting to db"; echo "db unreachable: connection refused" >&2; exit 3']
  containers:
    - name: app
      image: busybox
      command: [sh, -c, '${mark} sleep 3600']
`;
}
