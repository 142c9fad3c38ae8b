// The Role, ClusterRole, RoleBinding and ClusterRoleBinding rows of `kubectl get` (-o wide).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { printerFor } from '../../src/printers/index.js';

const NOW = Date.parse('2026-01-01T12:10:00Z');
const CREATED = '2026-01-01T12:00:00Z';

describe('RBAC printers', () => {
  test('roles print NAME and CREATED AT', () => {
    const t = printerFor('Role')!(
      [{ kind: 'Role', apiVersion: 'v1', metadata: { name: 'r', creationTimestamp: CREATED } }],
      NOW,
    );
    assert.deepEqual(
      t.columnDefinitions.map((c) => c.name),
      ['Name', 'Created At'],
    );
    assert.deepEqual(t.rows[0]!.cells, ['r', '2026-01-01T12:00:00Z']);
  });

  test('bindings print the role, and wide the users, groups and service accounts', () => {
    const b = {
      kind: 'ClusterRoleBinding',
      apiVersion: 'rbac.authorization.k8s.io/v1',
      metadata: { name: 'b', creationTimestamp: CREATED },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [
        { kind: 'User', name: 'alice' },
        { kind: 'Group', name: 'devs' },
        { kind: 'Group', name: 'ops' },
        { kind: 'ServiceAccount', name: 'app', namespace: 'prod' },
      ],
    } as unknown as KubeObject;
    const t = printerFor('ClusterRoleBinding')!([b], NOW);
    assert.deepEqual(
      t.columnDefinitions.map((c) => [c.name, c.priority]),
      [
        ['Name', 0],
        ['Role', 0],
        ['Age', 0],
        ['Users', 1],
        ['Groups', 1],
        ['ServiceAccounts', 1],
      ],
    );
    assert.deepEqual(t.rows[0]!.cells, ['b', 'ClusterRole/view', '10m', 'alice', 'devs, ops', 'prod/app']);
  });
});
