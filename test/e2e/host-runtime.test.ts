// The host runtime through the whole stack: pods applied with kubectl to `podrun serve`, run as real processes
// in per-pod namespaces. Hostname, localhost inside a pod, pod-to-pod by IP, configMap/secret/emptyDir volumes
// (and a live ConfigMap update), secretKeyRef, CreateContainerConfigError until a key exists, runAsUser,
// OOMKilled, exit codes and signals, graceful stop and the SIGKILL after the grace period.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Container, Pod, PodSpec } from '../../src/api/types.js';
import { detectCgroups } from '../../src/runtime/host/cgroups.js';
import { e2eCluster } from './support/cluster.js';
import { processStart, runtimeFootprint } from './support/leftovers.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker } from './support/run-id.js';
import { poll, pollPod } from './support/watch.js';

const MARK = marker('e2e-host-runtime-test');
const cluster = e2eCluster({ commandMarkers: [MARK] });
before(cluster.start);
afterEach(cluster.record);
after(cluster.stopAndCheck);
const k = () => cluster.kubectl;

const hostDir = mkdtempSync(join(tmpdir(), 'podrun-e2e-hostpath-'));
after(() => rmSync(hostDir, { recursive: true, force: true }));

/** `sh -c SCRIPT` with the marker in its command line; ends on SIGTERM unless the script says otherwise. */
const sh = (script: string): string[] => ['sh', '-c', `: ${MARK}; ${script}`];
const IDLE = 'trap "exit 0" TERM; while :; do sleep 0.2; done';

/** A TCP server (python) that answers every connection with `reply`, and stops on SIGTERM. */
const server = (host: string, port: number, reply: string): string[] => [
  'python3',
  '-c',
  [
    'import signal, socket, sys',
    'signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))',
    's = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
    's.bind((sys.argv[1], int(sys.argv[2]))); s.listen()',
    'print("listening", flush=True)',
    'while True:',
    '    c, _ = s.accept(); c.sendall(sys.argv[3].encode() + b"\\n"); c.close()',
  ].join('\n'),
  host,
  String(port),
  reply,
  MARK,
];

/** Connects (retrying for up to 20 s), prints `got <reply>` or `failed <error>`, then idles until SIGTERM. */
const client = (host: string, port: number): string[] => [
  'python3',
  '-c',
  [
    'import signal, socket, sys, time',
    'signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))',
    'err = None',
    'for _ in range(100):',
    '    try:',
    '        c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)',
    '        print("got", c.recv(100).decode().strip(), flush=True); break',
    '    except OSError as e:',
    '        err = e; time.sleep(0.2)',
    'else:',
    '    print("failed", err, flush=True)',
    'while True: time.sleep(1)',
  ].join('\n'),
  host,
  String(port),
  MARK,
];

function pod(name: string, spec: Partial<PodSpec> & { containers: Container[] }): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { terminationGracePeriodSeconds: 5, ...spec },
  });
}

const app = (name: string, command: string[], extra: Partial<Container> = {}): Container => ({
  name,
  image: 'busybox',
  command,
  ...extra,
});

const isRunning = (p: Pod) =>
  p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.state?.running);

async function logsUntil(
  podName: string,
  container: string,
  re: RegExp,
  what: string,
  timeoutMs = 20_000,
): Promise<string> {
  return poll(
    async () => {
      const r = await k().run(['logs', podName, '-c', container]);
      return re.test(r.stdout) ? r.stdout : undefined;
    },
    `${what} (logs of ${podName}/${container} to match ${re})`,
    timeoutMs,
  );
}

describe('host runtime through podrun serve and kubectl', { skip: E2E_SKIP }, () => {
  test('the hostname inside the pod is the pod name', { timeout: 40_000 }, async () => {
    await k().apply(
      pod('hostname-check', { containers: [app('app', sh(`hostname; cat /etc/hostname; ${IDLE}`))] }),
    );
    const out = await logsUntil('hostname-check', 'app', /\n.*\n/, 'hostname output');
    assert.equal(out, 'hostname-check\nhostname-check\n');
  });

  test('the environment has HOSTNAME and PATH as containerd sets them, and the pod’s env overrides them', {
    timeout: 30_000,
  }, async () => {
    // containerd's buildLinuxSpec: oci.WithDefaultPathEnv, then HOSTNAME=<sandbox hostname>, then the image's
    // env, then the container's (later ones win).
    await k().apply(
      pod('env-defaults', {
        restartPolicy: 'Never',
        containers: [
          app('plain', sh('env')),
          app('overrides', sh('env'), {
            env: [
              { name: 'PATH', value: '/opt/tools/bin:/usr/bin:/bin' },
              { name: 'HOSTNAME', value: 'chosen' },
            ],
          }),
        ],
      }),
    );
    await pollPod(
      k(),
      'env-defaults',
      (p) => ['Succeeded', 'Failed'].includes(p.status?.phase ?? ''),
      'env-defaults to finish',
    );
    const envOf = async (c: string) =>
      Object.fromEntries(
        (await k().ok(['logs', 'env-defaults', '-c', c]))
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
    const plain = await envOf('plain');
    assert.equal(plain.HOSTNAME, 'env-defaults');
    assert.equal(plain.PATH, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    const overrides = await envOf('overrides');
    assert.equal(overrides.HOSTNAME, 'chosen');
    assert.equal(overrides.PATH, '/opt/tools/bin:/usr/bin:/bin');
  });

  test('containers of one pod reach each other on localhost', { timeout: 40_000 }, async () => {
    await k().apply(
      pod('localhost-pair', {
        containers: [
          app('server', server('127.0.0.1', 7001, 'pong-from-server')),
          app('client', client('127.0.0.1', 7001)),
        ],
      }),
    );
    const out = await logsUntil('localhost-pair', 'client', /^(got|failed)/m, 'the client to connect');
    assert.equal(out, 'got pong-from-server\n');
  });

  test('a pod reaches another pod by its IP, and not on its own localhost', { timeout: 60_000 }, async () => {
    await k().apply(pod('ip-server', { containers: [app('server', server('0.0.0.0', 7002, 'pong-by-ip'))] }));
    const srv = await pollPod(
      k(),
      'ip-server',
      (p) => isRunning(p) && Boolean(p.status?.podIP),
      'ip-server to run',
    );
    const ip = srv.status?.podIP ?? '';
    await k().apply(
      pod('ip-client', {
        containers: [app('by-ip', client(ip, 7002))],
      }),
    );
    const out = await logsUntil('ip-client', 'by-ip', /^(got|failed)/m, 'the client to connect');
    assert.equal(out, 'got pong-by-ip\n');
    const cli = await k().json<Pod>(['get', 'pod', 'ip-client']);
    assert.notEqual(cli.status?.podIP, ip, 'each pod has its own IP');
    // The server's port is not on the client pod's loopback: the pods have separate network namespaces.
    const probe = await k().apply(
      pod('ip-isolation', {
        restartPolicy: 'Never',
        containers: [
          app('probe', [
            'python3',
            '-c',
            'import socket\ntry:\n    socket.create_connection(("127.0.0.1", 7002), timeout=1); print("reachable")\nexcept OSError:\n    print("refused")',
            MARK,
          ]),
        ],
      }),
    );
    assert.match(probe, /created/);
    await pollPod(k(), 'ip-isolation', (p) => p.status?.phase === 'Succeeded', 'ip-isolation to finish');
    assert.equal(await k().ok(['logs', 'ip-isolation']), 'refused\n');
  });

  test('configMap and secret volumes appear at their mountPath; env comes from secretKeyRef; emptyDir is shared with init containers', {
    timeout: 60_000,
  }, async () => {
    await k().apply(`
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {greeting: hello, mode: dev}
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret}
stringData: {password: s3cret, token: t0ken}
`);
    await k().apply(
      pod('volumes', {
        initContainers: [
          app(
            'prepare',
            sh('echo prepared-by-init > /shared/ready; echo "mode=$(cat /config/mode)" >> /shared/ready'),
            {
              volumeMounts: [
                { name: 'shared', mountPath: '/shared' },
                { name: 'config', mountPath: '/config' },
              ],
            },
          ),
        ],
        containers: [
          app(
            'app',
            sh(
              'cat /shared/ready; echo "greeting=$(cat /config/greeting)"; echo "secret=$(cat /secret/password)"; ' +
                'echo "env=$PASSWORD"; ls -A /config | tr "\\n" " "; echo; ' +
                `last=""; trap "exit 0" TERM; while :; do v=$(cat /config/greeting); if [ "$v" != "$last" ]; then echo "now=$v"; last=$v; fi; sleep 0.2; done`,
            ),
            {
              env: [
                { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } },
              ],
              volumeMounts: [
                { name: 'shared', mountPath: '/shared', readOnly: true },
                { name: 'config', mountPath: '/config' },
                { name: 'secret', mountPath: '/secret' },
              ],
            },
          ),
        ],
        volumes: [
          { name: 'shared', emptyDir: {} },
          { name: 'config', configMap: { name: 'app-config' } },
          { name: 'secret', secret: { secretName: 'app-secret' } },
        ],
      }),
    );
    const out = await logsUntil('volumes', 'app', /now=hello/, 'the app to start');
    const lines = out.split('\n');
    assert.deepEqual(lines.slice(0, 5), [
      'prepared-by-init',
      'mode=dev',
      'greeting=hello',
      'secret=s3cret',
      'env=s3cret',
    ]);
    // The atomic writer's layout: keys are symlinks through ..data to a timestamped directory.
    const listing = (lines[5] ?? '').trim().split(' ').sort();
    assert.deepEqual(
      listing.filter((n) => !n.startsWith('..2')),
      ['..data', 'greeting', 'mode'],
    );
    assert.equal(
      listing.filter((n) => n.startsWith('..2')).length,
      1,
      `one timestamped directory: ${listing}`,
    );
  });

  test('a ConfigMap update reaches the running pod through the ..data symlink swap', {
    timeout: 90_000,
  }, async () => {
    const before = await k().ok(['logs', 'volumes', '-c', 'app']);
    assert.match(before, /now=hello\n$/);
    const started = Date.now();
    await k().apply(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config}\ndata: {greeting: bonjour, mode: dev}\n',
    );
    // Upstream the kubelet's resync (60 s here) bounds the delay; more than that is a defect.
    await logsUntil('volumes', 'app', /now=bonjour\n/, 'the new greeting in the pod', 70_000);
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 65, `the update took ${seconds}s`);
    process.stdout.write(`# configMap update visible in the pod after ${seconds.toFixed(1)}s\n`);
  });

  test('a missing secret key holds the container in CreateContainerConfigError until the key is added', {
    timeout: 60_000,
  }, async () => {
    await k().apply('apiVersion: v1\nkind: Secret\nmetadata: {name: late-secret}\nstringData: {other: x}\n');
    await k().apply(
      pod('needs-key', {
        containers: [
          app('app', sh(`echo "key=$API_KEY"; ${IDLE}`), {
            env: [{ name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'late-secret', key: 'api-key' } } }],
          }),
        ],
      }),
    );
    const waiting = await pollPod(
      k(),
      'needs-key',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError',
      'CreateContainerConfigError',
    );
    assert.equal(
      waiting.status?.containerStatuses?.[0]?.state?.waiting?.message,
      "couldn't find key api-key in Secret default/late-secret",
    );
    assert.equal(waiting.status?.phase, 'Pending');
    const row = (await k().ok(['get', 'pod', 'needs-key', '--no-headers'])).trim().split(/\s+/);
    assert.equal(row[2], 'CreateContainerConfigError');
    await k().apply(
      'apiVersion: v1\nkind: Secret\nmetadata: {name: late-secret}\nstringData: {other: x, api-key: abc123}\n',
    );
    await pollPod(k(), 'needs-key', isRunning, 'needs-key to start once the key exists', 40_000);
    await logsUntil('needs-key', 'app', /key=abc123/, 'the key in the env');
  });

  test('runAsUser and runAsGroup set the process identity', { timeout: 30_000 }, async () => {
    await k().apply(
      pod('identity', {
        restartPolicy: 'Never',
        securityContext: { runAsUser: 1234, runAsGroup: 2345 },
        containers: [
          app('app', sh('echo "uid=$(id -u) gid=$(id -g)"')),
          app('root', sh('echo "uid=$(id -u)"'), { securityContext: { runAsUser: 0 } }),
        ],
      }),
    );
    await pollPod(k(), 'identity', (p) => p.status?.phase === 'Succeeded', 'identity to finish');
    assert.equal(await k().ok(['logs', 'identity', '-c', 'app']), 'uid=1234 gid=2345\n');
    assert.equal(await k().ok(['logs', 'identity', '-c', 'root']), 'uid=0\n');
  });

  test('a container over its memory limit is OOMKilled', { timeout: 40_000 }, async (t) => {
    // CI has a memory controller; elsewhere a machine without one cannot enforce the limit.
    if (detectCgroups().memoryRoot === '' && process.env.CI !== 'true') {
      t.skip('no memory cgroup on this machine');
      return;
    }
    await k().apply(
      pod('oom', {
        restartPolicy: 'Never',
        containers: [
          app('hog', ['python3', '-c', 'b = []\nwhile True: b.append(bytearray(8 * 1024 * 1024))', MARK], {
            resources: { limits: { memory: '48Mi' } },
          }),
        ],
      }),
    );
    const done = await pollPod(k(), 'oom', (p) => p.status?.phase === 'Failed', 'oom to fail', 30_000);
    const term = done.status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(term?.reason, 'OOMKilled', JSON.stringify(term));
    assert.equal(term?.exitCode, 137);
    const row = (await k().ok(['get', 'pod', 'oom', '--no-headers'])).trim().split(/\s+/);
    assert.equal(row[2], 'OOMKilled');
  });

  test('exit codes are recorded, and a container killed by a signal reports 128+signal and is restarted', {
    timeout: 40_000,
  }, async () => {
    await k().apply(
      pod('exits', {
        restartPolicy: 'OnFailure',
        containers: [
          app(
            'app',
            sh(
              `n=$(cat /data/n 2>/dev/null || echo 0); echo $((n+1)) > /data/n; if [ $n -eq 0 ]; then exit 42; fi; ${IDLE}`,
            ),
            { volumeMounts: [{ name: 'data', mountPath: '/data' }] },
          ),
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      }),
    );
    const second = await pollPod(
      k(),
      'exits',
      (p) =>
        p.status?.containerStatuses?.[0]?.restartCount === 1 &&
        p.status.containerStatuses[0].state?.running !== undefined,
      'exits to run again after exit 42',
    );
    const last = second.status?.containerStatuses?.[0]?.lastState?.terminated;
    assert.equal(last?.exitCode, 42);
    assert.equal(last?.reason, 'Error');
    const id = second.status?.containerStatuses?.[0]?.containerID?.replace(/^host:\/\//, '') ?? '';
    const rec = runtimeFootprint(cluster.serve.stateDir).containers.find((c) => c.id === id);
    assert.ok(
      rec && processStart(rec.pid) === rec.pidStart,
      `the running container ${id} has a live process`,
    );
    process.kill(rec.pid, 'SIGKILL');
    const third = await pollPod(
      k(),
      'exits',
      (p) =>
        p.status?.containerStatuses?.[0]?.restartCount === 2 &&
        p.status.containerStatuses[0].state?.running !== undefined,
      'exits to be restarted after SIGKILL',
    );
    const killed = third.status?.containerStatuses?.[0]?.lastState?.terminated;
    assert.equal(killed?.exitCode, 137, JSON.stringify(killed));
    assert.equal(killed?.reason, 'Error');
  });

  test('deleting a pod runs its SIGTERM handler and does not wait out the grace period', {
    timeout: 40_000,
  }, async () => {
    await k().apply(
      pod('graceful', {
        terminationGracePeriodSeconds: 20,
        containers: [
          app(
            'app',
            sh(
              `trap 'echo "got SIGTERM" > /host/graceful.txt; exit 0' TERM; echo started; while :; do sleep 0.2; done`,
            ),
            {
              volumeMounts: [{ name: 'host', mountPath: '/host' }],
            },
          ),
        ],
        volumes: [{ name: 'host', hostPath: { path: hostDir, type: 'Directory' } }],
      }),
    );
    await pollPod(k(), 'graceful', isRunning, 'graceful to run');
    await logsUntil('graceful', 'app', /started/, 'the trap to be set');
    const started = Date.now();
    await k().ok(['delete', 'pod', 'graceful'], { timeoutMs: 30_000 });
    const took = (Date.now() - started) / 1000;
    assert.equal(readFileSync(join(hostDir, 'graceful.txt'), 'utf8'), 'got SIGTERM\n');
    assert.ok(took < 10, `delete took ${took}s for a container that exits on SIGTERM`);
  });

  test('a process that ignores SIGTERM is killed once terminationGracePeriodSeconds has passed', {
    timeout: 40_000,
  }, async () => {
    await k().apply(
      pod('stubborn', {
        terminationGracePeriodSeconds: 3,
        containers: [
          app('app', sh(`trap "echo ignoring SIGTERM" TERM; echo started; while :; do sleep 0.2; done`)),
        ],
      }),
    );
    const running = await pollPod(k(), 'stubborn', isRunning, 'stubborn to run');
    await logsUntil('stubborn', 'app', /started/, 'the trap to be set');
    const id = running.status?.containerStatuses?.[0]?.containerID?.replace(/^host:\/\//, '') ?? '';
    const rec = runtimeFootprint(cluster.serve.stateDir).containers.find((c) => c.id === id);
    assert.ok(rec, `container ${id} is recorded`);
    const started = Date.now();
    await k().ok(['delete', 'pod', 'stubborn', '--wait=false']);
    // While the grace period runs, kubectl shows the pod Terminating.
    const row = (await k().ok(['get', 'pod', 'stubborn', '--no-headers'])).trim().split(/\s+/);
    assert.equal(row[2], 'Terminating');
    // The API server sets deletionTimestamp to the end of the grace period (now + 3 s), so describe's "lasts"
    // (now - deletionTimestamp) is negative during the grace: upstream prints <invalid> there too.
    const terminating = await k().json<Pod>(['get', 'pod', 'stubborn']);
    assert.equal(terminating.metadata?.deletionGracePeriodSeconds, 3);
    const endsIn = Date.parse(terminating.metadata?.deletionTimestamp ?? '') - started;
    assert.ok(
      endsIn > 1000 && endsIn <= 4000,
      `deletionTimestamp is ${endsIn} ms after the delete, not ~3 s`,
    );
    const described = await k().ok(['describe', 'pod', 'stubborn']);
    assert.match(
      described,
      /\nStatus: +Terminating \(lasts (<invalid>|\d+s)\)\nTermination Grace Period: +3s\n/,
    );
    await k().ok(['wait', '--for=delete', 'pod/stubborn', '--timeout=25s'], { timeoutMs: 30_000 });
    const took = (Date.now() - started) / 1000;
    assert.ok(took >= 2.5, `deleted after ${took}s: the grace period of 3s was not given`);
    assert.ok(took < 12, `deleted after ${took}s: the SIGKILL after 3s did not come`);
    assert.notEqual(processStart(rec.pid), rec.pidStart, 'the process is gone');
  });
});
