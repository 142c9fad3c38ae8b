// RBAC defaulting (pkg/apis/rbac/v1/defaults.go): the API groups of a binding's roleRef and subjects.
import type { RoleRef, Subject } from 'kubernetes-types/rbac/v1.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** SetDefaults_RoleRef / SetDefaults_Subject (pkg/apis/rbac/v1/defaults.go). */
export function defaultRbacObject(obj: { kind?: string; roleRef?: RoleRef; subjects?: Subject[] }): void {
  if (obj.kind !== 'RoleBinding' && obj.kind !== 'ClusterRoleBinding') return;
  if (obj.roleRef && !obj.roleRef.apiGroup) obj.roleRef.apiGroup = RBAC_GROUP;
  for (const s of obj.subjects ?? []) {
    if (s.apiGroup === undefined || s.apiGroup === '') {
      if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = RBAC_GROUP;
      else if (s.kind === 'ServiceAccount') s.apiGroup = '';
    }
  }
}
