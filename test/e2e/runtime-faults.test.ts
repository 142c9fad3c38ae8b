// Faults from outside podrun, with real pods (issue 12, runtime faults): the process that holds a pod's
// namespaces killed, a container flooding its output, its log directory out of space. Each is noticed and
// handled as the kubelet handles it, and the API server answers throughout. A container killed from outside is
// in host-runtime.test.ts (128+signal, restarted per policy).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { e2eCluster } from './support/cluster.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker } from './support/run-id.js';
import { poll, pollPod } from './support/watch.js';

const MARK = `: ${marker('e2e-runtime-faults')};`;
const cluster = e2eCluster({ commandMarkers: [MARK] });
before(cluster.start);
afterEach(cluster.record);
after(cluster.stopAndCheck);
const k = () => cluster.kubectl;
const IDLE = 'trap "exit 0" TERM; while :; do sleep 0.2; done';

function pod(name: string, command: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 2,
      containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', `${MARK} ${command}`] }],
      ...extra,
    },
  });
}

async function apply(manifest: string): Promise<void> {
  const r = await k().run(['apply', '-f', '-'], { input: manifest });
  assert.equal(r.code, 0, r.stderr);
}

/** The API server answers a request that needs the store (not only /livez). */
async function serving(): Promise<void> {
  const r = await k().run(['get', 'namespaces', 'default', '-o', 'name'], { timeoutMs: 15_000 });
  assert.equal(r.code, 0, `the API server did not answer: ${r.stderr}`);
}

interface SandboxRecord {
  id: string;
  holder: number;
  logDirectory: string;
}

/** The host runtime's sandbox records of a pod, by its uid (a replaced one may still be there). */
function sandboxesOf(uid: string): SandboxRecord[] {
  const root = join(cluster.serve.stateDir, 'runtime', 'sandboxes');
  const out: SandboxRecord[] = [];
  for (const id of readdirSync(root)) {
    try {
      const rec = JSON.parse(readFileSync(join(root, id, 'sandbox.json'), 'utf8')) as {
        config: { metadata: { uid: string }; logDirectory: string };
      };
      if (rec.config.metadata.uid !== uid) continue;
      const holder = Number(readFileSync(join(root, id, 'holder'), 'utf8').split(' ')[0]);
      out.push({ id, holder, logDirectory: rec.config.logDirectory });
    } catch {
      // A record being written or removed as we read.
    }
  }
  return out;
}

function sandboxOf(uid: string): SandboxRecord {
  const [only, ...more] = sandboxesOf(uid);
  if (!only || more.length > 0)
    throw new Error(`pod uid ${uid} has ${more.length + (only ? 1 : 0)} sandbox records`);
  return only;
}

const appRunning = (p: Pod) =>
  p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running !== undefined;

describe('runtime faults', { skip: E2E_SKIP }, () => {
  test('a killed holder: the sandbox is made again (SandboxChanged), the container restarts in it', {
    timeout: 90_000,
  }, async () => {
    await apply(pod('held', `echo up; ${IDLE}`));
    const before = await pollPod(k(), 'held', appRunning, 'held running');
    const uid = before.metadata?.uid ?? '';
    const first = sandboxOf(uid);
    process.kill(first.holder, 'SIGKILL');
    const after = await pollPod(
      k(),
      'held',
      (p) => appRunning(p) && (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
      'held running again in a new sandbox',
      60_000,
    );
    // The old sandbox's record may linger a moment beside the new one: look for the new one.
    await poll(
      () => (sandboxesOf(uid).some((sb) => sb.id !== first.id) ? true : undefined),
      'a new sandbox for the pod',
      30_000,
    );
    const events = await k().json<{ items: { reason: string; message: string }[] }>([
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=held',
    ]);
    const changed = events.items.find((e) => e.reason === 'SandboxChanged');
    assert.equal(changed?.message, 'Pod sandbox changed, it will be killed and re-created.');
    assert.ok(after.status?.podIP, 'the pod has an address again');
    await serving();
  });

  test('a container flooding its output: logs rotate within their bound, the server answers throughout', {
    timeout: 120_000,
  }, async () => {
    // 60 MB of 1,000-character lines as fast as the container can write them, then quiet.
    const flood = "head -c 60000000 /dev/zero | tr '\\0' x | fold -w 999; echo flood-done; " + IDLE;
    await apply(pod('flood', flood));
    const p = await pollPod(k(), 'flood', appRunning, 'flood running', 60_000);
    const { logDirectory } = sandboxOf(p.metadata?.uid ?? '');
    const dir = join(logDirectory, 'app');
    let answered = 0;
    await poll(
      async () => {
        await serving();
        answered++;
        const tail = await k().run(['logs', 'flood', '--tail=1']);
        return tail.stdout.includes('flood-done') ? true : undefined;
      },
      'the flood to end',
      100_000,
      200,
    );
    assert.ok(answered > 0);
    const files = readdirSync(dir);
    const total = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    // kubelet defaults: containerLogMaxSize 10Mi, containerLogMaxFiles 5 (the live file included).
    assert.ok(files.length <= 5, `log files: ${files.join(', ')}`);
    assert.ok(total <= 5 * (10 * 1024 * 1024 + 64 * 1024), `the logs hold ${total} bytes`);
    assert.ok(
      files.some((f) => /\.1$/.test(f)),
      `rotated: ${files.join(', ')}`,
    );
  });

  test('a full log disk: the container runs and restarts as before, its lines are dropped, the server answers', {
    timeout: 120_000,
  }, async () => {
    // Writes 64 KB of output per run, then fails: each restart opens its log file again.
    const noisy = "head -c 65536 /dev/zero | tr '\\0' y | fold -w 99; sleep 1; exit 3";
    await apply(pod('diskfull', noisy));
    const p = await pollPod(
      k(),
      'diskfull',
      (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
      'diskfull restarted once',
      60_000,
    );
    const { logDirectory } = sandboxOf(p.metadata?.uid ?? '');
    const dir = join(logDirectory, 'app');
    // A 16 KB filesystem over the container's log directory: the next runs' logs cannot be written.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'podrun-test-full', dir]);
    try {
      const restarts = p.status?.containerStatuses?.[0]?.restartCount ?? 0;
      const later = await pollPod(
        k(),
        'diskfull',
        (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= restarts + 2,
        'diskfull restarted twice more on a full disk',
        90_000,
      );
      const last = later.status?.containerStatuses?.[0]?.lastState?.terminated;
      assert.equal(last?.exitCode, 3, 'the exit is still observed');
      const used = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
      assert.ok(used <= 16 * 1024, `the tmpfs holds ${used} bytes`);
      await serving();
      const logs = await k().run(['logs', 'diskfull', '--tail=2']);
      assert.ok(logs.code === 0 || /log/i.test(logs.stderr), `kubectl logs: ${logs.code} ${logs.stderr}`);
    } finally {
      await k().run(['delete', 'pod', 'diskfull', '--grace-period=1']);
      execFileSync('umount', ['-l', dir]);
    }
  });
});
