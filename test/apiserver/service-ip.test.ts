// The Service allocator's pools and its rebuild from stored Services (ipallocator bitmap.go behaviour).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import { ServiceAllocator } from '../../src/apiserver/service-ip/allocator.js';
import {
  DEFAULT_SERVICE_CIDR,
  kubeDnsIP,
  kubernetesServiceIP,
  parseIPv4,
  parseServiceCidr,
} from '../../src/apiserver/service-ip/config.js';
import { IpRange, ipRangeOffset, PortRange, portRangeOffset } from '../../src/apiserver/service-ip/ranges.js';

/** A deterministic source for Math.random's role (an LCG), so a failure can be replayed. */
function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

const range = (cidr: string, seed = 1) => new IpRange(parseServiceCidr(cidr, ''), seeded(seed));

describe('service CIDR', () => {
  test('kubernetes takes the first address and kube-dns the tenth', () => {
    assert.equal(DEFAULT_SERVICE_CIDR, '10.96.0.0/12');
    assert.equal(kubernetesServiceIP(), '10.96.0.1');
    assert.equal(kubeDnsIP(), '10.96.0.10');
    assert.equal(kubeDnsIP('10.43.0.0/16'), '10.43.0.10');
  });

  test('bad ranges are refused with what to give instead', () => {
    assert.throws(
      () => parseServiceCidr('10.96.0.0'),
      /not a CIDR: expected an IPv4 network such as 10\.96\.0\.0\/12/,
    );
    assert.throws(
      () => parseServiceCidr('fd00::/108'),
      /not an IPv4 address \(podrun has no IPv6 Service network\)/,
    );
    assert.throws(() => parseServiceCidr('10.0.0.0/8'), /the prefix must be from \/12/);
    assert.throws(() => parseServiceCidr('10.96.0.0/30'), /to \/28 \(room for kube-dns/);
    assert.throws(() => parseServiceCidr('10.96.0.1/12'), /host bits set; did you mean 10\.96\.0\.0\/12\?/);
    assert.throws(() => parseServiceCidr('10.244.0.0/20'), /overlaps the pod network 10\.244\.0\.0\/16/);
    assert.equal(parseServiceCidr('10.43.0.0/16').text, '10.43.0.0/16');
  });

  test('the reserved lower band is min(max(16, size/16), 256) addresses', () => {
    assert.equal(ipRangeOffset(2 ** 20), 256);
    assert.equal(ipRangeOffset(256), 16);
    assert.equal(ipRangeOffset(2048), 128);
    assert.equal(ipRangeOffset(16), 0);
    assert.equal(portRangeOffset(2768), 86);
  });
});

describe('IpRange', () => {
  test('dynamic addresses come from the upper band, at random', () => {
    const r = range('10.96.0.0/12');
    const reservedEnd = (parseIPv4('10.96.0.0') ?? 0) + 1 + 256;
    const got = new Set<string>();
    for (let i = 0; i < 200; i++) got.add(r.allocateNext());
    assert.equal(got.size, 200);
    for (const ip of got) assert.ok((parseIPv4(ip) ?? 0) >= reservedEnd, `${ip} is in the reserved band`);
    // Not a sequence: random starting points spread over the million addresses.
    const sorted = [...got].map((ip) => parseIPv4(ip) ?? 0).sort((a, b) => a - b);
    assert.ok(sorted.at(-1)! - sorted[0]! > 100_000);
  });

  test('the lower band is used only once the upper band is full', () => {
    // A /24: 254 usable addresses, the first 16 reserved.
    const r = range('10.96.0.0/24');
    const got: number[] = [];
    for (let i = 0; i < 238; i++) got.push((parseIPv4(r.allocateNext()) ?? 0) % 256);
    assert.ok(
      got.every((o) => o >= 17 && o <= 254),
      'the upper band first',
    );
    const lower = (parseIPv4(r.allocateNext()) ?? 0) % 256;
    assert.ok(lower >= 1 && lower <= 16, `then the reserved band (${lower})`);
  });

  test('explicit addresses: in range and free, else upstream errors', () => {
    const r = range('10.96.0.0/12');
    r.allocate('10.96.0.5');
    assert.throws(() => r.allocate('10.96.0.5'), { message: 'provided IP is already allocated' });
    assert.throws(() => r.allocate('10.112.0.1'), {
      message:
        'the provided IP (10.112.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    });
    assert.throws(() => r.allocate('10.96.0.0'), /not in the valid range/, 'the network address');
    assert.throws(() => r.allocate('10.111.255.255'), /not in the valid range/, 'the broadcast address');
    r.allocate('10.111.255.254');
  });

  test('a full range says so; a release frees the address for the next allocation', () => {
    const r = range('10.96.0.0/28');
    const all = new Set<string>();
    for (let i = 0; i < 14; i++) all.add(r.allocateNext());
    assert.equal(all.size, 14);
    assert.throws(() => r.allocateNext(), { message: 'range is full' });
    r.release('10.96.0.7');
    assert.equal(r.has('10.96.0.7'), false);
    assert.equal(r.allocateNext(), '10.96.0.7');
    r.release('192.168.0.1'); // outside: nothing happens, as upstream
  });
});

describe('PortRange', () => {
  test('NodePorts: 30000-32767, errors as the port allocator words them', () => {
    const p = new PortRange(30000, 2768, seeded(3));
    const n = p.allocateNext();
    assert.ok(n >= 30086 && n <= 32767, `${n} from the upper band`);
    p.allocate(30080);
    assert.throws(() => p.allocate(30080), { message: 'provided port is already allocated' });
    assert.throws(() => p.allocate(80), {
      message: 'provided port is not in the valid range. The range of valid ports is 30000-32767',
    });
  });
});

function svc(name: string, spec: Service['spec'], namespace = 'default'): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec };
}

describe('ServiceAllocator.rebuild', () => {
  test('marks what stored Services hold, and reports what is out of range or taken twice', () => {
    const a = new ServiceAllocator({ cidr: '10.96.0.0/16', random: seeded(5) });
    const problems = a.rebuild([
      svc('a', { type: 'ClusterIP', clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'] }),
      svc('b', { type: 'NodePort', clusterIPs: ['10.96.3.3'], ports: [{ port: 80, nodePort: 30001 }] }),
      svc('h', { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] }),
      svc('x', { type: 'ExternalName', externalName: 'example.com' }),
      svc('old', { type: 'ClusterIP', clusterIPs: ['10.100.0.9'] }),
      svc('dup', { type: 'ClusterIP', clusterIPs: ['10.96.0.5'] }),
    ]);
    assert.equal(a.ips.used, 2);
    assert.ok(a.ips.has('10.96.0.5') && a.ips.has('10.96.3.3'));
    assert.ok(a.nodePorts.has(30001));
    assert.deepEqual(problems, [
      'Cluster IP 10.100.0.9 of service default/old is not within the service CIDR 10.96.0.0/16; please recreate the service',
      'the cluster IP 10.96.0.5 of service default/dup was assigned to multiple services; please recreate the service',
    ]);
  });
});
