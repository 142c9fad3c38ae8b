// `podrun logs -f POD` against a scripted server: the pod's versions come as watch events the test sends, and
// the log endpoint picks its run with the kubelet's own selectLogTarget, so which run each request reads is
// the server's answer. Covers what an end-to-end run cannot force: a run seen only as a lastState, the first
// look at a pod waiting out a back-off, and logs that arrive in another order than their containers ran.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { test } from 'node:test';
import { CONTAINER_ID_HEADER } from '../../src/api/log-headers.js';
import type { ContainerStatus, KubeObject, Pod } from '../../src/api/types.js';
import { KubeApiError, type KubeClient, type KubeList, type WatchEvent } from '../../src/cli/client/kube.js';
import { followStartup } from '../../src/cli/kubectl/startup-follower.js';
import { selectLogTarget } from '../../src/kubelet/logs/select.js';
import { LogError } from '../../src/kubelet/types.js';

const T = '2026-01-01T00:00:00Z';
const done = (id: string, exitCode = 0) => ({
  terminated: { exitCode, startedAt: T, finishedAt: T, containerID: `fake://${id}` },
});
const status = (name: string, extra: Partial<ContainerStatus>): ContainerStatus => ({
  name,
  image: 'busybox',
  imageID: '',
  ready: false,
  restartCount: 0,
  state: { waiting: { reason: 'PodInitializing' } },
  ...extra,
});

function pod(phase: string, init: ContainerStatus[], app: ContainerStatus[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '1' },
    spec: {
      restartPolicy: 'Always',
      initContainers: [
        { name: 'fetch', image: 'busybox' },
        { name: 'proxy', image: 'busybox', restartPolicy: 'Always' },
        { name: 'migrate', image: 'busybox' },
      ],
      containers: [{ name: 'app', image: 'busybox' }],
    },
    status: { phase: phase as 'Pending', initContainerStatuses: init, containerStatuses: app },
  };
}

/** A server with one pod: logs by container ID, each released when the test says (or at once). */
class FakeServer implements KubeClient {
  readonly server = 'fake';
  readonly namespace = 'default';
  readonly description = 'a scripted server';
  readonly requests: string[] = [];
  private onEvent?: (e: WatchEvent) => void;
  private readonly logs = new Map<string, { text: string; held: Promise<void>; release: () => void }>();
  /**
   * The kubelet's newest status, which the log endpoint chooses a run by, as podrun's does; ahead of the
   * watched pod while its write is under way. Undefined: the watched pod's.
   */
  kubeletPod?: Pod;
  /** Whether log responses name their run, as podrun's do (another server's do not). */
  namesRuns = true;
  constructor(public pod: Pod) {}

  /** The log of a run; `held` ones are delivered only once released (a slow read), then end. */
  log(id: string, text: string, held = false): void {
    let release = () => {};
    const gate = held ? new Promise<void>((r) => (release = r)) : Promise.resolve();
    this.logs.set(`fake://${id}`, { text, held: gate, release });
  }
  release(id: string): void {
    this.logs.get(`fake://${id}`)?.release();
  }
  send(type: WatchEvent['type'], p: Pod): void {
    this.pod = p;
    this.onEvent?.({ type, object: p as unknown as KubeObject });
  }

  async get(): Promise<KubeObject> {
    return this.pod as unknown as KubeObject;
  }
  async watch(_r: unknown, _ns: unknown, _o: unknown, onEvent: (e: WatchEvent) => void): Promise<() => void> {
    this.onEvent = onEvent;
    return () => {
      this.onEvent = undefined;
    };
  }
  async stream(
    path: string,
    onChunk: (text: string) => void,
    _signal?: AbortSignal,
    accept?: (headers: IncomingHttpHeaders) => boolean,
  ): Promise<void> {
    const q = new URL(path, 'http://x').searchParams;
    const container = q.get('container') ?? '';
    this.requests.push(`${container}${q.get('previous') ? ' previous' : ''}`);
    let id: string;
    try {
      id = selectLogTarget(this.kubeletPod ?? this.pod, container, q.get('previous') === 'true').containerID;
    } catch (err) {
      if (err instanceof LogError) throw new KubeApiError(400, 'BadRequest', err.message);
      throw err;
    }
    const log = this.logs.get(id);
    if (!log) throw new KubeApiError(400, 'BadRequest', `no log for ${id}`);
    if (accept && !accept(this.namesRuns ? { [CONTAINER_ID_HEADER.toLowerCase()]: id } : {})) return;
    await log.held;
    onChunk(log.text);
  }
  getJson<T>(): Promise<T> {
    throw new Error('not used');
  }
  /** The reflector under the follower lists first, then watches from the list's resourceVersion. */
  async list(): Promise<KubeList> {
    return { metadata: { resourceVersion: '1' }, items: [this.pod as unknown as KubeObject] } as KubeList;
  }
  delete(): never {
    throw new Error('not used');
  }
  create(): never {
    throw new Error('not used');
  }
  patch(): never {
    throw new Error('not used');
  }
  apply(): never {
    throw new Error('not used');
  }
}

/** Lets every promise that can settle settle. */
const settle = () => new Promise((r) => setImmediate(r)).then(() => new Promise((r) => setImmediate(r)));

function follow(server: FakeServer, options: { tailLines?: number } = {}) {
  let out = '';
  const finished = followStartup(
    server,
    'default',
    'web',
    { prefix: true, timestamps: false, ...options },
    (t) => {
      out += t;
    },
  );
  return { finished, out: () => out };
}

test('a finished startup reads in the order it ran, though a later log arrives first', async () => {
  const server = new FakeServer(
    pod(
      'Failed',
      [
        status('fetch', { state: done('f1') }),
        status('proxy', { state: done('p1') }),
        status('migrate', { state: done('m1') }),
      ],
      [status('app', { state: done('a1', 1) })],
    ),
  );
  server.log('f1', 'fetched\n', true);
  server.log('p1', 'proxy up\n');
  server.log('m1', 'migrated\n', true);
  server.log('a1', 'app failed\n');
  const run = follow(server);
  await settle();
  // fetch is slow: nothing after it is read yet but the sidecar, which waits for nothing but fetch either.
  assert.equal(run.out(), '');
  server.release('f1');
  await settle();
  assert.equal(run.out(), '[pod/web/fetch] fetched\n[pod/web/proxy] proxy up\n');
  server.release('m1');
  await run.finished;
  assert.equal(
    run.out(),
    '[pod/web/fetch] fetched\n[pod/web/proxy] proxy up\n[pod/web/migrate] migrated\n[pod/web/app] app failed\n',
  );
});

test('a pod waiting out a back-off: the failed run is shown at once, then the next run', async () => {
  const waiting = { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } };
  const server = new FakeServer(
    pod(
      'Pending',
      [
        status('fetch', { state: waiting, lastState: done('f1', 3) }),
        status('proxy', {}),
        status('migrate', {}),
      ],
      [status('app', {})],
    ),
  );
  server.log('f1', 'db unreachable\n');
  server.log('f2', 'db reachable\n');
  const run = follow(server);
  await settle();
  assert.equal(run.out(), '[pod/web/fetch] db unreachable\n');
  // The next run started and ended between two looks: seen only as the failed run's successor.
  server.send(
    'MODIFIED',
    pod('Failed', [status('fetch', { restartCount: 1, state: done('f2'), lastState: done('f1', 3) })], []),
  );
  await run.finished;
  assert.equal(run.out(), '[pod/web/fetch] db unreachable\n[pod/web/fetch] db reachable\n');
});

// Also against a server whose log responses do not name their run (not podrun's): read as before.
for (const namesRuns of [true, false]) {
  test(`a run seen only as the lastState of the next is read as the previous log, before the next${namesRuns ? '' : ' (runs not named)'}`, async () => {
    const server = new FakeServer(pod('Pending', [status('fetch', {})], []));
    server.namesRuns = namesRuns;
    server.log('f1', 'first try failed\n');
    server.log('f2', 'second try\n', true);
    const run = follow(server);
    await settle();
    server.send(
      'MODIFIED',
      pod(
        'Pending',
        [
          status('fetch', {
            restartCount: 1,
            state: { running: { startedAt: T } },
            containerID: 'fake://f2',
            lastState: done('f1', 1),
          }),
        ],
        [],
      ),
    );
    await settle();
    assert.deepEqual(server.requests, ['fetch previous', 'fetch']);
    server.release('f2');
    server.send('DELETED', server.pod);
    await run.finished;
    assert.equal(run.out(), '[pod/web/fetch] first try failed\n[pod/web/fetch] second try\n');
  });
}

test('a run asked for as the current one but restarted since (the server says so) is read as the previous log, then the next', async () => {
  const running = (id: string) => ({ state: { running: { startedAt: T } }, containerID: `fake://${id}` });
  const server = new FakeServer(pod('Pending', [status('fetch', running('f1'))], []));
  // The kubelet has restarted it already; the pod's status that says so is still being written.
  server.kubeletPod = pod(
    'Pending',
    [status('fetch', { restartCount: 1, ...running('f2'), lastState: done('f1', 1) })],
    [],
  );
  server.log('f1', 'first try failed\n');
  server.log('f2', 'second try\n', true);
  const run = follow(server);
  await settle();
  assert.equal(run.out(), '[pod/web/fetch] first try failed\n');
  assert.deepEqual(server.requests, ['fetch', 'fetch previous']);
  server.send('MODIFIED', server.kubeletPod);
  await settle();
  server.release('f2');
  server.send('DELETED', server.pod);
  await run.finished;
  assert.equal(run.out(), '[pod/web/fetch] first try failed\n[pod/web/fetch] second try\n');
  assert.deepEqual(server.requests, ['fetch', 'fetch previous', 'fetch']);
});

test('a run asked for as the previous one, when the server has moved on twice, is not read in its place', async () => {
  const running = (id: string) => ({ state: { running: { startedAt: T } }, containerID: `fake://${id}` });
  const server = new FakeServer(
    pod('Pending', [status('fetch', { restartCount: 1, ...running('f2'), lastState: done('f1', 1) })], []),
  );
  server.kubeletPod = pod(
    'Pending',
    [status('fetch', { restartCount: 2, ...running('f3'), lastState: done('f2', 1) })],
    [],
  );
  server.log('f1', 'first\n');
  server.log('f2', 'second\n');
  server.log('f3', 'third\n');
  const run = follow(server);
  await settle();
  // f1 is gone from the node (only the newest two runs are kept); f2, asked for as the current run, is
  // the previous one now.
  assert.equal(run.out(), '[pod/web/fetch] second\n');
  assert.deepEqual(server.requests, ['fetch previous', 'fetch', 'fetch previous']);
  server.send('MODIFIED', server.kubeletPod);
  server.send('DELETED', server.pod);
  await run.finished;
  assert.equal(run.out(), '[pod/web/fetch] second\n[pod/web/fetch] third\n');
});

test('with --tail, the first look reads each container’s newest run only', async () => {
  const server = new FakeServer(
    pod('Succeeded', [status('fetch', { restartCount: 1, state: done('f2'), lastState: done('f1', 1) })], []),
  );
  server.log('f1', 'failed\n');
  server.log('f2', 'ok\n');
  const run = follow(server, { tailLines: 5 });
  await run.finished;
  assert.equal(run.out(), '[pod/web/fetch] ok\n');
  assert.deepEqual(server.requests, ['fetch']);
});
