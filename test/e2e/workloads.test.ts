// DaemonSets, CronJobs and ReplicationControllers end to end with real kubectl: a DaemonSet's pod Running on
// the node and its rollout status, history and undo; a CronJob's job started at once with `kubectl create job
// --from=cronjob/…` (no test waits a minute for a schedule); `kubectl scale rc`; and the three printers.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { DaemonSet, Job, Pod } from '../../src/api/types.js';
import { e2eCluster } from './support/cluster.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker, RUN_SLEEP_SECONDS } from './support/run-id.js';
import { poll } from './support/watch.js';

const MARK = `: ${marker('e2e-workloads-test')};`;
const cluster = e2eCluster({ commandMarkers: [MARK] });
before(cluster.start);
afterEach(cluster.record);
after(async () => {
  if (!E2E_SKIP) {
    await cluster.kubectl.run([
      'delete',
      'daemonsets,cronjobs,replicationcontrollers',
      '--all',
      '--wait=false',
    ]);
  }
});
after(cluster.stopAndCheck);
const k = () => cluster.kubectl;

const SLEEP = `${MARK} exec sleep ${RUN_SLEEP_SECONDS}`;

const DAEMONSET = `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: agent
          image: busybox
          command: [/bin/sh, -c, '${SLEEP}']
`;

const CRONJOB = `
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: '* * * * *'
  suspend: true
  jobTemplate:
    metadata: {labels: {run: tick}}
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: tick
              image: busybox
              command: [/bin/sh, -c, '${MARK} echo tick']
`;

const RC = `
apiVersion: v1
kind: ReplicationController
metadata: {name: web}
spec:
  replicas: 1
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: busybox
          command: [/bin/sh, -c, '${SLEEP}']
`;

async function runningPods(selector: string, count: number): Promise<Pod[]> {
  return poll(
    async () => {
      const list = await k().json<{ items: Pod[] }>(['get', 'pods', '-l', selector]);
      const live = list.items.filter((p) => !p.metadata?.deletionTimestamp);
      return live.length === count && live.every((p) => p.status?.phase === 'Running') ? live : undefined;
    },
    `${count} Running pods with ${selector}`,
    120_000,
  );
}

describe('workloads', { skip: E2E_SKIP }, () => {
  test('a DaemonSet runs its pod on the node; rollout status, history and undo', async () => {
    await k().apply(DAEMONSET);
    const status = await k().ok(['rollout', 'status', 'daemonset/agent', '--timeout=120s'], {
      timeoutMs: 130_000,
    });
    assert.match(status, /daemon set "agent" successfully rolled out/);
    const [pod] = await runningPods('app=agent', 1);
    assert.equal(pod!.spec?.nodeName, 'podrun');
    assert.match(pod!.metadata?.name ?? '', /^agent-[a-z0-9]{5}$/);
    assert.equal(pod!.metadata?.ownerReferences?.[0]?.kind, 'DaemonSet');

    const table = await k().ok(['get', 'ds', '-o', 'wide']);
    assert.match(
      table,
      /NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/,
    );
    assert.match(table, /agent\s+1\s+1\s+1\s+1\s+1\s+<none>\s+\S+\s+agent\s+busybox\s+app=agent/);
    const ds = await k().json<DaemonSet>(['get', 'ds', 'agent']);
    assert.equal(ds.status?.observedGeneration, 1);
    assert.deepEqual(ds.spec?.updateStrategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });

    // A template change is a new revision, rolled out by replacing the pod.
    await k().ok(['set', 'env', 'daemonset/agent', 'COLOUR=blue']);
    await k().ok(['rollout', 'status', 'daemonset/agent', '--timeout=120s'], { timeoutMs: 130_000 });
    const [updated] = await runningPods('app=agent', 1);
    assert.notEqual(updated!.metadata?.uid, pod!.metadata?.uid);
    assert.deepEqual(updated!.spec?.containers[0]?.env, [{ name: 'COLOUR', value: 'blue' }]);
    const history = await k().ok(['rollout', 'history', 'daemonset/agent']);
    assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    assert.match(await k().ok(['rollout', 'history', 'daemonset/agent', '--revision=2']), /COLOUR:\s+blue/);

    assert.match(await k().ok(['rollout', 'undo', 'daemonset/agent']), /daemonset.apps\/agent rolled back/);
    await k().ok(['rollout', 'status', 'daemonset/agent', '--timeout=120s'], { timeoutMs: 130_000 });
    const [back] = await runningPods('app=agent', 1);
    assert.equal(back!.spec?.containers[0]?.env, undefined);
    assert.match(
      await k().ok(['rollout', 'history', 'daemonset/agent']),
      /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/,
    );
    assert.match(await k().ok(['get', 'controllerrevisions']), /agent-\S+\s+daemonset.apps\/agent\s+3/);
  });

  test('kubectl create job --from=cronjob runs the CronJob template now', async () => {
    await k().apply(CRONJOB);
    const table = await k().ok(['get', 'cronjob', 'tick', '-o', 'wide']);
    assert.match(
      table,
      /NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/,
    );
    assert.match(table, /tick\s+\* \* \* \* \*\s+<none>\s+True\s+0\s+<none>\s+\S+\s+tick\s+busybox\s+<none>/);

    assert.match(await k().ok(['create', 'job', 'now', '--from=cronjob/tick']), /job.batch\/now created/);
    await k().ok(['wait', '--for=condition=complete', 'job/now', '--timeout=120s'], { timeoutMs: 130_000 });
    const job = await k().json<Job>(['get', 'job', 'now']);
    assert.equal(job.metadata?.annotations?.['cronjob.kubernetes.io/instantiate'], 'manual');
    assert.equal(job.metadata?.labels?.run, 'tick');
    assert.deepEqual(
      job.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.controller]),
      [['CronJob', 'tick', true]],
    );
    assert.equal((await k().ok(['logs', 'job/now'])).trim(), 'tick');
    // The controller did not start it: it says so, and counts its success.
    await poll(
      async () =>
        (await k().ok(['get', 'events', '--field-selector', 'involvedObject.name=tick'])).includes(
          'UnexpectedJob',
        )
          ? true
          : undefined,
      'the UnexpectedJob event',
    );
    await poll(
      async () =>
        (await k().ok(['get', 'cronjob', 'tick', '-o', 'jsonpath={.status.lastSuccessfulTime}'])) ||
        undefined,
      'status.lastSuccessfulTime',
    );
    const invalid = await k().run(['create', 'cronjob', 'bad', '--image=busybox', '--schedule=61 * * * *']);
    assert.notEqual(invalid.code, 0);
    assert.match(
      invalid.stderr,
      /failed to create cronjob: CronJob.batch "bad" is invalid: spec.schedule: Invalid value: "61 \* \* \* \*": end of range \(61\) above maximum \(59\): 61/,
    );
  });

  test('kubectl scale rc, and the RC printer', async () => {
    await k().apply(RC);
    await runningPods('app=web', 1);
    assert.match(await k().ok(['scale', 'rc', 'web', '--replicas=2']), /replicationcontroller\/web scaled/);
    await runningPods('app=web', 2);
    await poll(async () => {
      const t = await k().ok(['get', 'rc', '-o', 'wide']);
      return /web\s+2\s+2\s+2\s+\S+\s+web\s+busybox\s+app=web/.test(t) ? t : undefined;
    }, 'kubectl get rc with 2 ready');
    assert.match(await k().ok(['get', 'rc']), /NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE/);
    await k().ok(['scale', 'rc', 'web', '--replicas=0']);
    await poll(
      async () =>
        (await k().json<{ items: Pod[] }>(['get', 'pods', '-l', 'app=web'])).items.length === 0
          ? true
          : undefined,
      'the RC scaled to zero',
      60_000,
    );
  });
});
