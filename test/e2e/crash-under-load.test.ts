// podrun killed (-9) again and again while many pods start, run, crash-loop and restart (issue 12, crash
// recovery under load). After each restart on the same state directory: every write acknowledged before the kill
// is there, no container runs twice, an init container that completed is not run again, restart counts never
// go back. At the end SIGTERM leaves nothing. The sizes are CI-sized by default; CRASH_PODS and CRASH_KILLS
// take them up (issue 12 asks for 100 pods and 20 kills: `CRASH_PODS=100 CRASH_KILLS=20`).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { rng } from '../support/fuzz.js';
import { Kubectl } from './support/kubectl.js';
import {
  leftovers,
  mergeFootprints,
  processesMentioning,
  type RuntimeFootprint,
  runtimeFootprint,
} from './support/leftovers.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { endRestartTest } from './support/restart-cleanup.js';
import { marker } from './support/run-id.js';
import { type Serve, startServe, tempStateDir } from './support/serve.js';
import { poll, sleep } from './support/watch.js';

const PODS = Number(process.env.CRASH_PODS ?? 12);
const KILLS = Number(process.env.CRASH_KILLS ?? 4);
const MARK = marker('e2e-crash-load');
const stateDir = tempStateDir('podrun-e2e-crash-');
// Each init container appends a line per run here, so a second run of a completed init container shows.
const runs = mkdtempSync(join(tmpdir(), 'podrun-e2e-crash-runs-'));
let serve: Serve | undefined;
let kubectl: Kubectl | undefined;
let footprint: RuntimeFootprint = { sandboxes: [], containers: [] };
let clean = false;

after(async () => {
  if (E2E_SKIP) {
    rmSync(stateDir, { recursive: true, force: true });
  } else await endRestartTest(stateDir, { serve, kubectl, clean });
  rmSync(runs, { recursive: true, force: true });
});

const IDLE = 'trap "exit 0" TERM; while :; do sleep 0.3; done';

/** Pod i: two init containers (the second slow), a native sidecar, and an app that every third pod crash-loops. */
function manifest(i: number): string {
  const name = `load-${i}`;
  const crashes = i % 3 === 0;
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'crash-load' } },
    spec: {
      terminationGracePeriodSeconds: 1,
      initContainers: [
        {
          name: 'first',
          image: 'busybox',
          command: ['sh', '-c', `: ${MARK}; echo ${name} >> /runs/first`],
          volumeMounts: [{ name: 'runs', mountPath: '/runs' }],
        },
        {
          name: 'slow',
          image: 'busybox',
          command: ['sh', '-c', `: ${MARK}; sleep 0.${1 + (i % 8)}; echo ${name} >> /runs/slow`],
          volumeMounts: [{ name: 'runs', mountPath: '/runs' }],
        },
        {
          name: 'side',
          image: 'busybox',
          restartPolicy: 'Always',
          command: ['sh', '-c', `: ${MARK}-${name}-side; ${IDLE}`],
        },
      ],
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: [
            'sh',
            '-c',
            crashes ? `: ${MARK}-${name}-app; sleep 0.5; exit 1` : `: ${MARK}-${name}-app; ${IDLE}`,
          ],
        },
      ],
      volumes: [{ name: 'runs', hostPath: { path: runs, type: 'Directory' } }],
    },
  });
}

async function restart(): Promise<void> {
  footprint = mergeFootprints(footprint, runtimeFootprint(stateDir));
  await serve?.kill9();
  serve = await startServe({ stateDir, backoffInitial: '1s', backoffMax: '4s', readyTimeoutMs: 60_000 });
  if (kubectl) rmSync(kubectl.cacheDir, { recursive: true, force: true });
  kubectl = new Kubectl(serve.kubeconfig);
}

function k(): Kubectl {
  if (!kubectl) throw new Error('podrun is not started');
  return kubectl;
}

const counts = (p: Pod) =>
  [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].map(
    (c) => [`${p.metadata?.name}/${c.name}`, c.restartCount] as const,
  );

describe('podrun killed repeatedly under load', { skip: E2E_SKIP }, () => {
  test(`${PODS} pods, ${KILLS} kills: nothing acknowledged is lost, nothing runs twice, counts never go back`, {
    timeout: 120_000 + PODS * 4_000 + KILLS * 30_000,
  }, async () => {
    serve = await startServe({ stateDir, backoffInitial: '1s', backoffMax: '4s' });
    kubectl = new Kubectl(serve.kubeconfig);
    const rand = rng(42).next;
    const acknowledged: string[] = [];
    const highest = new Map<string, number>();
    let next = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      // Create this round's share of the pods and a ConfigMap, each acknowledged before the kill.
      const share = Math.ceil(PODS / KILLS);
      const docs = [];
      for (let j = 0; j < share && next < PODS; j++) docs.push(manifest(next++));
      const cm = `acked-${kill}`;
      docs.push(
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: cm },
          data: { k: String(kill) },
        }),
      );
      const applied = await k().run(['apply', '-f', '-'], { input: docs.join('\n'), timeoutMs: 60_000 });
      assert.equal(applied.code, 0, applied.stderr);
      acknowledged.push(cm);
      // Kill at a random moment while the pods start and the crash loops go on.
      await sleep(200 + Math.floor(rand() * 2500));
      await restart();
      const cms = await k().json<{ items: { metadata: { name: string } }[] }>(['get', 'configmaps']);
      const names = new Set(cms.items.map((c) => c.metadata.name));
      assert.deepEqual(
        acknowledged.filter((n) => !names.has(n)),
        [],
        `acknowledged writes lost after kill ${kill + 1}`,
      );
      const pods = await k().json<{ items: Pod[] }>(['get', 'pods', '-l', 'app=crash-load']);
      assert.equal(pods.items.length, next, `pods after kill ${kill + 1}`);
      for (const p of pods.items) {
        for (const [key, n] of counts(p)) {
          assert.ok(
            n >= (highest.get(key) ?? 0),
            `${key}: restartCount went back from ${highest.get(key)} to ${n}`,
          );
          highest.set(key, n);
        }
      }
    }

    // Let every pod settle: the steady ones Running and Ready, the crash loops in their loop.
    const settled = await poll(
      async () => {
        const pods = await k().json<{ items: Pod[] }>(['get', 'pods', '-l', 'app=crash-load']);
        const ok = pods.items.every((p) => {
          const name = p.metadata?.name ?? '';
          const i = Number(name.split('-')[1]);
          const inits = p.status?.initContainerStatuses ?? [];
          const initsDone = inits
            .filter((c) => c.name !== 'side')
            .every((c) => c.state?.terminated?.exitCode === 0);
          const side = inits.find((c) => c.name === 'side')?.state?.running !== undefined;
          const app = p.status?.containerStatuses?.[0];
          return (
            initsDone &&
            side &&
            (i % 3 === 0 ? (app?.restartCount ?? 0) >= 1 : app?.state?.running !== undefined)
          );
        });
        return ok ? pods.items : undefined;
      },
      'every pod settled after the last restart',
      60_000 + PODS * 2_000,
      500,
    );
    for (const p of settled) {
      for (const [key, n] of counts(p))
        assert.ok(n >= (highest.get(key) ?? 0), `${key}: restartCount went back`);
    }

    // Each completed init container ran once: one line per pod in each file.
    for (const file of ['first', 'slow']) {
      const lines = readFileSync(join(runs, file), 'utf8').trim().split('\n');
      const extra = lines.filter((l, i) => lines.indexOf(l) !== i);
      assert.deepEqual(extra, [], `init container "${file}" ran more than once for these pods`);
      assert.equal(new Set(lines).size, PODS, `init container "${file}" ran for every pod`);
    }

    // No container runs twice: one process per running sidecar and steady app.
    for (let i = 0; i < PODS; i++) {
      const side = processesMentioning([`${MARK}-load-${i}-side;`]);
      assert.equal(side.length, 1, `load-${i}'s sidecar: ${side.map((p) => p.cmdline).join(' | ')}`);
      if (i % 3 !== 0) {
        const app = processesMentioning([`${MARK}-load-${i}-app;`]);
        assert.equal(app.length, 1, `load-${i}'s app: ${app.map((p) => p.cmdline).join(' | ')}`);
      }
    }

    footprint = mergeFootprints(footprint, runtimeFootprint(stateDir));
    const exit = await serve.stop(120_000);
    assert.deepEqual(exit, { code: 0, signal: null }, serve.output());
    assert.deepEqual(leftovers(stateDir, footprint, [MARK]), []);
    clean = true;
  });
});
