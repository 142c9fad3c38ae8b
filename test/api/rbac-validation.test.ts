// Role, ClusterRole, RoleBinding and ClusterRoleBinding validation and defaulting, in upstream's words
// (pkg/apis/rbac/validation, Kubernetes v1.32).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyDefaults } from '../../src/api/defaults.js';
import type { KubeObject } from '../../src/api/types.js';
import { formatFieldError } from '../../src/api/validation/field-error.js';
import { validateUpdate } from '../../src/api/validation/index.js';
import { messages } from './helpers.js';

const G = 'rbac.authorization.k8s.io';
const obj = (kind: string, rest: Record<string, unknown>, namespace?: string): KubeObject => ({
  apiVersion: `${G}/v1`,
  kind,
  metadata: { name: 'r', ...(namespace ? { namespace } : {}) },
  ...rest,
});

describe('RBAC validation', () => {
  test('rules need verbs, and groups and resources or URLs but not both', () => {
    assert.deepEqual(
      messages(obj('Role', { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] }, 'ns')),
      [],
    );
    assert.deepEqual(messages(obj('Role', { rules: [{}] }, 'ns')), [
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[0].resources: Required value: resource rules must supply at least one resource',
    ]);
    assert.deepEqual(messages(obj('Role', { rules: [{ verbs: ['get'], nonResourceURLs: ['/x'] }] }, 'ns')), [
      'rules[0].nonResourceURLs: Invalid value: []string{"/x"}: namespaced rules cannot apply to non-resource URLs',
    ]);
    assert.deepEqual(
      messages(
        obj('ClusterRole', { rules: [{ verbs: ['get'], nonResourceURLs: ['/x'], resources: ['pods'] }] }),
      ),
      [
        'rules[0].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs',
      ],
    );
    assert.deepEqual(messages(obj('ClusterRole', { aggregationRule: {} })), [
      'aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
    ]);
  });

  test('names may contain colons but not slashes', () => {
    const named = (name: string) => ({ ...obj('ClusterRole', {}), metadata: { name } });
    assert.deepEqual(messages(named('system:basic-user')), []);
    assert.deepEqual(messages(named('a/b')), [`metadata.name: Invalid value: "a/b": may not contain '/'`]);
  });

  test('bindings: roleRef kinds and subjects, defaulted API groups', () => {
    const b = applyDefaults(
      obj(
        'RoleBinding',
        {
          roleRef: { kind: 'Role', name: 'x' },
          subjects: [
            { kind: 'User', name: 'bob' },
            { kind: 'ServiceAccount', name: 'sa' },
            { kind: 'Robot', name: 'r2' },
          ],
        },
        'ns',
      ),
    );
    assert.equal((b.roleRef as { apiGroup: string }).apiGroup, G);
    assert.deepEqual(messages(b), [
      'subjects[2].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
    ]);
    const crb = applyDefaults(
      obj('ClusterRoleBinding', {
        roleRef: { kind: 'Role', name: 'x' },
        subjects: [{ kind: 'ServiceAccount', name: 'sa' }],
      }),
    );
    assert.deepEqual(messages(crb), [
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
    ]);
  });

  test('the roleRef of a binding cannot change', () => {
    const old = applyDefaults(
      obj('RoleBinding', { roleRef: { apiGroup: G, kind: 'Role', name: 'a' } }, 'ns'),
    );
    const next = { ...old, roleRef: { apiGroup: G, kind: 'Role', name: 'b' } };
    assert.deepEqual(validateUpdate(next, old).map(formatFieldError), [
      'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"b"}: cannot change roleRef',
    ]);
  });
});
