// ServiceAccounts end to end with real kubectl: `default` appears in a new namespace with kube-root-ca.crt,
// `kubectl create token` issues a token the API server accepts, a pod reads its projected token, CA and
// namespace and lists pods over https://kubernetes.default.svc with them, the token stops working once its
// pod is gone, the official Python client configures itself in-cluster, and automountServiceAccountToken: false
// leaves the pod without the volume.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'node:https';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { e2eCluster } from './support/cluster.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker } from './support/run-id.js';
import { poll, pollPod } from './support/watch.js';

const MARK = `: ${marker('e2e-serviceaccounts-test')};`;
const cluster = e2eCluster({ commandMarkers: [MARK] });
const k = () => cluster.kubectl;
before(cluster.start);
afterEach(cluster.record);
after(cluster.stopAndCheck);

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Lists the pods of the pod's namespace with its own token, by name and by the Service's env variables. */
const CLIENT = `
import json, os, ssl, sys, urllib.request
d = "${SA_DIR}"
token = open(d + "/token").read()
ns = open(d + "/namespace").read()
ctx = ssl.create_default_context(cafile=d + "/ca.crt")
host = os.environ["KUBERNETES_SERVICE_HOST"] + ":" + os.environ["KUBERNETES_SERVICE_PORT"]
for base in ["https://kubernetes.default.svc", "https://" + host]:
    req = urllib.request.Request(base + "/api/v1/namespaces/" + ns + "/pods", headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        names = [p["metadata"]["name"] for p in json.load(r)["items"]]
    print("pods via " + base + ": " + ",".join(sorted(names)))
print("namespace=" + ns)
print("token=" + token)
sys.stdout.flush()
`;

const indent = (text: string, n: number) =>
  text
    .trim()
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');

function clientPod(name: string, extraSpec = ''): string {
  return `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1${extraSpec}
  containers:
    - name: client
      image: python:3.12-slim
      env: [{name: MARK, value: "${MARK}"}]
      command:
        - python3
        - -c
        - |
${indent(CLIENT, 10)}
          import time
          time.sleep(600)
`;
}

/** GET `path` on the API server with `token`; the status code. */
function apiStatus(url: string, ca: string, token: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { headers: { Authorization: `Bearer ${token}` }, ca }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ServiceAccounts', { skip: E2E_SKIP }, () => {
  before(async () => {
    if (E2E_SKIP) return;
    // RBAC: the default ServiceAccount may read nothing until bound; these tests read pods with its tokens.
    await k().ok([
      'create',
      'rolebinding',
      'default-view',
      '--clusterrole=view',
      '--serviceaccount=default:default',
    ]);
  });

  test('a new namespace gets the default ServiceAccount and kube-root-ca.crt', async () => {
    await k().ok(['create', 'namespace', 'sa-e2e']);
    const sa = await poll(async () => {
      const r = await k().run(['get', 'sa', '-n', 'sa-e2e']);
      return r.code === 0 && /^default\s+0\s+/m.test(r.stdout) ? r.stdout : undefined;
    }, 'the default ServiceAccount in sa-e2e');
    assert.match(sa, /^NAME\s+SECRETS\s+AGE$/m);
    const cm = await k().json<{ data: Record<string, string> }>([
      'get',
      'configmap',
      'kube-root-ca.crt',
      '-n',
      'sa-e2e',
    ]);
    assert.match(cm.data['ca.crt'] ?? '', /^-----BEGIN CERTIFICATE-----/);
    await k().ok(['delete', 'namespace', 'sa-e2e', '--wait=false']);
  });

  test('kubectl create token issues a token the API server accepts as the ServiceAccount', async () => {
    const token = (await k().ok(['create', 'token', 'default', '--duration=15m'])).trim();
    const [, payload] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
    assert.equal(claims.sub, 'system:serviceaccount:default:default');
    assert.deepEqual(claims.aud, ['https://kubernetes.default.svc.cluster.local']);
    assert.equal(claims.exp - claims.iat, 900);
    const ca = (
      await k().ok([
        'config',
        'view',
        '--raw',
        '-o',
        'jsonpath={.clusters[0].cluster.certificate-authority-data}',
      ])
    ).trim();
    const pem = Buffer.from(ca, 'base64').toString('utf8');
    assert.equal(await apiStatus(cluster.serve.url, pem, token, '/api/v1/namespaces/default/pods'), 200);
    assert.equal(
      await apiStatus(cluster.serve.url, pem, `${token}x`, '/api/v1/namespaces/default/pods'),
      401,
    );
    const refused = await k().run(['create', 'token', 'nobody']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /serviceaccounts "nobody" not found/);
  });

  test('a pod lists pods with its projected token over https://kubernetes.default.svc', {
    timeout: 120_000,
  }, async () => {
    await k().apply(clientPod('sa-client'));
    const pod = await k().json<Pod>(['get', 'pod', 'sa-client']);
    assert.equal(pod.spec?.serviceAccountName, 'default');
    const volume = pod.spec?.volumes?.find((v) => v.name.startsWith('kube-api-access-'));
    assert.ok(volume?.projected, `a kube-api-access volume: ${JSON.stringify(pod.spec?.volumes)}`);
    assert.match(volume.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(pod.spec?.containers[0]?.volumeMounts, [
      { name: volume.name, readOnly: true, mountPath: SA_DIR },
    ]);
    const log = await poll(
      async () => {
        const out = await k().ok(['logs', 'sa-client']);
        return /^token=/m.test(out) ? out : undefined;
      },
      'the client pod to list pods',
      60_000,
    ).catch(async (e: Error) => {
      const p = await k().json<Pod>(['get', 'pod', 'sa-client']);
      const events = await k().ok(['get', 'events', '--field-selector', 'involvedObject.name=sa-client']);
      const logs = await k().run(['logs', 'sa-client']);
      throw new Error(
        `${e.message}\n${JSON.stringify(p.status, null, 1)}\n${events}\n${logs.stdout}${logs.stderr}`,
      );
    });
    assert.match(log, /^pods via https:\/\/kubernetes\.default\.svc: .*sa-client/m);
    assert.match(log, /^pods via https:\/\/10\.96\.0\.1:443: .*sa-client/m);
    assert.match(log, /^namespace=default$/m);
    const token = /^token=(.*)$/m.exec(log)?.[1] ?? '';
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    assert.equal(claims['kubernetes.io'].pod.name, 'sa-client');
    assert.equal(claims['kubernetes.io'].pod.uid, pod.metadata?.uid);

    // kubectl can bind a token to the pod too (boundObjectRef through protobuf).
    const bound = (
      await k().ok(['create', 'token', 'default', '--bound-object-kind=Pod', '--bound-object-name=sa-client'])
    ).trim();
    const boundClaims = JSON.parse(Buffer.from(bound.split('.')[1] ?? '', 'base64url').toString('utf8'));
    assert.deepEqual(boundClaims['kubernetes.io'].pod, { name: 'sa-client', uid: pod.metadata?.uid });

    // Bound to the pod: once it is gone the tokens are refused.
    const ca = await k().ok(['get', 'configmap', 'kube-root-ca.crt', '-o', 'jsonpath={.data.ca\\.crt}']);
    assert.equal(await apiStatus(cluster.serve.url, ca, token, '/api/v1/namespaces/default/pods'), 200);
    assert.equal(await apiStatus(cluster.serve.url, ca, bound, '/api/v1/namespaces/default/pods'), 200);
    await k().ok(['delete', 'pod', 'sa-client', '--grace-period=1']);
    assert.equal(await apiStatus(cluster.serve.url, ca, token, '/api/v1/namespaces/default/pods'), 401);
    assert.equal(await apiStatus(cluster.serve.url, ca, bound, '/api/v1/namespaces/default/pods'), 401);
  });

  test("the official Python client's in-cluster configuration works in a pod", {
    timeout: 120_000,
  }, async () => {
    // Debian's python3-kubernetes, for /usr/bin/python3 (the pod runs on the host's filesystem).
    const hasClient = spawnSync('/usr/bin/python3', ['-c', 'import kubernetes'], { encoding: 'utf8' });
    assert.equal(hasClient.status, 0, "this test needs Debian's python3-kubernetes; .ci/run installs it");
    await k().apply(`
apiVersion: v1
kind: Pod
metadata: {name: sa-python}
spec:
  restartPolicy: Never
  containers:
    - name: client
      image: python:3.12-slim
      env: [{name: MARK, value: "${MARK}"}]
      command:
        - /usr/bin/python3
        - -c
        - |
          from kubernetes import client, config
          config.load_incluster_config()
          pods = client.CoreV1Api().list_namespaced_pod("default").items
          print("in-cluster pods: " + ",".join(sorted(p.metadata.name for p in pods)))
`);
    const done = await pollPod(
      k(),
      'sa-python',
      (p) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded',
      'the Python client pod to finish',
      60_000,
    );
    const log = await k().ok(['logs', 'sa-python']);
    assert.equal(done.status?.phase, 'Succeeded', log);
    assert.match(log, /^in-cluster pods: .*sa-python/m);
  });

  test('automountServiceAccountToken: false leaves the pod without the token volume', async () => {
    await k().apply(clientPod('sa-none', '\n  automountServiceAccountToken: false'));
    const pod = await k().json<Pod>(['get', 'pod', 'sa-none']);
    assert.equal(pod.spec?.serviceAccountName, 'default');
    assert.deepEqual(pod.spec?.volumes ?? [], []);
    assert.equal(pod.spec?.containers[0]?.volumeMounts, undefined);
    const done = await pollPod(
      k(),
      'sa-none',
      (p) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded',
      'the pod without a token to fail reading it',
      60_000,
    );
    assert.equal(done.status?.phase, 'Failed');
    const log = await k().ok(['logs', 'sa-none']);
    assert.match(
      log,
      /No such file or directory: '\/var\/run\/secrets\/kubernetes.io\/serviceaccount\/token'/,
    );
  });

  test('a pod naming a ServiceAccount that does not exist is refused', async () => {
    const r = await k().run([
      'run',
      'sa-missing',
      '--image=busybox',
      '--overrides',
      '{"spec":{"serviceAccountName":"ghost"}}',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /pods "sa-missing" is forbidden: error looking up service account default\/ghost: serviceaccount "ghost" not found/,
    );
  });
});
