// The generated ruleset in a real kernel: a node netns with a bridge, three pod netns on it, the rules applied
// in the client pod's netns through the production path (ServiceProxy -> renderNftRuleset -> applyNftRuleset).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { applyNftRuleset } from '../../../src/network/proxy/apply.js';
import { renderNftRuleset } from '../../../src/network/proxy/nft.js';
import { ServiceProxy } from '../../../src/network/proxy/service-proxy.js';
import { ep, service, slice } from './fixtures.js';
import {
  addBridge,
  addNetns,
  addPod,
  deleteNetns,
  ip,
  netnsPath,
  probe,
  type Server,
  startServer,
} from './netns.js';

const S = `pxp${process.pid}`;
const NODE = `${S}-node`;
const A = `${S}-a`; // the client, 10.244.0.2
const B = `${S}-b`; // 10.244.0.3
const C = `${S}-c`; // 10.244.0.4
const TCP = [{ name: '', port: 8080, protocol: 'TCP' }];

const servers: Server[] = [];
let proxy: ServiceProxy;
const applied: string[] = [];

const webSlice = (ips: string[]) =>
  slice(
    'web',
    'web-1',
    TCP,
    ips.map((ip) => ep(ip)),
  );

before(async () => {
  await addNetns(NODE);
  await addBridge(NODE, 'br0', '10.244.0.1/16');
  await addPod(NODE, 'br0', A, 'veth-a', '10.244.0.2/16', '10.244.0.1');
  await addPod(NODE, 'br0', B, 'veth-b', '10.244.0.3/16', '10.244.0.1');
  await addPod(NODE, 'br0', C, 'veth-c', '10.244.0.4/16', '10.244.0.1');
  servers.push(
    await startServer(A, 'tcp', '10.244.0.2', 8080, 'A'),
    await startServer(B, 'tcp', '10.244.0.3', 8080, 'B'),
    await startServer(C, 'tcp', '10.244.0.4', 8080, 'C'),
    await startServer(B, 'udp', '10.244.0.3', 5353, 'B-udp'),
  );
  // A VIP packet that escaped the pod's rules would reach the node (the pod's default gateway): there it is
  // answered, so that a leak shows as LEAKED rather than as a timeout.
  await ip('-n', NODE, 'route', 'add', 'local', '10.96.0.0/12', 'dev', 'lo');
  servers.push(await startServer(NODE, 'tcp', '0.0.0.0', 80, 'LEAKED'));

  proxy = new ServiceProxy({
    serviceCidr: '10.96.0.0/12',
    sinks: [
      async (rules) => {
        const text = renderNftRuleset(rules, { table: 'podrun' });
        await applyNftRuleset(text, { netnsPath: netnsPath(A) });
        applied.push(text);
      },
    ],
  });
  const events = [
    service('web', '10.96.0.20', [{ port: 80, targetPort: 8080 }]),
    webSlice(['10.244.0.3', '10.244.0.4']),
    service('pg', '10.96.0.21', [{ port: 5432, targetPort: 8080 }]),
    slice('pg', 'pg-1', TCP, [ep('10.244.0.3')]),
    service('redis', '10.96.0.22', [{ name: 'redis', port: 6379 }]),
    service('self', '10.96.0.23', [{ port: 80, targetPort: 8080 }]),
    slice('self', 'self-1', TCP, [ep('10.244.0.2')]),
    service('sticky', '10.96.0.24', [{ port: 80, targetPort: 8080 }], { affinity: 'default' }),
    slice('sticky', 'sticky-1', TCP, [ep('10.244.0.3'), ep('10.244.0.4')]),
    service('dns', '10.96.0.25', [{ name: 'dns', port: 53, protocol: 'UDP' }]),
    slice('dns', 'dns-1', [{ name: 'dns', port: 5353, protocol: 'UDP' }], [ep('10.244.0.3')]),
  ];
  for (const obj of events) proxy.apply('ADDED', obj);
  await proxy.sync();
});

after(async () => {
  proxy?.close();
  for (const s of servers) s.stop();
  for (const ns of [A, B, C, NODE]) await deleteNetns(ns);
});

function outcomes(results: { outcome: string }[]): Set<string> {
  return new Set(results.map((r) => r.outcome));
}

describe('Service rules in a pod netns', () => {
  test('the ruleset was applied once for the burst of initial events', () => {
    assert.equal(applied.length, 1);
  });

  test('a VIP reaches its endpoint at the slice port (port != targetPort), and the server sees the client', async () => {
    const [r] = await probe(A, 'tcp', '10.96.0.21', 5432);
    assert.deepEqual(r, { outcome: 'B', peer: '10.244.0.2' });
  });

  test('a VIP without endpoints refuses at once, and so does a port the VIP does not serve', async () => {
    const [noEndpoints] = await probe(A, 'tcp', '10.96.0.22', 6379);
    assert.equal(noEndpoints?.outcome, 'ECONNREFUSED');
    const [otherPort] = await probe(A, 'tcp', '10.96.0.21', 5433);
    assert.equal(otherPort?.outcome, 'ECONNREFUSED');
  });

  test('an unallocated address of the service CIDR is dropped', async () => {
    const [r] = await probe(A, 'tcp', '10.96.0.99', 80, 1, 1000);
    assert.equal(r?.outcome, 'TIMEOUT');
  });

  test('connections spread over both endpoints', async () => {
    const results = await probe(A, 'tcp', '10.96.0.20', 80, 40);
    assert.deepEqual(outcomes(results), new Set(['B', 'C']));
  });

  test('a pod reaches itself through its own VIP (hairpin)', async () => {
    const [r] = await probe(A, 'tcp', '10.96.0.23', 80);
    assert.deepEqual(r, { outcome: 'A', peer: '10.244.0.2' });
  });

  test('ClientIP affinity keeps a client on one endpoint', async () => {
    const results = await probe(A, 'tcp', '10.96.0.24', 80, 20);
    const seen = outcomes(results);
    assert.equal(seen.size, 1, `expected one endpoint, got ${[...seen].join(', ')}`);
    assert.ok(seen.has('B') || seen.has('C'));
  });

  test('a UDP Service answers through its endpoint', async () => {
    const [r] = await probe(A, 'udp', '10.96.0.25', 53);
    assert.equal(r?.outcome, 'B-udp');
  });

  test('an endpoint removed from the slice gets no new connections', async () => {
    proxy.apply('MODIFIED', webSlice(['10.244.0.3']));
    await proxy.sync();
    const results = await probe(A, 'tcp', '10.96.0.20', 80, 20);
    assert.deepEqual(outcomes(results), new Set(['B']));
    // Every endpoint gone: refused, not dropped.
    proxy.apply('DELETED', webSlice([]));
    await proxy.sync();
    const [r] = await probe(A, 'tcp', '10.96.0.20', 80);
    assert.equal(r?.outcome, 'ECONNREFUSED');
  });

  test('an unchanged state is not applied again', async () => {
    const before = applied.length;
    proxy.apply('MODIFIED', service('pg', '10.96.0.21', [{ port: 5432, targetPort: 8080 }]));
    await proxy.sync();
    assert.equal(applied.length, before);
  });
});
