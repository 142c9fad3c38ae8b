// The Service rules part of the runtime contract (RuntimeService.setServiceRules and podNetwork), for every
// runtime that gives pods a network of their own. The runtime says how to read what a sandbox has applied,
// in a form comparable with what given rules look like once applied; traffic through a VIP needs a runtime
// that runs processes (and a renderer that writes DNAT rules).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ServiceRules } from '../../src/network/types.js';
import type {
  ContainerConfig,
  ContainerStatus,
  PodSandboxConfig,
  RuntimeService,
} from '../../src/runtime/types.js';
import { CLIENT, readCriLog, SERVER, sleep, tcpLine } from './conformance.js';

export interface ServiceRulesConformanceOptions {
  name: string;
  newRuntime: () => Promise<RuntimeService>;
  /** What a sandbox has applied, in a canonical text; undefined when it has no rules. */
  appliedRules: (rt: RuntimeService, sandboxId: string) => Promise<string | undefined>;
  /** What `rules` are once applied, in appliedRules' form. */
  expectedRules: (rules: ServiceRules) => Promise<string>;
  /** true to check traffic through VIPs, else why the runtime cannot (the case is then left out). */
  traffic: true | string;
  /** Checked after the suite (the host runtime: nothing was applied in the host's network namespace). */
  afterAll?: () => Promise<void> | void;
}

export const SERVICE_RULES_TESTS = {
  reach:
    'setServiceRules reaches sandboxes that exist; a sandbox made afterwards has the rules when runPodSandbox resolves; a change replaces them in both',
  race: 'sandboxes made while changes are under way end with the newest rules',
  stopped: 'a stopped sandbox gets no more rules, and the others still do',
  podNetwork: "podNetwork gives the node's address and the pod CIDR, which holds every pod IP",
  traffic:
    "a pod's first container reaches an endpoint in another pod through a Service VIP, a running pod does after a change, and a VIP with no endpoints is refused",
} as const;

const rulesFor = (tag: number, ports: ServiceRules['ports'] = []): ServiceRules => ({
  serviceCidr: '10.96.0.0/16',
  clusterIPs: [`10.96.${tag}.1`, ...ports.map((p) => p.clusterIP)],
  ports: [
    {
      service: `conformance/svc-${tag}:http`,
      clusterIP: `10.96.${tag}.1`,
      protocol: 'TCP',
      port: 80,
      endpoints: [{ ip: '10.1.2.3', port: 8000 + tag }],
    },
    ...ports,
  ],
});

export function runtimeServiceRulesConformance(o: ServiceRulesConformanceOptions): void {
  describe(`runtime conformance, Service rules: ${o.name}`, () => {
    let rt: RuntimeService;
    let seq = 0;
    let work: string;
    const sandboxes: string[] = [];

    before(async () => {
      work = mkdtempSync(join(tmpdir(), 'podrun-service-conformance-'));
      rt = await o.newRuntime();
      assert.ok(rt.setServiceRules, `the ${o.name} runtime has no setServiceRules`);
    });
    after(async () => {
      for (const id of sandboxes) await rt.removePodSandbox(id).catch(() => {});
      await rt.close?.();
      rmSync(work, { recursive: true, force: true });
      await o.afterAll?.();
    });

    const setRules = (rules: ServiceRules) => rt.setServiceRules!(rules);
    const sandboxConfig = (name: string): PodSandboxConfig => {
      const uid = `uid-svc-${name}-${++seq}`;
      return {
        metadata: { name, namespace: 'conformance', uid, attempt: 0 },
        hostname: name,
        logDirectory: join(work, uid),
        labels: { 'io.kubernetes.pod.uid': uid },
        annotations: {},
        portMappings: [],
      };
    };
    const newPod = async (name: string) => {
      const config = sandboxConfig(name);
      const id = await rt.runPodSandbox(config);
      sandboxes.push(id);
      return { id, config };
    };
    const has = async (sandboxId: string, rules: ServiceRules, what: string) => {
      assert.equal(await o.appliedRules(rt, sandboxId), await o.expectedRules(rules), what);
    };

    test(SERVICE_RULES_TESTS.reach, { timeout: 60_000 }, async () => {
      const early = await newPod('early');
      const r1 = rulesFor(1);
      await setRules(r1);
      await has(early.id, r1, 'a sandbox that existed before the first rules has them');
      const late = await newPod('late');
      await has(late.id, r1, 'a sandbox made after the rules has them when runPodSandbox resolves');
      const r2 = rulesFor(2);
      await setRules(r2);
      await has(early.id, r2, 'the change replaced the rules of the first sandbox');
      await has(late.id, r2, 'the change replaced the rules of the second sandbox');
    });

    test(SERVICE_RULES_TESTS.race, { timeout: 60_000 }, async () => {
      const r3 = rulesFor(3);
      const r4 = rulesFor(4);
      const r5 = rulesFor(5);
      await setRules(r3);
      // Sandboxes begun before, between and after two changes, none awaited before the next call.
      const made: Promise<{ id: string }>[] = [newPod('race-a')];
      const first = setRules(r4);
      made.push(newPod('race-b'));
      const second = setRules(r5);
      made.push(newPod('race-c'));
      const pods = await Promise.all(made);
      await Promise.all([first, second]);
      for (const p of pods) await has(p.id, r5, 'every sandbox ends with the newest rules');
    });

    test(SERVICE_RULES_TESTS.stopped, { timeout: 60_000 }, async () => {
      const r6 = rulesFor(6);
      await setRules(r6);
      const stopped = await newPod('stopped');
      const running = await newPod('running');
      await rt.stopPodSandbox(stopped.id);
      const r7 = rulesFor(7);
      await setRules(r7);
      await has(running.id, r7, 'the ready sandbox got the change');
      assert.notEqual(
        await o.appliedRules(rt, stopped.id),
        await o.expectedRules(r7),
        'the stopped sandbox did not',
      );
    });

    test(SERVICE_RULES_TESTS.podNetwork, async () => {
      const net = rt.podNetwork?.();
      assert.ok(net, `the ${o.name} runtime gives pods addresses, so it reports its pod network`);
      const pod = await newPod('addressed');
      const ip = (await rt.podSandboxStatus(pod.id)).ip;
      assert.ok(inCidr(net.gateway, net.podCidr), `${net.gateway} is in ${net.podCidr}`);
      assert.ok(inCidr(ip, net.podCidr), `the pod IP ${ip} is in ${net.podCidr}`);
      assert.notEqual(ip, net.gateway);
    });

    // A runtime that runs no processes has no traffic to check: the case is not registered (not a skip).
    if (o.traffic === true) {
      test(SERVICE_RULES_TESTS.traffic, { timeout: 60_000 }, async () => {
        const container = (name: string, command: string[]): ContainerConfig => ({
          metadata: { name, attempt: 0 },
          image: 'busybox',
          command,
          args: [],
          envs: [],
          mounts: [],
          labels: {},
          annotations: {},
          logPath: `${name}/0.log`,
        });
        const start = async (pod: { id: string; config: PodSandboxConfig }, config: ContainerConfig) => {
          const id = await rt.createContainer(pod.id, config, pod.config);
          await rt.startContainer(id);
          return id;
        };
        const server = await newPod('vip-server');
        await start(server, container('server', SERVER(8080)));
        const serverIp = (await rt.podSandboxStatus(server.id)).ip;
        // The server listens (seen from the host) before any client tries.
        assert.equal(await tcpLine(serverIp, 8080), 'hello from vip-server\n');
        const before = await newPod('vip-before');
        const beforeClient = await start(before, container('client', ['sleep', '600']));

        const rules: ServiceRules = {
          serviceCidr: '10.96.0.0/16',
          clusterIPs: ['10.96.77.7', '10.96.77.8'],
          ports: [
            {
              service: 'conformance/web:http',
              clusterIP: '10.96.77.7',
              protocol: 'TCP',
              port: 80,
              endpoints: [{ ip: serverIp, port: 8080 }],
            },
            {
              service: 'conformance/empty:http',
              clusterIP: '10.96.77.8',
              protocol: 'TCP',
              port: 80,
              endpoints: [],
            },
          ],
        };
        await setRules(rules);
        // One blocking try, no retries: the rules must be in place when the first container starts.
        const once = (addr: string) => [
          'perl',
          '-MIO::Socket::INET',
          '-e',
          `$c = IO::Socket::INET->new(PeerAddr => "${addr}") or do { print "connect ${addr}: $!\\n"; exit 1 }; print scalar <$c>`,
        ];
        const after = await newPod('vip-after');
        const first = await start(after, container('first', once('10.96.77.7:80')));
        const status = await waitExit(rt, first);
        assert.equal(
          criStdout(status),
          'hello from vip-server\n',
          "the pod's first container reached the VIP",
        );
        assert.equal(status.exitCode, 0);

        const r = await rt.execSync(beforeClient, CLIENT('10.96.77.7:80'), 20);
        assert.equal(
          r.stdout,
          'hello from vip-server\n',
          `a pod made before the rules reaches the VIP: ${r.stderr}`,
        );
        const refused = await rt.execSync(beforeClient, once('10.96.77.8:80'), 20);
        assert.equal(refused.stdout, 'connect 10.96.77.8:80: Connection refused\n');
      });
    }
  });
}

async function waitExit(rt: RuntimeService, id: string, ms = 20_000): Promise<ContainerStatus> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await rt.containerStatus(id);
    if (s.state === 'exited') return s;
    if (Date.now() > deadline) assert.fail(`container ${id} still ${s.state} after ${ms} ms`);
    await sleep(25);
  }
}

function criStdout(status: ContainerStatus): string {
  return readCriLog(status.logPath)
    .filter((l) => l.stream === 'stdout')
    .map((l) => (l.tag === 'F' ? `${l.text}\n` : l.text))
    .join('');
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, prefix] = cidr.split('/');
  const n = (a: string) => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(prefix));
  return Math.floor(n(ip) / size) === Math.floor(n(base ?? '') / size);
}
