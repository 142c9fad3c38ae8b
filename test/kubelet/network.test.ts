// The kubelet's side of Services and cluster DNS on the fake runtime: the sandbox's DNS config per dnsPolicy,
// its events, the managed /etc/hosts mount, and the service environment variables.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { Pod, Service } from '../../src/api/types.js';
import { HostsFiles } from '../../src/kubelet/hosts-file.js';
import type { PodSandboxConfig } from '../../src/runtime/types.js';
import { container, UID } from './fixtures.js';
import { Harness, type HarnessOptions } from './harness.js';

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop', uid: UID },
    spec: { restartPolicy: 'Always', containers: [container('app', { command: ['sleep', '1d'] })], ...spec },
    status: { phase: 'Pending' },
  };
}

/** A harness whose runtime keeps every sandbox config it is given (runPodSandbox and createContainer). */
function harness(options: HarnessOptions = {}) {
  const h = new Harness(options);
  const created: PodSandboxConfig[] = [];
  const forContainers: PodSandboxConfig[] = [];
  const run = h.runtime.runPodSandbox.bind(h.runtime);
  h.runtime.runPodSandbox = async (config) => {
    created.push(structuredClone(config));
    return run(config);
  };
  const create = h.runtime.createContainer.bind(h.runtime);
  h.runtime.createContainer = async (id, config, sandbox) => {
    forContainers.push(structuredClone(sandbox));
    return create(id, config, sandbox);
  };
  return { h, created, forContainers };
}

const running = (h: Harness) => h.until(UID, (s) => !!s.containerStatuses?.[0]?.state?.running);

let dir = '';
let resolvConf = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'podrun-kubelet-net-'));
  resolvConf = join(dir, 'resolv.conf');
  await writeFile(
    resolvConf,
    'nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example\noptions edns0\n',
  );
});
after(() => rm(dir, { recursive: true, force: true }));

describe('the sandbox DNS config', () => {
  it('ClusterFirst: the cluster DNS, the namespace search paths then the host ones, ndots:5', async () => {
    const { h, created, forContainers } = harness({ config: { resolvConf } });
    await h.run(pod());
    await running(h);
    const dns = {
      servers: ['10.96.0.10'],
      searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'],
      options: ['ndots:5'],
    };
    assert.deepEqual(
      created.map((c) => [c.hostname, c.dns]),
      [['web', dns]],
    );
    assert.deepEqual(
      forContainers.map((c) => c.dns),
      [dns],
    );
    assert.deepEqual(h.eventsOf('DNSConfigForming'), []);
    await h.stop();
  });

  it('Default, and ClusterFirst with hostNetwork: the host resolv.conf', async () => {
    for (const spec of [{ dnsPolicy: 'Default' }, { dnsPolicy: 'ClusterFirst', hostNetwork: true }]) {
      const { h, created } = harness({ config: { resolvConf } });
      await h.run(pod(spec));
      await running(h);
      assert.deepEqual(created[0]?.dns, {
        servers: ['192.0.2.53', '192.0.2.54'],
        searches: ['corp.example'],
        options: ['edns0'],
      });
      await h.stop();
    }
  });

  it('ClusterFirstWithHostNet with hostNetwork: the cluster DNS', async () => {
    const { h, created } = harness({ config: { resolvConf, clusterDomain: 'example.test' } });
    await h.run(pod({ dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true }));
    await running(h);
    assert.deepEqual(created[0]?.dns?.searches, [
      'shop.svc.example.test',
      'svc.example.test',
      'example.test',
      'corp.example',
    ]);
    await h.stop();
  });

  it('None: only the pod dnsConfig', async () => {
    const { h, created } = harness({ config: { resolvConf } });
    await h.run(
      pod({
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: ['1.1.1.1'],
          searches: ['a.example'],
          options: [{ name: 'ndots', value: '2' }],
        },
      }),
    );
    await running(h);
    assert.deepEqual(created[0]?.dns, {
      servers: ['1.1.1.1'],
      searches: ['a.example'],
      options: ['ndots:2'],
    });
    await h.stop();
  });

  it('a cut nameserver list raises DNSConfigForming on the pod, again at each sync of the running pod', async () => {
    const { h, created } = harness({ config: { resolvConf } });
    await h.run(pod({ dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3'] } }));
    await running(h);
    assert.deepEqual(created[0]?.dns?.servers, ['10.96.0.10', '1.1.1.1', '2.2.2.2']);
    const events = h.eventsOf('DNSConfigForming');
    assert.ok(events.length >= 1);
    for (const e of events) {
      assert.deepEqual(
        [e.type, e.fieldPath, e.message],
        [
          'Warning',
          undefined,
          'Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.96.0.10 1.1.1.1 2.2.2.2',
        ],
      );
    }
    // The resync is due 60 s after the last sync ended; that end waits on real file I/O (the hosts file), so
    // step the fake clock until it comes rather than assuming where 60 s lands.
    // Each step also yields a few real milliseconds, so that the file I/O can end on a loaded machine.
    for (let t = 0; t < 180_000 && h.eventsOf('DNSConfigForming').length <= events.length; t += 1000) {
      await h.advance(1000);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(h.eventsOf('DNSConfigForming').length > events.length, 'the resync generates the config again');
    await h.stop();
  });

  it('no cluster DNS configured: ClusterFirst falls back to the host resolv.conf with MissingClusterDNS', async () => {
    const { h, created } = harness({ config: { resolvConf, clusterDNS: [] } });
    await h.run(pod());
    await running(h);
    assert.deepEqual(created[0]?.dns?.servers, ['192.0.2.53', '192.0.2.54']);
    const messages = h.eventsOf('MissingClusterDNS').map((e) => e.message);
    const text =
      'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.';
    assert.deepEqual(messages.slice(0, 2), [text, `pod: "web_shop(${UID})". ${text}`]);
    await h.stop();
  });

  it('an unreadable host resolv.conf fails the sandbox creation', async () => {
    const missing = join(dir, 'missing.conf');
    const { h, created } = harness({ config: { resolvConf: missing } });
    await h.run(pod());
    // Reading the file is real I/O: give it real time between clock steps.
    for (let i = 0; i < 200 && h.eventsOf('FailedCreatePodSandBox').length === 0; i++) {
      await h.advance(500);
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(created, []);
    const [event] = h.eventsOf('FailedCreatePodSandBox');
    assert.equal(event?.message, `Failed to create pod sandbox: open ${missing}: no such file or directory`);
    assert.equal(h.latest(UID)?.containerStatuses?.[0]?.state?.waiting?.reason, 'ContainerCreating');
    await h.stop();
  });
});

describe('the managed /etc/hosts', () => {
  async function withHosts(p: Pod) {
    const root = await mkdtemp(join(tmpdir(), 'podrun-kubelet-hosts-'));
    const hosts = new HostsFiles({
      rootDir: root,
      clusterDomain: 'cluster.local',
      nodeHostsFile: join(root, 'none'),
    });
    const { h } = harness({ config: { rootDir: root }, kubelet: { hosts } });
    await h.run(p);
    // The hosts file is real I/O: give it real time between clock steps.
    for (let i = 0; i < 200 && !h.latest(UID)?.containerStatuses?.[0]?.state?.running; i++) {
      await h.clock.advance(500);
      await delay(5);
    }
    const id = h.runtime.instances().find((c) => c.metadata.name === 'app')?.id ?? '';
    return { h, root, mounts: h.runtime.configOf(id).mounts, path: join(root, 'pods', UID, 'etc-hosts') };
  }

  it("is written with the sandbox's IP and mounted into the container; it goes when the pod goes", async () => {
    const { h, root, mounts, path } = await withHosts(
      pod({
        hostname: 'db-0',
        subdomain: 'db',
        hostAliases: [{ ip: '10.1.1.1', hostnames: ['ext', 'ext2'] }],
      }),
    );
    try {
      assert.deepEqual(mounts, [{ containerPath: '/etc/hosts', hostPath: path, readOnly: false }]);
      const ip = (await h.runtime.listPodSandboxes())[0]?.ip;
      assert.equal(
        await readFile(path, 'utf8'),
        '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' +
          'fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n' +
          `${ip}\tdb-0.db.shop.svc.cluster.local\tdb-0\n\n# Entries added by HostAliases.\n10.1.1.1\text\text2\n`,
      );
      h.kubelet.deletePod(UID);
      for (let i = 0; i < 200 && (await stat(path).catch(() => undefined)); i++) {
        await h.clock.advance(500);
        await delay(5);
      }
      await assert.rejects(stat(path), { code: 'ENOENT' });
      await h.stop();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a container that mounts its own /etc/hosts keeps it', async () => {
    const app = container('app', {
      command: ['sleep', '1d'],
      volumeMounts: [{ name: 'h', mountPath: '/etc/hosts', subPath: 'hosts' }],
    });
    const { h, root, mounts } = await withHosts(
      pod({ containers: [app], volumes: [{ name: 'h', emptyDir: {} }] }),
    );
    try {
      // The harness mounts no volumes: what is left is what the kubelet adds, and that is nothing.
      assert.deepEqual(mounts, []);
      await h.stop();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('service environment variables', () => {
  const service = (
    name: string,
    namespace: string,
    clusterIP: string,
    port: number,
    portName?: string,
  ): Service => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { clusterIP, ports: [{ port, protocol: 'TCP', ...(portName ? { name: portName } : {}) }] },
  });

  function withServices(enableServiceLinks?: boolean) {
    const { h } = harness();
    h.services.push(
      service('kubernetes', 'default', '10.96.0.1', 443, 'https'),
      service('redis-service', 'shop', '10.96.0.21', 6379),
      service('headless', 'shop', 'None', 5432),
      service('elsewhere', 'other', '10.96.0.30', 80),
    );
    const app = container('app', {
      command: ['redis-cli', '-h', '$(REDIS_SERVICE_SERVICE_HOST)'],
      env: [
        { name: 'MODE', value: 'x' },
        { name: 'REDIS_URL', value: 'redis://$(REDIS_SERVICE_SERVICE_HOST):$(REDIS_SERVICE_SERVICE_PORT)' },
      ],
    });
    return {
      h,
      p: pod({ containers: [app], ...(enableServiceLinks === undefined ? {} : { enableServiceLinks }) }),
    };
  }

  it("the namespace's services and the master service, after the container's own variables", async () => {
    const { h, p } = withServices();
    await h.run(p);
    await running(h);
    const id = h.runtime.instances()[0]?.id ?? '';
    const config = h.runtime.configOf(id);
    assert.deepEqual(config.command, ['redis-cli', '-h', '10.96.0.21']);
    assert.deepEqual(
      config.envs.map((e) => `${e.name}=${e.value}`),
      [
        'MODE=x',
        'REDIS_URL=redis://10.96.0.21:6379',
        'KUBERNETES_SERVICE_HOST=10.96.0.1',
        'KUBERNETES_SERVICE_PORT=443',
        'KUBERNETES_SERVICE_PORT_HTTPS=443',
        'KUBERNETES_PORT=tcp://10.96.0.1:443',
        'KUBERNETES_PORT_443_TCP=tcp://10.96.0.1:443',
        'KUBERNETES_PORT_443_TCP_PROTO=tcp',
        'KUBERNETES_PORT_443_TCP_PORT=443',
        'KUBERNETES_PORT_443_TCP_ADDR=10.96.0.1',
        'REDIS_SERVICE_SERVICE_HOST=10.96.0.21',
        'REDIS_SERVICE_SERVICE_PORT=6379',
        'REDIS_SERVICE_PORT=tcp://10.96.0.21:6379',
        'REDIS_SERVICE_PORT_6379_TCP=tcp://10.96.0.21:6379',
        'REDIS_SERVICE_PORT_6379_TCP_PROTO=tcp',
        'REDIS_SERVICE_PORT_6379_TCP_PORT=6379',
        'REDIS_SERVICE_PORT_6379_TCP_ADDR=10.96.0.21',
      ],
    );
    await h.stop();
  });

  it('enableServiceLinks: false keeps only the master service', async () => {
    const { h, p } = withServices(false);
    await h.run(p);
    await running(h);
    const config = h.runtime.configOf(h.runtime.instances()[0]?.id ?? '');
    assert.deepEqual(config.command, ['redis-cli', '-h', '$(REDIS_SERVICE_SERVICE_HOST)']);
    assert.deepEqual(
      config.envs.map((e) => e.name).filter((n) => !n.startsWith('KUBERNETES_')),
      ['MODE', 'REDIS_URL'],
    );
    assert.equal(config.envs.find((e) => e.name === 'KUBERNETES_SERVICE_HOST')?.value, '10.96.0.1');
    await h.stop();
  });
});
