// A behaviour suite every RuntimeService implementation is run through (like hono's shared router tests): the
// host runtime (test/runtime/host.test.ts) and the fake (test/runtime/fake.test.ts) run the same cases. Cases
// drive real commands (sh, env, id, perl, sleep); each says what it needs of a runtime (conformance-context.ts
// Need), and a runtime that lacks something (the fake runs no processes) says why, which skips those cases
// with that reason. Every case makes its own sandboxes; the suite removes them.
//
//   runtimeConformance({ name: 'host', newRuntime: () => createHostRuntime({ stateDir }), images: { prepareImage } });
//
// The contract cases that need no process are in conformance-contract.ts, the image cases in
// conformance-images.ts (ImageHooks says what a runtime's prepareImage must do).

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type {
  ContainerConfig,
  ContainerStatus,
  PodSandboxConfig,
  RuntimeEvent,
  RuntimeService,
} from '../../src/runtime/types.js';
import { appImage, type ImageFixture, layeredImage, removableImage } from '../support/image-fixtures.js';
import type { ConformanceContext, ConformanceOptions, Need, Pod } from './conformance-context.js';
import { CONTRACT_TESTS, contractCases } from './conformance-contract.js';
import { IMAGE_TESTS, imageCases } from './conformance-images.js';
import {
  PID_TARGET_TESTS,
  PORT_FORWARD_TESTS,
  pidTargetCases,
  portForwardCases,
} from './conformance-portforward.js';
import { STREAM_TESTS, streamCases } from './conformance-streams.js';
import { CLIENT, readCriLog, SERVER, sleep, tcpLine, waitFor } from './conformance-support.js';

export type { ConformanceOptions, ImageHooks, Need } from './conformance-context.js';
export {
  CLIENT,
  type CriLogRecord,
  readCriLog,
  SERVER,
  sleep,
  tcpLine,
  waitFor,
} from './conformance-support.js';

export const CONFORMANCE_TESTS = {
  sandboxReady: 'a new sandbox is ready and reports its metadata, labels and an IP',
  ownHostname: 'a sandbox has its own hostname and only the lo and eth0 interfaces',
  localhost: 'two containers of one pod reach each other on localhost',
  podToPod: 'a pod reaches another pod at its IP',
  hostToPod: 'the host reaches a pod at its IP, as the kubelet does for probes',
  exactEnv:
    "a container's environment is containerd's PATH and HOSTNAME, then the one given, in order; given entries win",
  mounts: 'mounts appear at their container path, writes reach the host, and readOnly mounts refuse writes',
  subPath: 'a subPath mount shows one file of the volume',
  workingDir: 'workingDir sets the working directory of the command',
  exitCodes: 'exit codes are reported with their reason: 0 Completed, 3 Error',
  killed: 'a container killed by SIGKILL reports exit code 137',
  gracefulStop: 'stopContainer sends SIGTERM and a container that handles it exits with its own code',
  forcedStop: 'stopContainer kills a container that ignores SIGTERM once the timeout has passed',
  logs: 'logs are written in the CRI format: lines over 16 KiB split into partials, CRLF endings dropped, an unterminated last line partial',
  runAsUser: 'runAsUser, runAsGroup and supplementalGroups set the identity of the command',
  exec: 'execSync returns the output and exit code of a command run inside the container',
  execTimeout: 'execSync kills a command that outlives its timeout and says so',
  startError: 'a command that does not exist fails to start: StartError, exit code 128',
  oom: 'a container that exceeds its memory limit ends as OOMKilled with exit code 137',
  readOnlyRootfs: 'readOnlyRootfs makes / read-only while volumes stay writable',
  events: 'a ContainerStopped event follows the exit of a container',
  stopSandbox: 'stopPodSandbox stops every container and leaves the sandbox notready; removal is idempotent',
  ...CONTRACT_TESTS,
  ...IMAGE_TESTS,
  ...STREAM_TESTS,
  ...PORT_FORWARD_TESTS,
  ...PID_TARGET_TESTS,
} as const;

export function runtimeConformance(options: ConformanceOptions): void {
  const skipped = new Map<string, string>();
  for (const s of options.skip ?? []) for (const t of s.tests) skipped.set(t, s.reason);
  const lacks: Partial<Record<Need, string>> = { ...options.lacks };
  if (!options.images) {
    lacks.images = 'no images hook (ConformanceOptions.images): the runtime was handed no image to run';
  }

  describe(`runtime conformance: ${options.name}`, () => {
    let rt: RuntimeService;
    let work: string;
    let seq = 0;
    const sandboxes: string[] = [];
    const prepared = new Map<string, Promise<ImageFixture>>();

    before(async () => {
      rt = await options.newRuntime();
      work = mkdtempSync(join(tmpdir(), 'podrun-conformance-'));
    });
    after(async () => {
      for (const id of sandboxes) await rt.removePodSandbox(id).catch(() => {});
      await rt.close?.();
      rmSync(work, { recursive: true, force: true });
    });

    const it = (name: string, needs: Need[], fn: () => Promise<void>) => {
      const reason = skipped.get(name) ?? needs.map((n) => lacks[n]).find((r) => r !== undefined);
      if (reason) test(name, { skip: reason }, () => {});
      else test(name, { timeout: 60_000 }, fn);
    };

    const sandboxConfig = (name: string, labels: Record<string, string> = {}): PodSandboxConfig => {
      const uid = `uid-${name}-${++seq}`;
      return {
        metadata: { name, namespace: 'conformance', uid, attempt: 0 },
        hostname: name,
        logDirectory: join(work, 'logs', uid),
        labels: { 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.uid': uid, ...labels },
        annotations: { 'podrun.io/test': 'yes' },
        portMappings: [],
      };
    };
    const newPod = async (name: string, labels?: Record<string, string>): Promise<Pod> => {
      const config = sandboxConfig(name, labels);
      const id = await rt.runPodSandbox(config);
      sandboxes.push(id);
      return { id, config };
    };
    const containerConfig = (
      name: string,
      command: string[],
      extra: Partial<ContainerConfig> = {},
    ): ContainerConfig => ({
      metadata: { name, attempt: 0 },
      image: 'docker.io/library/busybox:1.36',
      command,
      args: [],
      envs: [],
      mounts: [],
      labels: { 'io.kubernetes.container.name': name },
      annotations: {},
      logPath: `${name}/0.log`,
      ...extra,
    });
    const run = async (pod: Pod, config: ContainerConfig) => {
      const id = await rt.createContainer(pod.id, config, pod.config);
      await rt.startContainer(id);
      return id;
    };
    const waitExit = async (id: string, ms = 20_000): Promise<ContainerStatus> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const s = await rt.containerStatus(id);
        if (s.state === 'exited') return s;
        if (Date.now() > deadline) assert.fail(`container ${id} still ${s.state} after ${ms} ms`);
        await sleep(25);
      }
    };
    const stdout = async (id: string) => {
      const s = await rt.containerStatus(id);
      return readCriLog(s.logPath)
        .filter((l) => l.stream === 'stdout')
        .map((l) => (l.tag === 'F' ? `${l.text}\n` : l.text))
        .join('');
    };
    const runToEnd = async (pod: Pod, config: ContainerConfig) => {
      const id = await run(pod, config);
      const status = await waitExit(id);
      return { id, status, out: await stdout(id) };
    };
    const builders = { app: appImage, layered: layeredImage, removable: removableImage };
    const image = (kind: keyof typeof builders): Promise<ImageFixture> => {
      let p = prepared.get(kind);
      if (!p) {
        const hooks = options.images;
        if (!hooks) throw new Error('image cases run only with ConformanceOptions.images');
        p = (async () => {
          const fixture = builders[kind](join(work, 'images'));
          await hooks.prepareImage(rt, fixture.name, fixture);
          return fixture;
        })();
        prepared.set(kind, p);
      }
      return p;
    };
    const ctx: ConformanceContext = {
      rt: () => rt,
      work: () => work,
      it,
      newPod,
      containerConfig,
      run,
      waitExit,
      stdout,
      runToEnd,
      image,
    };

    it(CONFORMANCE_TESTS.sandboxReady, [], async () => {
      const pod = await newPod('ready', { app: 'web' });
      const s = await rt.podSandboxStatus(pod.id);
      assert.equal(s.state, 'ready');
      assert.deepEqual(s.metadata, pod.config.metadata);
      assert.equal(s.labels.app, 'web');
      assert.equal(s.annotations['podrun.io/test'], 'yes');
      assert.match(s.ip, /^\d+\.\d+\.\d+\.\d+$/);
      const listed = await rt.listPodSandboxes({ labelSelector: { app: 'web' } });
      assert.deepEqual(
        listed.map((x) => x.id),
        [pod.id],
      );
    });

    it(CONFORMANCE_TESTS.ownHostname, ['processes', 'namespaces', 'network'], async () => {
      const pod = await newPod('own-hostname');
      const { out } = await runToEnd(pod, containerConfig('c', ['sh', '-c', 'uname -n; ls /sys/class/net']));
      assert.equal(out, 'own-hostname\neth0\nlo\n');
    });

    it(CONFORMANCE_TESTS.localhost, ['processes', 'network'], async () => {
      const pod = await newPod('same-pod');
      await run(pod, containerConfig('server', SERVER(8080)));
      const client = await run(pod, containerConfig('client', ['sleep', '600']));
      const r = await rt.execSync(client, CLIENT('127.0.0.1:8080'), 20);
      assert.equal(r.stderr, '');
      assert.equal(r.stdout, 'hello from same-pod\n');
      assert.equal(r.exitCode, 0);
    });

    it(CONFORMANCE_TESTS.podToPod, ['processes', 'network'], async () => {
      const a = await newPod('pod-a');
      const b = await newPod('pod-b');
      await run(a, containerConfig('server', SERVER(8080)));
      const client = await run(b, containerConfig('client', ['sleep', '600']));
      const ipA = (await rt.podSandboxStatus(a.id)).ip;
      const ipB = (await rt.podSandboxStatus(b.id)).ip;
      assert.notEqual(ipA, ipB);
      const r = await rt.execSync(client, CLIENT(`${ipA}:8080`), 20);
      assert.equal(r.stdout, 'hello from pod-a\n', r.stderr);
    });

    it(CONFORMANCE_TESTS.hostToPod, ['processes', 'network'], async () => {
      const pod = await newPod('reachable');
      await run(pod, containerConfig('server', SERVER(8080)));
      const ip = (await rt.podSandboxStatus(pod.id)).ip;
      assert.equal(await tcpLine(ip, 8080), 'hello from reachable\n');
    });

    it(CONFORMANCE_TESTS.exactEnv, ['processes'], async () => {
      const pod = await newPod('env');
      const envs = [
        { name: 'ZETA', value: 'last letter first' },
        { name: 'ALPHA', value: '1' },
        { name: 'EMPTY', value: '' },
        { name: 'WITH_EQUALS', value: 'a=b=c' },
      ];
      const { out } = await runToEnd(pod, containerConfig('c', ['/usr/bin/env'], { envs }));
      assert.equal(
        out,
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=env\n' +
          'ZETA=last letter first\nALPHA=1\nEMPTY=\nWITH_EQUALS=a=b=c\n',
      );
      const own = await runToEnd(
        pod,
        containerConfig('c2', ['/usr/bin/env'], { envs: [{ name: 'PATH', value: '/bin' }] }),
      );
      assert.match(own.out, /^PATH=\/bin\n/m);
      assert.doesNotMatch(own.out, /PATH=\/usr\/local/);
    });

    it(CONFORMANCE_TESTS.mounts, ['processes', 'files'], async () => {
      const pod = await newPod('mounts');
      const rw = join(work, 'vol-rw');
      const ro = join(work, 'vol-ro');
      mkdirSync(rw, { recursive: true });
      mkdirSync(ro, { recursive: true });
      writeFileSync(join(ro, 'config.txt'), 'from the host\n');
      const script =
        'cat /tmp/ro/config.txt; echo written > /tmp/rw/out.txt; if touch /tmp/ro/x 2>/dev/null; then echo ro-writable; else echo ro-refused; fi';
      const { out, status } = await runToEnd(
        pod,
        containerConfig('c', ['sh', '-c', script], {
          mounts: [
            { containerPath: '/tmp/rw', hostPath: rw, readOnly: false },
            { containerPath: '/tmp/ro', hostPath: ro, readOnly: true },
          ],
        }),
      );
      assert.equal(out, 'from the host\nro-refused\n');
      assert.equal(status.exitCode, 0);
      assert.equal(readFileSync(join(rw, 'out.txt'), 'utf8'), 'written\n');
      assert.equal(existsSync(join(ro, 'x')), false);
    });

    it(CONFORMANCE_TESTS.subPath, ['processes', 'files'], async () => {
      const pod = await newPod('subpath');
      const vol = join(work, 'vol-sub');
      mkdirSync(join(vol, 'conf'), { recursive: true });
      writeFileSync(join(vol, 'conf', 'app.conf'), 'key=value\n');
      writeFileSync(join(vol, 'other.txt'), 'not visible\n');
      const { out } = await runToEnd(
        pod,
        containerConfig('c', ['sh', '-c', 'cat /tmp/etc/app.conf; ls /tmp/etc'], {
          mounts: [
            { containerPath: '/tmp/etc/app.conf', hostPath: vol, subPath: 'conf/app.conf', readOnly: true },
          ],
        }),
      );
      assert.equal(out, 'key=value\napp.conf\n');
    });

    it(CONFORMANCE_TESTS.workingDir, ['processes'], async () => {
      const pod = await newPod('workdir');
      const { out } = await runToEnd(pod, containerConfig('c', ['/bin/pwd'], { workingDir: '/usr/share' }));
      assert.equal(out, '/usr/share\n');
    });

    it(CONFORMANCE_TESTS.exitCodes, ['processes'], async () => {
      const pod = await newPod('exits');
      const ok = await runToEnd(pod, containerConfig('ok', ['sh', '-c', 'exit 0']));
      const three = await runToEnd(pod, containerConfig('three', ['sh', '-c', 'exit 3']));
      assert.equal(ok.status.exitCode, 0);
      assert.equal(ok.status.reason, 'Completed');
      assert.equal(three.status.exitCode, 3);
      assert.equal(three.status.reason, 'Error');
      assert.ok(three.status.startedAt > 0 && three.status.finishedAt >= three.status.startedAt);
    });

    it(CONFORMANCE_TESTS.killed, [], async () => {
      const pod = await newPod('killed');
      const id = await run(pod, containerConfig('c', ['sleep', '600']));
      await rt.stopContainer(id, 0);
      const s = await rt.containerStatus(id);
      assert.equal(s.state, 'exited');
      assert.equal(s.exitCode, 137);
      assert.equal(s.reason, 'Error');
    });

    it(CONFORMANCE_TESTS.gracefulStop, ['processes'], async () => {
      const pod = await newPod('graceful');
      const id = await run(
        pod,
        containerConfig('c', [
          'sh',
          '-c',
          'trap "echo got TERM; exit 0" TERM; echo ready; while :; do sleep 0.05; done',
        ]),
      );
      await waitFor(async () => (await stdout(id)).includes('ready'));
      const t0 = Date.now();
      await rt.stopContainer(id, 30);
      assert.ok(Date.now() - t0 < 10_000, 'stopped well before the timeout');
      const s = await rt.containerStatus(id);
      assert.equal(s.exitCode, 0);
      assert.equal(s.reason, 'Completed');
      assert.match(await stdout(id), /got TERM/);
    });

    it(CONFORMANCE_TESTS.forcedStop, ['processes'], async () => {
      const pod = await newPod('stubborn');
      const id = await run(pod, containerConfig('c', ['sh', '-c', 'trap "" TERM; echo ready; sleep 600']));
      await waitFor(async () => (await stdout(id)).includes('ready'));
      const t0 = Date.now();
      await rt.stopContainer(id, 1);
      const elapsed = Date.now() - t0;
      assert.ok(elapsed >= 900, `waited the timeout (${elapsed} ms)`);
      assert.ok(elapsed < 10_000, `then killed (${elapsed} ms)`);
      const s = await rt.containerStatus(id);
      assert.equal(s.exitCode, 137);
      assert.equal(s.reason, 'Error');
    });

    it(CONFORMANCE_TESTS.logs, ['processes', 'files'], async () => {
      const pod = await newPod('logs');
      const { status } = await runToEnd(
        pod,
        containerConfig('c', [
          'perl',
          '-e',
          '$| = 1; print "one\\n"; print STDERR "two\\r\\n"; print "x" x 20000, "\\n"; print "tail without newline"',
        ]),
      );
      assert.ok(status.logPath.endsWith(join('c', '0.log')));
      const raw = readFileSync(status.logPath, 'utf8');
      const lines = raw.split('\n');
      assert.equal(lines.pop(), '', 'every record ends with a newline');
      for (const l of lines)
        assert.match(l.slice(0, 100), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z (stdout|stderr) [FP] /);
      const recs = readCriLog(status.logPath);
      const out = recs
        .filter((r) => r.stream === 'stdout')
        .map((r) => [r.tag, r.text.length > 30 ? `${r.text[0]}*${r.text.length}` : r.text]);
      assert.deepEqual(out, [
        ['F', 'one'],
        ['P', 'x*16384'],
        ['F', 'x*3616'],
        ['P', 'tail without newline'],
      ]);
      assert.deepEqual(
        recs.filter((r) => r.stream === 'stderr').map((r) => [r.tag, r.text]),
        [['F', 'two']],
      );
      const times = recs.map((r) => Date.parse(r.time));
      assert.ok(
        times.every((t) => Math.abs(t - status.startedAt) < 60_000),
        'timestamps are UTC wall-clock times',
      );
    });

    it(CONFORMANCE_TESTS.runAsUser, ['processes', 'namespaces'], async () => {
      const pod = await newPod('identity');
      const { out } = await runToEnd(
        pod,
        containerConfig('c', ['sh', '-c', 'id -u; id -g; id -G'], {
          linux: { security: { runAsUser: 65534, runAsGroup: 65534, supplementalGroups: [4321] } },
        }),
      );
      assert.equal(out, '65534\n65534\n65534 4321\n');
    });

    it(CONFORMANCE_TESTS.exec, ['processes', 'namespaces'], async () => {
      const pod = await newPod('exec');
      const id = await run(
        pod,
        containerConfig('c', ['sleep', '600'], {
          envs: [{ name: 'GREETING', value: 'hi' }],
          linux: { security: { runAsUser: 65534 } },
        }),
      );
      const r = await rt.execSync(
        id,
        ['sh', '-c', 'echo "$GREETING from $(id -u)"; echo oops >&2; exit 4'],
        10,
      );
      assert.deepEqual(r, { exitCode: 4, stdout: 'hi from 65534\n', stderr: 'oops\n', timedOut: false });
    });

    it(CONFORMANCE_TESTS.execTimeout, ['processes'], async () => {
      const pod = await newPod('exec-timeout');
      const id = await run(pod, containerConfig('c', ['sleep', '600']));
      const t0 = Date.now();
      const r = await rt.execSync(id, ['sleep', '30'], 1);
      assert.equal(r.timedOut, true);
      assert.ok(Date.now() - t0 < 10_000);
      assert.equal((await rt.containerStatus(id)).state, 'running', 'the container itself goes on');
    });

    it(CONFORMANCE_TESTS.startError, ['processes', 'files'], async () => {
      const pod = await newPod('start-error');
      const id = await rt.createContainer(
        pod.id,
        containerConfig('c', ['no-such-command-podrun']),
        pod.config,
      );
      await assert.rejects(rt.startContainer(id), (e: Error & { reason?: string }) => {
        assert.equal(e.reason, 'RunContainerError');
        assert.match(e.message, /no-such-command-podrun/);
        return true;
      });
      const s = await rt.containerStatus(id);
      assert.equal(s.state, 'exited');
      assert.equal(s.reason, 'StartError');
      assert.equal(s.exitCode, 128);
      assert.match(s.message, /executable file not found in \$PATH/);
    });

    it(CONFORMANCE_TESTS.oom, ['processes', 'cgroups'], async () => {
      const pod = await newPod('oom');
      const { status } = await runToEnd(
        pod,
        containerConfig('c', ['perl', '-e', '$x = "a" x (512 * 1024 * 1024); sleep 5'], {
          linux: { memoryLimitBytes: 32 * 1024 * 1024 },
        }),
      );
      assert.equal(status.reason, 'OOMKilled');
      assert.equal(status.exitCode, 137);
    });

    it(CONFORMANCE_TESTS.readOnlyRootfs, ['processes', 'files'], async () => {
      const pod = await newPod('ro-root');
      const vol = join(work, 'vol-ro-root');
      mkdirSync(vol, { recursive: true });
      const probe = '/podrun-conformance-rootfs-probe';
      try {
        const { out } = await runToEnd(
          pod,
          containerConfig(
            'c',
            [
              'sh',
              '-c',
              `if touch ${probe} 2>/dev/null; then echo root-writable; else echo root-refused; fi; echo ok > /tmp/vol/x && echo volume-writable`,
            ],
            {
              mounts: [{ containerPath: '/tmp/vol', hostPath: vol, readOnly: false }],
              linux: { security: { readOnlyRootfs: true } },
            },
          ),
        );
        assert.equal(out, 'root-refused\nvolume-writable\n');
      } finally {
        rmSync(probe, { force: true });
      }
    });

    it(CONFORMANCE_TESTS.events, ['processes'], async () => {
      if (!rt.onEvent) return;
      const pod = await newPod('events');
      const seen: RuntimeEvent[] = [];
      const off = rt.onEvent((e) => seen.push(e));
      try {
        const id = await run(pod, containerConfig('c', ['sh', '-c', 'sleep 0.2; exit 2']));
        await waitFor(async () => seen.some((e) => e.type === 'ContainerStopped' && e.containerId === id));
        const e = seen.find((x) => x.type === 'ContainerStopped' && x.containerId === id);
        assert.equal(e?.podSandboxId, pod.id);
        assert.equal(e?.podUid, pod.config.metadata.uid);
      } finally {
        off();
      }
    });

    it(CONFORMANCE_TESTS.stopSandbox, [], async () => {
      const pod = await newPod('stop-sandbox');
      const c1 = await run(pod, containerConfig('one', ['sleep', '600']));
      const c2 = await run(pod, containerConfig('two', ['sh', '-c', 'trap "" TERM; sleep 600']));
      await rt.stopPodSandbox(pod.id);
      assert.equal((await rt.podSandboxStatus(pod.id)).state, 'notready');
      for (const id of [c1, c2]) assert.equal((await rt.containerStatus(id)).state, 'exited');
      await rt.stopPodSandbox(pod.id);
      await rt.removePodSandbox(pod.id);
      await rt.removePodSandbox(pod.id);
      await assert.rejects(rt.podSandboxStatus(pod.id));
      assert.deepEqual(await rt.listContainers({ podSandboxId: pod.id }), []);
    });

    contractCases(ctx);
    imageCases(ctx);
    streamCases(ctx);
    portForwardCases(ctx);
    pidTargetCases(ctx);
  });
}
