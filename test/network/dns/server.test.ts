import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { parseResolvConf, parseUpstream } from '../../../src/network/dns/forward.js';
import { RCODE } from '../../../src/network/dns/records.js';
import { type ClusterDnsServer, startClusterDns } from '../../../src/network/dns/server.js';
import { clusterIPService, headlessService, query, sampleCluster, slice } from './fixtures.js';
import { dig, FakeUpstream, fakeTcpUpstream, framed, parseDig, tcpExchange, UdpClient } from './helpers.js';

const HOST = '127.0.0.1';
const PG = 'postgres-service.default.svc.cluster.local';

function clusterWithMany() {
  const index = sampleCluster();
  index.apply('ADDED', headlessService('default', 'many', [['http', 80]]));
  const eps = Array.from({ length: 40 }, (_, i) => ({ ip: `10.244.1.${i + 1}` }));
  index.apply('ADDED', slice('default', 'many-1', 'many', eps, [['http', 80]]));
  return index;
}

describe('cluster DNS server over UDP and TCP', () => {
  let server: ClusterDnsServer;
  before(async () => {
    server = await startClusterDns({ address: HOST, port: 0, view: clusterWithMany(), upstream: false });
  });
  after(() => server.close());

  it('listens on one port number for UDP and TCP', async () => {
    assert.ok(server.port > 0);
    const udp = parseDig(await dig(HOST, server.port, [PG, 'A']));
    const tcp = parseDig(await dig(HOST, server.port, ['+tcp', PG, 'A']));
    for (const r of [udp, tcp]) {
      assert.equal(r.status, 'NOERROR');
      assert.ok(r.flags.includes('aa'));
      assert.deepEqual(r.answers, [[`${PG}.`, '5', 'IN', 'A', '10.96.0.20']]);
    }
  });

  it("serves node's resolver: A, SRV, NXDOMAIN and NODATA", async () => {
    const resolver = new Resolver({ timeout: 5000, tries: 1 });
    resolver.setServers([`${HOST}:${server.port}`]);
    assert.deepEqual(await resolver.resolve4(PG), ['10.96.0.20']);
    assert.deepEqual(await resolver.resolveSrv(`_postgres._tcp.${PG}`), [
      { name: PG, port: 5432, priority: 0, weight: 100 },
    ]);
    await assert.rejects(resolver.resolve4('nope.default.svc.cluster.local'), { code: 'ENOTFOUND' });
    await assert.rejects(resolver.resolve6(PG), { code: 'ENODATA' });
  });

  it('truncates a large UDP answer (TC) and gives it whole over TCP', async () => {
    const truncated = parseDig(
      await dig(HOST, server.port, ['+ignore', '+noedns', 'many.default.svc.cluster.local']),
    );
    assert.ok(truncated.flags.includes('tc'), truncated.flags.join(' '));
    assert.ok(truncated.answers.length < 40);
    // dig retries over TCP by itself when TC is set, as glibc does.
    const retried = parseDig(await dig(HOST, server.port, ['+noedns', 'many.default.svc.cluster.local']));
    assert.equal(retried.answers.length, 40);
    const resolver = new Resolver({ timeout: 5000, tries: 1 });
    resolver.setServers([`${HOST}:${server.port}`]);
    assert.equal((await resolver.resolve4('many.default.svc.cluster.local')).length, 40);
  });

  it('echoes EDNS0 and uses its size, capped at 1232', async () => {
    const edns = await dig(HOST, server.port, ['+ignore', '+bufsize=4096', 'many.default.svc.cluster.local']);
    assert.match(edns, /; EDNS: version: 0, flags:; udp: 1232/);
    const parsed = parseDig(edns);
    assert.ok(parsed.flags.includes('tc'));
    // Header 12 + question 36 + OPT 11; each A record 46 bytes (no name compression): 25 fit in 1232.
    assert.equal(parsed.answers.length, Math.floor((1232 - 12 - 36 - 11) / 46));
    const plain = await dig(HOST, server.port, ['+noedns', PG]);
    assert.doesNotMatch(plain, /OPT PSEUDOSECTION/);
  });

  it('answers several length-prefixed queries on one TCP connection', async () => {
    const a = dnsPacket.encode(query(PG));
    const b = dnsPacket.encode(query('redis-service.default.svc.cluster.local'));
    const replies = (await tcpExchange(HOST, server.port, framed(a, b), 2)).map((r) => dnsPacket.decode(r));
    const byId = new Map(replies.map((r) => [r.id, r]));
    assert.equal(
      (byId.get(a.readUInt16BE(0))?.answers?.[0] as { data: string } | undefined)?.data,
      '10.96.0.20',
    );
    assert.equal(
      (byId.get(b.readUInt16BE(0))?.answers?.[0] as { data: string } | undefined)?.data,
      '10.96.0.21',
    );
  });

  it('answers FORMERR to a packet whose header parses, drops shorter ones, and keeps serving', async () => {
    const client = new UdpClient(HOST, server.port);
    try {
      client.send(Buffer.from([1, 2, 3, 4, 5]));
      const broken = Buffer.from(dnsPacket.encode(query(PG)).subarray(0, 20)); // the question cut short
      broken.writeUInt16BE(0xbeef, 0);
      client.send(broken);
      const formerr = dnsPacket.decode(await client.next());
      assert.equal(formerr.id, 0xbeef, 'the 5-byte packet got no reply: the first reply is the FORMERR');
      assert.equal((formerr.flags ?? 0) & 0xf, RCODE.FORMERR);
      const ok = await client.ask(query(PG));
      assert.equal((ok.flags ?? 0) & 0xf, RCODE.NOERROR);
    } finally {
      client.close();
    }
  });

  it('closes a TCP connection left idle', async () => {
    const idle = await startClusterDns({
      address: HOST,
      port: 0,
      view: sampleCluster(),
      upstream: false,
      tcpIdleTimeoutMs: 50,
    });
    try {
      const conn = connect({ host: HOST, port: idle.port });
      await once(conn, 'connect');
      await once(conn, 'close');
    } finally {
      await idle.close();
    }
  });

  it('answers names outside the cluster NXDOMAIN at once when forwarding is off', async () => {
    assert.equal(parseDig(await dig(HOST, server.port, ['example.com'])).status, 'NXDOMAIN');
  });
});

describe('cluster DNS server and changes to the cluster', () => {
  it('answers from the current data after a change (answers kept for repeated questions are dropped)', async () => {
    const index = sampleCluster();
    const server = await startClusterDns({ address: HOST, port: 0, view: index, upstream: false });
    const client = new UdpClient(HOST, server.port);
    try {
      const name = 'redis-service.default.svc.cluster.local';
      for (let i = 0; i < 2; i++) {
        const q = query(name);
        const res = await client.ask(q);
        assert.equal(res.id, q.id, 'a repeated question gets its own id back');
        assert.equal((res.answers?.[0] as { data: string } | undefined)?.data, '10.96.0.21');
      }
      index.apply('MODIFIED', clusterIPService('default', 'redis-service', '10.96.0.99', [['', 6379]]));
      const after = await client.ask(query(name));
      assert.equal((after.answers?.[0] as { data: string } | undefined)?.data, '10.96.0.99');
      index.apply('DELETED', clusterIPService('default', 'redis-service', '10.96.0.99', [['', 6379]]));
      const gone = await client.ask(query(name));
      assert.equal((gone.flags ?? 0) & 0xf, RCODE.NXDOMAIN);
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('cluster DNS forwarding', () => {
  it('forwards names outside the cluster to the upstream, and never cluster or single-label names', async () => {
    const upstream = new FakeUpstream({ 'example.com': '192.0.2.1' });
    const upstreamPort = await upstream.start();
    const server = await startClusterDns({
      address: HOST,
      port: 0,
      view: sampleCluster(),
      upstream: { servers: [`127.0.0.1:${upstreamPort}`] },
    });
    try {
      const res = parseDig(await dig(HOST, server.port, ['example.com']));
      assert.equal(res.status, 'NOERROR');
      assert.deepEqual(res.answers, [['example.com.', '60', 'IN', 'A', '192.0.2.1']]);
      assert.equal(parseDig(await dig(HOST, server.port, ['missing.example.org'])).status, 'NXDOMAIN');
      assert.equal(upstream.queries.length, 2);
      for (const name of [PG, 'nope.cluster.local', 'redis-service', '99.0.96.10.in-addr.arpa']) {
        await dig(HOST, server.port, [name]);
      }
      assert.equal(upstream.queries.length, 2, 'nothing of the cluster went upstream');
    } finally {
      await server.close();
      upstream.close();
    }
  });

  it('answers SERVFAIL when the upstream is silent, then at once without asking it for a while', async () => {
    const upstream = new FakeUpstream({});
    upstream.silent = true;
    const upstreamPort = await upstream.start();
    const server = await startClusterDns({
      address: HOST,
      port: 0,
      view: sampleCluster(),
      upstream: {
        servers: [{ address: '127.0.0.1', port: upstreamPort }],
        tryTimeoutMs: 100,
        overallTimeoutMs: 250,
        failureThreshold: 2,
        holdDownMs: 600_000,
      },
    });
    const client = new UdpClient(HOST, server.port);
    try {
      for (let i = 0; i < 2; i++) {
        const res = await client.ask(query(`silent${i}.example.com`));
        assert.equal((res.flags ?? 0) & 0xf, RCODE.SERVFAIL);
      }
      const tries = upstream.queries.length;
      assert.ok(tries >= 4, `each query was tried more than once (${tries} tries)`);
      const held = await client.ask(query('silent2.example.com'));
      assert.equal((held.flags ?? 0) & 0xf, RCODE.SERVFAIL);
      assert.equal(upstream.queries.length, tries, 'held down: the upstream was not asked again');
      // Cluster names are still answered.
      const pg = await client.ask(query(PG));
      assert.equal((pg.flags ?? 0) & 0xf, RCODE.NOERROR);
    } finally {
      client.close();
      await server.close();
      upstream.close();
    }
  });

  it('tries the next upstream when one is silent', async () => {
    const silent = new FakeUpstream({});
    silent.silent = true;
    const good = new FakeUpstream({ 'example.com': '192.0.2.1' });
    const [silentPort, goodPort] = [await silent.start(), await good.start()];
    const server = await startClusterDns({
      address: HOST,
      port: 0,
      view: sampleCluster(),
      upstream: { servers: [`127.0.0.1:${silentPort}`, `127.0.0.1:${goodPort}`], tryTimeoutMs: 200 },
    });
    const client = new UdpClient(HOST, server.port);
    try {
      const res = await client.ask(query('example.com'));
      assert.equal((res.answers?.[0] as { data: string } | undefined)?.data, '192.0.2.1');
      assert.equal(silent.queries.length, 1);
      assert.equal(good.queries.length, 1);
    } finally {
      client.close();
      await server.close();
      silent.close();
      good.close();
    }
  });

  it('fetches a truncated upstream answer again over TCP for a TCP client', async () => {
    const upstream = new FakeUpstream({ 'big.example.com': '192.0.2.1' });
    upstream.truncated.add('big.example.com');
    const port = await upstream.start();
    const stopTcp = await fakeTcpUpstream(port, () => ['192.0.2.1', '192.0.2.2']);
    const server = await startClusterDns({
      address: HOST,
      port: 0,
      view: sampleCluster(),
      upstream: { servers: [`127.0.0.1:${port}`] },
    });
    try {
      const overTcp = parseDig(await dig(HOST, server.port, ['+tcp', 'big.example.com']));
      assert.deepEqual(
        overTcp.answers.map((a) => a[4]),
        ['192.0.2.1', '192.0.2.2'],
      );
      const overUdp = parseDig(await dig(HOST, server.port, ['+ignore', 'big.example.com']));
      assert.ok(overUdp.flags.includes('tc'), 'a UDP client gets the truncated answer and retries itself');
    } finally {
      await server.close();
      stopTcp();
      upstream.close();
    }
  });

  it('reads the nameservers of a resolv.conf, as glibc does (first 3; none means 127.0.0.1)', () => {
    const text =
      'search example.org\nnameserver 127.0.0.53\n# nameserver 9.9.9.9\nnameserver fe80::1%eth0\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n';
    assert.deepEqual(parseResolvConf(text), [
      { address: '127.0.0.53', port: 53 },
      { address: 'fe80::1', port: 53 },
      { address: '10.0.0.2', port: 53 },
    ]);
    assert.deepEqual(parseResolvConf('options ndots:5\n'), [{ address: '127.0.0.1', port: 53 }]);
    assert.deepEqual(parseUpstream('[::1]:5353', 'x'), { address: '::1', port: 5353 });
    assert.throws(
      () => parseUpstream('dns.example:53', 'upstream.servers[0]'),
      /upstream.servers\[0\]: "dns.example:53"/,
    );
  });
});
