// discovery.k8s.io/v1 EndpointSlices through the real kubectl 1.32, with the controllers running over the test
// server's registry: `kubectl get endpointslices` prints upstream's columns for the slices the controller writes,
// and kubectl can create, read, patch and delete a slice of its own.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createEventRecorder } from '../../src/apiserver/events.js';
import type { Registry } from '../../src/apiserver/registry.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { registryControllerClient } from '../../src/server/controller-client.js';
import { systemClock } from '../../src/util/clock.js';
import { kubectlEnv, SKIP_KUBECTL } from './kubectl-env.js';

/** A pod as its kubelet would have reported it: Running with an IP, Ready or not. */
async function runningPod(reg: Registry, name: string, ip: string, ready: boolean): Promise<void> {
  const created = await reg.create('pods', 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'web' } },
    spec: {
      nodeName: 'local',
      containers: [{ name: 'app', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }],
    },
  });
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await reg.updateStatus('pods', 'default', name, {
    ...created,
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }],
    },
  });
}

const USER_SLICE = `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: external-1
  labels:
    kubernetes.io/service-name: external
addressType: IPv4
ports:
- name: https
  port: 443
endpoints:
- addresses: ["192.0.2.10"]
  conditions:
    ready: true
`;

describe('kubectl and EndpointSlices', { skip: SKIP_KUBECTL }, () => {
  test('get endpointslices prints NAME ADDRESSTYPE PORTS ENDPOINTS AGE for the controller-made slices', async () => {
    const k = await kubectlEnv();
    const registry = k.t.registry;
    const manager = new ControllerManager({
      client: registryControllerClient(registry),
      clock: systemClock,
      recorderFor: (component) => createEventRecorder(registry, { component, clock: systemClock }),
    });
    try {
      await manager.start();
      await registry.create('services', 'default', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] },
      });
      await registry.create('services', 'default', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'idle' },
        spec: { selector: { app: 'idle' }, ports: [{ port: 6379 }] },
      });
      await runningPod(registry, 'web-a', '10.88.0.2', true);
      await runningPod(registry, 'web-b', '10.88.0.3', false);
      await runningPod(registry, 'web-c', '10.88.0.4', true);
      await runningPod(registry, 'web-d', '10.88.0.5', true);
      await manager.settled();

      const res = await k.run(['get', 'endpointslices']);
      assert.equal(res.code, 0, res.stderr);
      const lines = res.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$/);
      assert.equal(lines.length, 3, res.stdout);
      assert.match(res.stdout, /\nidle-[a-z0-9]{5}\s+IPv4\s+<unset>\s+<unset>\s+\d+s\n/);
      // Every address, ready or not, in the order the controller wrote them; three, then the count of the rest.
      assert.match(
        res.stdout,
        /\nweb-[a-z0-9]{5}\s+IPv4\s+8080\s+10\.88\.0\.\d,10\.88\.0\.\d,10\.88\.0\.\d \+ 1 more\.\.\.\s+\d+s\n/,
      );

      const yaml = await k.run([
        'get',
        'endpointslices',
        '-l',
        'kubernetes.io/service-name=web',
        '-o',
        'yaml',
      ]);
      assert.equal(yaml.code, 0, yaml.stderr);
      assert.match(yaml.stdout, /\nitems:\n- addressType: IPv4\n/);
      assert.match(
        yaml.stdout,
        /\n {6}endpointslice\.kubernetes\.io\/managed-by: endpointslice-controller\.k8s\.io\n/,
      );
      assert.match(
        yaml.stdout,
        /\n {2}- addresses:\n {4}- 10\.88\.0\.3\n {4}conditions:\n {6}ready: false\n {6}serving: false\n {6}terminating: false\n {4}nodeName: local\n {4}targetRef:\n {6}kind: Pod\n {6}name: web-b\n/,
      );
      assert.match(yaml.stdout, /\n {2}ports:\n {2}- name: ""\n {4}port: 8080\n {4}protocol: TCP\n/);
    } finally {
      manager.stop();
      await k.close();
    }
  });

  test('kubectl applies, patches, reads and deletes a slice of its own', async () => {
    const k = await kubectlEnv();
    try {
      const file = await k.writeFile('slice.yaml', USER_SLICE);
      const applied = await k.run(['apply', '-f', file]);
      assert.equal(applied.code, 0, applied.stderr);
      assert.equal(applied.stdout, 'endpointslice.discovery.k8s.io/external-1 created\n');
      const stored = await k.t.registry.get('endpointslices.discovery.k8s.io', 'default', 'external-1');
      assert.deepEqual(stored.ports, [{ name: 'https', port: 443, protocol: 'TCP' }]);
      assert.equal(stored.metadata.generation, 1);

      // Applied again with another address: kubectl's strategic merge patch replaces the atomic list.
      const again = await k.writeFile('slice2.yaml', USER_SLICE.replace('192.0.2.10', '192.0.2.20'));
      const reapplied = await k.run(['apply', '-f', again]);
      assert.equal(reapplied.code, 0, reapplied.stderr);
      assert.equal(reapplied.stdout, 'endpointslice.discovery.k8s.io/external-1 configured\n');
      const after = await k.t.registry.get('endpointslices.discovery.k8s.io', 'default', 'external-1');
      assert.deepEqual(after.endpoints, [{ addresses: ['192.0.2.20'], conditions: { ready: true } }]);
      assert.equal(after.metadata.generation, 2);

      const patched = await k.run([
        'patch',
        'endpointslice',
        'external-1',
        '--type=merge',
        '-p',
        '{"endpoints":[{"addresses":["192.0.2.10"]},{"addresses":["192.0.2.11"]}]}',
      ]);
      assert.equal(patched.code, 0, patched.stderr);
      const get = await k.run(['get', 'endpointslice.discovery.k8s.io', 'external-1']);
      assert.match(get.stdout, /\nexternal-1\s+IPv4\s+443\s+192\.0\.2\.10,192\.0\.2\.11\s+\d+s\n/);

      const bad = await k.run([
        'patch',
        'endpointslice',
        'external-1',
        '--type=merge',
        '-p',
        '{"addressType":"IPv6","endpoints":[{"addresses":["127.0.0.1"]}]}',
      ]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /addressType: Invalid value: "IPv6": field is immutable/);
      assert.match(
        bad.stderr,
        /endpoints\[0\]\.addresses\[0\]: Invalid value: "127\.0\.0\.1": must be a valid IPv6 address/,
      );

      const del = await k.run(['delete', 'endpointslice', 'external-1']);
      assert.equal(del.code, 0, del.stderr);
      assert.equal(del.stdout, 'endpointslice.discovery.k8s.io "external-1" deleted\n');
    } finally {
      await k.close();
    }
  });
});
