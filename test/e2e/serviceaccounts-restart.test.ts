// In-cluster API access across a podrun restart: a pod that calls https://kubernetes.default.svc in a loop
// keeps getting answers after podrun dies (kill -9) and comes back on the same state directory. The API's
// listener for pods gets a new port and the `kubernetes` endpoints follow it; the pod's token, signed with the
// key kept in the state directory, stays valid.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { Kubectl } from './support/kubectl.js';
import { leftovers, mergeFootprints, type RuntimeFootprint, runtimeFootprint } from './support/leftovers.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { endRestartTest } from './support/restart-cleanup.js';
import { marker } from './support/run-id.js';
import { type Serve, startServe, tempStateDir } from './support/serve.js';
import { poll, pollPod } from './support/watch.js';

const MARK = `: ${marker('e2e-sa-restart')};`;
const stateDir = tempStateDir('podrun-e2e-sa-restart-');
let serve: Serve | undefined;
let kubectl: Kubectl | undefined;
let footprint: RuntimeFootprint = { sandboxes: [], containers: [] };
let clean = false;

after(async () => {
  if (E2E_SKIP) {
    rmSync(stateDir, { recursive: true, force: true });
    return;
  }
  await endRestartTest(stateDir, { serve, kubectl, clean });
});

const LOOP = `
import os, ssl, sys, time, urllib.request
d = "/var/run/secrets/kubernetes.io/serviceaccount"
ctx = ssl.create_default_context(cafile=d + "/ca.crt")
n = 0
while True:
    n += 1
    try:
        req = urllib.request.Request("https://kubernetes.default.svc/api/v1/namespaces/default/pods",
                                     headers={"Authorization": "Bearer " + open(d + "/token").read()})
        with urllib.request.urlopen(req, context=ctx, timeout=3) as r:
            print("call %d: %d" % (n, r.status))
    except Exception as e:
        print("call %d: error %s" % (n, e))
    sys.stdout.flush()
    time.sleep(0.5)
`;

const MANIFEST = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'api-loop' },
  spec: {
    terminationGracePeriodSeconds: 1,
    containers: [
      {
        name: 'loop',
        image: 'python:3.12-slim',
        env: [{ name: 'MARK', value: MARK }],
        command: ['python3', '-c', LOOP],
      },
    ],
  },
});

/** The numbers of the calls that the API server answered with 200. */
function answered(log: string): number[] {
  return [...log.matchAll(/^call (\d+): 200$/gm)].map((m) => Number(m[1]));
}

describe('in-cluster API access across a restart', { skip: E2E_SKIP }, () => {
  test('a pod reaches kubernetes.default.svc again after podrun is killed and restarted', {
    timeout: 150_000,
  }, async () => {
    serve = await startServe({ stateDir });
    kubectl = new Kubectl(serve.kubeconfig);
    // RBAC: the default ServiceAccount reads pods only once bound to a role that allows it.
    await kubectl.ok([
      'create',
      'rolebinding',
      'default-view',
      '--clusterrole=view',
      '--serviceaccount=default:default',
    ]);
    await kubectl.apply(MANIFEST);
    await pollPod(kubectl, 'api-loop', (p: Pod) => p.status?.phase === 'Running', 'api-loop to run');
    const firstLog = await poll(
      async () => {
        const log = await kubectl!.ok(['logs', 'api-loop']);
        return answered(log).length >= 2 ? log : undefined;
      },
      'the pod to reach the API server',
      30_000,
    );
    footprint = runtimeFootprint(stateDir);

    await serve.kill9();
    serve = await startServe({ stateDir });
    rmSync(kubectl.cacheDir, { recursive: true, force: true });
    kubectl = new Kubectl(serve.kubeconfig);

    const endpoints = await kubectl.json<{ subsets: { ports: { port: number }[] }[] }>([
      'get',
      'endpoints',
      'kubernetes',
    ]);
    assert.notEqual(endpoints.subsets[0]?.ports[0]?.port, undefined);
    assert.ok(answered(firstLog).length >= 2);
    // Calls numbered past the last one logged now began after the restarted server answered kubectl: three of
    // them answered show that the pod reaches it (its port is new, so the old rules would not).
    const since = Math.max(
      0,
      ...[...(await kubectl.ok(['logs', 'api-loop'])).matchAll(/^call (\d+):/gm)].map((m) => Number(m[1])),
    );
    let lastLog = '';
    await poll(
      async () => {
        const l = await kubectl!.ok(['logs', 'api-loop']);
        lastLog = l;
        const later = answered(l).filter((n) => n > since);
        return later.length >= 3 ? l : undefined;
      },
      'the pod to reach the API server again after the restart',
      60_000,
    ).catch((e: Error) => {
      const tail = (text: string, n: number) => text.trimEnd().split('\n').slice(-n).join('\n');
      throw new Error(
        `${e.message}\n--- the pod's last calls:\n${tail(lastLog, 12)}\n--- podrun:\n${tail(serve!.output(), 40)}`,
      );
    });
    const pod = await kubectl.json<Pod>(['get', 'pod', 'api-loop']);
    assert.equal(pod.status?.containerStatuses?.[0]?.restartCount, 0, 'the same container, adopted');

    footprint = mergeFootprints(footprint, runtimeFootprint(stateDir));
    await kubectl.ok(['delete', 'pod', 'api-loop', '--grace-period=1']);
    const exit = await serve.stop(60_000);
    assert.deepEqual(exit, { code: 0, signal: null }, serve.output());
    assert.deepEqual(leftovers(stateDir, footprint, [MARK]), []);
    clean = true;
  });
});
