// The official Python client (Debian's python3-kubernetes) against `podrun serve`: it lists Services with
// their ClusterIPs and a Service's EndpointSlices, and follows a pod to Ready through a watch (the client
// sends `watch=True`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, afterEach, before, describe, test } from 'node:test';
import { e2eCluster } from './support/cluster.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker } from './support/run-id.js';

const MARK = `: ${marker('e2e-python-client')};`;
const cluster = e2eCluster({ commandMarkers: [MARK] });
before(cluster.start);
afterEach(cluster.record);
after(cluster.stopAndCheck);

/** Debian's interpreter: the package installs the client for it, not for another python3 on PATH. */
const PYTHON = '/usr/bin/python3';
const hasClient = spawnSync(PYTHON, ['-c', 'import kubernetes'], { encoding: 'utf8' }).status === 0;
if (!hasClient && process.env.CI === 'true')
  throw new Error("the Python client test needs Debian's python3-kubernetes; .ci/run installs it");

const SCRIPT = `
import json, sys
from kubernetes import client, config, watch
config.load_kube_config(sys.argv[1])
v1 = client.CoreV1Api()
out = {}
ready = False
w = watch.Watch()
for ev in w.stream(v1.list_namespaced_pod, "default", label_selector="app=py-web", timeout_seconds=60):
    pod = ev["object"]
    if any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or [])):
        out["watched"] = [ev["type"], pod.metadata.name]
        w.stop()
svcs = v1.list_namespaced_service("default").items
out["services"] = {s.metadata.name: s.spec.cluster_ip for s in svcs}
slices = client.DiscoveryV1Api().list_namespaced_endpoint_slice(
    "default", label_selector="kubernetes.io/service-name=py-web").items
out["slices"] = [[e.addresses[0], e.conditions.ready] for s in slices for e in (s.endpoints or [])]
out["ports"] = [[p.name, p.port] for s in slices for p in (s.ports or [])]
print(json.dumps(out))
`;

describe('the official Python client', {
  skip: E2E_SKIP || (!hasClient && 'python3-kubernetes is not installed'),
}, () => {
  test('lists Services and EndpointSlices, and watches a pod become Ready', { timeout: 90_000 }, async () => {
    await cluster.kubectl.apply(`
apiVersion: v1
kind: Service
metadata: {name: py-web}
spec:
  selector: {app: py-web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Pod
metadata:
  name: py-web
  labels: {app: py-web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: web
      image: python:3.12-slim
      command: [sh, -c, '${MARK} exec python3 -m http.server 8080']
      ports: [{name: http, containerPort: 8080}]
      readinessProbe:
        tcpSocket: {port: http}
        periodSeconds: 1
`);
    const r = spawnSync(PYTHON, ['-c', SCRIPT, cluster.serve.kubeconfig], {
      encoding: 'utf8',
      timeout: 80_000,
    });
    assert.equal(r.status, 0, `python client:\n${r.stderr}`);
    const out = JSON.parse(r.stdout) as {
      watched: [string, string];
      services: Record<string, string>;
      slices: [string, boolean][];
      ports: [string, number][];
    };
    assert.equal(out.watched[1], 'py-web');
    assert.equal(out.services.kubernetes, '10.96.0.1');
    assert.match(out.services['py-web'] ?? '', /^10\.(9[6-9]|1[01][0-9])\.\d+\.\d+$/);
    const pod = await cluster.kubectl.json<{ status?: { podIP?: string } }>(['get', 'pod', 'py-web']);
    assert.deepEqual(out.slices, [[pod.status?.podIP, true]]);
    assert.deepEqual(out.ports, [['http', 8080]]);
  });
});
