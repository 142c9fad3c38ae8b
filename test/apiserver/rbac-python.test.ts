// RBAC with the official Python client (Debian's python3-kubernetes): the admin creates a Role and a
// RoleBinding through RbacAuthorizationV1Api, a SubjectAccessReview says which binding allows, and requests
// impersonating the ServiceAccount (Impersonate-User) are allowed where bound and get upstream's 403 elsewhere.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers.js';
import { hasPythonClient, runPythonScript } from './python.js';

if (!hasPythonClient && process.env.CI === 'true')
  throw new Error("the Python client test needs Debian's python3-kubernetes; .ci/run installs it");

const SCRIPT = `
import json, sys
from kubernetes import client
from kubernetes.client.rest import ApiException

cfg = client.Configuration()
cfg.host = sys.argv[1]
cfg.api_key = {"authorization": "Bearer " + sys.argv[2]}
cfg.ssl_ca_cert = sys.argv[3]
admin = client.ApiClient(cfg)
rbac = client.RbacAuthorizationV1Api(admin)
meta = client.V1ObjectMeta
rbac.create_namespaced_role("default", client.V1Role(
    metadata=meta(name="pod-reader"),
    rules=[client.V1PolicyRule(api_groups=[""], resources=["pods"], verbs=["get", "list"])]))
rbac.create_namespaced_role_binding("default", client.V1RoleBinding(
    metadata=meta(name="reader"),
    role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name="pod-reader"),
    subjects=[client.V1Subject(kind="ServiceAccount", name="reader", namespace="default")]))
out = {}
out["roles"] = [r.metadata.name for r in rbac.list_namespaced_role("default").items]
out["bindings"] = sorted(b.metadata.name for b in rbac.list_cluster_role_binding().items)

sar = client.AuthorizationV1Api(admin).create_subject_access_review(client.V1SubjectAccessReview(
    spec=client.V1SubjectAccessReviewSpec(
        user="system:serviceaccount:default:reader",
        resource_attributes=client.V1ResourceAttributes(namespace="default", verb="list", resource="pods"))))
out["sar"] = [sar.status.allowed, sar.status.reason]

sa = client.ApiClient(cfg)
sa.set_default_header("Impersonate-User", "system:serviceaccount:default:reader")
core = client.CoreV1Api(sa)
out["own"] = len(core.list_namespaced_pod("default").items)
try:
    core.list_namespaced_pod("kube-system")
    out["other"] = "allowed"
except ApiException as e:
    out["other"] = [e.status, json.loads(e.body)["message"]]
ssar = client.AuthorizationV1Api(sa).create_self_subject_access_review(client.V1SelfSubjectAccessReview(
    spec=client.V1SelfSubjectAccessReviewSpec(
        resource_attributes=client.V1ResourceAttributes(namespace="default", verb="delete", resource="pods"))))
out["ssar"] = ssar.status.allowed
print(json.dumps(out))
`;

describe('RBAC with the official Python client', {
  skip: !hasPythonClient && 'python3-kubernetes is not installed',
}, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ rbac: true });
  });
  after(async () => {
    await t.close();
  });

  test('roles and bindings, a SubjectAccessReview, impersonated requests allowed and refused', {
    timeout: 60_000,
  }, async () => {
    const out = (await runPythonScript(t, SCRIPT)) as {
      roles: string[];
      bindings: string[];
      [check: string]: unknown;
    };
    assert.deepEqual(out.roles, ['pod-reader']);
    assert.ok(out.bindings.includes('cluster-admin'));
    assert.deepEqual(out.sar, [
      true,
      'RBAC: allowed by RoleBinding "reader/default" of Role "pod-reader" to ServiceAccount "reader/default"',
    ]);
    assert.equal(out.own, 0);
    assert.deepEqual(out.other, [
      403,
      'pods is forbidden: User "system:serviceaccount:default:reader" cannot list resource "pods" in API group "" in the namespace "kube-system"',
    ]);
    assert.equal(out.ssar, false);
  });
});
