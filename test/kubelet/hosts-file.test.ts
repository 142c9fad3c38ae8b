// The kubelet-managed /etc/hosts, against TestManagedHostsFileContent and TestNodeHostsFileContent
// (k/k pkg/kubelet/kubelet_pods_test.go).
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import {
  HostsFiles,
  managedHostsFileContent,
  nodeHostsFileContent,
  nodenameForKernel,
  podHostnameAndDomain,
  shouldMountHostsFile,
} from '../../src/kubelet/hosts-file.js';

const LOCAL = `127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
fe00::0\tip6-mcastprefix
fe00::1\tip6-allnodes
fe00::2\tip6-allrouters
`;
const HEADER = '# Kubernetes-managed hosts file.\n';

describe('managedHostsFileContent', () => {
  const two = [
    { ip: '123.45.67.89', hostnames: ['foo', 'bar', 'baz'] },
    { ip: '456.78.90.123', hostnames: ['park', 'doo', 'boo'] },
  ];
  const cases: [string, string[], string, string, typeof two, string][] = [
    ['no domain', ['123.45.67.89'], 'podFoo', '', [], `${HEADER}${LOCAL}123.45.67.89\tpodFoo\n`],
    [
      'a domain',
      ['203.0.113.1'],
      'podFoo',
      'domainFoo',
      [],
      `${HEADER}${LOCAL}203.0.113.1\tpodFoo.domainFoo\tpodFoo\n`,
    ],
    [
      'one host alias',
      ['203.0.113.1'],
      'podFoo',
      'domainFoo',
      two.slice(0, 1),
      `${HEADER}${LOCAL}203.0.113.1\tpodFoo.domainFoo\tpodFoo\n\n# Entries added by HostAliases.\n123.45.67.89\tfoo\tbar\tbaz\n`,
    ],
    [
      'two host aliases',
      ['203.0.113.1'],
      'podFoo',
      'domainFoo',
      two,
      `${HEADER}${LOCAL}203.0.113.1\tpodFoo.domainFoo\tpodFoo\n\n# Entries added by HostAliases.\n123.45.67.89\tfoo\tbar\tbaz\n456.78.90.123\tpark\tdoo\tboo\n`,
    ],
    [
      'dual stack',
      ['203.0.113.1', 'fd00::6'],
      'podFoo',
      'domainFoo',
      [],
      `${HEADER}${LOCAL}203.0.113.1\tpodFoo.domainFoo\tpodFoo\nfd00::6\tpodFoo.domainFoo\tpodFoo\n`,
    ],
  ];
  for (const [desc, ips, hostname, domain, aliases, want] of cases) {
    it(desc, () => assert.equal(managedHostsFileContent(ips, hostname, domain, aliases), want));
  }
});

describe('nodeHostsFileContent', () => {
  const raw = `# hosts file for testing.\n${LOCAL}123.45.67.89\tsome.domain\n`;
  it('the node file under the host-network header', () => {
    assert.equal(nodeHostsFileContent(raw, []), `# Kubernetes-managed hosts file (host network).\n${raw}`);
  });
  it('with host aliases', () => {
    assert.equal(
      nodeHostsFileContent(raw, [{ ip: '123.45.67.89', hostnames: ['foo', 'bar', 'baz'] }]),
      `# Kubernetes-managed hosts file (host network).\n${raw}\n# Entries added by HostAliases.\n123.45.67.89\tfoo\tbar\tbaz\n`,
    );
  });
});

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}, name = 'web'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: 'uid-9' },
    spec: { containers: [{ name: 'app' }], ...spec },
  };
}

describe('podHostnameAndDomain and nodenameForKernel', () => {
  it('the pod name, or spec.hostname; a subdomain gives <sub>.<ns>.svc.<domain>', () => {
    assert.deepEqual(podHostnameAndDomain(pod(), 'cluster.local'), { hostname: 'web', domain: '' });
    assert.deepEqual(podHostnameAndDomain(pod({ hostname: 'db-0', subdomain: 'db' }), 'cluster.local'), {
      hostname: 'db-0',
      domain: 'db.shop.svc.cluster.local',
    });
  });
  it('a long pod name is cut to 63 characters without a trailing dash or dot', () => {
    const name = `${'a'.repeat(61)}-.b${'c'.repeat(10)}`;
    assert.equal(podHostnameAndDomain(pod({}, name), 'cluster.local').hostname, 'a'.repeat(61));
  });
  it('setHostnameAsFQDN gives the FQDN, refused past 64 characters', () => {
    assert.equal(
      nodenameForKernel('db-0', 'db.shop.svc.cluster.local', true),
      'db-0.db.shop.svc.cluster.local',
    );
    assert.equal(nodenameForKernel('db-0', 'db.shop.svc.cluster.local', false), 'db-0');
    assert.equal(nodenameForKernel('db-0', '', true), 'db-0');
    const domain = `${'d'.repeat(40)}.shop.svc.cluster.local`;
    assert.throws(() => nodenameForKernel('db-0', domain, true), {
      message: `failed to construct FQDN from pod hostname and cluster domain, FQDN db-0.${domain} is too long (64 characters is the max, 68 characters requested)`,
    });
  });
  it('a container mounting /etc/hosts itself gets no kubelet hosts file; nor does a pod without IP', () => {
    assert.equal(shouldMountHostsFile({ name: 'a' }, ['10.0.0.1']), true);
    assert.equal(shouldMountHostsFile({ name: 'a' }, []), false);
    assert.equal(
      shouldMountHostsFile({ name: 'a', volumeMounts: [{ name: 'h', mountPath: '/etc/hosts' }] }, [
        '10.0.0.1',
      ]),
      false,
    );
    assert.equal(
      shouldMountHostsFile({ name: 'a', volumeMounts: [{ name: 'h', mountPath: '/etc/hostname' }] }, [
        '10.0.0.1',
      ]),
      true,
    );
  });
});

describe('HostsFiles', () => {
  it('writes <root>/pods/<uid>/etc-hosts 0644 at each ensure, mounts it at /etc/hosts, removes it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'podrun-hosts-'));
    try {
      const nodeHosts = join(root, 'node-hosts');
      await writeFile(nodeHosts, '127.0.0.1\tlocalhost\n192.0.2.1\tnode1\n');
      const files = new HostsFiles({
        rootDir: root,
        clusterDomain: 'cluster.local',
        nodeHostsFile: nodeHosts,
      });
      const path = join(root, 'pods', 'uid-9', 'etc-hosts');
      const p = pod({
        hostname: 'db-0',
        subdomain: 'db',
        hostAliases: [{ ip: '10.1.1.1', hostnames: ['ext'] }],
      });
      assert.deepEqual(await files.ensure(p, ['10.244.0.7']), {
        containerPath: '/etc/hosts',
        hostPath: path,
        readOnly: false,
      });
      assert.equal(
        await readFile(path, 'utf8'),
        `${HEADER}${LOCAL}10.244.0.7\tdb-0.db.shop.svc.cluster.local\tdb-0\n\n# Entries added by HostAliases.\n10.1.1.1\text\n`,
      );
      assert.equal((await stat(path)).mode & 0o777, 0o644);
      // hostNetwork: the node's file.
      await files.ensure(pod({ hostNetwork: true }), ['192.0.2.1']);
      assert.equal(
        await readFile(path, 'utf8'),
        '# Kubernetes-managed hosts file (host network).\n127.0.0.1\tlocalhost\n192.0.2.1\tnode1\n',
      );
      await files.remove('uid-9');
      await assert.rejects(stat(path), { code: 'ENOENT' });
      await files.remove('uid-9');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a container that changed the file gets it back at the next ensure; an unchanged file is left as it is', async () => {
    const root = await mkdtemp(join(tmpdir(), 'podrun-hosts-'));
    try {
      const files = new HostsFiles({
        rootDir: root,
        clusterDomain: 'cluster.local',
        nodeHostsFile: '/dev/null',
      });
      const path = join(root, 'pods', 'uid-9', 'etc-hosts');
      const p = pod({});
      await files.ensure(p, ['10.244.0.7']);
      const want = await readFile(path, 'utf8');
      const first = await stat(path);
      // Not rewritten: the same file, not modified since.
      await files.ensure(p, ['10.244.0.7']);
      const again = await stat(path);
      assert.equal(again.ino, first.ino);
      assert.equal(again.mtimeMs, first.mtimeMs);
      // A container wrote to it (it is mounted read-write) and changed its mode: both come back.
      await writeFile(path, '10.0.0.1\tevil\n');
      await chmod(path, 0o600);
      await files.ensure(p, ['10.244.0.7']);
      assert.equal(await readFile(path, 'utf8'), want);
      assert.equal((await stat(path)).mode & 0o777, 0o644);
      // Same size, other bytes: rewritten too.
      await writeFile(path, want.replace(/[a-z]/g, 'x'));
      await files.ensure(p, ['10.244.0.7']);
      assert.equal(await readFile(path, 'utf8'), want);
      // Same content, another mode: only the mode changes.
      await chmod(path, 0o666);
      await files.ensure(p, ['10.244.0.7']);
      assert.equal((await stat(path)).mode & 0o777, 0o644);
      // A new IP (a new sandbox): the new content.
      await files.ensure(p, ['10.244.0.8']);
      assert.match(await readFile(path, 'utf8'), /10\.244\.0\.8/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
