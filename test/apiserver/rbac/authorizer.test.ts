// The RBAC authorizer over a registry: bootstrap policy, decisions and their reasons, upstream's 403 texts,
// request attributes from URLs, the review kinds, impersonation and escalation prevention.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { before, describe, test } from 'node:test';
import { resourceByName } from '../../../src/api/resources.js';
import { runAsUser } from '../../../src/apiserver/authn/context.js';
import { ADMIN_USER, type UserInfo } from '../../../src/apiserver/authn/user.js';
import { ApiError } from '../../../src/apiserver/errors.js';
import {
  type Authorizer,
  answerReview,
  ensureBootstrapPolicy,
  forbiddenError,
  impersonatedUser,
  installRbac,
  requestAttributes,
} from '../../../src/apiserver/rbac/index.js';
import { nonResourceAttributes, resourceAttributes } from '../../../src/apiserver/rbac/rules.js';
import type { Registry } from '../../../src/apiserver/registry.js';
import { newRegistry } from '../helpers.js';

const G = 'rbac.authorization.k8s.io';
const sa = (ns: string, name: string): UserInfo => ({
  username: `system:serviceaccount:${ns}:${name}`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
});
const READER = sa('default', 'reader');

let registry: Registry;
let authorizer: Authorizer;

async function create(
  resource: string,
  ns: string | undefined,
  body: Record<string, unknown>,
  user?: UserInfo,
) {
  const run = () => registry.create(`${resource}.${G}`, ns, { apiVersion: `${G}/v1`, ...body });
  return user ? runAsUser(user, run) : run();
}

before(async () => {
  registry = await newRegistry();
  authorizer = installRbac(registry);
  await ensureBootstrapPolicy(registry, () => {});
  await create('roles', 'default', {
    kind: 'Role',
    metadata: { name: 'pod-reader' },
    rules: [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] }],
  });
  await create('rolebindings', 'default', {
    kind: 'RoleBinding',
    metadata: { name: 'reader' },
    roleRef: { apiGroup: G, kind: 'Role', name: 'pod-reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'reader' }],
  });
});

describe('authorize', () => {
  test('system:masters may do anything, with no reason', async () => {
    assert.deepEqual(
      await authorizer.authorize(ADMIN_USER, resourceAttributes({ verb: 'delete', resource: 'nodes' })),
      {
        allowed: true,
        reason: '',
      },
    );
  });

  test('a RoleBinding allows in its namespace only, and says which binding allowed', async () => {
    const d = await authorizer.authorize(
      READER,
      resourceAttributes({ verb: 'list', resource: 'pods', namespace: 'default' }),
    );
    assert.deepEqual(d, {
      allowed: true,
      reason:
        'RBAC: allowed by RoleBinding "reader/default" of Role "pod-reader" to ServiceAccount "reader/default"',
    });
    const other = await authorizer.authorize(
      READER,
      resourceAttributes({ verb: 'list', resource: 'pods', namespace: 'kube-system' }),
    );
    assert.deepEqual(other, { allowed: false, reason: '' });
    assert.equal(
      (
        await authorizer.authorize(
          READER,
          resourceAttributes({ verb: 'delete', resource: 'pods', namespace: 'default', name: 'x' }),
        )
      ).allowed,
      false,
    );
  });

  test('every authenticated user gets discovery and self reviews from the bootstrap bindings', async () => {
    const d = await authorizer.authorize(READER, nonResourceAttributes('get', '/apis/apps/v1'));
    assert.equal(
      d.reason,
      'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"',
    );
    const ssar = resourceAttributes({
      verb: 'create',
      apiGroup: 'authorization.k8s.io',
      resource: 'selfsubjectaccessreviews',
    });
    assert.equal((await authorizer.authorize(READER, ssar)).allowed, true);
    const anonymous = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
    assert.equal(
      (await authorizer.authorize(anonymous, nonResourceAttributes('get', '/version'))).allowed,
      true,
    );
    assert.equal(
      (await authorizer.authorize(anonymous, nonResourceAttributes('get', '/api'))).allowed,
      false,
    );
  });

  test('a binding to a missing role is reported in the refusal', async () => {
    await create('rolebindings', 'default', {
      kind: 'RoleBinding',
      metadata: { name: 'dangling' },
      roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'ghost' },
      subjects: [{ kind: 'User', apiGroup: G, name: 'alice' }],
    });
    const alice = { username: 'alice', groups: ['system:authenticated'] };
    const d = await authorizer.authorize(
      alice,
      resourceAttributes({ verb: 'get', resource: 'pods', namespace: 'default', name: 'a' }),
    );
    assert.deepEqual(d, {
      allowed: false,
      reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "ghost" not found',
    });
  });
});

describe('forbidden messages', () => {
  test("namespaced, cluster-scoped, named, subresource and path forms are upstream's", () => {
    const user = sa('default', 'default');
    const msg = (a: ReturnType<typeof resourceAttributes>) => forbiddenError(user, a, '').message;
    assert.equal(
      msg(resourceAttributes({ verb: 'list', resource: 'pods', namespace: 'default' })),
      'pods is forbidden: User "system:serviceaccount:default:default" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    assert.equal(
      msg(resourceAttributes({ verb: 'list', resource: 'nodes' })),
      'nodes is forbidden: User "system:serviceaccount:default:default" cannot list resource "nodes" in API group "" at the cluster scope',
    );
    assert.equal(
      msg(
        resourceAttributes({
          verb: 'get',
          resource: 'pods',
          subresource: 'log',
          namespace: 'default',
          name: 'web',
        }),
      ),
      'pods "web" is forbidden: User "system:serviceaccount:default:default" cannot get resource "pods/log" in API group "" in the namespace "default"',
    );
    assert.equal(
      msg(
        resourceAttributes({
          verb: 'delete',
          apiGroup: 'apps',
          resource: 'deployments',
          namespace: 'ns',
          name: 'd',
        }),
      ),
      'deployments.apps "d" is forbidden: User "system:serviceaccount:default:default" cannot delete resource "deployments" in API group "apps" in the namespace "ns"',
    );
    const e = forbiddenError(user, nonResourceAttributes('get', '/metrics'), '');
    assert.equal(
      e.message,
      'forbidden: User "system:serviceaccount:default:default" cannot get path "/metrics"',
    );
    assert.equal(e.code, 403);
    assert.equal(e.reason, 'Forbidden');
  });
});

describe('requestAttributes', () => {
  const attrs = (method: string, path: string, query = '') =>
    requestAttributes(method, path.split('/').slice(1), new URLSearchParams(query), path);

  test('verbs from methods, collections and watch', () => {
    assert.deepEqual(
      { ...attrs('GET', '/api/v1/namespaces/default/pods') },
      {
        verb: 'list',
        resourceRequest: true,
        path: '/api/v1/namespaces/default/pods',
        apiGroup: '',
        apiVersion: 'v1',
        resource: 'pods',
        subresource: '',
        namespace: 'default',
        name: '',
      },
    );
    assert.equal(attrs('GET', '/api/v1/namespaces/default/pods', 'watch=true').verb, 'watch');
    assert.equal(attrs('DELETE', '/api/v1/namespaces/default/pods').verb, 'deletecollection');
    assert.equal(attrs('PATCH', '/apis/apps/v1/namespaces/x/deployments/d/scale').subresource, 'scale');
    assert.equal(
      attrs('GET', '/api/v1/namespaces/default/pods', 'fieldSelector=metadata.name%3Dweb').name,
      'web',
    );
  });

  test('namespaces are their own namespace; /api and /apis/<g>/<v> are paths', () => {
    const ns = attrs('GET', '/api/v1/namespaces/team');
    assert.deepEqual([ns.resource, ns.name, ns.namespace], ['namespaces', 'team', 'team']);
    const status = attrs('PUT', '/api/v1/namespaces/team/status');
    assert.deepEqual([status.resource, status.subresource, status.verb], ['namespaces', 'status', 'update']);
    assert.equal(attrs('GET', '/apis/apps/v1').resourceRequest, false);
    assert.equal(attrs('GET', '/api').verb, 'get');
    assert.equal(attrs('GET', '/healthz').path, '/healthz');
  });
});

describe('reviews', () => {
  const r = (resource: string, group = 'authorization.k8s.io') => resourceByName(group, resource)!;

  test('SelfSubjectAccessReview answers for the caller', async () => {
    const out = await answerReview(authorizer, r('selfsubjectaccessreviews'), undefined, READER, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {
        resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods', subresource: 'log' },
      },
    });
    assert.equal((out.status as { allowed: boolean }).allowed, true);
    await assert.rejects(
      answerReview(authorizer, r('selfsubjectaccessreviews'), undefined, READER, { spec: {} }),
      /spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified/,
    );
  });

  test('SubjectAccessReview answers for the user in the spec', async () => {
    const out = await answerReview(authorizer, r('subjectaccessreviews'), undefined, ADMIN_USER, {
      spec: {
        user: READER.username,
        groups: READER.groups,
        resourceAttributes: { namespace: 'default', verb: 'delete', resource: 'pods' },
      },
    });
    assert.deepEqual(out.status, { allowed: false });
  });

  test('SelfSubjectRulesReview lists resource and non-resource rules', async () => {
    const out = await answerReview(authorizer, r('selfsubjectrulesreviews'), undefined, READER, {
      spec: { namespace: 'default' },
    });
    const status = out.status as {
      resourceRules: { resources: string[] }[];
      nonResourceRules: unknown[];
      incomplete: boolean;
    };
    assert.ok(status.resourceRules.some((x) => x.resources.includes('pods/log')));
    assert.ok(status.nonResourceRules.length > 0);
    assert.equal(status.incomplete, false);
  });

  test('SelfSubjectReview returns the user', async () => {
    const out = await answerReview(
      authorizer,
      r('selfsubjectreviews', 'authentication.k8s.io'),
      undefined,
      READER,
      {},
    );
    assert.deepEqual(out.status, { userInfo: { username: READER.username, groups: READER.groups } });
  });
});

describe('impersonation', () => {
  const req = (headers: Record<string, string | string[]>) => ({ headers }) as unknown as IncomingMessage;

  test('system:masters may act as a service account, which gets its groups', async () => {
    const u = await impersonatedUser(
      req({ 'impersonate-user': 'system:serviceaccount:ns:app' }),
      ADMIN_USER,
      authorizer,
    );
    assert.deepEqual(u, {
      username: 'system:serviceaccount:ns:app',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'],
    });
  });

  test('others need the impersonate verb', async () => {
    await assert.rejects(
      impersonatedUser(req({ 'impersonate-user': 'bob' }), READER, authorizer),
      (e: unknown) =>
        e instanceof ApiError &&
        e.message ===
          'users "bob" is forbidden: User "system:serviceaccount:default:reader" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    assert.equal(await impersonatedUser(req({}), READER, authorizer), READER);
  });
});

describe('escalation prevention', () => {
  before(async () => {
    await create('roles', 'default', {
      kind: 'Role',
      metadata: { name: 'role-admin' },
      rules: [{ apiGroups: [G], resources: ['roles', 'rolebindings'], verbs: ['create', 'update', 'get'] }],
    });
    await create('rolebindings', 'default', {
      kind: 'RoleBinding',
      metadata: { name: 'reader-role-admin' },
      roleRef: { apiGroup: G, kind: 'Role', name: 'role-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'default' }],
    });
    await create('roles', 'default', {
      kind: 'Role',
      metadata: { name: 'deleter' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['delete'] }],
    });
  });

  test("a role with rules the user holds is created; one with more is refused in upstream's words", async () => {
    await create(
      'roles',
      'default',
      {
        kind: 'Role',
        metadata: { name: 'sub' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
      },
      READER,
    );
    await assert.rejects(
      create(
        'roles',
        'default',
        {
          kind: 'Role',
          metadata: { name: 'more' },
          rules: [{ apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['get', 'delete'] }],
        },
        READER,
      ),
      (e: unknown) =>
        e instanceof ApiError &&
        e.code === 403 &&
        e.message ===
          'roles.rbac.authorization.k8s.io "more" is forbidden: user "system:serviceaccount:default:reader" (groups=["system:serviceaccounts" "system:serviceaccounts:default" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
            '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}\n{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete"]}',
    );
  });

  test('binding a role the user does not hold is refused unless they may bind it', async () => {
    const binding = (name: string) => ({
      kind: 'RoleBinding',
      metadata: { name },
      roleRef: { apiGroup: G, kind: 'Role', name: 'deleter' },
      subjects: [{ kind: 'User', apiGroup: G, name: 'bob' }],
    });
    await assert.rejects(
      create('rolebindings', 'default', binding('b1'), READER),
      /is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["pods"\], Verbs:\["delete"\]\}$/,
    );
    await create('roles', 'default', {
      kind: 'Role',
      metadata: { name: 'binder' },
      rules: [{ apiGroups: [G], resources: ['roles'], verbs: ['bind'], resourceNames: ['deleter'] }],
    });
    await create('rolebindings', 'default', {
      kind: 'RoleBinding',
      metadata: { name: 'reader-binder' },
      roleRef: { apiGroup: G, kind: 'Role', name: 'binder' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader' }],
    });
    await create('rolebindings', 'default', binding('b2'), READER);
  });

  test('an aggregationRule needs cluster-admin rights', async () => {
    const bob = { username: 'bob', groups: ['system:authenticated'] };
    await create('clusterroles', undefined, {
      kind: 'ClusterRole',
      metadata: { name: 'cr-writer' },
      rules: [{ apiGroups: [G], resources: ['clusterroles'], verbs: ['create'] }],
    });
    await create('clusterrolebindings', undefined, {
      kind: 'ClusterRoleBinding',
      metadata: { name: 'bob-cr-writer' },
      roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'cr-writer' },
      subjects: [{ kind: 'User', apiGroup: G, name: 'bob' }],
    });
    await assert.rejects(
      create(
        'clusterroles',
        undefined,
        {
          kind: 'ClusterRole',
          metadata: { name: 'agg' },
          aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] },
        },
        bob,
      ),
      /clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule/,
    );
  });
});
