import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket, {
  type Answer,
  type Packet,
  type RecordType,
  type SoaAnswer,
  type SrvAnswer,
} from 'dns-packet';
import { answerQuery } from '../../../src/network/dns/answer.js';
import { RCODE } from '../../../src/network/dns/records.js';
import { ask, config, query, sampleCluster } from './fixtures.js';

const Z = 'cluster.local';
const AA = dnsPacket.AUTHORITATIVE_ANSWER;

function data(answers: Answer[] | undefined, type?: string): unknown[] {
  return (answers ?? [])
    .filter((a) => type === undefined || a.type === type)
    .map((a) => (a as { data: unknown }).data);
}

function assertNegative(res: ReturnType<typeof ask>, rcode: number) {
  assert.equal(res.rcodeNum, rcode);
  assert.ok((res.flags ?? 0) & AA, 'negative answers are authoritative');
  assert.deepEqual(res.answers, []);
  const soa = res.authorities?.[0] as SoaAnswer | undefined;
  assert.equal(soa?.type, 'SOA');
  assert.equal(soa?.name, Z);
  assert.equal(soa?.ttl, 5);
  assert.equal(soa?.data.mname, `ns.dns.${Z}`);
  assert.equal(soa?.data.rname, `hostmaster.${Z}`);
  assert.equal(soa?.data.minimum, 5);
}

describe('cluster DNS answers: services', () => {
  const index = sampleCluster();

  it('answers a ClusterIP service with its ClusterIP, authoritatively, TTL 5', () => {
    const res = ask(index, query(`postgres-service.default.svc.${Z}`));
    assert.equal(res.rcodeNum, RCODE.NOERROR);
    assert.ok((res.flags ?? 0) & AA);
    assert.ok(res.flag_qr);
    assert.deepEqual(res.answers, [
      {
        type: 'A',
        name: `postgres-service.default.svc.${Z}`,
        ttl: 5,
        class: 'IN',
        flush: false,
        data: '10.96.0.20',
      },
    ]);
  });

  it('answers a ClusterIP service that has no endpoints (connections are refused, the name resolves)', () => {
    const res = ask(index, query(`redis-service.default.svc.${Z}`));
    assert.deepEqual(data(res.answers, 'A'), ['10.96.0.21']);
  });

  it('matches case-insensitively and echoes the question case', () => {
    const res = ask(index, query(`Postgres-Service.DEFAULT.svc.Cluster.Local`));
    assert.equal(res.answers?.[0]?.name, 'Postgres-Service.DEFAULT.svc.Cluster.Local');
    assert.equal(res.questions?.[0]?.name, 'Postgres-Service.DEFAULT.svc.Cluster.Local');
    assert.deepEqual(data(res.answers), ['10.96.0.20']);
  });

  it('answers AAAA on an IPv4 service with NODATA and the SOA, never NXDOMAIN', () => {
    assertNegative(ask(index, query(`postgres-service.default.svc.${Z}`, 'AAAA')), RCODE.NOERROR);
  });

  it('answers a headless service with one A per ready endpoint (ready true or absent)', () => {
    const res = ask(index, query(`db.default.svc.${Z}`));
    assert.deepEqual(data(res.answers, 'A').sort(), ['10.244.0.7', '10.244.0.8']);
  });

  it('answers a headless service with no ready endpoint NXDOMAIN, for A and AAAA alike', () => {
    assertNegative(ask(index, query(`lonely.default.svc.${Z}`)), RCODE.NXDOMAIN);
    assertNegative(ask(index, query(`lonely.default.svc.${Z}`, 'AAAA')), RCODE.NXDOMAIN);
  });

  it('names endpoints by slice hostname, else by dashed IP; not-ready ones do not exist', () => {
    assert.deepEqual(data(ask(index, query(`db-0.db.default.svc.${Z}`)).answers), ['10.244.0.7']);
    assert.deepEqual(data(ask(index, query(`10-244-0-8.db.default.svc.${Z}`)).answers), ['10.244.0.8']);
    assertNegative(ask(index, query(`10-244-0-9.db.default.svc.${Z}`)), RCODE.NXDOMAIN);
    assertNegative(ask(index, query(`db-0.db.default.svc.${Z}`, 'AAAA')), RCODE.NOERROR);
  });

  it('gives endpoint names to ClusterIP services too', () => {
    assert.deepEqual(data(ask(index, query(`10-244-0-5.postgres-service.default.svc.${Z}`)).answers), [
      '10.244.0.5',
    ]);
  });

  it('answers an unknown service or namespace NXDOMAIN', () => {
    assertNegative(ask(index, query(`nope.default.svc.${Z}`)), RCODE.NXDOMAIN);
    assertNegative(ask(index, query(`postgres-service.other.svc.${Z}`)), RCODE.NXDOMAIN);
  });
});

describe('cluster DNS answers: SRV', () => {
  const index = sampleCluster();

  it('answers a named ClusterIP port with the service name as target and its address as additional', () => {
    const res = ask(index, query(`_postgres._tcp.postgres-service.default.svc.${Z}`, 'SRV'));
    assert.equal(res.rcodeNum, RCODE.NOERROR);
    assert.deepEqual(data(res.answers), [
      { priority: 0, weight: 100, port: 5432, target: `postgres-service.default.svc.${Z}` },
    ]);
    assert.deepEqual(
      (res.additionals ?? []).map((a) => [a.type, a.name, (a as { data: unknown }).data]),
      [['A', `postgres-service.default.svc.${Z}`, '10.96.0.20']],
    );
  });

  it('answers a headless named port with one record per ready endpoint, weight floor(100/N)', () => {
    const res = ask(index, query(`_pg._tcp.db.default.svc.${Z}`, 'SRV'));
    const srv = (res.answers as SrvAnswer[])
      .map((a) => a.data)
      .sort((a, b) => a.target.localeCompare(b.target));
    assert.deepEqual(srv, [
      { priority: 0, weight: 50, port: 5432, target: `10-244-0-8.db.default.svc.${Z}` },
      { priority: 0, weight: 50, port: 5432, target: `db-0.db.default.svc.${Z}` },
    ]);
    assert.equal(res.additionals?.filter((a) => a.type === 'A').length, 2);
  });

  it('answers an unknown port name or protocol NXDOMAIN and other types on a port name NODATA', () => {
    assertNegative(ask(index, query(`_nope._tcp.postgres-service.default.svc.${Z}`, 'SRV')), RCODE.NXDOMAIN);
    assertNegative(
      ask(index, query(`_postgres._udp.postgres-service.default.svc.${Z}`, 'SRV')),
      RCODE.NXDOMAIN,
    );
    assertNegative(ask(index, query(`_postgres._tcp.postgres-service.default.svc.${Z}`, 'A')), RCODE.NOERROR);
  });

  it('does not name unnamed ports', () => {
    assertNegative(ask(index, query(`__._tcp.redis-service.default.svc.${Z}`, 'SRV')), RCODE.NXDOMAIN);
  });

  it('answers SRV on the service name itself with every port, as CoreDNS does', () => {
    const res = ask(index, query(`redis-service.default.svc.${Z}`, 'SRV'));
    assert.deepEqual(data(res.answers), [
      { priority: 0, weight: 100, port: 6379, target: `redis-service.default.svc.${Z}` },
    ]);
  });
});

describe('cluster DNS answers: PTR', () => {
  const index = sampleCluster();

  it('names a ClusterIP by its service', () => {
    const res = ask(index, query('20.0.96.10.in-addr.arpa', 'PTR'));
    assert.deepEqual(data(res.answers), [`postgres-service.default.svc.${Z}`]);
    assert.ok((res.flags ?? 0) & AA);
  });

  it('names a ready endpoint IP by its hostname (or dashed IP) under its service', () => {
    assert.deepEqual(data(ask(index, query('7.0.244.10.in-addr.arpa', 'PTR')).answers), [
      `db-0.db.default.svc.${Z}`,
    ]);
    assert.deepEqual(data(ask(index, query('8.0.244.10.in-addr.arpa', 'PTR')).answers), [
      `10-244-0-8.db.default.svc.${Z}`,
    ]);
  });

  it('answers unknown addresses of the service and pod CIDRs NXDOMAIN, never forwarding them', () => {
    const cases = [
      ['99.0.96.10.in-addr.arpa', '10.in-addr.arpa'],
      ['9.0.244.10.in-addr.arpa', '244.10.in-addr.arpa'],
    ];
    for (const [name, zone] of cases) {
      const res = ask(index, query(name!, 'PTR'), { forwarding: true });
      assert.equal(res.rcodeNum, RCODE.NXDOMAIN);
      const soa = res.authorities?.[0] as SoaAnswer | undefined;
      assert.equal(soa?.type, 'SOA');
      assert.equal(soa?.name, zone);
    }
  });

  it('forwards reverse names outside those CIDRs', () => {
    const q = dnsPacket.decode(dnsPacket.encode(query('1.0.0.127.in-addr.arpa', 'PTR')));
    assert.deepEqual(answerQuery(q, index, config({ forwarding: true })), { kind: 'forward' });
  });
});

describe('cluster DNS answers: ExternalName, pods, special names', () => {
  const index = sampleCluster();

  it('answers an ExternalName service with a CNAME to its target', () => {
    const res = ask(index, query(`ext.default.svc.${Z}`));
    assert.equal(res.rcodeNum, RCODE.NOERROR);
    assert.deepEqual(
      res.answers?.map((a) => [a.type, a.name, (a as { data: unknown }).data]),
      [['CNAME', `ext.default.svc.${Z}`, 'example.com']],
    );
  });

  it('follows an ExternalName whose target is a cluster name', () => {
    const res = ask(index, query(`alias.default.svc.${Z}`));
    assert.deepEqual(
      res.answers?.map((a) => [a.type, a.name, (a as { data: unknown }).data]),
      [
        ['CNAME', `alias.default.svc.${Z}`, `postgres-service.default.svc.${Z}`],
        ['A', `postgres-service.default.svc.${Z}`, '10.96.0.20'],
      ],
    );
  });

  it('answers pod names in an existing namespace (pods insecure)', () => {
    assert.deepEqual(data(ask(index, query(`10-244-0-42.default.pod.${Z}`)).answers), ['10.244.0.42']);
    assertNegative(ask(index, query(`10-244-0-42.default.pod.${Z}`, 'AAAA')), RCODE.NOERROR);
    assertNegative(ask(index, query(`10-244-0-42.nope.pod.${Z}`)), RCODE.NXDOMAIN);
    assertNegative(ask(index, query(`not-an-ip.default.pod.${Z}`)), RCODE.NXDOMAIN);
  });

  it('checks the pod exists in verified mode and answers nothing when disabled', () => {
    assert.deepEqual(
      data(ask(index, query(`10-244-0-7.default.pod.${Z}`), { podRecords: 'verified' }).answers),
      ['10.244.0.7'],
    );
    assertNegative(
      ask(index, query(`10-244-0-42.default.pod.${Z}`), { podRecords: 'verified' }),
      RCODE.NXDOMAIN,
    );
    assertNegative(
      ask(index, query(`10-244-0-7.default.pod.${Z}`), { podRecords: 'disabled' }),
      RCODE.NXDOMAIN,
    );
  });

  it('answers dns-version TXT 1.1.0', () => {
    const res = ask(index, query(`dns-version.${Z}`, 'TXT'));
    assert.equal((res.answers?.[0] as { ttl?: number } | undefined)?.ttl, 28800);
    assert.deepEqual(data(res.answers), [[Buffer.from('1.1.0')]]);
  });

  it('answers the apex, svc and pod names NODATA, and SOA at the apex', () => {
    for (const name of [Z, `svc.${Z}`, `pod.${Z}`]) assertNegative(ask(index, query(name)), RCODE.NOERROR);
    const soa = ask(index, query(Z, 'SOA'));
    assert.equal(soa.answers?.[0]?.type, 'SOA');
  });

  it('answers <ns>.svc NODATA when the namespace exists, NXDOMAIN when not', () => {
    assertNegative(ask(index, query(`default.svc.${Z}`)), RCODE.NOERROR);
    assertNegative(ask(index, query(`nope.svc.${Z}`)), RCODE.NXDOMAIN);
  });

  it('answers names no object could have NXDOMAIN', () => {
    for (const name of [`a.b.c.d.e.f.svc.${Z}`, `postgres-service.default.${Z}`, `x.default.pod2.${Z}`]) {
      assertNegative(ask(index, query(name)), RCODE.NXDOMAIN);
    }
  });

  it('answers other types on existing names NODATA (MX, HTTPS, ANY)', () => {
    for (const type of ['MX', 'UNKNOWN_65', 'ANY', 'TXT'] as const) {
      assertNegative(
        ask(index, query(`postgres-service.default.svc.${Z}`, type as RecordType)),
        RCODE.NOERROR,
      );
    }
  });

  it('refuses zone transfers', () => {
    for (const type of ['AXFR', 'IXFR'] as const) {
      assert.equal(ask(index, query(Z, type)).rcodeNum, RCODE.REFUSED);
    }
  });

  it('never answers AAAA NXDOMAIN for a name that has an A record', () => {
    const names = [
      `postgres-service.default.svc.${Z}`,
      `redis-service.default.svc.${Z}`,
      `db.default.svc.${Z}`,
      `db-0.db.default.svc.${Z}`,
      `10-244-0-42.default.pod.${Z}`,
      `alias.default.svc.${Z}`,
    ];
    for (const name of names) {
      assert.equal(ask(index, query(name)).rcodeNum, RCODE.NOERROR, name);
      assert.equal(ask(index, query(name, 'AAAA')).rcodeNum, RCODE.NOERROR, name);
    }
  });
});

describe('cluster DNS answers: names outside the cluster and protocol errors', () => {
  const index = sampleCluster();

  it('answers single-label names NXDOMAIN even when forwarding', () => {
    const res = ask(index, query('redis-service'), { forwarding: true });
    assert.equal(res.rcodeNum, RCODE.NXDOMAIN);
  });

  it('forwards other names when forwarding is on, answers NXDOMAIN at once when off', () => {
    const q = dnsPacket.decode(dnsPacket.encode(query('example.com')));
    assert.deepEqual(answerQuery(q, index, config({ forwarding: true })), { kind: 'forward' });
    const res = ask(index, query('example.com'), { forwarding: false });
    assert.equal(res.rcodeNum, RCODE.NXDOMAIN);
    assert.ok(!((res.flags ?? 0) & AA), 'podrun is not authoritative for example.com');
  });

  it('answers FORMERR to zero or two questions', () => {
    const none: Packet = { type: 'query', id: 7, flags: 0, questions: [] };
    assert.equal(ask(index, none).rcodeNum, RCODE.FORMERR);
    const two = query(`db.default.svc.${Z}`);
    two.questions!.push({ name: `redis-service.default.svc.${Z}`, type: 'A', class: 'IN' });
    const res = ask(index, two);
    assert.equal(res.rcodeNum, RCODE.FORMERR);
    assert.equal(res.id, two.id);
  });

  it('answers NOTIMP to opcodes other than QUERY', () => {
    const status = query(`db.default.svc.${Z}`, 'A', { flags: 2 << 11 });
    const res = ask(index, status);
    assert.equal(res.rcodeNum, RCODE.NOTIMP);
    assert.equal(((res.flags ?? 0) >> 11) & 0xf, 2, 'the opcode is echoed');
  });

  it('echoes an OPT record when the query had one, and only then', () => {
    const opt: Answer = {
      type: 'OPT',
      name: '.',
      udpPayloadSize: 4096,
      extendedRcode: 0,
      ednsVersion: 0,
      flags: 0,
      flag_do: false,
      options: [],
    };
    const withOpt = ask(index, query(`db.default.svc.${Z}`, 'A', { additionals: [opt] }));
    const echoed = withOpt.additionals?.find((a) => a.type === 'OPT');
    assert.ok(echoed && echoed.type === 'OPT');
    assert.equal(echoed.udpPayloadSize, 1232);
    assert.equal(ask(index, query(`db.default.svc.${Z}`)).additionals?.length, 0);
  });

  it('answers BADVERS to EDNS versions above 0', () => {
    const opt: Answer = {
      type: 'OPT',
      name: '.',
      udpPayloadSize: 1232,
      extendedRcode: 0,
      ednsVersion: 1,
      flags: 0,
      flag_do: false,
      options: [],
    };
    const res = ask(index, query(`db.default.svc.${Z}`, 'A', { additionals: [opt] }));
    const echoed = res.additionals?.find((a) => a.type === 'OPT');
    assert.ok(echoed && echoed.type === 'OPT');
    assert.equal((echoed.extendedRcode << 4) | res.rcodeNum, 16);
  });
});
