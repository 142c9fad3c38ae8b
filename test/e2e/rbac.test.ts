// RBAC end to end with real kubectl: the bootstrap roles and bindings, a ServiceAccount bound to a Role,
// `kubectl auth can-i` (with --as and --list) and `kubectl auth whoami`, the SA's own token allowed where
// bound and refused with upstream's 403 texts elsewhere (from kubectl and from inside a pod), and escalation
// prevention.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { e2eCluster } from './support/cluster.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker } from './support/run-id.js';
import { pollPod } from './support/watch.js';

const MARK = `: ${marker('e2e-rbac-test')};`;
const cluster = e2eCluster({ commandMarkers: [MARK] });
const k = () => cluster.kubectl;
before(cluster.start);
afterEach(cluster.record);
after(cluster.stopAndCheck);

const READER = 'system:serviceaccount:default:reader';
const READER_GROUPS = '"system:serviceaccounts" "system:serviceaccounts:default" "system:authenticated"';

/** kubectl as the reader ServiceAccount, with a token from the TokenRequest API. */
let token = '';
const asReader = (args: string[]) => k().run([`--token=${token}`, ...args]);

describe('RBAC', { skip: E2E_SKIP }, () => {
  before(async () => {
    if (E2E_SKIP) return;
    await k().ok(['create', 'serviceaccount', 'reader']);
    await k().ok(['create', 'role', 'pod-reader', '--verb=get,list,watch', '--resource=pods,pods/log']);
    await k().ok(['create', 'rolebinding', 'reader', '--role=pod-reader', '--serviceaccount=default:reader']);
    token = (await k().ok(['create', 'token', 'reader'])).trim();
  });

  test('the bootstrap roles and bindings are there, printed as kubectl prints them', async () => {
    const roles = await k().ok(['get', 'clusterroles']);
    assert.match(roles, /^NAME\s+CREATED AT$/m);
    for (const name of ['cluster-admin', 'admin', 'edit', 'view', 'system:basic-user', 'system:discovery']) {
      assert.match(roles, new RegExp(`^${name}\\s+\\d{4}-\\d\\d-\\d\\dT`, 'm'));
    }
    const bindings = await k().ok(['get', 'clusterrolebindings', '-o', 'wide']);
    assert.match(bindings, /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS$/m);
    assert.match(bindings, /^cluster-admin\s+ClusterRole\/cluster-admin\s+\S+\s+system:masters\s*$/m);
    assert.match(
      bindings,
      /^system:public-info-viewer\s+ClusterRole\/system:public-info-viewer\s+\S+\s+system:authenticated, system:unauthenticated\s*$/m,
    );
    const rb = await k().ok(['get', 'rolebinding', 'reader', '-o', 'wide']);
    assert.match(rb, /^reader\s+Role\/pod-reader\s+\S+\s+default\/reader\s*$/m);
    // view is aggregated from system:aggregate-to-view.
    const view = await k().ok(['describe', 'clusterrole', 'view']);
    assert.match(view, /^ {2}pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    const describe = await k().ok(['describe', 'rolebinding', 'reader']);
    assert.match(describe, /^Role:\n {2}Kind: {2}Role\n {2}Name: {2}pod-reader$/m);
    assert.match(describe, /^ {2}ServiceAccount +reader +default$/m);
  });

  test('kubectl auth can-i and whoami, as the admin and --as the ServiceAccount', async () => {
    assert.equal((await k().ok(['auth', 'can-i', 'delete', 'nodes'])).trim(), 'yes');
    const as = `--as=${READER}`;
    assert.equal((await k().ok(['auth', 'can-i', 'list', 'pods', as])).trim(), 'yes');
    assert.equal((await k().ok(['auth', 'can-i', 'get', 'pods', '--subresource=log', as])).trim(), 'yes');
    const no = await k().run(['auth', 'can-i', 'delete', 'pods', as]);
    assert.deepEqual([no.code, no.stdout.trim()], [1, 'no']);
    const elsewhere = await k().run(['auth', 'can-i', 'list', 'pods', '-n', 'kube-system', as]);
    assert.deepEqual([elsewhere.code, elsewhere.stdout.trim()], [1, 'no']);
    const list = await k().ok(['auth', 'can-i', '--list', as]);
    assert.match(list, /^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/m);
    assert.match(list, /^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    assert.match(list, /^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    assert.match(
      await k().ok(['auth', 'whoami']),
      /^Username\s+kubernetes-admin\nGroups\s+\[system:masters system:authenticated\]$/m,
    );
    assert.match(
      await k().ok(['auth', 'whoami', as]),
      /^Username\s+system:serviceaccount:default:reader\nGroups\s+\[system:serviceaccounts system:serviceaccounts:default system:authenticated\]$/m,
    );
  });

  test("the ServiceAccount's token reads what it is bound to and is refused elsewhere in upstream's words", async () => {
    const mine = await asReader(['get', 'pods']);
    assert.equal(mine.code, 0, mine.stderr);
    const other = await asReader(['get', 'pods', '-n', 'kube-system']);
    assert.equal(
      other.stderr.trim(),
      `Error from server (Forbidden): pods is forbidden: User "${READER}" cannot list resource "pods" in API group "" in the namespace "kube-system"`,
    );
    const nodes = await asReader(['get', 'nodes']);
    assert.equal(
      nodes.stderr.trim(),
      `Error from server (Forbidden): nodes is forbidden: User "${READER}" cannot list resource "nodes" in API group "" at the cluster scope`,
    );
    const del = await asReader(['delete', 'pod', 'web']);
    assert.equal(
      del.stderr.trim(),
      `Error from server (Forbidden): pods "web" is forbidden: User "${READER}" cannot delete resource "pods" in API group "" in the namespace "default"`,
    );
    const who = await asReader(['auth', 'whoami']);
    assert.match(who.stdout, /^Username\s+system:serviceaccount:default:reader$/m);
  });

  test('a ServiceAccount may not grant or bind rights it does not hold', async () => {
    await k().ok(['create', 'role', 'role-writer', '--verb=create,get', '--resource=roles,rolebindings']);
    await k().ok([
      'create',
      'rolebinding',
      'reader-writes-roles',
      '--role=role-writer',
      '--serviceaccount=default:reader',
    ]);
    await k().ok(['create', 'role', 'pod-deleter', '--verb=delete', '--resource=pods']);
    assert.equal((await asReader(['create', 'role', 'sub', '--verb=get', '--resource=pods'])).code, 0);
    const more = await asReader(['create', 'role', 'more', '--verb=get,delete', '--resource=pods']);
    assert.equal(
      more.stderr.trim(),
      `Error from server (Forbidden): roles.rbac.authorization.k8s.io "more" is forbidden: user "${READER}" (groups=[${READER_GROUPS}]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}`,
    );
    const bind = await asReader([
      'create',
      'rolebinding',
      'grab',
      '--role=pod-deleter',
      '--serviceaccount=default:reader',
    ]);
    assert.match(
      bind.stderr,
      /rolebindings\.rbac\.authorization\.k8s\.io "grab" is forbidden: user "system:serviceaccount:default:reader" \(groups=\[.*\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["pods"\], Verbs:\["delete"\]\}/,
    );
  });

  test('a pod running as the ServiceAccount lists pods where bound and is refused elsewhere', {
    timeout: 120_000,
  }, async () => {
    const script = `
import json, ssl, urllib.request, urllib.error
d = "/var/run/secrets/kubernetes.io/serviceaccount"
ctx = ssl.create_default_context(cafile=d + "/ca.crt")
for ns in ["default", "kube-system"]:
    req = urllib.request.Request("https://kubernetes.default.svc/api/v1/namespaces/" + ns + "/pods",
                                 headers={"Authorization": "Bearer " + open(d + "/token").read()})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            print(ns + ": " + str(r.status))
    except urllib.error.HTTPError as e:
        print(ns + ": " + str(e.code) + " " + json.load(e)["message"])
`;
    await k().apply(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'rbac-client' },
        spec: {
          serviceAccountName: 'reader',
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'client',
              image: 'python:3.12-slim',
              env: [{ name: 'MARK', value: MARK }],
              command: ['python3', '-c', script],
            },
          ],
        },
      }),
    );
    await pollPod(
      k(),
      'rbac-client',
      (p: Pod) => p.status?.phase === 'Succeeded',
      'rbac-client to finish',
      90_000,
    );
    const log = await k().ok(['logs', 'rbac-client']);
    assert.match(log, /^default: 200$/m);
    assert.match(
      log,
      /^kube-system: 403 pods is forbidden: User "system:serviceaccount:default:reader" cannot list resource "pods" in API group "" in the namespace "kube-system"$/m,
    );
  });
  test('kubectl exec with the token needs get and create on pods/exec', { timeout: 120_000 }, async () => {
    await k().apply(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'rbac-sleeper' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'sleeper',
              image: 'python:3.12-slim',
              command: ['python3', '-c', `import time  # ${MARK}\nwhile True: time.sleep(1)`],
            },
          ],
        },
      }),
    );
    await pollPod(
      k(),
      'rbac-sleeper',
      (p: Pod) => p.status?.phase === 'Running',
      'rbac-sleeper to run',
      90_000,
    );
    const refused = await asReader(['exec', 'rbac-sleeper', '--', 'echo', 'hi']);
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      /pods "rbac-sleeper" is forbidden: User "system:serviceaccount:default:reader" cannot (get|create) resource "pods\/exec" in API group "" in the namespace "default"/,
    );
    await k().ok(['create', 'role', 'execer', '--verb=get,create', '--resource=pods/exec']);
    await k().ok([
      'create',
      'rolebinding',
      'reader-execs',
      '--role=execer',
      '--serviceaccount=default:reader',
    ]);
    const allowed = await asReader(['exec', 'rbac-sleeper', '--', 'echo', 'hi']);
    assert.deepEqual([allowed.code, allowed.stdout], [0, 'hi\n'], allowed.stderr);
  });
});
