// The RBAC kinds (rbac.authorization.k8s.io/v1) and the review kinds the authorizer answers
// (authorization.k8s.io/v1 access and rules reviews, authentication.k8s.io/v1 SelfSubjectReview), in the
// shape of resources.ts's table. The review kinds are create-only and never stored: the API server answers
// them from the authorizer (src/apiserver/rbac/reviews.ts).
import type { ResourceInfo } from './resources.js';

const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function rbac(kind: string, resource: string, namespaced: boolean): ResourceInfo {
  return {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind,
    resource,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames: [],
    categories: [],
    subresources: [],
    verbs: ALL,
  };
}

function review(group: string, kind: string, resource: string, namespaced: boolean): ResourceInfo {
  return {
    group,
    version: 'v1',
    kind,
    resource,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames: [],
    categories: [],
    subresources: [],
    verbs: ['create'],
  };
}

export const RBAC_RESOURCES: readonly ResourceInfo[] = [
  rbac('ClusterRoleBinding', 'clusterrolebindings', false),
  rbac('ClusterRole', 'clusterroles', false),
  rbac('RoleBinding', 'rolebindings', true),
  rbac('Role', 'roles', true),
  review('authentication.k8s.io', 'SelfSubjectReview', 'selfsubjectreviews', false),
  review('authorization.k8s.io', 'LocalSubjectAccessReview', 'localsubjectaccessreviews', true),
  review('authorization.k8s.io', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false),
  review('authorization.k8s.io', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews', false),
  review('authorization.k8s.io', 'SubjectAccessReview', 'subjectaccessreviews', false),
];

/** Kinds the API server answers without storing (create only). */
export function isReviewResource(r: Pick<ResourceInfo, 'group'>): boolean {
  return r.group === 'authorization.k8s.io' || r.group === 'authentication.k8s.io';
}
