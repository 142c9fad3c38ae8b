import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ServiceProxy } from '../../../src/network/proxy/service-proxy.js';
import type { ServiceRules } from '../../../src/network/types.js';
import { ep, service, slice } from './fixtures.js';

const CIDR = '10.96.0.0/12';
const TCP = [{ name: '', port: 8080, protocol: 'TCP' }];

/** Passes run only when the test says so. */
function manualScheduler() {
  const queue: (() => void)[] = [];
  return {
    schedule: (run: () => void) => {
      queue.push(run);
    },
    get pending() {
      return queue.length;
    },
    runNext() {
      const run = queue.shift();
      assert.ok(run, 'no pass was scheduled');
      run();
    },
  };
}

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const endpointsOf = (rules: ServiceRules, ip: string) =>
  rules.ports.find((p) => p.clusterIP === ip)?.endpoints.map((e) => e.ip);

describe('ServiceProxy', () => {
  test('nothing is applied before the first sync(); then one pass covers every event', async () => {
    const calls: ServiceRules[] = [];
    const sched = manualScheduler();
    const proxy = new ServiceProxy({
      serviceCidr: CIDR,
      sinks: [(r) => void calls.push(r)],
      schedule: sched.schedule,
    });
    proxy.apply('ADDED', service('web', '10.96.0.20', [{ port: 80 }]));
    proxy.apply('ADDED', slice('web', 'web-1', TCP, [ep('10.244.0.3')]));
    assert.equal(sched.pending, 0);
    const synced = proxy.sync();
    assert.equal(sched.pending, 1);
    sched.runNext();
    await synced;
    assert.equal(calls.length, 1);
    assert.deepEqual(endpointsOf(calls[0]!, '10.96.0.20'), ['10.244.0.3']);
    assert.deepEqual(proxy.rules, calls[0]);
  });

  test('a burst of events is one pass; events during a pass make one more, with the latest objects', async () => {
    const calls: ServiceRules[] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const sched = manualScheduler();
    const proxy = new ServiceProxy({
      serviceCidr: CIDR,
      schedule: sched.schedule,
      sinks: [
        async (r) => {
          calls.push(r);
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          const gate = deferred();
          gates.push(gate);
          await gate.promise;
          inFlight--;
        },
      ],
    });
    proxy.apply('ADDED', service('web', '10.96.0.20', [{ port: 80 }]));
    const first = proxy.sync();
    sched.runNext();
    await new Promise((r) => setImmediate(r));
    assert.equal(calls.length, 1);

    // While the first apply is in flight: three slice versions, one after the other.
    for (const ips of [['10.244.0.3'], ['10.244.0.3', '10.244.0.4'], ['10.244.0.5']]) {
      proxy.apply(
        'MODIFIED',
        slice(
          'web',
          'web-1',
          TCP,
          ips.map((ip) => ep(ip)),
        ),
      );
    }
    const second = proxy.sync();
    assert.equal(sched.pending, 0, 'a pass is running: no other is scheduled');
    gates[0]!.resolve();
    await first;
    await new Promise((r) => setImmediate(r));
    assert.equal(calls.length, 2);
    assert.deepEqual(endpointsOf(calls[1]!, '10.96.0.20'), ['10.244.0.5']);
    gates[1]!.resolve();
    await second;
    assert.equal(calls.length, 2);
    assert.equal(maxInFlight, 1);
  });

  test('a sink is not called again with rules equal to those it accepted', async () => {
    const calls: ServiceRules[] = [];
    const proxy = new ServiceProxy({ serviceCidr: CIDR, sinks: [(r) => void calls.push(r)] });
    proxy.apply('ADDED', service('web', '10.96.0.20', [{ port: 80 }]));
    await proxy.sync();
    // A new object equal for the proxy (a label changed), a slice of a Service that does not exist.
    proxy.apply('MODIFIED', { ...service('web', '10.96.0.20', [{ port: 80 }]), status: {} });
    proxy.apply('ADDED', slice('ghost', 'ghost-1', TCP, [ep('10.244.0.9')]));
    await proxy.sync();
    assert.equal(calls.length, 1);
    proxy.apply('DELETED', service('web', '10.96.0.20', [{ port: 80 }]));
    await proxy.sync();
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[1], { serviceCidr: CIDR, clusterIPs: [], ports: [] });
  });

  test('a failing sink: sync() rejects, the other sink still gets the rules, the next pass retries it', async () => {
    const good: ServiceRules[] = [];
    let failures = 1;
    const flaky: ServiceRules[] = [];
    const errors: unknown[] = [];
    const proxy = new ServiceProxy({
      serviceCidr: CIDR,
      onError: (e) => errors.push(e),
      sinks: [
        (r) => void good.push(r),
        (r) => {
          if (failures-- > 0) throw new Error('nft said no');
          flaky.push(r);
        },
      ],
    });
    proxy.apply('ADDED', service('web', '10.96.0.20', [{ port: 80 }]));
    await assert.rejects(proxy.sync(), /nft said no/);
    assert.equal(errors.length, 1);
    assert.equal(good.length, 1);
    await proxy.sync();
    assert.equal(good.length, 1, 'the good sink already has these rules');
    assert.equal(flaky.length, 1);
    assert.deepEqual(flaky[0], good[0]);
  });

  test('close() rejects a pending sync() and stops further passes', async () => {
    const sched = manualScheduler();
    const calls: ServiceRules[] = [];
    const proxy = new ServiceProxy({
      serviceCidr: CIDR,
      sinks: [(r) => void calls.push(r)],
      schedule: sched.schedule,
    });
    const pending = proxy.sync();
    proxy.close();
    await assert.rejects(pending, /closed before its rules were applied/);
    sched.runNext();
    await new Promise((r) => setImmediate(r));
    assert.equal(calls.length, 0);
    await assert.rejects(proxy.sync(), /closed/);
  });

  test('a bad service CIDR is refused at construction', () => {
    assert.throws(
      () => new ServiceProxy({ serviceCidr: '10.96.0.0/33', sinks: [] }),
      /serviceCidr "10.96.0.0\/33"/,
    );
  });
});
