// Real kubectl against `podrun serve` with real processes: get (STATUS progression, -o wide), describe, logs
// (init containers, --previous, --timestamps, --tail, -f), wait, delete, events, a Deployment with a Service.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Endpoints, Pod } from '../../src/api/types.js';
import { e2eCluster } from './support/cluster.js';
import { processStart, runtimeFootprint } from './support/leftovers.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker } from './support/run-id.js';
import { poll, pollPod } from './support/watch.js';

// Every container command here starts with this no-op, so the leftover check can find stray shells.
const MARK = `: ${marker('e2e-kubectl-test')};`;
const cluster = e2eCluster({ commandMarkers: [MARK] });
before(cluster.start);
afterEach(cluster.record);
after(cluster.stopAndCheck);
const k = () => cluster.kubectl;

/** A shell loop that ends promptly on SIGTERM (a plain `sleep` as PID 1 ignores it). */
const IDLE = 'trap "exit 0" TERM; while :; do sleep 1; done';

const WEB = `
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web-pod}
spec:
  initContainers:
    - name: init-a
      image: busybox
      command: [sh, -c, '${MARK} echo init-a line1; echo init-a line2; sleep 1.5']
    - name: init-b
      image: busybox
      command: [sh, -c, '${MARK} echo init-b done; sleep 1.5']
  containers:
    - name: app
      image: busybox
      command: [sh, -c, '${MARK} for i in 1 2 3 4 5; do echo app line $i; done; ${IDLE}']
      readinessProbe:
        exec: {command: ['true']}
        periodSeconds: 1
`;

const initRunning = (p: Pod, name: string) =>
  p.status?.initContainerStatuses?.find((s) => s.name === name)?.state?.running !== undefined;

/** Parses kubectl's table output (header + rows, columns separated by 2+ spaces). */
function table(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines.find((l) => /^NAME\s|^LAST SEEN\s/.test(l));
  if (!header) return [];
  const starts: { name: string; at: number }[] = [];
  for (const m of header.matchAll(/\S+(?: \S+)*/g)) starts.push({ name: m[0], at: m.index });
  return lines
    .filter((l) => l !== header && !/^NAME\s|^LAST SEEN\s/.test(l))
    .map((l) => {
      const row: Record<string, string> = {};
      starts.forEach((c, i) => {
        const end = starts[i + 1]?.at ?? l.length;
        row[c.name] = l.slice(c.at, end).trim();
      });
      return row;
    });
}

describe('kubectl against podrun serve', { skip: E2E_SKIP }, () => {
  test('kubectl get pod -w shows STATUS going Init:0/2, Init:1/2, then Running', {
    timeout: 60_000,
  }, async () => {
    await k().create(WEB);
    const watch = k().spawn(['get', 'pod', 'web', '-w']);
    try {
      // While init-a runs: the app's logs are not there yet, and init-a's can be followed to its end.
      await pollPod(k(), 'web', (p) => initRunning(p, 'init-a'), 'init-a to run', 20_000);
      const follow = k().spawn(['logs', '-f', 'web', '-c', 'init-a']);
      const early = await k().run(['logs', 'web', '-c', 'app']);
      assert.equal(early.code, 1);
      assert.match(
        early.stderr,
        /Error from server \(BadRequest\): container "app" in pod "web" is waiting to start: PodInitializing/,
      );
      assert.deepEqual(await follow.exited, { code: 0, signal: null }, follow.stderr);
      assert.equal(follow.stdout, 'init-a line1\ninit-a line2\n');
      await pollPod(k(), 'web', (p) => p.status?.phase === 'Running', 'web to run', 30_000);
      await poll(
        () => (table(watch.stdout).at(-1)?.STATUS === 'Running' ? true : undefined),
        'the watch to print Running',
        10_000,
      );
    } finally {
      watch.kill();
    }
    const statuses = table(watch.stdout).map((r) => r.STATUS ?? '');
    const distinct = statuses.filter((s, i) => s !== statuses[i - 1]);
    const at = (s: string) => distinct.indexOf(s);
    assert.ok(at('Init:0/2') >= 0, `Init:0/2 never shown: ${distinct.join(' → ')}`);
    assert.ok(at('Init:1/2') > at('Init:0/2'), `Init:1/2 not after Init:0/2: ${distinct.join(' → ')}`);
    assert.ok(at('Running') > at('Init:1/2'), `Running not after Init:1/2: ${distinct.join(' → ')}`);
    assert.deepEqual(
      distinct.filter((s) => !['Pending', 'Init:0/2', 'Init:1/2', 'PodInitializing', 'Running'].includes(s)),
      [],
      `unexpected STATUS values: ${distinct.join(' → ')}`,
    );
  });

  test('kubectl wait --for=condition=Ready returns once the pod is ready', { timeout: 60_000 }, async () => {
    // -v=6 puts every request in the failure message: once, this hung past its own --timeout with no output.
    const out = await k().ok(['wait', '--for=condition=Ready', 'pod/web', '--timeout=40s', '-v=6'], {
      timeoutMs: 50_000,
    });
    assert.match(out, /pod\/web condition met/);
  });

  test('kubectl get pods -o wide shows the pod IP and the node', async () => {
    const pod = await k().json<Pod>(['get', 'pod', 'web']);
    assert.match(pod.status?.podIP ?? '', /^10\.244\.\d+\.\d+$/);
    const rows = table(await k().ok(['get', 'pods', '-o', 'wide']));
    const row = rows.find((r) => r.NAME === 'web');
    assert.ok(row, `no row for web in ${JSON.stringify(rows)}`);
    assert.equal(row.READY, '1/1');
    assert.equal(row.STATUS, 'Running');
    assert.equal(row.RESTARTS, '0');
    assert.equal(row.IP, pod.status?.podIP);
    assert.equal(row.NODE, 'podrun');
  });

  test('kubectl describe pod shows Init Containers, Conditions and the kubelet events', async () => {
    const out = await k().ok(['describe', 'pod', 'web']);
    const section = (name: string) => {
      const start = out.indexOf(`\n${name}:`);
      assert.ok(start >= 0, `no "${name}:" section in:\n${out}`);
      const next = out.slice(start + 1).search(/\n[A-Z][A-Za-z -]*:/);
      return out.slice(start, next < 0 ? undefined : start + 1 + next);
    };
    const init = section('Init Containers');
    assert.match(init, /\n {2}init-a:\n/);
    assert.match(init, /\n {2}init-b:\n/);
    assert.match(init, /State: +Terminated\n +Reason: +Completed\n +Exit Code: +0/);
    assert.match(section('Containers'), /\n {2}app:\n[\s\S]*State: +Running/);
    const conditions = section('Conditions');
    for (const c of ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled']) {
      assert.match(conditions, new RegExp(`\\n {2}${c} +True `), `${c} True in:\n${conditions}`);
    }
    const events = out.slice(out.indexOf('\nEvents:'));
    assert.match(
      events,
      /Normal +Scheduled +.* default-scheduler +Successfully assigned default\/web to podrun/,
    );
    for (const c of ['init-a', 'init-b', 'app']) {
      assert.match(events, new RegExp(`Normal +Created +.* kubelet +.*Created container:? ${c}\\n`));
      assert.match(events, new RegExp(`Normal +Started +.* kubelet +.*Started container ${c}\\n`));
    }
    // `--images host`: nothing is pulled or looked at, so no Pulled event (test/e2e/images.test.ts has them).
    assert.doesNotMatch(events, /Normal +Pulled +/);
  });

  test('kubectl get events lists the pod’s events', async () => {
    const rows = table(await k().ok(['get', 'events']));
    const forWeb = rows.filter((r) => r.OBJECT === 'pod/web');
    const reasons = new Set(forWeb.map((r) => r.REASON));
    for (const r of ['Scheduled', 'Created', 'Started'])
      assert.ok(reasons.has(r), `no ${r} event: ${[...reasons]}`);
  });

  test('kubectl logs: default container with a notice, -c for init containers, --tail, --timestamps', async () => {
    const def = await k().run(['logs', 'web']);
    assert.equal(def.code, 0, def.stderr);
    assert.equal(def.stdout, 'app line 1\napp line 2\napp line 3\napp line 4\napp line 5\n');
    assert.match(def.stderr, /Defaulted container "app" out of: app, init-a \(init\), init-b \(init\)/);
    assert.equal(await k().ok(['logs', 'web', '-c', 'init-a']), 'init-a line1\ninit-a line2\n');
    assert.equal(await k().ok(['logs', 'web', '-c', 'init-b']), 'init-b done\n');
    assert.equal(await k().ok(['logs', 'web', '-c', 'app', '--tail=2']), 'app line 4\napp line 5\n');
    const stamped = (await k().ok(['logs', 'web', '-c', 'init-a', '--timestamps']))
      .split('\n')
      .filter(Boolean);
    assert.equal(stamped.length, 2);
    for (const [i, line] of stamped.entries()) {
      assert.match(
        line,
        new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z init-a line${i + 1}$`),
      );
    }
    const bad = await k().run(['logs', 'web', '-c', 'nope']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /container nope is not valid for pod web/);
  });

  test('kubectl logs --previous shows the crashed run; the current run is followed without it', {
    timeout: 60_000,
  }, async () => {
    await k().apply(`
apiVersion: v1
kind: Pod
metadata: {name: crash-once}
spec:
  terminationGracePeriodSeconds: 2
  containers:
    - name: app
      image: busybox
      command:
        - sh
        - -c
        - '${MARK} n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/n; echo "attempt $n"; if [ $n -eq 1 ]; then exit 3; fi; ${IDLE}'
      volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, emptyDir: {}}]
`);
    const pod = await pollPod(
      k(),
      'crash-once',
      (p) =>
        p.status?.containerStatuses?.[0]?.restartCount === 1 &&
        p.status.containerStatuses[0].state?.running !== undefined,
      'crash-once to run again after its first crash',
      40_000,
    );
    assert.equal(pod.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 3);
    assert.equal(await k().ok(['logs', 'crash-once', '--previous']), 'attempt 1\n');
    assert.equal(await k().ok(['logs', 'crash-once']), 'attempt 2\n');
    const row = table(await k().ok(['get', 'pod', 'crash-once'])).at(0);
    assert.match(row?.RESTARTS ?? '', /^1 \(\d+s ago\)$/);
  });

  test('kubectl logs -f streams a running container and ends when it exits', {
    timeout: 60_000,
  }, async () => {
    await k().apply(`
apiVersion: v1
kind: Pod
metadata: {name: counter}
spec:
  restartPolicy: Never
  containers:
    - name: count
      image: busybox
      command: [sh, -c, '${MARK} for i in 1 2 3 4 5 6; do echo "tick $i"; sleep 0.5; done']
`);
    await pollPod(
      k(),
      'counter',
      (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined,
      'counter to run',
    );
    const follow = k().spawn(['logs', '-f', 'counter']);
    const started = Date.now();
    const exit = await follow.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, follow.stderr);
    assert.equal(follow.stdout, 'tick 1\ntick 2\ntick 3\ntick 4\ntick 5\ntick 6\n');
    // It followed (waited for the later lines) rather than printing what was there and leaving.
    assert.ok(Date.now() - started > 500, 'logs -f returned at once');
    const pod = await pollPod(k(), 'counter', (p) => p.status?.phase === 'Succeeded', 'counter to succeed');
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
  });

  test('a crash-looping init container: Init:CrashLoopBackOff, its last attempt’s logs without --previous, Last State in describe', {
    timeout: 60_000,
  }, async () => {
    await k().apply(`
apiVersion: v1
kind: Pod
metadata: {name: init-loop}
spec:
  terminationGracePeriodSeconds: 2
  initContainers:
    - name: check
      image: busybox
      command: [sh, -c, '${MARK} echo "checking dependency"; echo "dependency missing" >&2; exit 2']
  containers:
    - name: app
      image: busybox
      command: [sh, -c, '${MARK} ${IDLE}']
`);
    const row = await poll(
      async () => {
        const r = table(await k().ok(['get', 'pod', 'init-loop'])).at(0);
        return r?.STATUS === 'Init:CrashLoopBackOff' && r.RESTARTS !== '0' ? r : undefined;
      },
      'STATUS Init:CrashLoopBackOff with restarts',
      30_000,
    );
    assert.equal(row.READY, '0/1');
    assert.match(row.RESTARTS ?? '', /^[1-9]\d* \(\d+s ago\)$/);
    // kubectl logs on a waiting container with a previous run shows that run (validateContainerLogStatus).
    // (Polled: a restart may be under way at the moment of a request, and its instance has no output yet.)
    const lastRun = 'checking dependency\ndependency missing\n';
    for (const extra of [[], ['--previous']]) {
      await poll(
        async () =>
          (await k().run(['logs', 'init-loop', '-c', 'check', ...extra])).stdout === lastRun
            ? true
            : undefined,
        `kubectl logs init-loop -c check ${extra.join(' ')} to show the last attempt`,
        10_000,
      );
    }
    const app = await k().run(['logs', 'init-loop', '-c', 'app']);
    assert.match(app.stderr, /container "app" in pod "init-loop" is waiting to start: PodInitializing/);
    const described = await poll(
      async () => {
        const out = await k().ok(['describe', 'pod', 'init-loop']);
        return /State: +Waiting\n +Reason: +CrashLoopBackOff/.test(out) ? out : undefined;
      },
      'describe to show the CrashLoopBackOff wait',
      20_000,
    );
    assert.match(described, /Last State: +Terminated\n +Reason: +Error\n +Exit Code: +2\n/);
    assert.match(described, /Restart Count: +[1-9]/);
    assert.match(
      described,
      /Warning +BackOff +.* kubelet +.*Back-off restarting failed container check in pod init-loop_default\(/,
    );
    assert.match(described, /\n {2}Initialized +False /);
  });

  test('kubectl apply -f of a v1 List (what kubectl get -o yaml writes) creates its items', async () => {
    // kubectl validates a List client-side against /openapi/v2 (it has no fieldValidation verb to ask the
    // server for), as it does against a real API server.
    const list = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-list-a' }, data: { k: 'a' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-list-b' }, data: { k: 'b' } },
      ],
    });
    const r = await k().run(['apply', '-f', '-'], { input: list });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configmap\/from-list-a created\nconfigmap\/from-list-b created/);
    const got = await k().json<{ items: { metadata: { name: string } }[] }>(['get', 'configmaps']);
    assert.ok(got.items.some((c) => c.metadata.name === 'from-list-b'));
  });

  test('kubectl delete pod waits until the pod is gone, and its processes are gone with it', {
    timeout: 60_000,
  }, async () => {
    const containers = runtimeFootprint(cluster.serve.stateDir).containers.filter(
      (c) => c.name === 'app' && processStart(c.pid) === c.pidStart,
    );
    assert.ok(containers.length >= 1, 'the running app containers are recorded');
    const del = await k().run(['delete', 'pod', 'web', 'crash-once'], { timeoutMs: 50_000 });
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /pod "web" deleted/);
    const get = await k().run(['get', 'pod', 'web']);
    assert.notEqual(get.code, 0);
    assert.match(get.stderr, /pods "web" not found/);
    for (const c of containers) {
      assert.notEqual(
        processStart(c.pid),
        c.pidStart,
        `process ${c.pid} of ${c.name} still runs after delete`,
      );
    }
  });

  test('deleting a pod during its init containers stops them and never starts the app', {
    timeout: 40_000,
  }, async () => {
    await k().apply(`
apiVersion: v1
kind: Pod
metadata: {name: deleted-in-init}
spec:
  terminationGracePeriodSeconds: 3
  initContainers:
    - name: slow
      image: busybox
      command: [sh, -c, '${MARK} echo waiting; ${IDLE}']
  containers:
    - name: app
      image: busybox
      command: [sh, -c, '${MARK} echo app must not run; ${IDLE}']
`);
    const pod = await pollPod(
      k(),
      'deleted-in-init',
      (p) => initRunning(p, 'slow'),
      'the init container to run',
    );
    const id = pod.status?.initContainerStatuses?.[0]?.containerID?.replace(/^host:\/\//, '') ?? '';
    const rec = runtimeFootprint(cluster.serve.stateDir).containers.find((c) => c.id === id);
    assert.ok(rec, `init container ${id} is recorded`);
    const started = Date.now();
    await k().ok(['delete', 'pod', 'deleted-in-init'], { timeoutMs: 30_000 });
    const took = (Date.now() - started) / 1000;
    assert.ok(took < 3 + 5, `deletion took ${took}s`);
    assert.notEqual(processStart(rec.pid), rec.pidStart, 'the init container’s process is gone');
    const events = table(
      await k().ok(['get', 'events', '--field-selector', 'involvedObject.name=deleted-in-init']),
    );
    const startedEvents = events.filter((e) => e.REASON === 'Started').map((e) => e.MESSAGE);
    assert.deepEqual(startedEvents, ['Started container slow'], 'only the init container started');
  });

  test('readiness gates the Endpoints: a pod is a notReadyAddress until its probe succeeds', {
    timeout: 60_000,
  }, async () => {
    const flag = `/tmp/podrun-e2e-ready-${marker('flag')}`;
    await k().apply(`
apiVersion: v1
kind: Pod
metadata: {name: gated, labels: {app: gated}}
spec:
  terminationGracePeriodSeconds: 2
  containers:
    - name: app
      image: busybox
      command: [sh, -c, '${MARK} ${IDLE}']
      ports: [{name: http, containerPort: 8080}]
      readinessProbe:
        exec: {command: [test, -e, /flags/ready]}
        periodSeconds: 1
      volumeMounts: [{name: flags, mountPath: /flags}]
  volumes: [{name: flags, hostPath: {path: '${flag}', type: DirectoryOrCreate}}]
---
apiVersion: v1
kind: Service
metadata: {name: gated}
spec:
  selector: {app: gated}
  ports: [{port: 80, targetPort: http}]
`);
    try {
      const pod = await pollPod(
        k(),
        'gated',
        (p) => p.status?.phase === 'Running' && Boolean(p.status.podIP),
        'gated to run',
      );
      const ip = pod.status?.podIP;
      const notReady = await poll(
        async () => {
          const ep = await k().json<Endpoints>(['get', 'endpoints', 'gated']);
          const addrs = (ep.subsets ?? []).flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.ip));
          return addrs.includes(ip ?? '') ? ep : undefined;
        },
        'the pod among notReadyAddresses',
        20_000,
      );
      assert.deepEqual(
        (notReady.subsets ?? []).flatMap((s) => s.addresses ?? []),
        [],
        'no ready address before the probe passes',
      );
      const row = table(await k().ok(['get', 'pod', 'gated'])).at(0);
      assert.equal(row?.READY, '0/1');
      assert.equal(row?.STATUS, 'Running');
      mkdirSync(flag, { recursive: true });
      writeFileSync(`${flag}/ready`, '');
      await poll(
        async () => {
          const ep = await k().json<Endpoints>(['get', 'endpoints', 'gated']);
          const addrs = (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip));
          return addrs.includes(ip ?? '') ? true : undefined;
        },
        'the pod among ready addresses once its probe passes',
        20_000,
      );
      const ready = await k().json<Pod>(['get', 'pod', 'gated']);
      assert.equal(ready.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    } finally {
      // The pod first: its hostPath volume (DirectoryOrCreate) would make the directory again.
      await k().run(['delete', 'pod', 'gated', '--grace-period=1'], { timeoutMs: 30_000 });
      rmSync(flag, { recursive: true, force: true });
    }
  });

  test('a Deployment gets its pods (READY 2/2) and its Service’s Endpoints list their IPs', {
    timeout: 90_000,
  }, async () => {
    await k().apply(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: e2e-web}
spec:
  replicas: 2
  selector: {matchLabels: {app: e2e-web}}
  template:
    metadata: {labels: {app: e2e-web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: web
          image: busybox
          command: [sh, -c, '${MARK} ${IDLE}']
          ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: e2e-web}
spec:
  selector: {app: e2e-web}
  ports: [{name: http, port: 80, targetPort: http}]
`);
    await poll(
      async () =>
        table(await k().ok(['get', 'deploy', 'e2e-web'])).at(0)?.READY === '2/2' ? true : undefined,
      'deployment e2e-web READY 2/2',
      60_000,
    );
    const pods = await k().json<{ items: Pod[] }>(['get', 'pods', '-l', 'app=e2e-web']);
    assert.equal(pods.items.length, 2);
    const ips = pods.items.map((p) => p.status?.podIP ?? '').sort();
    assert.ok(
      ips.every((ip) => /^10\.244\./.test(ip)),
      `pod IPs ${ips}`,
    );
    assert.notEqual(ips[0], ips[1]);
    const endpoints = await poll(
      async () => {
        const ep = await k().json<Endpoints>(['get', 'endpoints', 'e2e-web']);
        const got = (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
        return got.length === 2 ? { ep, got } : undefined;
      },
      'endpoints e2e-web to list both pods',
      30_000,
    );
    assert.deepEqual(endpoints.got, ips);
    assert.deepEqual(endpoints.ep.subsets?.[0]?.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    // The same pods in the Service's EndpointSlice, as `kubectl get endpointslices` prints it.
    const slice = await poll(
      async () => {
        const rows = table(
          await k().ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=e2e-web']),
        );
        const row = rows.length === 1 ? rows[0] : undefined;
        return row?.ENDPOINTS?.split(',').sort().join(',') === ips.join(',') ? row : undefined;
      },
      'the EndpointSlice of e2e-web to list both pods',
      30_000,
    );
    assert.match(slice.NAME ?? '', /^e2e-web-[a-z0-9]{5}$/);
    assert.equal(slice.ADDRESSTYPE, 'IPv4');
    assert.equal(slice.PORTS, '8080');
    const svc = table(await k().ok(['get', 'svc', 'e2e-web'])).at(0);
    assert.equal(svc?.TYPE, 'ClusterIP');
    assert.match(svc?.['PORT(S)'] ?? '', /^80\/TCP$/);

    // Deleting the Deployment takes its ReplicaSet and pods with it.
    await k().ok(['delete', 'deployment', 'e2e-web'], { timeoutMs: 30_000 });
    await poll(
      async () =>
        (await k().json<{ items: Pod[] }>(['get', 'pods', '-l', 'app=e2e-web'])).items.length === 0
          ? true
          : undefined,
      'the Deployment’s pods to be deleted',
      40_000,
    );
  });

  test('kubectl rollout: a new image moves the pods to a new ReplicaSet, and undo brings the old one back', {
    timeout: 120_000,
  }, async () => {
    const deployment = (version: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: roll}
spec:
  replicas: 2
  selector: {matchLabels: {app: roll}}
  template:
    metadata: {labels: {app: roll}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: web
          image: busybox:${version}
          command: [sh, -c, '${MARK} echo ${version}; ${IDLE}']
`;
    type RsList = { items: { metadata: { name: string }; spec: { replicas?: number } }[] };
    const replicaSets = async () =>
      (await k().json<RsList>(['get', 'rs', '-l', 'app=roll'])).items.map((r) => ({
        name: r.metadata.name,
        replicas: r.spec.replicas ?? 0,
      }));
    const rolledOut = async () => {
      const r = await k().run(['rollout', 'status', 'deployment/roll', '--timeout=60s'], {
        timeoutMs: 70_000,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /deployment "roll" successfully rolled out/);
    };
    const versions = async () => {
      const pods = await k().json<{ items: Pod[] }>(['get', 'pods', '-l', 'app=roll']);
      const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp);
      return Promise.all(live.map(async (p) => (await k().ok(['logs', p.metadata?.name ?? ''])).trim()));
    };

    await k().apply(deployment('1'));
    await rolledOut();
    const [first] = await replicaSets();
    assert.ok(first);
    assert.deepEqual(await versions(), ['1', '1']);

    await k().apply(deployment('2'));
    await rolledOut();
    const afterUpdate = await replicaSets();
    assert.equal(afterUpdate.length, 2);
    assert.deepEqual(afterUpdate.find((r) => r.name === first.name)?.replicas, 0);
    await poll(
      async () => ((await versions()).join() === '2,2' ? true : undefined),
      'the pods to run version 2',
      30_000,
    );

    // Undo puts revision 1's template back; the Deployment controller finds the ReplicaSet with that template
    // (EqualIgnoreHash) and scales it up rather than making a new one.
    await k().ok(['rollout', 'undo', 'deployment/roll']);
    await rolledOut();
    const afterUndo = await replicaSets();
    assert.deepEqual(
      afterUndo.map((r) => r.name).sort(),
      afterUpdate.map((r) => r.name).sort(),
      `undo made a new ReplicaSet instead of reusing ${first.name}: ${JSON.stringify(afterUndo)}`,
    );
    assert.equal(afterUndo.find((r) => r.name === first.name)?.replicas, 2);
    await poll(
      async () => ((await versions()).join() === '1,1' ? true : undefined),
      'the pods to run version 1',
      30_000,
    );
    await k().ok(['delete', 'deployment', 'roll'], { timeoutMs: 30_000 });
  });
});
