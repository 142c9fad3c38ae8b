// How pods reach the API server: the serving certificate's extra names, which listen addresses pods can use
// as they are, and the endpoints of default/kubernetes as the registry stores them.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startApiServer } from '../../src/apiserver/http/server.js';
import { servingNames } from '../../src/apiserver/http/tls.js';
import { apiServingNames, reachableFromPods } from '../../src/server/api-access.js';
import { writeKubernetesEndpoints } from '../../src/server/api-endpoints.js';
import { call, FakeLogs, newRegistry } from '../apiserver/helpers.js';

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

  test('the second listener serves the same API; one that cannot bind is reported, not fatal', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'podrun-pod-listener-'));
    const registry = await newRegistry();
    const start = (address: string) =>
      startApiServer({
        registry,
        address: '127.0.0.1',
        port: 0,
        stateDir,
        logs: new FakeLogs(),
        podAddress: { address, port: 0 },
      });
    const ok = await start('127.0.0.2');
    const broken = await start('192.0.2.1');
    try {
      assert.equal(ok.podEndpoint?.address, '127.0.0.2');
      assert.notEqual(ok.podEndpoint?.port, ok.port);
      // The helpers' client, pointed at the pod listener.
      const viaPods = {
        registry,
        logs: new FakeLogs(),
        stateDir,
        close: async () => {},
        server: { ...ok, url: `https://127.0.0.2:${ok.podEndpoint?.port}` },
        ca: await readFile(ok.caFile, 'utf8'),
      };
      const r = await call(viaPods, 'GET', '/api/v1/namespaces');
      assert.equal(r.status, 200);
      assert.equal(broken.podEndpoint, undefined);
      assert.match(
        broken.podEndpointError ?? '',
        /^cannot serve the API to pods on 192\.0\.2\.1:0: .*EADDRNOTAVAIL/,
      );
      assert.equal((await call({ ...viaPods, server: broken }, 'GET', '/api/v1/namespaces')).status, 200);
    } finally {
      await ok.close();
      await broken.close();
      await registry.store.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
