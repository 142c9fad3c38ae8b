import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { computeServiceRules } from '../../../src/network/proxy/rules.js';
import type { ServicePortRule } from '../../../src/network/types.js';
import { ep, service, slice } from './fixtures.js';

const CIDR = '10.96.0.0/12';

interface Case {
  name: string;
  services: Service[];
  slices: EndpointSlice[];
  clusterIPs?: string[];
  ports: ServicePortRule[];
}

const cases: Case[] = [
  {
    name: 'an unnamed port goes to the slice port named "", at the slice port (targetPort)',
    services: [service('pg', '10.96.0.20', [{ port: 5432, targetPort: 15432 }])],
    slices: [slice('pg', 'pg-abc', [{ name: '', port: 15432, protocol: 'TCP' }], [ep('10.244.0.7')])],
    clusterIPs: ['10.96.0.20'],
    ports: [
      {
        service: 'default/pg',
        clusterIP: '10.96.0.20',
        protocol: 'TCP',
        port: 5432,
        endpoints: [{ ip: '10.244.0.7', port: 15432 }],
      },
    ],
  },
  {
    name: 'named ports match slice ports by name',
    services: [
      service('web', '10.96.0.30', [
        { name: 'http', port: 80 },
        { name: 'metrics', port: 9090 },
      ]),
    ],
    slices: [
      slice(
        'web',
        'web-1',
        [
          { name: 'metrics', port: 9100, protocol: 'TCP' },
          { name: 'http', port: 8080, protocol: 'TCP' },
        ],
        [ep('10.244.0.8'), ep('10.244.0.9')],
      ),
    ],
    ports: [
      {
        service: 'default/web:http',
        clusterIP: '10.96.0.30',
        protocol: 'TCP',
        port: 80,
        endpoints: [
          { ip: '10.244.0.8', port: 8080 },
          { ip: '10.244.0.9', port: 8080 },
        ],
      },
      {
        service: 'default/web:metrics',
        clusterIP: '10.96.0.30',
        protocol: 'TCP',
        port: 9090,
        endpoints: [
          { ip: '10.244.0.8', port: 9100 },
          { ip: '10.244.0.9', port: 9100 },
        ],
      },
    ],
  },
  {
    name: 'the protocol must match too; a slice port with neither name nor protocol is "" / TCP',
    services: [
      service('dns', '10.96.0.10', [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ]),
      service('plain', '10.96.0.11', [{ port: 80 }]),
    ],
    slices: [
      slice(
        'dns',
        'dns-1',
        [
          { name: 'dns', port: 1053, protocol: 'TCP' }, // same name, wrong protocol: not for "dns"
          { name: 'dns-tcp', port: 2053, protocol: 'TCP' },
        ],
        [ep('10.244.0.1')],
      ),
      slice('plain', 'plain-1', [{ port: 8080 }], [ep('10.244.0.3')]),
    ],
    ports: [
      {
        service: 'default/dns:dns',
        clusterIP: '10.96.0.10',
        protocol: 'UDP',
        port: 53,
        endpoints: [],
      },
      {
        service: 'default/dns:dns-tcp',
        clusterIP: '10.96.0.10',
        protocol: 'TCP',
        port: 53,
        endpoints: [{ ip: '10.244.0.1', port: 2053 }],
      },
      {
        service: 'default/plain',
        clusterIP: '10.96.0.11',
        protocol: 'TCP',
        port: 80,
        endpoints: [{ ip: '10.244.0.3', port: 8080 }],
      },
    ],
  },
  {
    name: 'headless, ExternalName, unallocated and other-proxy Services are not proxied; port-less ones hold their IP',
    services: [
      service('headless', 'None', [{ port: 80 }]),
      service('ext', undefined, [{ port: 80 }], { type: 'ExternalName' }),
      service('pending', '', [{ port: 80 }]),
      service('other', '10.96.0.50', [{ port: 80 }], {
        labels: { 'service.kubernetes.io/service-proxy-name': 'someone-else' },
      }),
      service('noports', '10.96.0.40', []),
    ],
    slices: [slice('headless', 'headless-1', [{ name: '', port: 80, protocol: 'TCP' }], [ep('10.244.0.5')])],
    clusterIPs: ['10.96.0.40'],
    ports: [],
  },
  {
    name: 'ready endpoints only (ready unset counts as ready)',
    services: [service('s', '10.96.0.60', [{ port: 80 }])],
    slices: [
      slice(
        's',
        's-1',
        [{ name: '', port: 80, protocol: 'TCP' }],
        [
          ep('10.244.0.10', { ready: true }),
          ep('10.244.0.11'),
          ep('10.244.0.12', { ready: false, serving: true, terminating: true }),
          ep('10.244.0.13', { ready: false }),
        ],
      ),
    ],
    ports: [
      {
        service: 'default/s',
        clusterIP: '10.96.0.60',
        protocol: 'TCP',
        port: 80,
        endpoints: [
          { ip: '10.244.0.10', port: 80 },
          { ip: '10.244.0.11', port: 80 },
        ],
      },
    ],
  },
  {
    name: 'no ready endpoint: the serving and terminating ones (serving unset counts as serving)',
    services: [service('s', '10.96.0.61', [{ port: 80 }])],
    slices: [
      slice(
        's',
        's-1',
        [{ name: '', port: 80, protocol: 'TCP' }],
        [
          ep('10.244.0.20', { ready: false, serving: true, terminating: true }),
          ep('10.244.0.21', { ready: false, terminating: true }),
          ep('10.244.0.22', { ready: false, serving: false, terminating: true }),
          ep('10.244.0.23', { ready: false, serving: true }), // not terminating: unset counts as false
        ],
      ),
    ],
    ports: [
      {
        service: 'default/s',
        clusterIP: '10.96.0.61',
        protocol: 'TCP',
        port: 80,
        endpoints: [
          { ip: '10.244.0.20', port: 80 },
          { ip: '10.244.0.21', port: 80 },
        ],
      },
    ],
  },
  {
    name: 'endpoints are deduplicated across slices; first addresses only; other services, namespaces and families ignored',
    services: [service('s', '10.96.0.62', [{ port: 80 }])],
    slices: [
      slice('s', 's-a', [{ name: '', port: 80, protocol: 'TCP' }], [ep('10.244.0.31'), ep('10.244.0.30')]),
      slice(
        's',
        's-b',
        [{ name: '', port: 80, protocol: 'TCP' }],
        [{ addresses: ['10.244.0.30', '10.244.0.99'] }, { addresses: [] }],
      ),
      slice('s', 's-c', [{ name: '', port: 80, protocol: 'TCP' }], [ep('10.244.0.40')], { ns: 'other' }),
      slice('t', 't-a', [{ name: '', port: 80, protocol: 'TCP' }], [ep('10.244.0.41')]),
      slice('s', 's-v6', [{ name: '', port: 80, protocol: 'TCP' }], [ep('fd00::1')], { addressType: 'IPv6' }),
      slice('s', 's-fqdn', [{ name: '', port: 80, protocol: 'TCP' }], [ep('example.com')], {
        addressType: 'FQDN',
      }),
      {
        ...slice('s', 's-nolabel', [{ name: '', port: 80, protocol: 'TCP' }], [ep('10.244.0.42')]),
        metadata: { name: 's-nolabel', namespace: 'default' },
      },
    ],
    ports: [
      {
        service: 'default/s',
        clusterIP: '10.96.0.62',
        protocol: 'TCP',
        port: 80,
        endpoints: [
          { ip: '10.244.0.30', port: 80 },
          { ip: '10.244.0.31', port: 80 },
        ],
      },
    ],
  },
  {
    name: 'ClientIP affinity: the configured timeout, else 10800 s; dual-stack Services use their IPv4 ClusterIP',
    services: [
      service('a', '10.96.0.70', [{ port: 80 }], { affinity: 60 }),
      service('b', 'fd00::71', [{ port: 80 }], {
        affinity: 'default',
        clusterIPs: ['fd00::71', '10.96.0.71'],
      }),
      service('v6only', 'fd00::72', [{ port: 80 }], { clusterIPs: ['fd00::72'] }),
    ],
    slices: [],
    clusterIPs: ['10.96.0.70', '10.96.0.71'],
    ports: [
      {
        service: 'default/a',
        clusterIP: '10.96.0.70',
        protocol: 'TCP',
        port: 80,
        endpoints: [],
        affinityTimeoutSeconds: 60,
      },
      {
        service: 'default/b',
        clusterIP: '10.96.0.71',
        protocol: 'TCP',
        port: 80,
        endpoints: [],
        affinityTimeoutSeconds: 10800,
      },
    ],
  },
  {
    name: 'two Services given one VIP port: the first by name keeps it (nft would refuse a duplicate key)',
    services: [service('zz', '10.96.0.80', [{ port: 80 }]), service('aa', '10.96.0.80', [{ port: 80 }])],
    slices: [],
    clusterIPs: ['10.96.0.80'],
    ports: [{ service: 'default/aa', clusterIP: '10.96.0.80', protocol: 'TCP', port: 80, endpoints: [] }],
  },
];

describe('computeServiceRules', () => {
  for (const c of cases) {
    test(c.name, () => {
      const rules = computeServiceRules(c.services, c.slices, CIDR);
      assert.deepEqual(rules.ports, c.ports);
      assert.equal(rules.serviceCidr, CIDR);
      if (c.clusterIPs) assert.deepEqual(rules.clusterIPs, c.clusterIPs);
    });
  }

  test('the order of the inputs does not change the result', () => {
    const all = cases.slice(0, 3);
    const services = all.flatMap((c) => c.services);
    const slices = all.flatMap((c) => c.slices);
    const forward = computeServiceRules(services, slices, CIDR);
    const backward = computeServiceRules([...services].reverse(), [...slices].reverse(), CIDR);
    assert.deepEqual(backward, forward);
    assert.deepEqual(forward.clusterIPs, ['10.96.0.10', '10.96.0.11', '10.96.0.20', '10.96.0.30']);
  });

  test('a bad service CIDR is refused with what was wrong', () => {
    assert.throws(
      () => computeServiceRules([], [], '10.96.0.0'),
      /serviceCidr "10.96.0.0": expected an IPv4 CIDR/,
    );
    assert.throws(
      () => computeServiceRules([], [], '10.96.0.1/12'),
      /host bits are set; the network is 10.96.0.0\/12/,
    );
  });
});
