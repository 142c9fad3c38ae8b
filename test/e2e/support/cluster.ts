// One `podrun serve` per test file, kubectl pointed at it, and the end-of-file check that stopping it left
// nothing behind. Use: `const c = e2eCluster(); before(c.start); afterEach(c.record); after(c.stopAndCheck);`.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Kubectl } from './kubectl.js';
import { leftovers, mergeFootprints, type RuntimeFootprint, runtimeFootprint } from './leftovers.js';
import { E2E_SKIP } from './prerequisites.js';
import { type Serve, type ServeOptions, startServe } from './serve.js';

export interface E2eCluster {
  readonly serve: Serve;
  readonly kubectl: Kubectl;
  start(): Promise<void>;
  /** Notes the runtime's current containers and sandboxes, so the final check covers them too. */
  record(): void;
  /**
   * Deletes the workloads and pods left (pods with a short grace: SIGTERM-deaf test commands would otherwise hold the stop for the
   * default 30 s), SIGTERMs the server, expects exit 0, and checks that no process, mount, veth or cgroup of
   * its pods remains. `commandMarkers`: strings that only this file's container commands contain.
   */
  stopAndCheck(): Promise<void>;
}

export function e2eCluster(
  options: ServeOptions & { commandMarkers?: string[]; keepPods?: boolean } = {},
): E2eCluster {
  let serve: Serve | undefined;
  let kubectl: Kubectl | undefined;
  let footprint: RuntimeFootprint = { sandboxes: [], containers: [] };
  const cluster: E2eCluster = {
    get serve() {
      if (!serve) throw new Error('the cluster is not started');
      return serve;
    },
    get kubectl() {
      if (!kubectl) throw new Error('the cluster is not started');
      return kubectl;
    },
    async start() {
      if (E2E_SKIP) return;
      serve = await startServe(options);
      kubectl = new Kubectl(serve.kubeconfig);
    },
    record() {
      if (serve) footprint = mergeFootprints(footprint, runtimeFootprint(serve.stateDir));
    },
    async stopAndCheck() {
      if (!serve || !kubectl) return;
      let clean = false;
      try {
        cluster.record();
        if (!options.keepPods) {
          // Controllers first (orphaning their pods), or they would replace the pods deleted next.
          await kubectl.run(
            ['delete', 'deployments,replicasets,jobs', '--all', '--cascade=orphan', '--wait=false'],
            { timeoutMs: 30_000 },
          );
          await kubectl.run(['delete', 'pods', '--all', '--grace-period=1', '--wait=false'], {
            timeoutMs: 30_000,
          });
        }
        const exit = await serve.stop(90_000);
        assert.deepEqual(
          exit,
          { code: 0, signal: null },
          `podrun serve exit after SIGTERM:\n${serve.output()}`,
        );
        assert.deepEqual(leftovers(serve.stateDir, footprint, options.commandMarkers ?? []), []);
        clean = true;
      } finally {
        if (!clean) {
          // The failure is reported above. Whatever its pods left running (a SIGKILL alone would leave them
          // all) is adopted by a fresh podrun on the same state dir and stopped.
          await serve.kill9();
          const again = await startServe({ stateDir: serve.stateDir }).catch(() => undefined);
          await again?.stop(90_000).catch(() => again.kill9());
        }
        rmSync(kubectl.cacheDir, { recursive: true, force: true });
        // Left for inspection when something remains (and never removed through a leftover mount).
        if (clean) rmSync(serve.stateDir, { recursive: true, force: true });
        else process.stderr.write(`e2e: state dir kept for inspection: ${serve.stateDir}\n`);
      }
    },
  };
  return cluster;
}
