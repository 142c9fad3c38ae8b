// podrun's kubectl-style commands (get, describe, logs, delete, events, version) spawned as a user runs them
// against a real `podrun serve` with real pods, their output compared line by line with real kubectl's on the
// same server (ages aside), and `podrun logs -f` following a whole startup.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { e2eCluster } from './support/cluster.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker } from './support/run-id.js';
import { runPodrun, spawnPodrun } from './support/serve.js';
import { poll, pollPod } from './support/watch.js';

const MARK = `: ${marker('e2e-cli-kubectl')};`;
const cluster = e2eCluster({ commandMarkers: [MARK] });
before(cluster.start);
afterEach(cluster.record);
after(cluster.stopAndCheck);
const k = () => cluster.kubectl;
const IDLE = 'trap "exit 0" TERM; while :; do sleep 1; done';

/** `podrun ARGS --state-dir <the cluster's>`. */
const podrun = (...args: string[]) => runPodrun([...args, '--state-dir', cluster.serve.stateDir]);

const SHOP = `
apiVersion: v1
kind: Pod
metadata:
  name: shop
  labels: {app: shop, tier: web}
  annotations: {team: checkout}
spec:
  initContainers:
    - name: wait-db
      image: busybox
      command: [sh, -c, '${MARK} echo db reachable']
    - name: proxy
      image: busybox
      restartPolicy: Always
      command: [sh, -c, '${MARK} echo proxy up; ${IDLE}']
  containers:
    - name: app
      image: busybox
      command: [sh, -c]
      args: ['${MARK} echo app one; echo app two; echo app three; ${IDLE}']
      ports: [{containerPort: 8080, name: http}]
      env:
        - {name: MODE, value: test}
        - name: POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
      resources: {requests: {cpu: 50m, memory: 32Mi}}
      readinessProbe: {exec: {command: ['true']}, periodSeconds: 1}
      volumeMounts: [{name: scratch, mountPath: /scratch}]
  volumes:
    - name: scratch
      emptyDir: {}
`;

/** A pod that runs to its end: two init containers one after the other, then two app containers at once. */
const BATCH = `
apiVersion: v1
kind: Pod
metadata: {name: batch}
spec:
  restartPolicy: Never
  initContainers:
    - name: fetch
      image: busybox
      command: [sh, -c, '${MARK} echo fetch start; sleep 1; echo fetch done']
    - name: migrate
      image: busybox
      command: [sh, -c, '${MARK} echo migrate start; sleep 1; echo migrate done']
  containers:
    - name: worker
      image: busybox
      command: [sh, -c, '${MARK} echo worker start; sleep 1; echo worker done']
    - name: reporter
      image: busybox
      command: [sh, -c, '${MARK} echo reporter start; sleep 1; echo reporter done']
`;

/** A Deployment of two replicas, each with an init container, for describe, logs TYPE/NAME and restart. */
const WEB = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
  annotations: {team: checkout}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {podrun.dev/init-timeout: 30s}
    spec:
      terminationGracePeriodSeconds: 2
      initContainers:
        - name: setup
          image: busybox:1.36
          command: [sh, -c, '${MARK} echo setup done']
          resources: {requests: {cpu: 10m, memory: 16Mi}}
      containers:
        - name: app
          image: busybox:1.36
          command: [sh, -c, '${MARK} echo web up; ${IDLE}']
          ports: [{containerPort: 8080}]
          env:
            - {name: MODE, value: test}
            - name: POD_NAME
              valueFrom: {fieldRef: {fieldPath: metadata.name}}
          volumeMounts: [{name: scratch, mountPath: /scratch}]
      volumes:
        - name: scratch
          emptyDir: {}
`;

/** A bare pod whose init container prints a different line on every run. */
const SOLO = `
apiVersion: v1
kind: Pod
metadata: {name: solo, labels: {app: solo}}
spec:
  terminationGracePeriodSeconds: 2
  initContainers:
    - name: first
      image: busybox:1.36
      command: [sh, -c, '${MARK} echo "run $(cat /proc/sys/kernel/random/uuid)"']
  containers:
    - name: app
      image: busybox:1.36
      command: [sh, -c, '${MARK} ${IDLE}']
`;

/** RFC 1123 times (a node's heartbeats and lease renewals move between two runs) become `#`s. */
function timeless(text: string): string {
  return text.replace(/\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}/g, (m) => '#'.repeat(m.length));
}

/** Ages (`5s`, `2m10s`, `3m`) become `#`s of the same length, so two runs a second apart compare equal. */
function ageless(text: string): string {
  return text.replace(/\b\d+(?:[smhd]\d*)+\b|\(x\d+ over [^)]+\)/g, (m) => '#'.repeat(m.length));
}

/** Runs podrun and kubectl with the same arguments and checks the outputs line by line, ages aside. */
async function sameAsKubectl(args: string[], normalize: (text: string) => string = ageless): Promise<string> {
  // A second pair, if an age moved to two digits between the two runs (the widths then differ).
  for (let attempt = 0; ; attempt++) {
    const [ours, theirs] = [await podrun(...args), await k().run(args)];
    assert.equal(ours.code, theirs.code, `podrun ${args.join(' ')}: ${ours.stderr}`);
    if (normalize(ours.stdout) === normalize(theirs.stdout) || attempt === 1) {
      assert.deepEqual(normalize(ours.stdout).split('\n'), normalize(theirs.stdout).split('\n'));
      assert.equal(ours.stderr, theirs.stderr);
      return ours.stdout;
    }
  }
}

describe('podrun get, describe, logs, delete, events against podrun serve', { skip: E2E_SKIP }, () => {
  test('podrun logs -f follows the whole startup in order and ends when the pod has finished', {
    timeout: 90_000,
  }, async () => {
    await k().create(BATCH);
    const follow = spawnPodrun(['logs', '-f', 'batch', '--state-dir', cluster.serve.stateDir]);
    const exit = await follow.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, follow.out.stderr);
    const lines = follow.out.stdout.split('\n').filter(Boolean);
    // Init containers one after the other, whole; the two app containers' lines in each one's own order.
    assert.deepEqual(lines.slice(0, 4), [
      '[pod/batch/fetch] fetch start',
      '[pod/batch/fetch] fetch done',
      '[pod/batch/migrate] migrate start',
      '[pod/batch/migrate] migrate done',
    ]);
    const apps = lines.slice(4);
    assert.deepEqual(
      apps.filter((l) => l.startsWith('[pod/batch/worker] ')),
      ['[pod/batch/worker] worker start', '[pod/batch/worker] worker done'],
    );
    assert.deepEqual(
      apps.filter((l) => l.startsWith('[pod/batch/reporter] ')),
      ['[pod/batch/reporter] reporter start', '[pod/batch/reporter] reporter done'],
    );
    assert.equal(apps.length, 4, follow.out.stdout);
    const pod = await k().json<Pod>(['get', 'pod', 'batch']);
    assert.equal(pod.status?.phase, 'Succeeded');
  });

  test('podrun logs -f shows init containers that run and end between two looks, and a failed run restarted at once, in order', {
    timeout: 90_000,
  }, async () => {
    // `gate` holds the startup until the follower is watching. Then `one` and `two` start and exit within one
    // status update of the kubelet, and `retry` fails its first run and is restarted at once (the first
    // restart has no back-off): that run is only ever seen as the lastState of the next one, which holds
    // until the test has seen the failed run's line (once the next init container starts, the kubelet prunes
    // the failed run and its log, as upstream's pruneInitContainersBeforeStart does).
    const waitFor = (file: string) =>
      `i=0; until [ -e /work/${file} ]; do i=$((i+1)); [ $i -ge 600 ] && exit 2; sleep 0.1; done`;
    await k().create(`
apiVersion: v1
kind: Pod
metadata: {name: quick}
spec:
  restartPolicy: OnFailure
  initContainers:
    - name: gate
      image: busybox
      command: [sh, -c, '${MARK} echo waiting; ${waitFor('go')}; echo open']
      volumeMounts: [{name: work, mountPath: /work}]
    - {name: one, image: busybox, command: [sh, -c, '${MARK} echo one']}
    - {name: two, image: busybox, command: [sh, -c, '${MARK} echo two']}
    - name: retry
      image: busybox
      command: [sh, -c, '${MARK} if [ -e /work/tried ]; then echo retry again; ${waitFor('go2')}; echo retry ok; else touch /work/tried; echo retry failed; exit 1; fi']
      volumeMounts: [{name: work, mountPath: /work}]
    - {name: three, image: busybox, command: [sh, -c, '${MARK} echo three']}
  containers:
    - {name: app, image: busybox, command: [sh, -c, '${MARK} echo app']}
  volumes: [{name: work, emptyDir: {}}]
`);
    const follow = spawnPodrun(['logs', '-f', 'quick', '--state-dir', cluster.serve.stateDir]);
    const seen = (line: string) =>
      poll(
        () => (follow.out.stdout.split('\n').includes(line) ? true : undefined),
        `"${line}" from podrun logs -f`,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nstdout:\n${follow.out.stdout}\nstderr:\n${follow.out.stderr}`);
      });
    try {
      await seen('[pod/quick/gate] waiting');
      await k().ok(['exec', 'quick', '-c', 'gate', '--', 'touch', '/work/go']);
      await seen('[pod/quick/retry] retry failed');
      await k().ok(['exec', 'quick', '-c', 'retry', '--', 'touch', '/work/go2']);
    } catch (err) {
      follow.child.kill('SIGTERM');
      throw err;
    }
    const exit = await follow.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, follow.out.stderr);
    assert.deepEqual(follow.out.stdout.split('\n'), [
      '[pod/quick/gate] waiting',
      '[pod/quick/gate] open',
      '[pod/quick/one] one',
      '[pod/quick/two] two',
      '[pod/quick/retry] retry failed',
      '[pod/quick/retry] retry again',
      '[pod/quick/retry] retry ok',
      '[pod/quick/three] three',
      '[pod/quick/app] app',
      '',
    ]);
    // Followed again once it has finished: each container's last run (the failed one is gone), in the order
    // they ran, though all are read at once.
    const again = await podrun('logs', '-f', 'quick');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(again.stdout.split('\n'), [
      '[pod/quick/gate] waiting',
      '[pod/quick/gate] open',
      '[pod/quick/one] one',
      '[pod/quick/two] two',
      '[pod/quick/retry] retry again',
      '[pod/quick/retry] retry ok',
      '[pod/quick/three] three',
      '[pod/quick/app] app',
      '',
    ]);
    // Gone before the next tests, which list the pods.
    await k().ok(['delete', 'pod', 'quick']);
  });

  test('podrun get pods -w prints the header once, then a row per change', { timeout: 60_000 }, async () => {
    await k().create(SHOP);
    const w = spawnPodrun(['get', 'pods', '-w', '--state-dir', cluster.serve.stateDir]);
    try {
      await pollPod(
        k(),
        'shop',
        (p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
        'shop Ready',
      );
      await poll(
        () => (/shop\s+2\/2\s+Running/.test(w.out.stdout) ? true : undefined),
        'the Running row',
        10_000,
      );
    } finally {
      w.child.kill('SIGTERM');
      await w.exited;
    }
    const lines = w.out.stdout.split('\n').filter(Boolean);
    assert.match(lines[0]!, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    assert.equal(lines.filter((l) => l.startsWith('NAME')).length, 1);
    for (const l of lines.slice(1))
      assert.match(l, /^(shop|batch)\s+\d\/\d\s+\S+\s+\d+(?: \(\S+ ago\))?\s+\S+$/);
    const statuses = lines.filter((l) => l.startsWith('shop')).map((l) => l.split(/\s+/)[2]);
    assert.equal(statuses.at(-1), 'Running', w.out.stdout);
  });

  test('podrun get reads exactly as kubectl get (pods, -o wide, all -A, -o name, -o json, nodes)', {
    timeout: 240_000,
  }, async () => {
    const pods = await sameAsKubectl(['get', 'pods']);
    assert.match(pods, /^NAME {4}READY {3}STATUS {6}RESTARTS {3}AGE\n/);
    assert.match(pods, /\nshop {4}2\/2 {5}Running {5}0 {10}\S+\n/);
    await sameAsKubectl(['get', 'pods', '-o', 'wide']);
    await sameAsKubectl(['get', 'pod', 'shop', '--show-labels']);
    await sameAsKubectl(['get', 'all', '-A']);
    await sameAsKubectl(['get', 'po/shop', 'svc/kubernetes']);
    await sameAsKubectl(['get', 'pods', '-l', 'app=shop', '-o', 'name']);
    await sameAsKubectl(['get', 'nodes']);
    await sameAsKubectl(['get', 'ns']);
    const json = await sameAsKubectl(['get', 'pod', 'shop', '-o', 'json']);
    assert.equal((JSON.parse(json) as Pod).metadata?.name, 'shop');
    await sameAsKubectl(['get', 'pods', '-o', 'json']);
  });

  test('not found, unknown types and empty namespaces are reported in kubectl’s words', async () => {
    const missing = await podrun('get', 'pod', 'shop', 'nope');
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /^NAME +READY/);
    assert.equal(missing.stderr, 'Error from server (NotFound): pods "nope" not found\n');
    const theirs = await k().run(['get', 'pod', 'shop', 'nope']);
    assert.equal(theirs.stderr, missing.stderr);

    const unknown = await podrun('get', 'widgets');
    assert.deepEqual(
      [unknown.code, unknown.stderr],
      [1, 'error: the server doesn\'t have a resource type "widgets"\n'],
    );
    const empty = await podrun('get', 'pods', '-n', 'kube-public');
    assert.deepEqual(
      [empty.code, empty.stdout, empty.stderr],
      [0, '', 'No resources found in kube-public namespace.\n'],
    );
    const describeMissing = await podrun('describe', 'pod', 'nope');
    assert.deepEqual(
      [describeMissing.code, describeMissing.stderr],
      [1, 'Error from server (NotFound): pods "nope" not found\n'],
    );
  });

  test('podrun describe pod and service match kubectl describe line by line', {
    timeout: 90_000,
  }, async () => {
    const text = await sameAsKubectl(['describe', 'pod', 'shop']);
    const lines = text.split('\n');
    for (const start of [
      'Name:             shop',
      'Namespace:        default',
      'Service Account:  default',
      'Labels:           app=shop',
      '                  tier=web',
      'Annotations:      team: checkout',
      'Status:           Running',
      'Init Containers:',
      '  wait-db:',
      '  proxy:',
      'Containers:',
      '  app:',
      '      POD_NAME:  shop (v1:metadata.name)',
      'Conditions:',
      'QoS Class:                   Burstable',
      'Events:',
    ]) {
      assert.ok(lines.includes(start), `no line "${start}" in:\n${text}`);
    }
    await sameAsKubectl(['describe', 'pods', 'sho']);
    await sameAsKubectl(['describe', 'svc', 'kubernetes']);
    await sameAsKubectl(['describe', 'service', 'kube-dns', '-n', 'kube-system']);
  });

  test('podrun logs: the default container, -c, --all-containers --prefix, --tail, errors', async () => {
    const def = await podrun('logs', 'shop');
    assert.equal(def.code, 0, def.stderr);
    assert.equal(def.stdout, 'app one\napp two\napp three\n');
    assert.equal(def.stderr, 'Defaulted container "app" out of: app, wait-db (init), proxy (init)\n');
    const theirs = await k().run(['logs', 'shop']);
    assert.deepEqual([theirs.stdout, theirs.stderr], [def.stdout, def.stderr]);

    assert.equal((await podrun('logs', 'shop', '-c', 'wait-db')).stdout, 'db reachable\n');
    assert.equal((await podrun('logs', 'pod/shop', '--tail', '1')).stdout, 'app three\n');
    const all = await podrun('logs', 'shop', '--all-containers', '--prefix');
    assert.equal(
      all.stdout,
      '[pod/shop/wait-db] db reachable\n[pod/shop/proxy] proxy up\n[pod/shop/app] app one\n[pod/shop/app] app two\n[pod/shop/app] app three\n',
    );
    // kubectl reads the containers' logs from a Go map (LogsForObject), so its container order varies from run
    // to run; podrun keeps the pod's order. The same lines, then, each container's in its own order.
    const kubectlAll = (await k().run(['logs', 'shop', '--all-containers', '--prefix'])).stdout;
    const byContainer = (text: string) =>
      text
        .split('\n')
        .filter(Boolean)
        .sort((a, b) =>
          a.split(']')[0]! < b.split(']')[0]! ? -1 : a.split(']')[0]! > b.split(']')[0]! ? 1 : 0,
        );
    assert.deepEqual(byContainer(all.stdout), byContainer(kubectlAll));
    const stamped = await podrun('logs', 'shop', '-c', 'app', '--timestamps', '--since', '1h');
    assert.match(stamped.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z app one\n/);

    const previous = await podrun('logs', 'shop', '-p');
    const kubectlPrevious = await k().run(['logs', 'shop', '-p']);
    assert.deepEqual([previous.code, previous.stderr], [kubectlPrevious.code, kubectlPrevious.stderr]);
    const bad = await podrun('logs', 'shop', '-c', 'nope');
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, (await k().run(['logs', 'shop', '-c', 'nope'])).stderr);
  });

  test('podrun events lists kubectl events’ columns, and --for one object', async () => {
    const ours = await podrun('events', '--for', 'pod/shop');
    const theirs = await k().run(['events', '--for', 'pod/shop']);
    assert.equal(ours.code, 0, ours.stderr);
    const [header, ...rows] = ageless(ours.stdout).split('\n');
    const [theirHeader, ...theirRows] = ageless(theirs.stdout).split('\n');
    assert.match(header!, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    assert.equal(header, theirHeader);
    // Events of the same second may come in another order (kubectl's sort is not stable): the same rows.
    assert.deepEqual([...rows].sort(), [...theirRows].sort());
    assert.ok(
      rows.some((r) => /Normal\s+Scheduled\s+Pod\/shop\s+Successfully assigned default\/shop to /.test(r)),
      ours.stdout,
    );
    const none = await podrun('events', '-n', 'kube-public');
    assert.deepEqual([none.stdout, none.stderr], ['', 'No events found in kube-public namespace.\n']);
  });

  test('podrun version prints its own version and the server’s', async () => {
    const out = await podrun('version');
    const server = JSON.parse(await k().ok(['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string };
    };
    assert.match(out.stdout, /^Client Version: podrun \d+\.\d+\.\d+\nServer Version: (\S+)\n$/);
    assert.equal(/Server Version: (\S+)/.exec(out.stdout)?.[1], server.serverVersion.gitVersion);
  });

  test('podrun describe deployment, replicaset, node, configmap and secret match kubectl describe line by line', {
    timeout: 150_000,
  }, async () => {
    await k().create(WEB);
    await k().ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
    const text = await sameAsKubectl(['describe', 'deployment', 'web']);
    const lines = text.split('\n');
    for (const line of [
      'Name:                   web',
      'Replicas:               2 desired | 2 updated | 2 total | 2 available | 0 unavailable',
      'RollingUpdateStrategy:  25% max unavailable, 25% max surge',
      'Pod Template:',
      '  Init Containers:',
      '   setup:',
      '      POD_NAME:   (v1:metadata.name)',
      'OldReplicaSets:  <none>',
    ]) {
      assert.ok(lines.includes(line), `no line "${line}" in:\n${text}`);
    }
    assert.match(text, /\nNewReplicaSet: {3}web-\S+ \(2\/2 replicas created\)\n/);
    await sameAsKubectl(['describe', 'deploy/web', '--show-events=false']);
    const rs = await sameAsKubectl(['describe', 'rs', '-l', 'app=web']);
    assert.match(rs, /\nPods Status: {4}2 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed\n/);
    await sameAsKubectl(['describe', 'configmap', 'kube-root-ca.crt']);
    await k().ok(['create', 'secret', 'generic', 'describe-me', '--from-literal=password=s3cret']);
    const secret = await sameAsKubectl(['describe', 'secret', 'describe-me']);
    assert.match(secret, /\npassword: {2}6 bytes\n/);
    const node = await sameAsKubectl(['describe', 'node'], (t) => ageless(timeless(t)));
    assert.match(node, /\nNon-terminated Pods: +\(\d+ in total\)\n/);
    assert.match(node, /\n {2}cpu +\d+m \(\d+%\) +\S+ \(\d+%\)\n/);
    await sameAsKubectl(['describe', 'nodes', '--show-events=false'], (t) => ageless(timeless(t)));
  });

  test('podrun logs deploy/NAME reads the pod kubectl picks, with its messages', async () => {
    for (const args of [
      ['logs', 'deploy/web'],
      ['logs', 'deployment/web', '--all-containers', '--prefix'],
      ['logs', 'deploy/nope'],
      ['logs', 'svc/kubernetes'],
      ['logs', 'nope'],
    ]) {
      const [ours, theirs] = [await podrun(...args), await k().run(args)];
      // kubectl prints --all-containers of a workload in map order; the set of lines is what is the same.
      const lines = (t: string) => t.split('\n').sort();
      assert.deepEqual(
        [ours.code, lines(ours.stdout), ours.stderr],
        [theirs.code, lines(theirs.stdout), theirs.stderr],
        args.join(' '),
      );
    }
    const picked = await podrun('logs', 'deploy/web');
    assert.equal(picked.stdout, 'web up\n');
    assert.match(
      picked.stderr,
      /^Found 2 pods, using pod\/web-\S+\nDefaulted container "app" out of: app, setup \(init\)\n$/,
    );
  });

  test('podrun restart runs a startup again: a bare pod made anew, an owned pod replaced, a rollout', {
    timeout: 120_000,
  }, async () => {
    const ready = (p: Pod) =>
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    await k().create(SOLO);
    const before = await pollPod(k(), 'solo', ready, 'solo Ready');
    const firstRun = await k().ok(['logs', 'solo', '-c', 'first']);
    const out = await podrun('restart', 'solo');
    assert.deepEqual([out.code, out.stdout, out.stderr], [0, 'pod/solo restarted\n', '']);
    const after = await pollPod(
      k(),
      'solo',
      (p) => ready(p) && p.metadata?.uid !== before.metadata?.uid,
      'solo again',
    );
    assert.notEqual(after.metadata?.uid, before.metadata?.uid);
    assert.deepEqual(after.metadata?.labels, { app: 'solo' });
    const secondRun = await k().ok(['logs', 'solo', '-c', 'first']);
    assert.match(secondRun, /^run \S+\n$/);
    assert.notEqual(secondRun, firstRun, 'the init container ran again');

    const old = (await k().ok(['get', 'pods', '-l', 'app=web', '-o', 'name']))
      .split('\n')[0]!
      .slice('pod/'.length);
    const owned = await podrun('restart', old, '--grace-period', '1');
    assert.equal(owned.code, 0, owned.stderr);
    const [deleted, replaced] = owned.stdout.split('\n');
    assert.match(
      deleted!,
      new RegExp(`^pod "${old}" deleted; its controller ReplicaSet/web-\\S+ replaces it$`),
    );
    assert.match(replaced!, new RegExp(`^pod/web-\\S+ restarted \\(replaces pod/${old}\\)$`));

    const rollout = await podrun('restart', 'deploy/web');
    assert.deepEqual([rollout.code, rollout.stdout], [0, 'deployment.apps/web restarted\n']);
    const annotations = await k().ok([
      'get',
      'deploy',
      'web',
      '-o',
      'jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}',
    ]);
    assert.match(annotations, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const wrong = await podrun('restart', 'svc/kubernetes');
    assert.deepEqual(
      [wrong.code, wrong.stderr],
      [1, 'error: podrun restart takes a pod, a deployment, a statefulset or a daemonset, not services\n'],
    );
    await k().ok(['delete', 'deploy/web', 'pod/solo', '--wait=false']);
  });

  test('an init container past its podrun.dev/init-timeout is killed and fails as InitTimeout', {
    timeout: 60_000,
  }, async () => {
    await k().create(`
apiVersion: v1
kind: Pod
metadata:
  name: stuck
  annotations: {podrun.dev/init-timeout.wait: 2s}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  initContainers:
    - {name: wait, image: busybox:1.36, command: [sh, -c, '${MARK} until false; do sleep 1; done']}
  containers:
    - {name: app, image: busybox:1.36, command: [sh, -c, '${MARK} echo never']}
`);
    const pod = await pollPod(k(), 'stuck', (p) => p.status?.phase === 'Failed', 'stuck Failed');
    const terminated = pod.status?.initContainerStatuses?.[0]?.state?.terminated;
    assert.equal(terminated?.reason, 'InitTimeout');
    assert.equal(
      terminated?.message,
      'Init container wait exceeded its timeout of 2s (annotation podrun.dev/init-timeout.wait)',
    );
    assert.notEqual(terminated?.exitCode, 0);
    assert.match(await k().ok(['get', 'pod', 'stuck']), /\nstuck +0\/1 +Init:InitTimeout +0 +/);
    const events = await k().ok([
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=stuck,reason=Killing',
    ]);
    assert.match(events, /Init container wait exceeded its timeout of 2s/);
    await k().ok(['delete', 'pod', 'stuck', '--wait=false']);
  });

  test('podrun delete waits until the pod is gone, and says so as kubectl does', {
    timeout: 60_000,
  }, async () => {
    const out = await podrun('delete', 'pod', 'shop', 'nope', '--grace-period', '1');
    assert.equal(out.code, 1);
    assert.equal(out.stdout, 'pod "shop" deleted\n');
    assert.equal(out.stderr, 'Error from server (NotFound): pods "nope" not found\n');
    // Waited: the pod is already gone when delete returns.
    const after = await k().run(['get', 'pod', 'shop']);
    assert.equal(after.stderr.trim(), 'Error from server (NotFound): pods "shop" not found');
    const byLabel = await podrun('delete', 'pods', '-l', 'app=none');
    assert.deepEqual([byLabel.code, byLabel.stderr], [0, 'No resources found\n']);
  });
});
