// podrun dies (kill -9) with pods running and comes back on the same state directory: the running container
// is adopted (same PID, same restart count, no second copy), a container that exited while podrun was down
// reports its real exit code and is restarted per its pod's policy, completed init containers are not run
// again, an init container that was running is adopted and finishes (not restarted), and a crash loop's
// restart count goes on from where it was. Then SIGTERM stops everything and nothing remains on the machine.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { Kubectl } from './support/kubectl.js';
import {
  leftovers,
  mergeFootprints,
  processesMentioning,
  processStart,
  type RuntimeFootprint,
  runtimeFootprint,
} from './support/leftovers.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { endRestartTest } from './support/restart-cleanup.js';
import { marker } from './support/run-id.js';
import { type Serve, startServe, tempStateDir } from './support/serve.js';
import { poll, pollPod, sleep } from './support/watch.js';

const LONG = marker('e2e-restart-long-runner');
const SHORT = marker('e2e-restart-exits-while-down');
const MID = marker('e2e-restart-mid-init');
const CRASH = marker('e2e-restart-crashloop');
const stateDir = tempStateDir('podrun-e2e-restart-');
const triggerDir = mkdtempSync(join(tmpdir(), 'podrun-e2e-trigger-'));
let serve: Serve | undefined;
let kubectl: Kubectl | undefined;
let footprint: RuntimeFootprint = { sandboxes: [], containers: [] };
let clean = false;

after(async () => {
  if (E2E_SKIP) {
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(triggerDir, { recursive: true, force: true });
    return;
  }
  await endRestartTest(stateDir, { serve, kubectl, clean });
  rmSync(triggerDir, { recursive: true, force: true });
});

// Two JSON documents one after the other. Not a v1 List: kubectl validates a List against /openapi/v2, which podrun
// does not serve.
const MANIFEST = [
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'long-runner' },
    spec: {
      terminationGracePeriodSeconds: 5,
      initContainers: [
        { name: 'init', image: 'busybox', command: ['sh', '-c', `: ${LONG}-init; echo init ran`] },
      ],
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['sh', '-c', `: ${LONG}; trap "exit 0" TERM; echo app up; while :; do sleep 0.2; done`],
          resources: { limits: { cpu: '200m', memory: '64Mi' } },
        },
      ],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'exits-while-down' },
    spec: {
      restartPolicy: 'OnFailure',
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: 'app',
          image: 'busybox',
          // First run: waits for the test's trigger, then fails with 7. Later runs stay up.
          command: [
            'sh',
            '-c',
            `: ${SHORT}; trap "exit 0" TERM; if [ -e /state/ran ]; then echo second run; while :; do sleep 0.2; done; fi; ` +
              'touch /state/ran; echo first run; while [ ! -e /trigger/go ]; do sleep 0.1; done; exit 7',
          ],
          resources: { limits: { memory: '64Mi' } },
          volumeMounts: [
            { name: 'state', mountPath: '/state' },
            { name: 'trigger', mountPath: '/trigger' },
          ],
        },
      ],
      volumes: [
        { name: 'state', emptyDir: {} },
        { name: 'trigger', hostPath: { path: triggerDir, type: 'Directory' } },
      ],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'mid-init' },
    spec: {
      terminationGracePeriodSeconds: 5,
      initContainers: [
        {
          name: 'wait-init',
          image: 'busybox',
          // Runs until the test says so: podrun is killed and restarted while it runs.
          command: [
            'sh',
            '-c',
            `: ${MID}-init; trap "exit 0" TERM; echo init started; while [ ! -e /trigger/init-go ]; do sleep 0.1; done; echo init done`,
          ],
          volumeMounts: [{ name: 'trigger', mountPath: '/trigger' }],
        },
      ],
      containers: [
        {
          name: 'work',
          image: 'busybox',
          command: ['sh', '-c', `: ${MID}; trap "exit 0" TERM; while :; do sleep 0.2; done`],
        },
      ],
      volumes: [{ name: 'trigger', hostPath: { path: triggerDir, type: 'Directory' } }],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'crashloop' },
    spec: {
      terminationGracePeriodSeconds: 2,
      containers: [
        { name: 'crasher', image: 'busybox', command: ['sh', '-c', `: ${CRASH}; echo crash; exit 1`] },
      ],
    },
  },
]
  .map((o) => JSON.stringify(o))
  .join('\n');

const running = (p: Pod) =>
  p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.state?.running);

const appOf = (p: Pod) => p.status?.containerStatuses?.find((c) => c.name === 'app');
const idOf = (p: Pod) => appOf(p)?.containerID?.replace(/^host:\/\//, '') ?? '';

describe('podrun serve survives kill -9 and adopts its pods', { skip: E2E_SKIP }, () => {
  test('a restarted podrun adopts running containers, reports the exits it missed, and SIGTERM leaves nothing', {
    timeout: 150_000,
  }, async () => {
    serve = await startServe({ stateDir, backoffInitial: '1s', backoffMax: '4s' });
    kubectl = new Kubectl(serve.kubeconfig);
    await kubectl.apply(MANIFEST);
    const long1 = await pollPod(kubectl, 'long-runner', running, 'long-runner to run');
    const short1 = await pollPod(kubectl, 'exits-while-down', running, 'exits-while-down to run');
    footprint = runtimeFootprint(stateDir);
    const longRec = footprint.containers.find((c) => c.id === idOf(long1));
    const shortRec = footprint.containers.find((c) => c.id === idOf(short1));
    assert.ok(longRec && shortRec, 'both app containers are in the runtime records');
    assert.ok(longRec.cgroupDirs.length > 0, 'the limited container has cgroups to check later');
    const initId = long1.status?.initContainerStatuses?.[0]?.containerID;
    const mid1 = await pollPod(
      kubectl,
      'mid-init',
      (p) => p.status?.initContainerStatuses?.[0]?.state?.running !== undefined,
      'mid-init’s init container to run',
    );
    const midInitId = mid1.status?.initContainerStatuses?.[0]?.containerID;
    const crash1 = await pollPod(
      kubectl,
      'crashloop',
      (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2,
      'crashloop to restart twice',
      30_000,
    );
    const crashCount = crash1.status?.containerStatuses?.[0]?.restartCount ?? 0;

    // podrun dies without stopping anything; the pods run on.
    await serve.kill9();
    assert.equal(processStart(longRec.pid), longRec.pidStart, 'long-runner survives podrun’s death');
    assert.equal(processStart(shortRec.pid), shortRec.pidStart, 'exits-while-down survives podrun’s death');

    // While podrun is down, one container exits with 7.
    writeFileSync(join(triggerDir, 'go'), '');
    await poll(
      () => (processStart(shortRec.pid) === undefined ? true : undefined),
      'exits-while-down to exit',
      10_000,
    );

    serve = await startServe({ stateDir, backoffInitial: '1s', backoffMax: '4s' });
    rmSync(kubectl.cacheDir, { recursive: true, force: true });
    kubectl = new Kubectl(serve.kubeconfig);

    const short2 = await pollPod(
      kubectl,
      'exits-while-down',
      (p) => appOf(p)?.restartCount === 1 && appOf(p)?.state?.running !== undefined,
      'exits-while-down to be restarted after the exit it missed',
      40_000,
    );
    const missed = appOf(short2)?.lastState?.terminated;
    assert.equal(missed?.exitCode, 7, `the real exit code: ${JSON.stringify(missed)}`);
    assert.equal(missed?.reason, 'Error');
    assert.equal(missed?.containerID, `host://${shortRec.id}`);
    assert.equal(await kubectl.ok(['logs', 'exits-while-down']), 'second run\n');
    assert.equal(await kubectl.ok(['logs', 'exits-while-down', '--previous']), 'first run\n');

    // The init container that was running when podrun died is adopted, not started again, and finishes.
    const mid2 = await kubectl.json<Pod>(['get', 'pod', 'mid-init']);
    assert.equal(mid2.status?.initContainerStatuses?.[0]?.containerID, midInitId, 'the same init container');
    assert.ok(mid2.status?.initContainerStatuses?.[0]?.state?.running, 'still running');
    writeFileSync(join(triggerDir, 'init-go'), '');
    const mid3 = await pollPod(
      kubectl,
      'mid-init',
      running,
      'mid-init to run once its init container is done',
    );
    const midInit = mid3.status?.initContainerStatuses?.[0];
    assert.equal(midInit?.containerID, midInitId);
    assert.equal(midInit?.restartCount, 0);
    assert.equal(midInit?.state?.terminated?.exitCode, 0);
    assert.equal(await kubectl.ok(['logs', 'mid-init', '-c', 'wait-init']), 'init started\ninit done\n');

    // A crash-looping container's restart count goes on from where it was.
    const counts: number[] = [];
    await pollPod(
      kubectl,
      'crashloop',
      (p) => {
        counts.push(p.status?.containerStatuses?.[0]?.restartCount ?? -1);
        return (counts.at(-1) ?? 0) > crashCount;
      },
      'crashloop to restart again after podrun’s restart',
      30_000,
    );
    assert.ok(
      counts.every((c) => c >= crashCount),
      `restartCount went back below ${crashCount}: ${counts.join(', ')}`,
    );

    // Give the adopted pod a few syncs to do something wrong.
    await sleep(3000);
    const long2 = await kubectl.json<Pod>(['get', 'pod', 'long-runner']);
    assert.equal(idOf(long2), longRec.id, 'the same container');
    assert.equal(appOf(long2)?.restartCount, 0);
    assert.ok(appOf(long2)?.state?.running, JSON.stringify(appOf(long2)?.state));
    assert.equal(appOf(long2)?.state?.running?.startedAt, appOf(long1)?.state?.running?.startedAt);
    assert.equal(processStart(longRec.pid), longRec.pidStart, 'the same process');
    assert.deepEqual(
      processesMentioning([LONG])
        .filter((p) => !p.cmdline.includes(`${LONG}-init`))
        .map((p) => p.pid),
      [longRec.pid],
      'exactly one long-runner process',
    );
    const init = long2.status?.initContainerStatuses?.[0];
    assert.equal(init?.containerID, initId, 'the init container was not run again');
    assert.equal(init?.restartCount, 0);
    assert.equal(await kubectl.ok(['logs', 'long-runner', '-c', 'init']), 'init ran\n');
    assert.equal(await kubectl.ok(['logs', 'long-runner']), 'app up\n');
    const apps = runtimeFootprint(stateDir).containers.filter((c) => c.name === 'app');
    assert.equal(apps.filter((c) => processStart(c.pid) === c.pidStart).length, 2, 'one running app per pod');

    // SIGTERM: pods stop, podrun exits 0, nothing remains.
    footprint = mergeFootprints(footprint, runtimeFootprint(stateDir));
    const exit = await serve.stop(60_000);
    assert.deepEqual(exit, { code: 0, signal: null }, serve.output());
    assert.deepEqual(leftovers(stateDir, footprint, [LONG, SHORT, MID, CRASH]), []);
    assert.ok(!existsSync(join(stateDir, 'serve.json')), 'serve.json is removed on a clean stop');
    clean = true;
  });
});
