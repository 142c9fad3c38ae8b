// `podrun describe` of the RBAC kinds, against what kubectl 1.32 printed for the same objects.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Role, RoleBinding } from '../../src/api/types.js';
import { describeRole, describeRoleBinding } from '../../src/cli/describe/rbac.js';

describe('describe RBAC', () => {
  test('a role: rules broken down, verbs merged per resource, sorted as kubectl sorts them', () => {
    const role: Role = {
      metadata: { name: 'pod-reader' },
      rules: [
        { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['update'], resourceNames: ['web'] },
        { nonResourceURLs: ['/healthz'], verbs: ['get'] },
      ],
    };
    assert.equal(
      describeRole(role),
      [
        'Name:         pod-reader',
        'Labels:       <none>',
        'Annotations:  <none>',
        'PolicyRule:',
        '  Resources               Non-Resource URLs  Resource Names  Verbs',
        '  ---------               -----------------  --------------  -----',
        '  pods/log                []                 []              [get list watch]',
        '  pods                    []                 []              [get list watch]',
        '                          [/healthz]         []              [get]',
        '  deployments.apps/scale  []                 [web]           [update]',
        '',
      ].join('\n'),
    );
  });

  test('a binding: the role and the subjects', () => {
    const b: RoleBinding = {
      metadata: { name: 'reader', namespace: 'default' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'default' }],
    };
    assert.equal(
      describeRoleBinding(b),
      [
        'Name:         reader',
        'Labels:       <none>',
        'Annotations:  <none>',
        'Role:',
        '  Kind:  Role',
        '  Name:  pod-reader',
        'Subjects:',
        '  Kind            Name    Namespace',
        '  ----            ----    ---------',
        '  ServiceAccount  reader  default',
        '',
      ].join('\n'),
    );
  });
});
