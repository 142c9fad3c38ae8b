// Issue 12, item 3: podrun is killed with SIGKILL and its state directory deleted while its pods run. Another
// podrun on the same bridge must not hand out their addresses while they run, and once nothing serves that
// state directory any more, its pods are orphans that the next podrun stops (as the kubelet kills pods no API
// server knows). Real processes, namespaces and veths; needs root (CI runs as root).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { findIp } from '../../src/runtime/host/host-setup.js';
import { checkHostRuntimeSupport, createHostRuntime } from '../../src/runtime/host/index.js';
import { parseAllocation } from '../../src/runtime/host/ipam.js';
import { killIfSame } from '../../src/runtime/host/proc.js';
import { recordsDirOf, recordsRoot } from '../../src/runtime/host/records.js';
import type { PodSandboxConfig, RuntimeService } from '../../src/runtime/types.js';
import { processesMentioning, processStart, startedReport } from '../e2e/support/leftovers.js';
import { waitFor } from './conformance.js';
import { ORPHANS_TEST_NETWORK } from './fixtures/network.js';

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ipamDir = join(recordsRoot(ORPHANS_TEST_NETWORK.runDir), 'ipam', ORPHANS_TEST_NETWORK.bridgeName);

interface ChildPod {
  sandbox: string;
  ip: string;
  container: string;
}

/** A podrun (its host runtime) in a child process, with two pods running. */
async function startChild(
  stateDir: string,
  logs: string,
  options: { privateTmpfs?: string } = {},
): Promise<{ child: ChildProcess; pods: ChildPod[] }> {
  const node = [
    process.execPath,
    '--import',
    'tsx',
    join(import.meta.dirname, 'fixtures', 'orphan-child.ts'),
  ];
  // In a mount namespace of its own, with its state directory on a tmpfs only it (and its pods) can see.
  const [cmd = '', ...args] = options.privateTmpfs
    ? [
        'unshare',
        '--mount',
        '--propagation',
        'slave',
        'sh',
        '-c',
        'mount -t tmpfs podrun-orphans-test "$0" && exec "$@"',
        options.privateTmpfs,
        ...node,
        stateDir,
        logs,
      ]
    : [...node, stateDir, logs];
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const pods = await new Promise<ChildPod[]>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))));
    });
    child.on('exit', (code) => reject(new Error(`the child podrun exited early with ${code}`)));
  });
  return { child, pods };
}

interface Proc {
  pid: number;
  start: string;
}

const alive = (p: Proc) => processStart(p.pid) === p.start;

function holderOf(stateDir: string, sandbox: string): Proc {
  const [pid = '0', start = ''] = readFileSync(join(stateDir, 'sandboxes', sandbox, 'holder'), 'utf8')
    .trim()
    .split(' ');
  return { pid: Number(pid), start };
}

/** The IPv4 address of eth0 in a holder's network namespace, as the kernel has it. */
function eth0Address(holderPid: number): string {
  const res = spawnSync(
    'nsenter',
    [`--net=/proc/${holderPid}/ns/net`, findIp(), '-4', '-o', 'addr', 'show', 'dev', 'eth0'],
    { encoding: 'utf8' },
  );
  return /inet (\d+\.\d+\.\d+\.\d+)\//.exec(res.stdout)?.[1] ?? '';
}

/** The live ones of these holders, with the address each pod answers on. */
function liveAddresses(holders: Proc[]): { holder: number; ip: string }[] {
  return holders.filter(alive).map((h) => ({ holder: h.pid, ip: eth0Address(h.pid) }));
}

const sandboxConfig = (name: string, logDirectory: string): PodSandboxConfig => ({
  metadata: { name, namespace: 'orphans', uid: `uid-${name}`, attempt: 0 },
  hostname: name,
  logDirectory,
  labels: {},
  annotations: {},
  portMappings: [],
});

const support = await checkHostRuntimeSupport();

describe('pods of a deleted state directory (issue 12)', { skip: !support.ok && support.problem }, () => {
  test('their addresses are not handed out while they run, and once no podrun serves them they are stopped', async () => {
    const stateA = tempDir('podrun-orphans-a-');
    const logs = tempDir('podrun-orphans-logs-');
    const { child, pods } = await startChild(stateA, logs);
    // Read before the state directory goes: what must end, and what must stay until then.
    const holders = pods.map((p) => holderOf(stateA, p.sandbox));
    const started = pods.map((p) => {
      const s = startedReport(join(stateA, 'containers', p.container, 'started'));
      assert.ok(s, 'the container was started');
      return s;
    });
    const containers = started.map((s) => ({ pid: s.pid, start: s.pidStart }));
    const shims = started.map((s) => ({ pid: s.shimPid, start: processStart(s.shimPid) ?? '' }));
    const veths = pods.map((p) => `vpr${p.sandbox.slice(0, 12)}`);
    const recordsA = recordsDirOf(ORPHANS_TEST_NETWORK.runDir, stateA);
    const runtimes: RuntimeService[] = [];
    const made: { rt: RuntimeService; id: string; stateDir: string }[] = [];
    try {
      // Each holder has named itself in its address's allocation.
      for (const [i, p] of pods.entries()) {
        const a = parseAllocation(p.ip, readFileSync(join(ipamDir, p.ip), 'utf8'));
        assert.deepEqual(a?.holder, holders[i]);
      }
      rmSync(stateA, { recursive: true, force: true });

      // A second podrun while the first still runs: the first still serves its pods, so they are no orphans,
      // and their addresses stay theirs.
      const logB: string[] = [];
      const stateB = tempDir('podrun-orphans-b-');
      const rtB = await createHostRuntime({
        stateDir: stateB,
        ...ORPHANS_TEST_NETWORK,
        log: (m) => logB.push(m),
      });
      runtimes.push(rtB);
      for (const name of ['second-1', 'second-2']) {
        const id = await rtB.runPodSandbox(sandboxConfig(name, logs));
        made.push({ rt: rtB, id, stateDir: stateB });
        const ip = (await rtB.podSandboxStatus(id)).ip;
        assert.ok(!pods.some((p) => p.ip === ip), `${ip} is still the address of a running pod`);
      }
      assert.ok(holders.every(alive) && containers.every(alive), 'the served pods run on');
      assert.deepEqual(logB, []);

      // podrun dies (kill -9); its shim server ends when its pipe closes.
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      await waitFor(() => processesMentioning([`${stateA}/bin/podrun-shim.pl serve`]).length === 0);
      assert.ok(holders.every(alive), 'the pods outlive their podrun');

      // The next podrun to start finds them orphaned and stops them.
      const logC: string[] = [];
      const stateC = tempDir('podrun-orphans-c-');
      const rtC = await createHostRuntime({
        stateDir: stateC,
        ...ORPHANS_TEST_NETWORK,
        log: (m) => logC.push(m),
      });
      runtimes.push(rtC);
      assert.deepEqual(
        [...holders, ...containers, ...shims].filter(alive),
        [],
        'holders, containers and shims are gone',
      );
      for (const v of veths) assert.equal(existsSync(`/sys/class/net/${v}`), false, `veth ${v} is deleted`);
      assert.equal(existsSync(recordsA), false, 'the records are removed');
      for (const p of pods) {
        const now = existsSync(join(ipamDir, p.ip)) ? readFileSync(join(ipamDir, p.ip), 'utf8') : '';
        assert.ok(!now.startsWith(`${stateA}\n`), `${p.ip} is released`);
      }
      assert.equal(logC.length, 1, logC.join('\n'));
      assert.match(logC[0] ?? '', new RegExp(`orphaned pods of the deleted state directory ${stateA}`));
      assert.match(logC[0] ?? '', /orphans\/orphan-a, orphans\/orphan-b; 2 container\(s\) killed/);

      for (const name of ['third-1', 'third-2']) {
        made.push({ rt: rtC, id: await rtC.runPodSandbox(sandboxConfig(name, logs)), stateDir: stateC });
      }
      // No two live sandboxes share an address.
      const live = liveAddresses([...holders, ...made.map((m) => holderOf(m.stateDir, m.id))]);
      assert.equal(live.length, 4, JSON.stringify(live));
      assert.ok(
        live.every((s) => s.ip !== ''),
        JSON.stringify(live),
      );
      assert.equal(new Set(live.map((s) => s.ip)).size, live.length, JSON.stringify(live));
    } finally {
      child.kill('SIGKILL');
      for (const { rt, id } of made) await rt.removePodSandbox(id).catch(() => {});
      for (const rt of runtimes) await rt.close?.();
      removeOrphans(stateA, pods, [...containers, ...holders]);
    }
  });

  test('a running podrun keeps its records when its state directory is deleted, even before its first request', async () => {
    // Its shim server starts at its first request: until then only its owner file says it serves them.
    const stateX = tempDir('podrun-orphans-x-');
    const rtX = await createHostRuntime({ stateDir: stateX, ...ORPHANS_TEST_NETWORK });
    const recordsX = recordsDirOf(ORPHANS_TEST_NETWORK.runDir, stateX);
    let rtY: RuntimeService | undefined;
    try {
      rmSync(stateX, { recursive: true, force: true });
      rtY = await createHostRuntime({ stateDir: tempDir('podrun-orphans-y-'), ...ORPHANS_TEST_NETWORK });
      assert.equal(existsSync(join(recordsX, 'sandboxes')), true, "the live podrun's records stay");
    } finally {
      await rtY?.close?.();
      await rtX.close?.();
      rmSync(recordsX, { recursive: true, force: true });
    }
  });

  test('pods whose state directory only their own mount namespace still has are reported, not killed', async () => {
    // The records tmpfs is mounted on the host before the child's mount namespace copies it.
    const first = await createHostRuntime({
      stateDir: tempDir('podrun-orphans-d-'),
      ...ORPHANS_TEST_NETWORK,
    });
    await first.close?.();
    const hidden = tempDir('podrun-orphans-hidden-');
    const stateP = join(hidden, 'state');
    const logs = tempDir('podrun-orphans-logs-');
    const { child, pods } = await startChild(stateP, logs, { privateTmpfs: hidden });
    const recordsP = recordsDirOf(ORPHANS_TEST_NETWORK.runDir, stateP);
    const holders = pods.map((p) => holderOf(recordsP, p.sandbox));
    const containers = pods.map((p) => {
      const s = startedReport(join(recordsP, 'containers', p.container, 'started'));
      assert.ok(s, 'the container was started');
      return { pid: s.pid, start: s.pidStart };
    });
    let rt: RuntimeService | undefined;
    try {
      assert.equal(existsSync(stateP), false, 'the state directory is not visible from here');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      await waitFor(() => processesMentioning([`${stateP}/bin/podrun-shim.pl serve`]).length === 0);
      const log: string[] = [];
      rt = await createHostRuntime({
        stateDir: tempDir('podrun-orphans-e-'),
        ...ORPHANS_TEST_NETWORK,
        log: (m) => log.push(m),
      });
      assert.ok([...holders, ...containers].every(alive), 'they run on');
      assert.equal(log.length, 1, log.join('\n'));
      assert.match(
        log[0] ?? '',
        new RegExp(`pods of the state directory ${stateP} run .*left running: start podrun on ${stateP}`),
      );
      for (const p of pods) {
        assert.ok(
          readFileSync(join(ipamDir, p.ip), 'utf8').startsWith(`${stateP}\n`),
          `${p.ip} stays theirs`,
        );
      }
      const id = await rt.runPodSandbox(sandboxConfig('beside-hidden', logs));
      const ip = (await rt.podSandboxStatus(id)).ip;
      assert.ok(!pods.some((p) => p.ip === ip), `${ip} is still the address of a running pod`);
      await rt.removePodSandbox(id);
    } finally {
      child.kill('SIGKILL');
      await rt?.close?.();
      removeOrphans(stateP, pods, [...containers, ...holders]);
    }
  });
});

/** Whatever of a child podrun's pods is left: processes, veths, addresses and records. */
function removeOrphans(stateDir: string, pods: ChildPod[], procs: Proc[]): void {
  for (const p of procs) killIfSame(p.pid, p.start);
  for (const p of pods)
    spawnSync(findIp(), ['link', 'del', `vpr${p.sandbox.slice(0, 12)}`], { stdio: 'ignore' });
  for (const p of pods) {
    const f = join(ipamDir, p.ip);
    if (existsSync(f) && readFileSync(f, 'utf8').startsWith(`${stateDir}\n`)) rmSync(f, { force: true });
  }
  rmSync(recordsDirOf(ORPHANS_TEST_NETWORK.runDir, stateDir), { recursive: true, force: true });
}
