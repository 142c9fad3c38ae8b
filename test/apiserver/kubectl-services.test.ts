// Services against the real kubectl 1.32: `get svc` columns with allocated ClusterIPs, and `create service
// clusterip --clusterip` refused with the API server's words when the address is taken.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type KubectlEnv, kubectlEnv, SKIP_KUBECTL } from './kubectl-env.js';

async function withEnv(f: (k: KubectlEnv) => Promise<void>): Promise<void> {
  const k = await kubectlEnv();
  try {
    await f(k);
  } finally {
    await k.close();
  }
}

/** Rows of a kubectl table keyed by column name (columns split on two or more spaces). */
function rows(out: string): Record<string, string>[] {
  const [header, ...lines] = out.trimEnd().split('\n');
  const names = (header ?? '').split(/\s{2,}/);
  return lines.map((l) => Object.fromEntries(l.split(/\s{2,}/).map((v, i) => [names[i] ?? `${i}`, v])));
}

describe('kubectl and Services', { skip: SKIP_KUBECTL }, () => {
  test('create service clusterip --clusterip takes the address once; a second gets upstream’s error', () =>
    withEnv(async (k) => {
      const first = await k.run(['create', 'service', 'clusterip', 'x', '--clusterip=10.96.0.5', '--tcp=80']);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout, 'service/x created\n');
      const second = await k.run([
        'create',
        'service',
        'clusterip',
        'y',
        '--clusterip=10.96.0.5',
        '--tcp=80',
      ]);
      assert.equal(second.code, 1);
      assert.equal(
        second.stderr,
        'error: failed to create ClusterIP service: Service "y" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.5"}: failed to allocate IP 10.96.0.5: provided IP is already allocated\n',
      );
    }));

  test('get svc prints TYPE, CLUSTER-IP, EXTERNAL-IP and PORT(S) as a cluster does', () =>
    withEnv(async (k) => {
      for (const args of [
        ['create', 'service', 'clusterip', 'web', '--tcp=80:8080'],
        ['create', 'service', 'clusterip', 'db', '--clusterip=None', '--tcp=5432'],
        ['create', 'service', 'nodeport', 'np', '--tcp=8080:80', '--node-port=30080'],
        ['create', 'service', 'externalname', 'ext', '--external-name=db.example.com'],
      ]) {
        const res = await k.run(args);
        assert.equal(res.code, 0, res.stderr);
      }
      const res = await k.run(['get', 'svc']);
      assert.equal(res.code, 0, res.stderr);
      const byName = Object.fromEntries(rows(res.stdout).map((r) => [r.NAME, r]));
      assert.deepEqual(Object.keys(rows(res.stdout)[0] ?? {}), [
        'NAME',
        'TYPE',
        'CLUSTER-IP',
        'EXTERNAL-IP',
        'PORT(S)',
        'AGE',
      ]);
      const web = byName.web!;
      assert.equal(web.TYPE, 'ClusterIP');
      assert.match(web['CLUSTER-IP'] ?? '', /^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/);
      assert.equal(web['EXTERNAL-IP'], '<none>');
      assert.equal(web['PORT(S)'], '80/TCP');
      assert.equal(byName.db?.['CLUSTER-IP'], 'None');
      assert.equal(byName.db?.['PORT(S)'], '5432/TCP');
      assert.equal(byName.np?.TYPE, 'NodePort');
      assert.match(byName.np?.['CLUSTER-IP'] ?? '', /^10\./);
      assert.equal(byName.np?.['PORT(S)'], '8080:30080/TCP');
      assert.equal(byName.ext?.TYPE, 'ExternalName');
      assert.equal(byName.ext?.['CLUSTER-IP'], '<none>');
      assert.equal(byName.ext?.['EXTERNAL-IP'], 'db.example.com');
      assert.equal(byName.ext?.['PORT(S)'], '<none>');
      const ip = (await k.run(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
      assert.equal(ip, web['CLUSTER-IP']);
    }));
});
