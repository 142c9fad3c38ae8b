// RBAC in the API server, wired onto a Registry: the authorizer reading Roles and bindings from the store,
// and the escalation checks as admission plugins of the four RBAC resources.
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '../../api/types.js';
import type { Registry } from '../registry.js';
import { Authorizer } from './authorizer.js';
import { rbacAdmission } from './escalation.js';
import { type RbacObjects, RuleResolver } from './resolver.js';

const G = 'rbac.authorization.k8s.io';

export function registryRbacObjects(registry: Registry): RbacObjects {
  return {
    getRole: async (ns, name) => (await registry.find(`roles.${G}`, ns, name)) as Role | undefined,
    getClusterRole: async (name) =>
      (await registry.find(`clusterroles.${G}`, undefined, name)) as ClusterRole | undefined,
    listRoleBindings: async (ns) =>
      (await registry.list(`rolebindings.${G}`, ns)).items as unknown as RoleBinding[],
    listClusterRoleBindings: async () =>
      (await registry.list(`clusterrolebindings.${G}`, undefined)).items as unknown as ClusterRoleBinding[],
  };
}

/** The authorizer over `registry`'s RBAC objects, with escalation prevention installed on its writes. */
export function installRbac(registry: Registry): Authorizer {
  const authorizer = new Authorizer(new RuleResolver(registryRbacObjects(registry)));
  const admission = rbacAdmission(authorizer);
  for (const r of ['roles', 'clusterroles']) {
    registry.addAdmission(`${r}.${G}`, (obj) => admission.role(obj, undefined));
    registry.addUpdateAdmission(`${r}.${G}`, (obj, old) => admission.role(obj, old));
  }
  for (const r of ['rolebindings', 'clusterrolebindings']) {
    registry.addAdmission(`${r}.${G}`, (obj) => admission.binding(obj, undefined));
    registry.addUpdateAdmission(`${r}.${G}`, (obj, old) => admission.binding(obj, old));
  }
  return authorizer;
}

export { Authorizer, forbiddenError } from './authorizer.js';
export { ensureBootstrapPolicy } from './bootstrap.js';
export { impersonatedUser } from './impersonation.js';
export { requestAttributes } from './request-info.js';
export { answerReview } from './reviews.js';
