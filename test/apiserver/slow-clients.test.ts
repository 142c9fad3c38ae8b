// Issue 12: a client that stops reading must not make the server buffer without bound. `kubectl logs -f`
// stops reading the log file while the socket is full; a watch that falls behind is dropped, as the watch
// cache drops an unresponsive watcher. Memory is measured after a forced GC, with generous bounds.
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Pod } from '../../src/api/types.js';
import { type ApiServer, startApiServer } from '../../src/apiserver/http/server.js';
import {
  WATCH_PENDING_BYTES,
  WATCH_PENDING_EVENTS,
  WATCH_PROGRESS_BUDGET_MS,
} from '../../src/apiserver/http/watch.js';
import { formatCriLogLine, LogManager } from '../../src/kubelet/logs/index.js';
import type { ContainerLogSource, LogOptions, LogSink } from '../../src/kubelet/types.js';
import type { ContainerStatus, RuntimeService } from '../../src/runtime/types.js';
import { systemClock } from '../../src/util/clock.js';
import { newRegistry, pod, startTestServer, type TestServer, watch } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = 1024 * 1024;

/** Bytes the process holds (JS heap plus buffers outside it) after a full collection. */
function held(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

function rss(): number {
  gc();
  return process.memoryUsage().rss;
}

/** Opens a streaming GET whose response the test never reads (the socket's receive window fills). */
function stalledGet(
  server: ApiServer,
  ca: string,
  path: string,
): Promise<{ req: ClientRequest; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, server.url),
      { headers: { Authorization: `Bearer ${server.token}` }, ca },
      (res) => {
        res.pause();
        resolve({ req, res });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('a follower that reads nothing (pods/log?follow=true)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'podrun-slowlog-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stops reading the log file while the socket is full, and lets go when the client leaves', async () => {
    const logPath = join(dir, 'app.log');
    // 160 MB of log, written before the client comes, stands for a container that writes fast.
    const text = `${'x'.repeat(1000)}\n`;
    const line = formatCriLogLine(Date.now(), 'stdout', text, false);
    const block = Buffer.from(line.repeat(1024));
    const blocks = 160;
    const fh = await open(logPath, 'w');
    for (let i = 0; i < blocks; i++) await fh.write(block);
    await fh.close();
    const total = text.length * 1024 * blocks;

    const runtime = {
      async containerStatus(id: string): Promise<ContainerStatus> {
        return { id, state: 'running', logPath } as ContainerStatus;
      },
    };
    // Only containerStatus is used by the log manager.
    const manager = new LogManager({ runtime: runtime as unknown as RuntimeService, clock: systemClock });
    const running: Pod = {
      metadata: { name: 'chatty', namespace: 'default', uid: 'u-1' },
      spec: { containers: [{ name: 'app' }] },
      status: {
        containerStatuses: [
          {
            name: 'app',
            image: '',
            imageID: '',
            ready: true,
            restartCount: 0,
            containerID: 'host://c1',
            state: { running: {} },
          },
        ],
      },
    } as Pod;
    let delivered = 0;
    let onBlocked: () => void = () => {};
    const blocked = new Promise<void>((r) => {
      onBlocked = r;
    });
    let onEnd: () => void = () => {};
    const reachedEnd = new Promise<void>((r) => {
      onEnd = r;
    });
    let settled: Promise<void> | undefined;
    // Counts what the log source hands to the HTTP layer and notices when it is asked to wait.
    const logs: ContainerLogSource = {
      containerLogs(_pod: Pod, options: LogOptions, out: LogSink, signal: AbortSignal) {
        settled = manager.containerLogs(
          running,
          options,
          (chunk) => {
            delivered += chunk.length;
            if (delivered >= total) onEnd();
            const wait = out(chunk);
            if (wait instanceof Promise) onBlocked();
            return wait;
          },
          signal,
        );
        return settled;
      },
    };
    const stateDir = await mkdtemp(join(tmpdir(), 'podrun-slowlog-state-'));
    const registry = await newRegistry();
    const server = await startApiServer({ registry, address: '127.0.0.1', port: 0, stateDir, logs });
    try {
      await registry.create('pods', 'default', pod('chatty'));
      const ca = await readFile(server.caFile, 'utf8');
      const heapBefore = held();
      const rssBefore = rss();
      const { req } = await stalledGet(server, ca, '/api/v1/namespaces/default/pods/chatty/log?follow=true');
      // Give the reader every chance to run ahead (the bound holds however long it is given; this only
      // leaves room for the old behaviour to show), unless it has already read the whole file.
      await Promise.race([blocked.then(() => sleep(2000)), reachedEnd]);
      const heapGrowth = held() - heapBefore;
      const rssGrowth = rss() - rssBefore;
      console.error(
        `logs: ${(delivered / MB).toFixed(1)} of ${(total / MB).toFixed(1)} MB read, heap +${(heapGrowth / MB).toFixed(1)} MB, RSS +${(rssGrowth / MB).toFixed(1)} MB`,
      );
      assert.ok(delivered < total / 4, `the whole log was read into memory: ${delivered} of ${total} bytes`);
      assert.ok(heapGrowth < 48 * MB, `heap grew by ${(heapGrowth / MB).toFixed(1)} MB`);
      assert.ok(rssGrowth < 96 * MB, `RSS grew by ${(rssGrowth / MB).toFixed(1)} MB`);

      // The client goes away: the reader stops and closes the file, nothing stays behind.
      req.destroy();
      await settled;
      const heapAfter = held() - heapBefore;
      assert.ok(heapAfter < 16 * MB, `heap still ${(heapAfter / MB).toFixed(1)} MB above the start`);
    } finally {
      await server.close();
      await registry.store.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

describe('a watcher that reads nothing', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ historySize: 10 });
  });
  after(async () => {
    await t.close();
  });

  it('is dropped once it falls behind, and its stream ends cleanly when it reads again', async () => {
    const { res } = await stalledGet(t.server, t.ca, '/api/v1/namespaces/default/configmaps?watch=true');
    assert.equal(t.server.activeWatches(), 1);
    await t.registry.create('configmaps', 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'big' },
      data: { v: '0' },
    });
    const heapBefore = held();
    // 200 KB per change; 600 changes would be 120 MB held for a client that never reads.
    const payload = 'y'.repeat(200 * 1024);
    let changes = 0;
    for (; changes < 600 && t.server.activeWatches() > 0; changes++) {
      await t.registry.update('configmaps', 'default', 'big', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'big' },
        data: { v: `${changes}${payload}` },
      });
    }
    const heapGrowth = held() - heapBefore;
    console.error(`watch: dropped after ${changes} changes, heap +${(heapGrowth / MB).toFixed(1)} MB`);
    assert.equal(t.server.activeWatches(), 0, `the watcher was still served after ${changes} changes`);
    assert.ok(changes < 600);
    assert.ok(
      heapGrowth < WATCH_PENDING_BYTES + 32 * MB,
      `heap grew by ${(heapGrowth / MB).toFixed(1)} MB for ${changes} changes`,
    );

    // The client wakes up: it gets what was buffered, then the end of the stream (no error), and re-lists
    // or watches again from the last resourceVersion it saw.
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      text += c;
    });
    await new Promise<void>((resolve, reject) => {
      res.on('end', resolve);
      res.on('error', reject);
      res.resume();
    });
    const events = text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { type: string });
    // Nothing is lost on the way out: every change up to the close is there, in order.
    assert.equal(events.length, changes + 1);
    assert.deepEqual(new Set(events.map((e) => e.type)), new Set(['ADDED', 'MODIFIED']));
  });

  it('is dropped when many small events wait and none reaches it, before its buffer is full', async () => {
    const { res } = await stalledGet(t.server, t.ca, '/api/v1/namespaces/default/configmaps?watch=true');
    assert.equal(t.server.activeWatches(), 1);
    // 2 KB events, 4,000 at most: 8,000 KB in all, less than WATCH_PENDING_BYTES even if none had left the
    // server, so only the event count and the lack of progress can drop this watcher. Small events, so that
    // what the kernel's socket buffers take in before they are full (several MB on loopback, depending on
    // the autotuning) still leaves far more than WATCH_PENDING_EVENTS waiting in the server.
    const payload = 'z'.repeat(2 * 1024);
    const most = 4000;
    assert.ok(most * payload.length < WATCH_PENDING_BYTES);
    let changes = 0;
    for (; changes < most && t.server.activeWatches() > 0; changes++) {
      await t.registry.create('configmaps', 'default', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `small-${changes}` },
        data: { v: payload },
      });
    }
    // No byte reaches the client: within a progress budget or two the watcher goes.
    const deadline = Date.now() + 20 * WATCH_PROGRESS_BUDGET_MS;
    while (t.server.activeWatches() > 0 && Date.now() < deadline) await sleep(50);
    assert.equal(t.server.activeWatches(), 0, `the watcher is still served after ${changes} changes`);
    console.error(`watch: ${changes} small changes written before the drop`);
    assert.ok(changes > WATCH_PENDING_EVENTS, `dropped after only ${changes} changes`);
    res.destroy();
  });

  it('is kept through a burst of a thousand changes when it reads, and gets every one', async () => {
    const w = watch(t, '/api/v1/namespaces/default/secrets?watch=true');
    assert.equal(await w.status, 200);
    // One group commit delivers them all in the same turn: far more than WATCH_PENDING_EVENTS land in the
    // socket's buffer at once, and the client drains it as fast as it can.
    const count = 1000;
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        t.registry.create('secrets', 'default', {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: `burst-${i}` },
          stringData: { v: 'b'.repeat(2000) },
        }),
      ),
    );
    const names = new Set<string>();
    while (names.size < count) {
      const ev = await w.next(30_000);
      names.add(ev.object.metadata.name);
    }
    assert.equal(names.size, count);
    assert.equal(t.server.activeWatches(), 1, 'the reading watcher was dropped');
    w.close();
  });
});
