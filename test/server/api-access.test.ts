// How pods reach the API server: the serving certificate's extra names, which listen addresses pods can use
// as they are, and the endpoints of default/kubernetes as the registry stores them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { servingNames } from '../../src/apiserver/http/tls.js';
import { apiServingNames, reachableFromPods } from '../../src/server/api-access.js';
import { writeKubernetesEndpoints } from '../../src/server/api-endpoints.js';
import { newRegistry } from '../apiserver/helpers.js';

describe('API access from pods', () => {
  test("the certificate covers the kubernetes Service's names, its ClusterIP and the gateway", () => {
    const extra = apiServingNames('10.96.0.0/12', 'cluster.local', '10.244.0.1');
    assert.deepEqual(servingNames('127.0.0.1', extra), [
      'IP:127.0.0.1',
      'IP:::1',
      'DNS:localhost',
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
      'IP:10.96.0.1',
      'IP:10.244.0.1',
    ]);
    assert.deepEqual(apiServingNames('10.100.0.0/16', 'example.org').slice(-2), [
      'DNS:kubernetes.default.svc.example.org',
      'IP:10.100.0.1',
    ]);
  });

  test('only a specific, non-loopback listen address serves pods as it is', () => {
    assert.equal(reachableFromPods('127.0.0.1', 6443), undefined);
    assert.equal(reachableFromPods('::1', 6443), undefined);
    assert.equal(reachableFromPods('0.0.0.0', 6443), undefined);
    assert.equal(reachableFromPods('localhost', 6443), undefined);
    assert.deepEqual(reachableFromPods('192.168.1.5', 6443), { address: '192.168.1.5', port: 6443 });
  });

  test('default/kubernetes gets an Endpoints and an EndpointSlice, rewritten with a new port', async () => {
    const registry = await newRegistry();
    const logs: string[] = [];
    await writeKubernetesEndpoints(registry, { address: '10.244.0.1', port: 40001 }, (m) => logs.push(m));
    await writeKubernetesEndpoints(registry, { address: '10.244.0.1', port: 40002 }, (m) => logs.push(m));
    assert.equal(logs.length, 0, logs.join('\n'));
    const ep = await registry.get('endpoints', 'default', 'kubernetes');
    assert.deepEqual(ep.subsets, [
      { addresses: [{ ip: '10.244.0.1' }], ports: [{ name: 'https', port: 40002, protocol: 'TCP' }] },
    ]);
    const slice = await registry.get('endpointslices.discovery.k8s.io', 'default', 'kubernetes');
    assert.equal(slice.metadata.labels?.['kubernetes.io/service-name'], 'kubernetes');
    assert.deepEqual(slice.ports, [{ name: 'https', port: 40002, protocol: 'TCP' }]);
    assert.deepEqual((slice.endpoints as Array<{ addresses: string[] }>)[0]?.addresses, ['10.244.0.1']);
    await writeKubernetesEndpoints(registry, undefined, (m) => logs.push(m));
    assert.match(logs[0] ?? '', /default\/kubernetes has no endpoints/);
    await registry.store.close();
  });
});
