import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerStatus, Pod } from '../../../src/api/types.js';
import {
  containerLogPath,
  formatCriLogLine,
  LogManager,
  podLogDirectory,
  rotatedLogPath,
} from '../../../src/kubelet/logs/index.js';
import type {
  ContainerState,
  ContainerStatus as RuntimeContainerStatus,
  RuntimeService,
} from '../../../src/runtime/types.js';
import { FakeClock, systemClock } from '../../../src/util/clock.js';

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'podrun-logmgr-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** A runtime that knows a few containers by id; only containerStatus matters to logs. */
class StatusOnlyRuntime {
  containers = new Map<string, { state: ContainerState; logPath: string }>();
  async containerStatus(id: string): Promise<RuntimeContainerStatus> {
    const c = this.containers.get(id);
    if (!c) throw new Error(`container ${id} not found`);
    return { id, state: c.state, logPath: c.logPath } as RuntimeContainerStatus;
  }
}

function podWith(status: ContainerStatus): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'u-1' },
    spec: { containers: [{ name: 'app' }] },
    status: { phase: 'Running', containerStatuses: [status] },
  };
}

function manager(runtime: StatusOnlyRuntime, clock = new FakeClock()) {
  // Only containerStatus is used by the log manager.
  return new LogManager({ runtime: runtime as unknown as RuntimeService, clock, rootDir: root, pollMs: 20 });
}

async function collect(m: LogManager, p: Pod, opts: Parameters<LogManager['containerLogs']>[1]) {
  const chunks: string[] = [];
  await m.containerLogs(p, opts, (c) => chunks.push(c), new AbortController().signal);
  return chunks.join('');
}

describe('LogManager', () => {
  it('paths follow the kubelet layout', () => {
    const p = podWith({ name: 'app', image: '', imageID: '', ready: false, restartCount: 0 });
    assert.equal(podLogDirectory('/var/lib/podrun', p), '/var/lib/podrun/logs/default_web_u-1');
    assert.equal(containerLogPath('app', 3), 'app/3.log');
    assert.equal(rotatedLogPath('/x/app/0.log', 1), '/x/app/0.log.1');
  });

  it('reads the file the runtime reports for the selected instance', async () => {
    const rt = new StatusOnlyRuntime();
    const file = path.join(root, 'c1.log');
    await fs.writeFile(file, formatCriLogLine(Date.UTC(2026, 0, 1), 'stdout', 'hello from c1', false));
    rt.containers.set('c1', { state: 'exited', logPath: file });
    const p = podWith({
      name: 'app',
      image: '',
      imageID: '',
      ready: false,
      restartCount: 0,
      containerID: 'host://c1',
      state: { terminated: { exitCode: 0, containerID: 'host://c1' } },
    });
    assert.equal(await collect(manager(rt), p, { container: 'app' }), 'hello from c1\n');
  });

  it("the instance is chosen by the kubelet's newest status when it is ahead of the API's", async () => {
    const rt = new StatusOnlyRuntime();
    const first = path.join(root, 'r0.log');
    const second = path.join(root, 'r1.log');
    await fs.writeFile(first, formatCriLogLine(Date.UTC(2026, 0, 1), 'stdout', 'db unreachable', false));
    await fs.writeFile(second, '');
    rt.containers.set('r0', { state: 'exited', logPath: first });
    rt.containers.set('r1', { state: 'running', logPath: second });
    // The API still has the first run ended; the kubelet has restarted it, and its write is under way.
    const api = podWith({
      name: 'app',
      image: '',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode: 3, containerID: 'host://r0' } },
    });
    const newest = podWith({
      name: 'app',
      image: '',
      imageID: '',
      ready: false,
      restartCount: 1,
      containerID: 'host://r1',
      state: { running: {} },
      lastState: { terminated: { exitCode: 3, containerID: 'host://r0' } },
    }).status;
    const m = new LogManager({
      runtime: rt as unknown as RuntimeService,
      clock: new FakeClock(),
      rootDir: root,
      podStatus: (uid) => (uid === 'u-1' ? newest : undefined),
    });
    assert.equal(await collect(m, api, { container: 'app', previous: true }), 'db unreachable\n');
    assert.equal(await collect(m, api, { container: 'app' }), '');
    // The caller is told which run it reads, before any line of it.
    const chosen: string[] = [];
    await m.containerLogs(
      api,
      { container: 'app' },
      () => {},
      new AbortController().signal,
      (id) => {
        chosen.push(id);
      },
    );
    assert.deepEqual(chosen, ['host://r1']);
    // Without the kubelet's status (a pod it no longer runs), the API's is used.
    assert.equal(await collect(manager(rt), api, { container: 'app' }), 'db unreachable\n');
  });

  it('sinceSeconds counts back from the clock, and the later of sinceSeconds and sinceTime wins', async () => {
    const rt = new StatusOnlyRuntime();
    const t = Date.UTC(2026, 0, 1, 12, 0, 0);
    const file = path.join(root, 'since.log');
    await fs.writeFile(
      file,
      [0, 10, 20, 30].map((s) => formatCriLogLine(t + s * 1000, 'stdout', `at ${s}`, false)).join(''),
    );
    rt.containers.set('s1', { state: 'exited', logPath: file });
    const p = podWith({
      name: 'app',
      image: '',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode: 0, containerID: 'host://s1' } },
    });
    const m = manager(rt, new FakeClock(t + 30_000));
    assert.equal(await collect(m, p, { container: 'app', sinceSeconds: 15 }), 'at 20\nat 30\n');
    assert.equal(
      await collect(m, p, { container: 'app', sinceSeconds: 25, sinceTime: t + 20_000 }),
      'at 20\nat 30\n',
    );
    assert.equal(
      await collect(m, p, { container: 'app', sinceSeconds: 5, sinceTime: t + 20_000 }),
      'at 30\n',
    );
  });

  it('falls back to <rootDir>/logs/<ns>_<pod>_<uid>/<container>/<n>.log when the runtime forgot the container', async () => {
    const rt = new StatusOnlyRuntime();
    const p = podWith({
      name: 'app',
      image: '',
      imageID: '',
      ready: false,
      restartCount: 1,
      containerID: 'host://gone2',
      state: { running: {} },
      lastState: { terminated: { exitCode: 1, containerID: 'host://gone1' } },
    });
    const dir = path.join(podLogDirectory(root, p), 'app');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, '0.log'), formatCriLogLine(0, 'stderr', 'first run', false));
    rt.containers.set('gone2', { state: 'running', logPath: path.join(dir, '1.log') });
    await fs.writeFile(path.join(dir, '1.log'), formatCriLogLine(0, 'stdout', 'second run', false));
    assert.equal(await collect(manager(rt), p, { container: 'app', previous: true }), 'first run\n');
    assert.equal(await collect(manager(rt), p, { container: 'app' }), 'second run\n');
  });

  it('selection errors reach the caller as LogErrors with the kubelet text', async () => {
    const p = podWith({
      name: 'app',
      image: '',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { waiting: { reason: 'PodInitializing' } },
    });
    await assert.rejects(collect(manager(new StatusOnlyRuntime()), p, { container: 'app' }), {
      name: 'LogError',
      message: 'container "app" in pod "web" is waiting to start: PodInitializing',
    });
  });

  it('follow streams lines as they are appended, across a rotation, and ends once the container stops', async () => {
    const rt = new StatusOnlyRuntime();
    const file = path.join(root, 'follow.log');
    await fs.writeFile(file, formatCriLogLine(Date.now(), 'stdout', 'one', false));
    rt.containers.set('f1', { state: 'running', logPath: file });
    const p = podWith({
      name: 'app',
      image: '',
      imageID: '',
      ready: true,
      restartCount: 0,
      containerID: 'host://f1',
      state: { running: {} },
    });
    const m = new LogManager({ runtime: rt as unknown as RuntimeService, clock: systemClock, pollMs: 20 });
    const chunks: string[] = [];
    let ended = false;
    const done = m
      .containerLogs(
        p,
        { container: 'app', follow: true },
        (c) => chunks.push(c),
        new AbortController().signal,
      )
      .then(() => {
        ended = true;
      });
    const waitFor = async (what: string) => {
      for (let i = 0; i < 200 && !chunks.join('').includes(what); i++)
        await new Promise((r) => setTimeout(r, 10));
      assert.ok(chunks.join('').includes(what), `saw ${JSON.stringify(what)} in ${JSON.stringify(chunks)}`);
    };
    await waitFor('one\n');
    await fs.appendFile(file, formatCriLogLine(Date.now(), 'stdout', 'two', false));
    await waitFor('two\n');
    // Partial output is not shown until its line is complete.
    await fs.appendFile(file, '2026-01-01T00:00:00Z stdout F thr');
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(chunks.join(''), 'one\ntwo\n');
    await fs.appendFile(file, 'ee\n');
    await waitFor('three\n');
    // Rotation: the runtime renames the file and starts a new one at the same path.
    await fs.appendFile(file, formatCriLogLine(Date.now(), 'stdout', 'last of old', false));
    await fs.rename(file, rotatedLogPath(file, 1));
    await fs.writeFile(file, formatCriLogLine(Date.now(), 'stdout', 'first of new', false));
    await waitFor('first of new\n');
    assert.equal(ended, false);
    await fs.appendFile(file, formatCriLogLine(Date.now(), 'stderr', 'bye', false));
    rt.containers.set('f1', { state: 'exited', logPath: file });
    await done;
    assert.equal(chunks.join(''), 'one\ntwo\nthree\nlast of old\nfirst of new\nbye\n');
    assert.ok(
      chunks.every((c) => c.endsWith('\n')),
      'one chunk per line',
    );
  });

  it('an aborted follow resolves without waiting for the container', async () => {
    const rt = new StatusOnlyRuntime();
    const file = path.join(root, 'abort.log');
    await fs.writeFile(file, formatCriLogLine(Date.now(), 'stdout', 'x', false));
    rt.containers.set('a1', { state: 'running', logPath: file });
    const p = podWith({
      name: 'app',
      image: '',
      imageID: '',
      ready: true,
      restartCount: 0,
      containerID: 'host://a1',
      state: { running: {} },
    });
    const m = new LogManager({ runtime: rt as unknown as RuntimeService, clock: systemClock, pollMs: 5_000 });
    const ac = new AbortController();
    const done = m.containerLogs(p, { container: 'app', follow: true }, () => {}, ac.signal);
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    await done;
  });
});
