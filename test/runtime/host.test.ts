// The host runtime with real processes, namespaces, veths and cgroups. Needs root (CI runs as root).
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { detectCgroups } from '../../src/runtime/host/cgroups.js';
import { checkHostRuntimeSupport, createHostRuntime } from '../../src/runtime/host/index.js';
import { LAST_RESERVED } from '../../src/runtime/host/ipam.js';
import { recordsRoot } from '../../src/runtime/host/records.js';
import type {
  ContainerConfig,
  ContainerStats,
  PodSandboxConfig,
  RuntimeService,
} from '../../src/runtime/types.js';
import { processStart, startedReport } from '../e2e/support/leftovers.js';
import { readCriLog, runtimeConformance, sleep, waitFor } from './conformance.js';
import { HOST_TEST_NETWORK } from './fixtures/network.js';

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const newHostRuntime = (stateDir = tempDir('podrun-host-state-'), extra: Record<string, unknown> = {}) =>
  createHostRuntime({ stateDir, ...HOST_TEST_NETWORK, ...extra });

const memory = detectCgroups().memoryRoot !== '';

// The image cases run on a runtime with its own image store; the suite's fixtures are loaded as
// `podrun image load` of an OCI layout does.
runtimeConformance({
  name: 'host',
  newRuntime: () => {
    const stateDir = tempDir('podrun-host-state-');
    return newHostRuntime(stateDir, {
      imageStore: { dir: join(stateDir, 'images'), registriesConf: join(stateDir, 'no-registries.conf') },
    });
  },
  lacks: memory
    ? {}
    : { cgroups: 'this machine has no memory cgroup controller, so limits cannot be enforced' },
  images: {
    prepareImage: async (rt, _name, fixture) => {
      if (!rt.loadImage) throw new Error('the host runtime has no loadImage');
      await rt.loadImage(fixture.layout);
    },
  },
});

const sandboxConfig = (name: string, logDirectory: string): PodSandboxConfig => ({
  metadata: { name, namespace: 'host', uid: `uid-${name}`, attempt: 0 },
  hostname: name,
  logDirectory,
  labels: {},
  annotations: {},
  portMappings: [],
});

const containerConfig = (
  name: string,
  command: string[],
  extra: Partial<ContainerConfig> = {},
): ContainerConfig => ({
  metadata: { name, attempt: 0 },
  image: 'busybox',
  command,
  args: [],
  envs: [],
  mounts: [],
  labels: {},
  annotations: {},
  logPath: `${name}/0.log`,
  ...extra,
});

/** The pid of the process that holds a sandbox's namespaces, from its record. */
const holderOf = (stateDir: string, sid: string): number =>
  Number(readFileSync(join(stateDir, 'sandboxes', sid, 'holder'), 'utf8').split(' ')[0]);

/** Removes whatever a test left (it may have failed half-way), then closes the runtime. */
async function shutdown(rt: RuntimeService): Promise<void> {
  for (const s of await rt.listPodSandboxes()) await rt.removePodSandbox(s.id).catch(() => {});
  await rt.close?.();
}

/** Host pids whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(marker)) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

describe('host runtime', () => {
  test('checkHostRuntimeSupport accepts this machine (root, Linux, perl and ip present)', async () => {
    assert.deepEqual(await checkHostRuntimeSupport(), { ok: true });
  });

  test('a host runtime made without an image store runs host binaries: every image is present, a pull is done at once, listing is Unsupported', async () => {
    const rt = await newHostRuntime();
    try {
      assert.equal((await rt.imageStatus({ image: 'postgres:16' }))?.id, 'host://postgres:16');
      assert.equal(await rt.pullImage({ image: 'postgres:16' }), 'host://postgres:16');
      await assert.rejects(rt.listImages(), (e: Error & { reason?: string }) => {
        assert.equal(e.reason, 'Unsupported');
        assert.match(e.message, /without an image store/);
        return true;
      });
      assert.deepEqual(rt.pullsInProgress(), []);
      assert.equal(rt.name, 'host');
    } finally {
      await shutdown(rt);
    }
  });

  test('removePodSandbox leaves no process, mount, namespace, veth, cgroup, IP or state behind', async () => {
    const stateDir = tempDir('podrun-host-state-');
    const logs = tempDir('podrun-host-logs-');
    const rt = await newHostRuntime(stateDir);
    const marker = `6${Math.floor(Math.random() * 1e6)}`;
    try {
      const config = sandboxConfig('leftovers', logs);
      const sid = await rt.runPodSandbox(config);
      const ip = (await rt.podSandboxStatus(sid)).ip;
      const veth = `vpr${sid.slice(0, 12)}`;
      const holderPid = holderOf(stateDir, sid);
      const holder = { pid: holderPid };
      assert.ok(processStart(holder.pid), "a process holds the pod's namespaces");
      assert.equal(existsSync(`/sys/class/net/${veth}`), true, 'the veth exists while the pod does');
      const limited = await rt.createContainer(
        sid,
        containerConfig('limited', ['sleep', marker], { linux: { memoryLimitBytes: 64 << 20 } }),
        config,
      );
      await rt.startContainer(limited);
      const shimPid = startedReport(join(stateDir, 'containers', limited, 'started'))?.shimPid ?? 0;
      assert.ok(processStart(shimPid), 'the shim of the limited container runs');
      const plain = await rt.createContainer(
        sid,
        containerConfig('plain', ['sh', '-c', `sleep ${marker} & wait`]),
        config,
      );
      await rt.startContainer(plain);
      const exec = await rt.execSync(plain, ['true'], 5);
      assert.equal(exec.exitCode, 0);
      assert.equal(processesWith(marker).length, 2, 'both sleeps are running');
      const cgroup = memory ? join(detectCgroups().memoryRoot, limited) : '';
      if (memory) assert.equal(existsSync(cgroup), true, 'the limited container has its memory cgroup');

      await rt.removePodSandbox(sid);

      assert.deepEqual(processesWith(marker), []);
      assert.equal(processStart(shimPid), undefined, 'no shim left');
      assert.equal(processStart(holder.pid), undefined, "the holder of the pod's namespaces is gone");
      assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').includes(sid), false, 'no mount left');
      assert.equal(existsSync(`/sys/class/net/${veth}`), false, 'no veth left');
      assert.equal(
        existsSync(`/sys/class/net/${HOST_TEST_NETWORK.bridgeName}`),
        true,
        'the bridge stays for other pods',
      );
      if (memory) assert.equal(existsSync(cgroup), false, 'no cgroup left');
      assert.equal(
        existsSync(join(recordsRoot(HOST_TEST_NETWORK.runDir), 'ipam', HOST_TEST_NETWORK.bridgeName, ip)),
        false,
        'the IP is released',
      );
      assert.deepEqual(readdirSync(join(stateDir, 'sandboxes')), []);
      assert.deepEqual(readdirSync(join(stateDir, 'containers')), []);
      assert.deepEqual(readdirSync(join(stateDir, 'exits')), []);
      assert.equal(existsSync(join(logs, 'limited', '0.log')), true, 'logs stay');
    } finally {
      await shutdown(rt);
    }
  });

  test("stopPodSandbox reclaims the pod's namespaces, veth and IP, as CRI's StopPodSandbox; the record stays until removal", async () => {
    const stateDir = tempDir('podrun-host-state-');
    const logs = tempDir('podrun-host-logs-');
    const rt = await newHostRuntime(stateDir);
    try {
      const config = sandboxConfig('stopped', logs);
      const sid = await rt.runPodSandbox(config);
      const ip = (await rt.podSandboxStatus(sid)).ip;
      const holderPid = holderOf(stateDir, sid);
      assert.ok(processStart(holderPid), 'the holder runs');
      await rt.stopPodSandbox(sid);
      assert.equal((await rt.podSandboxStatus(sid)).state, 'notready');
      assert.equal(processStart(holderPid), undefined, 'the holder is gone');
      assert.equal(existsSync(`/sys/class/net/vpr${sid.slice(0, 12)}`), false, 'the veth is gone');
      const ipFile = join(recordsRoot(HOST_TEST_NETWORK.runDir), 'ipam', HOST_TEST_NETWORK.bridgeName, ip);
      assert.equal(existsSync(ipFile), false, 'the IP is released');
      assert.equal(existsSync(join(stateDir, 'sandboxes', sid, 'sandbox.json')), true, 'the record stays');
      await rt.removePodSandbox(sid);
      assert.equal(existsSync(join(stateDir, 'sandboxes', sid)), false);
    } finally {
      await shutdown(rt);
    }
  });

  test("a sandbox given an address a gone pod had announces it: the host's neighbour entry for it is the new pod's MAC", async () => {
    const stateDir = tempDir('podrun-host-state-');
    const logs = tempDir('podrun-host-logs-');
    const rt = await newHostRuntime(stateDir);
    const bridge = HOST_TEST_NETWORK.bridgeName;
    const ipamDir = join(recordsRoot(HOST_TEST_NETWORK.runDir), 'ipam', bridge);
    const STALE_MAC = '02:00:5e:00:53:01';
    const sandboxes: string[] = [];
    let planted = '';
    try {
      // A bridge that loses its last port drops its neighbour entries: one pod keeps it up, as on a busy node.
      sandboxes.push(await rt.runPodSandbox(sandboxConfig('keeper', logs)));
      // The bridge's MAC is set once (NET_ADDR_SET): ports coming and going must not change it, which would
      // flush the host's entries and leave every pod's entry for the gateway wrong.
      const bridgeMac = readFileSync(`/sys/class/net/${bridge}/address`, 'utf8').trim();
      assert.equal(readFileSync(`/sys/class/net/${bridge}/addr_assign_type`, 'utf8').trim(), '3');
      assert.notEqual(bridgeMac, '00:00:00:00:00:00');
      const gone = await rt.runPodSandbox(sandboxConfig('gone', logs));
      const ip = (await rt.podSandboxStatus(gone)).ip;
      await rt.removePodSandbox(gone);
      planted = ip;
      const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
      let sid = '';
      const got: string[] = [];
      // Another test's sandbox may take the freed address first: try again.
      for (let attempt = 0; attempt < 5 && !sid; attempt++) {
        // What the host would still hold for a pod that answered on the address a moment ago.
        execFileSync('ip', ['neigh', 'replace', ip, 'lladdr', STALE_MAC, 'dev', bridge, 'nud', 'reachable']);
        // The next search starts at the freed address.
        writeFileSync(join(ipamDir, LAST_RESERVED), `${a}.${b}.${c}.${d - 1}\n`);
        const next = await rt.runPodSandbox(sandboxConfig(`again${attempt}`, logs));
        sandboxes.push(next);
        const nextIp = (await rt.podSandboxStatus(next)).ip;
        got.push(nextIp);
        if (nextIp === ip) sid = next;
      }
      assert.ok(sid, `no sandbox got ${ip} again in 5 tries (got ${got.join(', ')})`);
      const holder = holderOf(stateDir, sid);
      const link = execFileSync('nsenter', ['-t', String(holder), '-n', 'ip', '-o', 'link', 'show', 'eth0'], {
        encoding: 'utf8',
      });
      const mac = /link\/ether ([0-9a-f:]{17})/.exec(link)?.[1];
      assert.ok(mac, link);
      const neigh = execFileSync('ip', ['neigh', 'show', ip, 'dev', bridge], { encoding: 'utf8' });
      assert.match(neigh, new RegExp(`lladdr ${mac}`), `the host's entry for ${ip}: ${neigh}`);
      assert.equal(readFileSync(`/sys/class/net/${bridge}/address`, 'utf8').trim(), bridgeMac);
    } finally {
      for (const sid of sandboxes) await rt.removePodSandbox(sid).catch(() => {});
      if (planted) spawnSync('ip', ['neigh', 'del', planted, 'dev', bridge]);
      await shutdown(rt);
    }
  });

  test('a sandbox whose holder was killed is notready at once (SandboxStopped), and no container starts in it', async () => {
    const stateDir = tempDir('podrun-host-state-');
    const logs = tempDir('podrun-host-logs-');
    const rt = await newHostRuntime(stateDir);
    try {
      const config = sandboxConfig('orphaned', logs);
      const sid = await rt.runPodSandbox(config);
      const holderPid = holderOf(stateDir, sid);
      const stopped: string[] = [];
      rt.onEvent?.((e) => {
        if (e.type === 'SandboxStopped') stopped.push(e.podSandboxId);
      });
      process.kill(holderPid, 'SIGKILL');
      // Reported by the shim server when it reaps the holder, before anyone asks for the sandbox's status.
      await waitFor(() => stopped.includes(sid));
      assert.equal((await rt.podSandboxStatus(sid)).state, 'notready');
      assert.deepEqual(stopped, [sid]);
      const id = await rt
        .createContainer(sid, containerConfig('late', ['true']), config)
        .catch((e: Error) => e);
      assert.ok(id instanceof Error && /not ready/.test(id.message), String(id));
    } finally {
      await shutdown(rt);
    }
  });

  test("the records (which hold Secret values of env) are root's alone, and a sandbox whose holder died is still reclaimed by stopPodSandbox", async () => {
    const stateDir = tempDir('podrun-host-state-');
    const logs = tempDir('podrun-host-logs-');
    const rt = await newHostRuntime(stateDir);
    try {
      assert.equal(statSync(recordsRoot(HOST_TEST_NETWORK.runDir)).mode & 0o777, 0o700);
      const config = sandboxConfig('died', logs);
      const sid = await rt.runPodSandbox(config);
      const ip = (await rt.podSandboxStatus(sid)).ip;
      const holderPid = holderOf(stateDir, sid);
      process.kill(holderPid, 'SIGKILL');
      await waitFor(async () => (await rt.podSandboxStatus(sid)).state === 'notready');
      await rt.stopPodSandbox(sid);
      const ipFile = join(recordsRoot(HOST_TEST_NETWORK.runDir), 'ipam', HOST_TEST_NETWORK.bridgeName, ip);
      assert.equal(existsSync(ipFile), false, 'the IP is released');
      assert.equal(existsSync(`/sys/class/net/vpr${sid.slice(0, 12)}`), false, 'the veth is gone');
    } finally {
      await shutdown(rt);
    }
  });

  test('a container cannot be started twice at once', async () => {
    const logs = tempDir('podrun-host-logs-');
    const rt = await newHostRuntime();
    try {
      const config = sandboxConfig('twice', logs);
      const sid = await rt.runPodSandbox(config);
      const id = await rt.createContainer(sid, containerConfig('c', ['sleep', '600']), config);
      const results = await Promise.allSettled([rt.startContainer(id), rt.startContainer(id)]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected'],
      );
      assert.match(String((results[1] as PromiseRejectedResult).reason), /being started already/);
    } finally {
      await shutdown(rt);
    }
  });

  test('a state directory with runtime records of an older layout is refused, not overwritten', async () => {
    const stateDir = tempDir('podrun-host-state-');
    mkdirSync(join(stateDir, 'sandboxes', 'old'), { recursive: true });
    await assert.rejects(newHostRuntime(stateDir), /holds runtime records of an older podrun/);
    assert.equal(existsSync(join(stateDir, 'sandboxes', 'old')), true);
    const root = recordsRoot(HOST_TEST_NETWORK.runDir);
    const owners = readdirSync(root).map((d) => {
      try {
        return readFileSync(join(root, d, 'owner'), 'utf8').trim();
      } catch {
        return '';
      }
    });
    assert.equal(owners.includes(stateDir), false, 'no records directory is left for it');
  });

  test('a container without limits is accounted too: ListContainerStats reads its CPU time and working set', async () => {
    const layout = detectCgroups();
    const logs = tempDir('podrun-host-logs-');
    const rt = await newHostRuntime();
    try {
      const config = sandboxConfig('stats', logs);
      const sid = await rt.runPodSandbox(config);
      const busy = containerConfig(
        'busy',
        ['sh', '-c', 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exec sleep 600'],
        {
          labels: { 'io.kubernetes.container.name': 'busy' },
        },
      );
      const id = await rt.createContainer(sid, busy, config);
      await rt.startContainer(id);
      if (layout.version === 0) {
        assert.deepEqual(await rt.listContainerStats?.(), [], 'no controllers: no readings');
        return;
      }
      let stats: ContainerStats | undefined;
      // The busy loop shows in the container's cgroup.
      await waitFor(async () => {
        stats = (await rt.listContainerStats?.())?.find((x) => x.id === id);
        return (stats?.cpuUsageCoreNanoSeconds ?? 0) > 10_000_000;
      });
      assert.ok(stats);
      assert.equal(stats.podSandboxId, sid);
      assert.equal(stats.labels['io.kubernetes.container.name'], 'busy');
      assert.ok(stats.memoryWorkingSetBytes >= 0);
      await rt.removePodSandbox(sid);
      assert.deepEqual(await rt.listContainerStats?.(), [], 'a removed container has no readings');
      if (layout.memoryRoot)
        assert.equal(existsSync(join(layout.memoryRoot, id)), false, 'its group is gone');
    } finally {
      await shutdown(rt);
    }
  });

  for (const spareCgroups of [2, 0]) {
    const how = spareCgroups ? 'groups made ahead, with a zygote in them' : 'groups joined as it starts';
    test(`memory and cpu limits place the container, and what it execs, in cgroups of its own with the limit set (${how})`, async () => {
      const layout = detectCgroups();
      const logs = tempDir('podrun-host-logs-');
      const stateDir = tempDir('podrun-host-state-');
      const rt = await newHostRuntime(stateDir, { spareCgroups });
      try {
        const config = sandboxConfig('limits', logs);
        const sid = await rt.runPodSandbox(config);
        // The zygotes are made in the background: give them time, so that the start takes one.
        if (spareCgroups) await sleep(300);
        const id = await rt.createContainer(
          sid,
          containerConfig('c', ['sleep', '600'], { linux: { memoryLimitBytes: 48 << 20, cpuMillis: 250 } }),
          config,
        );
        await rt.startContainer(id);
        const record = JSON.parse(
          readFileSync(join(stateDir, 'containers', id, 'container.json'), 'utf8'),
        ) as {
          cgroups: { dirs: string[]; leave?: string[] };
        };
        assert.equal(
          record.cgroups.leave !== undefined,
          spareCgroups > 0,
          'whether a zygote served the start',
        );
        // cgroup v2 cannot rename a group: one made ahead keeps its own name.
        const named = spareCgroups && layout.version === 2 ? basename(record.cgroups.dirs[0] ?? '') : id;
        // The container's own process (PID 1 of its PID namespace), what execSync runs and what a streaming
        // exec runs: each in the container's groups.
        const own = await rt.execSync(id, ['cat', '/proc/1/cgroup'], 5);
        const synced = await rt.execSync(id, ['cat', '/proc/self/cgroup'], 5);
        const stream = await rt.exec!(id, ['cat', '/proc/self/cgroup'], {
          stdin: false,
          stdout: true,
          stderr: false,
          tty: false,
        });
        let streamed = '';
        stream.stdout?.on('data', (b: Buffer) => {
          streamed += b.toString();
        });
        assert.equal(await stream.done, 0);
        await new Promise((resolve) =>
          stream.stdout?.readableEnded ? resolve(undefined) : stream.stdout?.once('end', resolve),
        );
        for (const [who, text] of [
          ['the container', own.stdout],
          ['execSync', synced.stdout],
          ['exec', streamed],
        ] as const) {
          if (layout.memoryRoot) assert.match(text, new RegExp(`/podrun/${named}\\n`), who);
          if (layout.cpuRoot && layout.version === 1)
            assert.match(text, new RegExp(`:cpu:/podrun/${named}\\n`), who);
        }
        if (layout.memoryRoot) {
          const file = layout.version === 2 ? 'memory.max' : 'memory.limit_in_bytes';
          assert.equal(readFileSync(join(layout.memoryRoot, named, file), 'utf8').trim(), String(48 << 20));
          const pid = startedReport(join(stateDir, 'containers', id, 'started'))?.pid ?? 0;
          assert.ok(
            readFileSync(join(layout.memoryRoot, named, 'cgroup.procs'), 'utf8')
              .split('\n')
              .includes(String(pid)),
            "the container's own process is in the group",
          );
        }
        if (layout.cpuRoot && layout.version === 1) {
          assert.equal(readFileSync(join(layout.cpuRoot, named, 'cpu.cfs_quota_us'), 'utf8').trim(), '25000');
        }
        await rt.removePodSandbox(sid);
        for (const d of record.cgroups.dirs) assert.equal(existsSync(d), false, `${d} is removed`);
      } finally {
        await shutdown(rt);
      }
    });
  }

  test('a container whose shim was killed still stops; its exit is 137 if podrun killed it, else 255 (unknown)', async () => {
    const stateDir = tempDir('podrun-host-state-');
    const logs = tempDir('podrun-host-logs-');
    const rt = await newHostRuntime(stateDir);
    const shimOf = (id: string) => {
      const pid = startedReport(join(stateDir, 'containers', id, 'started'))?.shimPid;
      assert.ok(pid, `the shim of ${id} reported its pid`);
      return pid;
    };
    try {
      const config = sandboxConfig('orphans', logs);
      const sid = await rt.runPodSandbox(config);
      const killed = await rt.createContainer(sid, containerConfig('killed', ['sleep', '600']), config);
      await rt.startContainer(killed);
      const quiet = await rt.createContainer(sid, containerConfig('quiet', ['sleep', '0.5']), config);
      await rt.startContainer(quiet);
      process.kill(shimOf(killed), 'SIGKILL');
      process.kill(shimOf(quiet), 'SIGKILL');
      await sleep(100);
      assert.equal((await rt.containerStatus(killed)).state, 'running', 'the container outlives its shim');
      await rt.stopContainer(killed, 0);
      const k = await rt.containerStatus(killed);
      assert.deepEqual([k.state, k.exitCode, k.reason], ['exited', 137, 'Error']);
      await waitFor(async () => (await rt.containerStatus(quiet)).state === 'exited');
      const q = await rt.containerStatus(quiet);
      assert.equal(q.exitCode, 255);
      assert.match(q.message, /exit status is unknown/);
    } finally {
      await shutdown(rt);
    }
  });

  test('podrun killed with SIGKILL and restarted finds running containers and the real exit code of those that exited meanwhile', async () => {
    const stateDir = tempDir('podrun-host-state-');
    const logs = tempDir('podrun-host-logs-');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'restart-child.ts'), stateDir, logs],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const ids = await new Promise<{ sandbox: string; runner: string; quitter: string }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))));
      });
      child.on('exit', (code) => reject(new Error(`the child exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // The quitter exits (status 3) while no podrun is running.
    await sleep(1500);

    const rt = await newHostRuntime(stateDir);
    try {
      const runner = await rt.containerStatus(ids.runner);
      assert.equal(runner.state, 'running');
      await waitFor(async () => {
        const s = await rt.containerStatus(ids.quitter);
        return s.state === 'exited';
      });
      const quitter = await rt.containerStatus(ids.quitter);
      assert.equal(quitter.exitCode, 3);
      assert.equal(quitter.reason, 'Error');
      assert.ok(quitter.finishedAt > quitter.startedAt);
      assert.equal((await rt.podSandboxStatus(ids.sandbox)).state, 'ready');
      // The new runtime controls the survivor fully.
      const exec = await rt.execSync(ids.runner, ['uname', '-n'], 5);
      assert.equal(exec.stdout, 'survivor\n');
      await rt.stopContainer(ids.runner, 0);
      assert.equal((await rt.containerStatus(ids.runner)).exitCode, 137);
      await rt.removePodSandbox(ids.sandbox);
    } finally {
      await shutdown(rt);
    }
  });

  test('close() leaves containers running, and a new runtime on the same state directory takes them over', async () => {
    const stateDir = tempDir('podrun-host-state-');
    const logs = tempDir('podrun-host-logs-');
    const first = await newHostRuntime(stateDir);
    const config = sandboxConfig('handover', logs);
    const sid = await first.runPodSandbox(config);
    const id = await first.createContainer(sid, containerConfig('c', ['sleep', '600']), config);
    await first.startContainer(id);
    await first.close?.();
    const second: RuntimeService = await newHostRuntime(stateDir);
    try {
      assert.equal((await second.containerStatus(id)).state, 'running');
      const stopped: string[] = [];
      second.onEvent?.((e) => {
        if (e.type === 'ContainerStopped' && e.containerId) stopped.push(e.containerId);
      });
      await second.stopContainer(id, 1);
      assert.equal(
        (await second.containerStatus(id)).exitCode,
        137,
        'sleep as PID 1 ignores SIGTERM, so it is killed',
      );
      await waitFor(() => stopped.includes(id));
      await second.removePodSandbox(sid);
    } finally {
      await shutdown(second);
    }
  });

  test('container logs rotate by size to <path>.1, <path>.2, keeping logMaxFiles files', async () => {
    const logs = tempDir('podrun-host-logs-');
    const rt = await newHostRuntime(undefined, { logMaxBytes: 4096, logMaxFiles: 3 });
    try {
      const config = sandboxConfig('rotation', logs);
      const sid = await rt.runPodSandbox(config);
      const id = await rt.createContainer(
        sid,
        containerConfig('c', [
          'perl',
          '-e',
          '$| = 1; for my $i (1 .. 400) { printf "line %04d %s\\n", $i, "y" x 40 }',
        ]),
        config,
      );
      await rt.startContainer(id);
      await waitFor(async () => (await rt.containerStatus(id)).state === 'exited');
      const path = join(logs, 'c', '0.log');
      assert.equal(existsSync(`${path}.1`), true);
      assert.equal(existsSync(`${path}.2`), true);
      assert.equal(existsSync(`${path}.3`), false, 'older files are dropped');
      const live = readCriLog(path);
      assert.equal(live.at(-1)?.text.slice(0, 9), 'line 0400');
      const older = readCriLog(`${path}.1`);
      assert.ok(older.length > 0);
      const firstLive = Number(live[0]?.text.slice(5, 9));
      const lastOlder = Number(older.at(-1)?.text.slice(5, 9));
      assert.equal(firstLive, lastOlder + 1, 'rotation loses no line');
      for (const f of [path, `${path}.1`, `${path}.2`]) {
        assert.ok(readFileSync(f).length <= 4096 + 200, `${f} stays near the limit`);
      }
      await rt.removePodSandbox(sid);
    } finally {
      await shutdown(rt);
    }
  });
});
