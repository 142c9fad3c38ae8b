import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterDnsIndex } from '../../../src/network/dns/cluster-index.js';
import { clusterIPService, headlessService, namespace, pod, slice } from './fixtures.js';

describe('ClusterDnsIndex', () => {
  it('follows namespaces being added and deleted', () => {
    const index = new ClusterDnsIndex();
    assert.equal(index.namespaceExists('team'), false);
    index.apply('ADDED', namespace('team'));
    assert.equal(index.namespaceExists('team'), true);
    index.apply('DELETED', namespace('team'));
    assert.equal(index.namespaceExists('team'), false);
  });

  it('re-indexes a service whose ClusterIP changes and forgets a deleted one', () => {
    const index = new ClusterDnsIndex();
    index.apply('ADDED', clusterIPService('default', 'web', '10.96.0.30', [['http', 80]]));
    assert.equal(index.servicesByClusterIP('10.96.0.30')[0]?.name, 'web');
    index.apply('MODIFIED', clusterIPService('default', 'web', '10.96.0.31', [['http', 80]]));
    assert.deepEqual(index.servicesByClusterIP('10.96.0.30'), []);
    assert.equal(index.service('default', 'web')?.clusterIPs[0], '10.96.0.31');
    index.apply('DELETED', clusterIPService('default', 'web', '10.96.0.31', [['http', 80]]));
    assert.equal(index.service('default', 'web'), undefined);
    assert.deepEqual(index.servicesByClusterIP('10.96.0.31'), []);
  });

  it('reads headless and ExternalName services', () => {
    const index = new ClusterDnsIndex();
    index.apply('ADDED', headlessService('default', 'db', [['pg', 5432]]));
    assert.equal(index.service('default', 'db')?.kind, 'Headless');
    assert.deepEqual(index.service('default', 'db')?.clusterIPs, []);
  });

  it('merges ready endpoints over slices, follows slice updates and deletions', () => {
    const index = new ClusterDnsIndex();
    index.apply(
      'ADDED',
      slice('default', 'db-a', 'db', [{ ip: '10.244.0.7', hostname: 'db-0' }], [['pg', 5432]]),
    );
    index.apply(
      'ADDED',
      slice('default', 'db-b', 'db', [{ ip: '10.244.0.8', ready: false }], [['pg', 5432]]),
    );
    assert.deepEqual(
      index.readyEndpoints('default', 'db').map((e) => [e.ip, e.hostname]),
      [['10.244.0.7', 'db-0']],
    );
    index.apply(
      'MODIFIED',
      slice('default', 'db-b', 'db', [{ ip: '10.244.0.8', ready: true }], [['pg', 5432]]),
    );
    assert.deepEqual(
      index.readyEndpoints('default', 'db').map((e) => [e.ip, e.hostname]),
      [
        ['10.244.0.7', 'db-0'],
        ['10.244.0.8', '10-244-0-8'],
      ],
    );
    assert.deepEqual(index.endpointsByIP('10.244.0.8'), [
      { namespace: 'default', service: 'db', hostname: '10-244-0-8' },
    ]);
    index.apply('DELETED', slice('default', 'db-a', 'db', [], []));
    assert.deepEqual(
      index.readyEndpoints('default', 'db').map((e) => e.ip),
      ['10.244.0.8'],
    );
    assert.deepEqual(index.endpointsByIP('10.244.0.7'), []);
  });

  it('ignores slices that name no service', () => {
    const index = new ClusterDnsIndex();
    const s = slice('default', 'orphan', 'x', [{ ip: '10.244.0.9' }], []);
    delete s.metadata!.labels;
    index.apply('ADDED', s);
    assert.deepEqual(index.endpointsByIP('10.244.0.9'), []);
  });

  it('tracks pod IPs per namespace', () => {
    const index = new ClusterDnsIndex();
    index.apply('ADDED', pod('default', 'web', '10.244.0.7'));
    assert.ok(index.podHasIP('default', '10.244.0.7'));
    assert.ok(!index.podHasIP('other', '10.244.0.7'));
    index.apply('MODIFIED', pod('default', 'web', '10.244.0.8'));
    assert.ok(!index.podHasIP('default', '10.244.0.7'));
    index.apply('DELETED', pod('default', 'web', '10.244.0.8'));
    assert.ok(!index.podHasIP('default', '10.244.0.8'));
  });

  it('forgets everything on reset, for a relist', () => {
    const index = new ClusterDnsIndex();
    index.apply('ADDED', namespace('default'));
    index.apply('ADDED', clusterIPService('default', 'web', '10.96.0.30', [['http', 80]]));
    index.apply('ADDED', slice('default', 'web-1', 'web', [{ ip: '10.244.0.7' }], [['http', 80]]));
    index.apply('ADDED', pod('default', 'p', '10.244.0.7'));
    const before = index.serial();
    index.reset();
    assert.equal(index.namespaceExists('default'), false);
    assert.equal(index.service('default', 'web'), undefined);
    assert.deepEqual(index.servicesByClusterIP('10.96.0.30'), []);
    assert.deepEqual(index.readyEndpoints('default', 'web'), []);
    assert.deepEqual(index.endpointsByIP('10.244.0.7'), []);
    assert.equal(index.podHasIP('default', '10.244.0.7'), false);
    assert.ok(index.serial() > before);
  });

  it('moves the SOA serial forward on every change', () => {
    const index = new ClusterDnsIndex();
    const before = index.serial();
    index.apply('ADDED', namespace('a'));
    const after = index.serial();
    assert.ok(after > before);
    index.apply('ADDED', namespace('b'));
    assert.ok(index.serial() > after);
  });
});
