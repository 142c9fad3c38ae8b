// podrun's commands against "another cluster": a second API server (a podrun serve) reached only through a
// kubeconfig, as any cluster would be, with no --state-dir: a client certificate signed by its CA for one
// context, an exec credential plugin (a script printing an ExecCredential) for the other. `up --wait --junit`
// explains a failing init step exactly as it does against the local server; `get` and `timeline` read the
// context's namespace; `down` deletes what `up` applied there and nothing else.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { issueClientCertificate } from '../../src/apiserver/http/client-certs.js';
import { e2eFile, failingInitPod } from './support/e2e-file.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { runPodrun } from './support/serve.js';

const { mark: MARK, cluster, scratch } = e2eFile('e2e-clusters');
const KUBECONFIG = join(scratch, 'kubeconfig');
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** `podrun ARGS` with only the kubeconfig to find the server (a state dir that holds no server). */
const podrun = (args: string[], timeoutMs = 90_000) =>
  runPodrun(args, { timeoutMs, env: { KUBECONFIG, HOME: scratch } });

const FAILING = failingInitPod(MARK);

const GOOD = `
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: ci}
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 2
  initContainers:
    - name: setup
      image: busybox
      command: [sh, -c, '${MARK} echo ready']
  containers:
    - name: app
      image: busybox
      command: [sh, -c, '${MARK} trap "exit 0" TERM; while :; do sleep 1; done']
`;

/** The lines of up's verdict, timings and ages made comparable. */
function verdict(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => !/^podrun: (using|applying as)/.test(l) && !/JUnit report written/.test(l))
    .filter((l) => /fails-init|migrate|db unreachable|connecting to db|exit/.test(l))
    .map((l) => l.replace(/\d+(\.\d+)?(ms|s|m)\b/g, 'T').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'TS'));
}

describe('podrun against a cluster through a kubeconfig', { skip: E2E_SKIP }, () => {
  before(async () => {
    const { stateDir, url } = cluster.serve;
    const ca = readFileSync(join(stateDir, 'pki', 'ca.crt'), 'utf8');
    const { cert, key } = await issueClientCertificate(stateDir, 'ci-admin', ['system:masters']);
    const plugin = join(scratch, 'token-plugin.sh');
    writeFileSync(
      plugin,
      `#!/bin/sh\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$(cat ${join(stateDir, 'token')})"\n`,
    );
    chmodSync(plugin, 0o755);
    writeFileSync(
      KUBECONFIG,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'second', cluster: { server: url, 'certificate-authority-data': b64(ca) } }],
        users: [
          { name: 'cert', user: { 'client-certificate-data': b64(cert), 'client-key-data': b64(key) } },
          {
            name: 'plugin',
            user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin } },
          },
        ],
        contexts: [
          { name: 'other', context: { cluster: 'second', user: 'cert' } },
          { name: 'by-plugin', context: { cluster: 'second', user: 'plugin', namespace: 'team' } },
        ],
        'current-context': 'by-plugin',
      }),
    );
    const ns = await cluster.kubectl.run(['create', 'namespace', 'team']);
    assert.equal(ns.code, 0, ns.stderr);
  });

  test('up --wait --junit --context other explains a failing init step as it does locally', {
    timeout: 150_000,
  }, async () => {
    const dir = join(scratch, 'app');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'pod.yaml'), FAILING);
    const junit = join(scratch, 'r.xml');
    const remote = await podrun([
      'up',
      '--wait',
      '--timeout',
      '60s',
      '--junit',
      junit,
      '--context',
      'other',
      '-f',
      dir,
    ]);
    assert.equal(remote.code, 1, `stdout:\n${remote.stdout}\nstderr:\n${remote.stderr}`);
    assert.match(remote.stderr, /podrun: using context "other" \(https:\/\/127\.0\.0\.1:\d+\)/);
    assert.match(remote.stderr, /db unreachable: connection refused/);
    assert.match(remote.stderr, /connecting to db/);
    const report = readFileSync(junit, 'utf8');
    assert.match(report, /<failure[^>]*>/);
    assert.match(report, /migrate/);
    // The same manifests against the same server as the local one: the same explanation.
    const local = await runPodrun(
      [
        'up',
        '--wait',
        '--timeout',
        '60s',
        '--junit',
        join(scratch, 'local.xml'),
        '-f',
        dir,
        '--state-dir',
        cluster.serve.stateDir,
      ],
      { timeoutMs: 90_000 },
    );
    assert.equal(local.code, 1, local.stderr);
    assert.deepEqual(verdict(remote.stderr), verdict(local.stderr));
    assert.ok(verdict(remote.stderr).length >= 3, remote.stderr);
  });

  test('the context’s namespace, get and timeline by exec plugin; down deletes only what up applied', {
    timeout: 150_000,
  }, async () => {
    const file = join(scratch, 'good.yaml');
    writeFileSync(file, GOOD);
    // --kubeconfig alone: its current-context (by-plugin) and that context's namespace.
    const up = await podrun(['up', '--wait', '--timeout', '60s', '--kubeconfig', KUBECONFIG, '-f', file]);
    assert.equal(up.code, 0, `stdout:\n${up.stdout}\nstderr:\n${up.stderr}`);
    assert.match(up.stderr, /context "by-plugin"/);
    assert.match(up.stderr, /labelled podrun\.dev\/project=good/);
    const pod = await cluster.kubectl.json<{ metadata: { labels: Record<string, string> } }>([
      'get',
      'pod',
      'web',
      '-n',
      'team',
      '-o',
      'json',
    ]);
    assert.equal(pod.metadata.labels['podrun.dev/project'], 'good');
    const get = await podrun(['get', 'pods', '--context', 'by-plugin']);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /^web +1\/1 +Running/m);
    const timeline = await podrun(['timeline', 'web', '--context', 'by-plugin', '--width', '100']);
    assert.equal(timeline.code, 0, timeline.stderr);
    assert.match(timeline.stdout, /setup/);
    // Someone else's object with the same label, and an object of podrun's without it: neither is podrun's to delete.
    for (const args of [
      ['create', 'configmap', 'bystander', '-n', 'team', '--from-literal=a=b'],
      ['label', 'configmap', 'bystander', '-n', 'team', 'podrun.dev/project=good'],
    ]) {
      const r = await cluster.kubectl.run(args);
      assert.equal(r.code, 0, r.stderr);
    }
    const down = await podrun(['down', '--context', 'by-plugin', '--project', 'good']);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(down.stdout.trim().split('\n').sort(), [
      'configmap/settings -n team deleted',
      'pod/web -n team deleted',
    ]);
    const left = await cluster.kubectl.run(['get', 'configmaps', '-n', 'team', '-o', 'name']);
    assert.match(left.stdout, /configmap\/bystander/);
    assert.doesNotMatch(left.stdout, /configmap\/settings/);
    const pods = await cluster.kubectl.run(['get', 'pods', '-n', 'team', '-o', 'name']);
    assert.equal(pods.stdout.trim(), '');
  });
});
