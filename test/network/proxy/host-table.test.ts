// HostServiceTable in a netns acting as the host: a bridge with the pods' gateway address, one pod with a
// server, and the machine's own clients (processes in that netns) connecting to VIPs.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { runChecked } from '../../../src/network/proxy/exec.js';
import {
  HostServiceTable,
  type HostServiceTableOptions,
  reclaimHostServiceTables,
} from '../../../src/network/proxy/host-table.js';
import { computeServiceRules } from '../../../src/network/proxy/rules.js';
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

const S = `pxh${process.pid}`;
const HOST = `${S}-host`;
const POD = `${S}-pod`; // 10.244.0.3
const CIDR = '10.96.0.0/12';
const TCP = [{ name: '', port: 8080, protocol: 'TCP' }];
/** No process has this pid (pid_max is at most 2^22). */
const DEAD = { pid: 4194305, start: '1' };

const servers: Server[] = [];
const opened: HostServiceTable[] = [];

function table(instanceId: string, extra: Partial<HostServiceTableOptions> = {}): HostServiceTable {
  const t = new HostServiceTable({
    instanceId,
    serviceCidr: CIDR,
    bridge: 'br0',
    gateway: '10.244.0.1',
    netnsPath: netnsPath(HOST),
    ...extra,
  });
  opened.push(t);
  return t;
}

const rules = computeServiceRules(
  [
    service('web', '10.96.0.20', [{ port: 80, targetPort: 8080 }]),
    service('redis', '10.96.0.21', [{ port: 6379 }]),
  ],
  [slice('web', 'web-1', TCP, [ep('10.244.0.3')])],
  CIDR,
);

async function tables(): Promise<string[]> {
  const out = (await runChecked('nft', ['list', 'tables'], { netnsPath: netnsPath(HOST) })).stdout;
  return out.split('\n').filter(Boolean).sort();
}

async function podrunRoutes(): Promise<string> {
  return (await ip('-n', HOST, 'route', 'show', 'proto', '112')).trim();
}

before(async () => {
  await addNetns(HOST);
  await addBridge(HOST, 'br0', '10.244.0.1/16');
  await addPod(HOST, 'br0', POD, 'veth-p', '10.244.0.3/16', '10.244.0.1');
  servers.push(await startServer(POD, 'tcp', '10.244.0.3', 8080, 'POD'));
  // A VIP packet the host's rules let through would reach the pod, which takes the whole service CIDR as
  // local and answers: a leak shows as LEAKED rather than as a timeout.
  await ip('-n', POD, 'route', 'add', 'local', CIDR, 'dev', 'lo');
  servers.push(await startServer(POD, 'tcp', '0.0.0.0', 80, 'LEAKED'));
});

// A failed test leaves no table behind for the next one.
afterEach(async () => {
  for (const t of opened.splice(0)) await t.close().catch(() => {});
});

after(async () => {
  for (const s of servers) s.stop();
  for (const ns of [POD, HOST]) await deleteNetns(ns);
});

describe('HostServiceTable', () => {
  test('the machine reaches VIPs through its own table and route; close() removes both', async () => {
    const t = table('one');
    assert.deepEqual(await t.start(), { reclaimedTables: [], reclaimedRoutes: [], foreignTables: [] });
    assert.equal(await podrunRoutes(), '10.96.0.0/12 dev br0 scope link src 10.244.0.1');
    await t.apply(rules);

    const [ok] = await probe(HOST, 'tcp', '10.96.0.20', 80);
    assert.deepEqual(ok, { outcome: 'POD', peer: '10.244.0.1' });
    const [refused] = await probe(HOST, 'tcp', '10.96.0.21', 6379);
    assert.equal(refused?.outcome, 'ECONNREFUSED');
    const [dropped] = await probe(HOST, 'tcp', '10.96.0.99', 80, 1, 1000);
    assert.equal(dropped?.outcome, 'TIMEOUT');

    await t.close();
    assert.deepEqual(await tables(), []);
    assert.equal(await podrunRoutes(), '');
    await assert.rejects(t.apply(rules), /apply\(\) before start\(\) or after close\(\)/);
  });

  test('two instances on one bridge: the route stays until the last one closes', async () => {
    const a = table('a');
    const b = table('b');
    await a.start();
    await b.start();
    await a.apply(rules);
    await b.apply(rules);
    assert.deepEqual(await tables(), ['table ip podrun-a', 'table ip podrun-b']);
    await a.close();
    assert.deepEqual(await tables(), ['table ip podrun-b']);
    assert.notEqual(await podrunRoutes(), '');
    const [ok] = await probe(HOST, 'tcp', '10.96.0.20', 80);
    assert.equal(ok?.outcome, 'POD');
    await b.close();
    assert.deepEqual(await tables(), []);
    assert.equal(await podrunRoutes(), '');
  });

  test('a claim that appears while the route is being removed gets the route back', async () => {
    const b = table('b');
    await b.start();
    // While a closes, its first look finds no live claim (as if b had not made its table yet), its second
    // finds b's.
    let closing = false;
    let looks = 0;
    const a = table('a', { isAlive: () => !closing || looks++ > 0 });
    await a.start();
    closing = true;
    await a.close();
    assert.equal(looks, 2);
    assert.equal(await podrunRoutes(), '10.96.0.0/12 dev br0 scope link src 10.244.0.1');
    await b.close();
    assert.equal(await podrunRoutes(), '');
  });

  test("a dead instance's table and its unclaimed route are reclaimed at the next start; foreign tables are left", async () => {
    // Two instances that ran (alive while they started) and died without closing.
    const alive = () => true;
    await table('crashed', { owner: DEAD, isAlive: alive }).start();
    await table('crashed2', { owner: DEAD, isAlive: alive, serviceCidr: '10.112.0.0/12' }).start();
    await runChecked('nft', ['add', 'table', 'ip', 'podrun-foreign'], { netnsPath: netnsPath(HOST) });
    assert.match(await podrunRoutes(), /10\.112\.0\.0\/12/);

    const t = table('next');
    const report = await t.start();
    assert.deepEqual(report.reclaimedTables.sort(), ['podrun-crashed', 'podrun-crashed2']);
    assert.deepEqual(report.reclaimedRoutes, ['10.112.0.0/12 dev br0']);
    assert.deepEqual(report.foreignTables, ['podrun-foreign']);
    assert.deepEqual(await tables(), ['table ip podrun-foreign', 'table ip podrun-next']);
    assert.equal(await podrunRoutes(), '10.96.0.0/12 dev br0 scope link src 10.244.0.1');
    await t.close();
    assert.equal(await podrunRoutes(), '');

    const again = await reclaimHostServiceTables({ netnsPath: netnsPath(HOST) });
    assert.deepEqual(again, { reclaimedTables: [], reclaimedRoutes: [], foreignTables: ['podrun-foreign'] });
    await runChecked('nft', ['delete', 'table', 'ip', 'podrun-foreign'], { netnsPath: netnsPath(HOST) });
  });

  test('a service CIDR that overlaps a network of the machine, or is routed to another bridge, is refused', async () => {
    await ip('-n', HOST, 'route', 'add', '10.96.5.0/24', 'dev', 'br0');
    try {
      await assert.rejects(
        table('overlap').start(),
        /service CIDR 10\.96\.0\.0\/12 overlaps networks this machine routes \(10\.96\.5\.0\/24 dev br0\)/,
      );
    } finally {
      await ip('-n', HOST, 'route', 'del', '10.96.5.0/24', 'dev', 'br0');
    }
    await ip('-n', HOST, 'link', 'add', 'br1', 'type', 'bridge');
    await ip('-n', HOST, 'addr', 'add', '10.245.0.1/16', 'dev', 'br1');
    await ip('-n', HOST, 'link', 'set', 'br1', 'up');
    const first = table('first');
    await first.start();
    await assert.rejects(
      table('other-bridge', { bridge: 'br1', gateway: '10.245.0.1' }).start(),
      /already routed to bridge br0 by podrun process [0-9]+; give this podrun another service CIDR or the same bridge/,
    );
    await first.close();
    await assert.rejects(
      table('no-bridge', { bridge: 'br9' }).start(),
      /routing the service CIDR 10\.96\.0\.0\/12 to bridge br9 \(source 10\.244\.0\.1\) failed: .*the bridge must exist/,
    );
  });

  test('bad options are refused with the field', () => {
    assert.throws(() => table('no spaces'), /instanceId "no spaces"/);
    assert.throws(() => table('x', { gateway: '10.244.0' }), /gateway "10.244.0" is not an IPv4 address/);
  });
});
