// The pod's DNS config, against the cases of k/k pkg/kubelet/network/dns/dns_test.go.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ObjectReference, Pod } from '../../src/api/types.js';
import {
  type DnsConfig,
  DnsConfigurer,
  type DnsSettings,
  fitNameservers,
  fitSearches,
  mergeDNSOptions,
  parseResolvConf,
  podDNS,
  podDNSType,
  readHostResolvConf,
} from '../../src/kubelet/dns.js';

describe('parseResolvConf', () => {
  // [data, nameservers, searches, options, isErr]
  const cases: [string, string[], string[], string[], boolean][] = [
    ['', [], [], [], false],
    [' ', [], [], [], false],
    ['\n', [], [], [], false],
    ['\t\n\t', [], [], [], false],
    ['#comment\n', [], [], [], false],
    [' #comment\n', [], [], [], false],
    ['#comment\n#comment', [], [], [], false],
    ['#comment\nnameserver', [], [], [], true],
    ['#comment\nnameserver\nsearch', [], [], [], true],
    ['#comment\nnameserver 1.2.3.4\nsearch', ['1.2.3.4'], [], [], false],
    ['nameserver 1.2.3.4', ['1.2.3.4'], [], [], false],
    [' nameserver 1.2.3.4', ['1.2.3.4'], [], [], false],
    ['\tnameserver 1.2.3.4', ['1.2.3.4'], [], [], false],
    ['nameserver\t1.2.3.4', ['1.2.3.4'], [], [], false],
    ['nameserver \t 1.2.3.4', ['1.2.3.4'], [], [], false],
    ['nameserver 1.2.3.4\nnameserver 5.6.7.8', ['1.2.3.4', '5.6.7.8'], [], [], false],
    ['nameserver 1.2.3.4 #comment', ['1.2.3.4'], [], [], false],
    ['search ', [], [], [], false],
    ['search foo', [], ['foo'], [], false],
    ['search foo bar', [], ['foo', 'bar'], [], false],
    ['search foo. bar', [], ['foo', 'bar'], [], false],
    ['search foo bar bat\n', [], ['foo', 'bar', 'bat'], [], false],
    ['search foo\nsearch bar', [], ['bar'], [], false],
    ['nameserver 1.2.3.4\nsearch foo bar', ['1.2.3.4'], ['foo', 'bar'], [], false],
    [
      'nameserver 1.2.3.4\nsearch foo\nnameserver 5.6.7.8\nsearch bar',
      ['1.2.3.4', '5.6.7.8'],
      ['bar'],
      [],
      false,
    ],
    ['#comment\nnameserver 1.2.3.4\n#comment\nsearch foo\ncomment', ['1.2.3.4'], ['foo'], [], false],
    ['options ', [], [], [], false],
    ['options ndots:5 attempts:2', [], [], ['ndots:5', 'attempts:2'], false],
    ['options ndots:1\noptions ndots:5 attempts:3', [], [], ['ndots:5', 'attempts:3'], false],
    [
      'nameserver 1.2.3.4\nsearch foo\nnameserver 5.6.7.8\nsearch bar\noptions ndots:5 attempts:4',
      ['1.2.3.4', '5.6.7.8'],
      ['bar'],
      ['ndots:5', 'attempts:4'],
      false,
    ],
  ];
  for (const [data, servers, searches, options, isErr] of cases) {
    it(JSON.stringify(data), () => {
      const got = parseResolvConf(data);
      if (isErr) {
        assert.deepEqual(got.errors.length > 0, true);
        return;
      }
      assert.deepEqual(got, { servers, searches, options, errors: [] });
    });
  }
});

describe('fitSearches (formDNSSearchFitsLimits, ExpandedDNSConfig limits)', () => {
  const list2048 = ['A'.repeat(128), ...Array.from({ length: 15 }, () => 'A'.repeat(127))];
  const thirtyTwo = [
    'testNS.svc.TEST',
    'svc.TEST',
    'TEST',
    ...Array.from({ length: 29 }, (_, i) => String(i + 4)),
  ];
  const prefix =
    'Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ';
  const cases: { desc: string; in: string[]; out: string[]; event?: string }[] = [
    {
      desc: 'valid: 3 search paths',
      in: ['testNS.svc.TEST', 'svc.TEST', 'TEST'],
      out: ['testNS.svc.TEST', 'svc.TEST', 'TEST'],
    },
    {
      desc: 'valid: 5 search paths',
      in: ['testNS.svc.TEST', 'svc.TEST', 'TEST', 'AAA', 'BBB'],
      out: ['testNS.svc.TEST', 'svc.TEST', 'TEST', 'AAA', 'BBB'],
    },
    { desc: 'valid: 2048 characters in search path list', in: list2048, out: list2048 },
    {
      desc: 'invalid: 2050 characters in search path list',
      in: [...list2048, 'B'],
      out: list2048,
      event: prefix + list2048.join(' '),
    },
    {
      desc: 'invalid: 256 characters search path',
      in: ['testNS.svc.TEST', 'svc.TEST', 'TEST', 'AAA', 'B'.repeat(256), 'BBB'],
      out: ['testNS.svc.TEST', 'svc.TEST', 'TEST', 'AAA', 'BBB'],
      event: `${prefix}testNS.svc.TEST svc.TEST TEST AAA BBB`,
    },
    { desc: 'valid: 253 characters search path', in: ['C'.repeat(253)], out: ['C'.repeat(253)] },
    { desc: 'valid: 32 search paths', in: thirtyTwo, out: thirtyTwo },
    {
      desc: 'invalid: 33 search paths',
      in: [...thirtyTwo, '33'],
      out: thirtyTwo,
      event: prefix + thirtyTwo.join(' '),
    },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const got = fitSearches(c.in);
      assert.deepEqual(got.searches, c.out);
      assert.deepEqual(got.warning?.message, c.event);
      if (c.event) assert.equal(got.warning?.reason, 'DNSConfigForming');
    });
  }
});

describe('fitNameservers (formDNSNameserversFitsLimits)', () => {
  it('keeps up to 3 and cuts the 4th with an event', () => {
    assert.deepEqual(fitNameservers(['127.0.0.1']), { servers: ['127.0.0.1'] });
    assert.deepEqual(fitNameservers(['127.0.0.1', '10.0.0.10', '8.8.8.8']), {
      servers: ['127.0.0.1', '10.0.0.10', '8.8.8.8'],
    });
    assert.deepEqual(fitNameservers(['127.0.0.1', '10.0.0.10', '8.8.8.8', '1.2.3.4']), {
      servers: ['127.0.0.1', '10.0.0.10', '8.8.8.8'],
      warning: {
        on: 'pod',
        reason: 'DNSConfigForming',
        message:
          'Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 127.0.0.1 10.0.0.10 8.8.8.8',
      },
    });
  });
});

describe('mergeDNSOptions', () => {
  it('empty pod options keep the existing ones', () => {
    assert.deepEqual(mergeDNSOptions(['ndots:5', 'debug'], []), ['ndots:5', 'debug']);
  });
  it('new names are appended', () => {
    assert.deepEqual(
      mergeDNSOptions(['ndots:5', 'debug'], [{ name: 'single-request' }, { name: 'attempts', value: '3' }]),
      ['ndots:5', 'debug', 'single-request', 'attempts:3'],
    );
  });
  it("duplicated names take the pod's value in place", () => {
    assert.deepEqual(
      mergeDNSOptions(
        ['ndots:5', 'debug'],
        [
          { name: 'ndots', value: '3' },
          { name: 'debug' },
          { name: 'single-request' },
          { name: 'attempts', value: '3' },
        ],
      ),
      ['ndots:3', 'debug', 'single-request', 'attempts:3'],
    );
  });
});

function pod(spec: Pod['spec'] = { containers: [] }, namespace = 'testNS'): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'test_pod', namespace, uid: 'u1' }, spec };
}

describe('podDNSType (getPodDNSType)', () => {
  const cases: [string, string, boolean, ReturnType<typeof podDNSType>][] = [
    ['ClusterFirst without hostNetwork', 'ClusterFirst', false, 'cluster'],
    ['ClusterFirstWithHostNet with hostNetwork', 'ClusterFirstWithHostNet', true, 'cluster'],
    ['ClusterFirstWithHostNet without hostNetwork', 'ClusterFirstWithHostNet', false, 'cluster'],
    ['Default without hostNetwork', 'Default', false, 'host'],
    ['Default with hostNetwork', 'Default', true, 'host'],
    ['ClusterFirst with hostNetwork falls back to Default', 'ClusterFirst', true, 'host'],
    ['None', 'None', false, 'none'],
    ['an invalid policy is treated as ClusterFirst', 'invalidPolicy', false, 'cluster'],
  ];
  for (const [desc, dnsPolicy, hostNetwork, want] of cases) {
    it(desc, () => assert.equal(podDNSType(pod({ containers: [], dnsPolicy, hostNetwork })), want));
  }
});

const EMPTY: DnsConfig = { servers: [], searches: [], options: [] };

describe('podDNS (GetPodDNS)', () => {
  const cluster: DnsSettings = {
    clusterDNS: ['203.0.113.1'],
    clusterDomain: 'kubernetes.io',
    hasResolvConf: false,
    nodeIPs: [],
  };

  it('without a resolv.conf (testGetPodDNS): cluster pods get the cluster DNS, Default pods the loopback', () => {
    const hostNet = (dnsPolicy: string) => pod({ containers: [], hostNetwork: true, dnsPolicy }, '');
    const withHostNet = podDNS(hostNet('ClusterFirstWithHostNet'), cluster, EMPTY).dns;
    assert.deepEqual(withHostNet.servers, ['203.0.113.1']);
    assert.equal(withHostNet.searches[0], '.svc.kubernetes.io');
    const fallback = podDNS(hostNet('ClusterFirst'), cluster, EMPTY).dns;
    assert.deepEqual(fallback, { servers: ['127.0.0.1'], searches: ['.'], options: [] });
    const notHostNet = podDNS(pod({ containers: [], dnsPolicy: 'ClusterFirst' }, ''), cluster, EMPTY).dns;
    assert.deepEqual(notHostNet, {
      servers: ['203.0.113.1'],
      searches: ['.svc.kubernetes.io', 'svc.kubernetes.io', 'kubernetes.io'],
      options: ['ndots:5'],
    });
    assert.deepEqual(podDNS(hostNet('Default'), cluster, EMPTY).dns, fallback);
    // The loopback of the node's address family.
    const v6 = podDNS(hostNet('Default'), { ...cluster, nodeIPs: ['fd00::1', '10.0.0.1'] }, EMPTY).dns;
    assert.deepEqual(v6.servers, ['::1', '127.0.0.1']);
  });

  it('with a resolv.conf: cluster search paths before the host ones, host options dropped', () => {
    const host: DnsConfig = {
      servers: ['8.8.8.8'],
      searches: ['host.domain', 'svc.kubernetes.io'],
      options: ['rotate'],
    };
    const got = podDNS(pod({ containers: [] }), { ...cluster, hasResolvConf: true }, host);
    assert.deepEqual(got, {
      dns: {
        servers: ['203.0.113.1'],
        searches: ['testNS.svc.kubernetes.io', 'svc.kubernetes.io', 'kubernetes.io', 'host.domain'],
        options: ['ndots:5'],
      },
      warnings: [],
    });
    // No cluster domain: the host's search paths only.
    const noDomain = podDNS(
      pod({ containers: [] }),
      { ...cluster, clusterDomain: '', hasResolvConf: true },
      host,
    );
    assert.deepEqual(noDomain.dns.searches, ['host.domain', 'svc.kubernetes.io']);
  });

  describe('with dnsConfig (TestGetPodDNSCustom)', () => {
    const settings: DnsSettings = {
      clusterDNS: ['10.0.0.10'],
      clusterDomain: 'kubernetes.io',
      hasResolvConf: true,
      nodeIPs: [],
    };
    const host: DnsConfig = { servers: ['8.8.8.8'], searches: ['host.domain'], options: [] };
    const dnsConfig = {
      nameservers: ['10.0.0.11'],
      searches: ['my.domain'],
      options: [{ name: 'ndots', value: '3' }, { name: 'debug' }],
    };
    const cases: { desc: string; spec: Partial<NonNullable<Pod['spec']>>; want: DnsConfig }[] = [
      { desc: 'None without dnsConfig has empty settings', spec: { dnsPolicy: 'None' }, want: EMPTY },
      {
        desc: 'None with dnsConfig',
        spec: {
          dnsPolicy: 'None',
          dnsConfig: {
            nameservers: ['203.0.113.1'],
            searches: ['my.domain', 'second.domain'],
            options: [{ name: 'ndots', value: '3' }, { name: 'debug' }],
          },
        },
        want: {
          servers: ['203.0.113.1'],
          searches: ['my.domain', 'second.domain'],
          options: ['ndots:3', 'debug'],
        },
      },
      {
        desc: 'ClusterFirst with dnsConfig',
        spec: { dnsPolicy: 'ClusterFirst', dnsConfig },
        want: {
          servers: ['10.0.0.10', '10.0.0.11'],
          searches: [
            'testNS.svc.kubernetes.io',
            'svc.kubernetes.io',
            'kubernetes.io',
            'host.domain',
            'my.domain',
          ],
          options: ['ndots:3', 'debug'],
        },
      },
      {
        desc: 'ClusterFirstWithHostNet with dnsConfig',
        spec: { dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true, dnsConfig },
        want: {
          servers: ['10.0.0.10', '10.0.0.11'],
          searches: [
            'testNS.svc.kubernetes.io',
            'svc.kubernetes.io',
            'kubernetes.io',
            'host.domain',
            'my.domain',
          ],
          options: ['ndots:3', 'debug'],
        },
      },
      {
        desc: 'Default with dnsConfig',
        spec: { dnsPolicy: 'Default', dnsConfig },
        want: {
          servers: ['8.8.8.8', '10.0.0.11'],
          searches: ['host.domain', 'my.domain'],
          options: ['ndots:3', 'debug'],
        },
      },
      {
        desc: 'duplicates of the base are dropped',
        spec: { dnsPolicy: 'Default', dnsConfig: { nameservers: ['8.8.8.8'], searches: ['host.domain'] } },
        want: { servers: ['8.8.8.8'], searches: ['host.domain'], options: [] },
      },
    ];
    for (const c of cases) {
      it(c.desc, () => {
        const got = podDNS(pod({ containers: [], ...c.spec }), settings, host);
        assert.deepEqual(got, { dns: c.want, warnings: [] });
      });
    }
  });

  it('without cluster DNS, ClusterFirst falls back to Default with MissingClusterDNS on the node and the pod', () => {
    const got = podDNS(
      pod({ containers: [] }),
      { ...cluster, clusterDNS: [], hasResolvConf: true },
      { servers: ['8.8.8.8'], searches: ['host.domain'], options: ['edns0'] },
    );
    const text =
      'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.';
    assert.deepEqual(got, {
      dns: { servers: ['8.8.8.8'], searches: ['host.domain'], options: ['edns0'] },
      warnings: [
        { on: 'node', reason: 'MissingClusterDNS', message: text },
        { on: 'pod', reason: 'MissingClusterDNS', message: `pod: "test_pod_testNS(u1)". ${text}` },
      ],
    });
  });

  it('too many nameservers and search paths after the merge: both cut, two DNSConfigForming warnings', () => {
    const got = podDNS(
      pod({
        containers: [],
        dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3'], searches: ['d'.repeat(300)] },
      }),
      cluster,
      EMPTY,
    );
    assert.deepEqual(got.dns.servers, ['203.0.113.1', '1.1.1.1', '2.2.2.2']);
    assert.deepEqual(got.dns.searches, ['testNS.svc.kubernetes.io', 'svc.kubernetes.io', 'kubernetes.io']);
    assert.deepEqual(
      got.warnings.map((w) => w.message),
      [
        'Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 203.0.113.1 1.1.1.1 2.2.2.2',
        'Search Line limits were exceeded, some search paths have been omitted, the applied search line is: testNS.svc.kubernetes.io svc.kubernetes.io kubernetes.io',
      ],
    );
  });
});

describe('DnsConfigurer', () => {
  it('reads the host resolv.conf at each call and records warnings against the pod and the node', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'podrun-dns-'));
    try {
      const path = join(dir, 'resolv.conf');
      await writeFile(path, 'nameserver 192.0.2.53\nsearch corp.example.\noptions edns0\n');
      const events: { ref: ObjectReference; reason: string; message: string }[] = [];
      const configurer = new DnsConfigurer({
        clusterDNS: [],
        clusterDomain: 'cluster.local',
        resolvConf: path,
        nodeName: 'node1',
        nodeIPs: ['192.168.1.10'],
        events: { event: (ref, _type, reason, message) => events.push({ ref, reason, message }) },
      });
      assert.deepEqual(await configurer.getPodDNS(pod({ containers: [] })), {
        servers: ['192.0.2.53'],
        searches: ['corp.example'],
        options: ['edns0'],
      });
      assert.deepEqual(
        events.map((e) => [e.ref.kind, e.ref.name, e.reason]),
        [
          ['Node', 'node1', 'MissingClusterDNS'],
          ['Pod', 'test_pod', 'MissingClusterDNS'],
        ],
      );
      await writeFile(path, 'nameserver 192.0.2.54\n');
      assert.deepEqual((await configurer.getPodDNS(pod({ containers: [], dnsPolicy: 'Default' }))).servers, [
        '192.0.2.54',
      ]);
      // Rewritten in place with the same size within the file system's timestamp tick: still seen.
      await writeFile(path, 'nameserver 192.0.2.55\n');
      assert.deepEqual((await configurer.getPodDNS(pod({ containers: [], dnsPolicy: 'Default' }))).servers, [
        '192.0.2.55',
      ]);
      await rm(path);
      await assert.rejects(configurer.getPodDNS(pod({ containers: [], dnsPolicy: 'Default' })), {
        message: `open ${path}: no such file or directory`,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("an unreadable or malformed host file is an error with Go's text", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'podrun-dns-'));
    try {
      const missing = join(dir, 'nope');
      await assert.rejects(readHostResolvConf(missing), {
        message: `open ${missing}: no such file or directory`,
      });
      const bad = join(dir, 'bad');
      await writeFile(bad, 'nameserver\n');
      await assert.rejects(readHostResolvConf(bad), { message: 'nameserver list is empty ' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
