// Which rules apply to a user (pkg/registry/rbac/validation/rule.go DefaultRuleResolver): every
// ClusterRoleBinding naming the user, then every RoleBinding in the request's namespace, each resolved to
// the rules of the Role or ClusterRole it references. A binding whose role is missing is skipped and its
// error reported, as upstream reports it (RBAC denies by default, so a partial list is still safe).
import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  RoleRef,
  Subject,
} from '../../api/types.js';
import type { UserInfo } from '../authn/user.js';

/** Reads of the RBAC objects (the registry in the server, a map in tests). */
export interface RbacObjects {
  getRole(namespace: string, name: string): Promise<Role | undefined>;
  getClusterRole(name: string): Promise<ClusterRole | undefined>;
  listRoleBindings(namespace: string): Promise<RoleBinding[]>;
  listClusterRoleBindings(): Promise<ClusterRoleBinding[]>;
}

/** `system:serviceaccount:<ns>:<name>`. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

function appliesToUser(user: UserInfo, subject: Subject, namespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.username === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      // A subject without a namespace means the binding's own (RoleBindings only).
      const ns = subject.namespace || namespace;
      if (!ns) return false;
      return user.username === serviceAccountUsername(ns, subject.name);
    }
    default:
      return false;
  }
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') {
    return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  }
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

/** Where a rule came from, as upstream's describers print it (the `allowed by …` of a review's reason). */
export function describeClusterRoleBinding(b: ClusterRoleBinding, s: Subject): string {
  return `ClusterRoleBinding ${JSON.stringify(b.metadata?.name ?? '')} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(s, '')}`;
}

export function describeRoleBinding(b: RoleBinding, s: Subject): string {
  const ns = b.metadata?.namespace ?? '';
  return `RoleBinding ${JSON.stringify(`${b.metadata?.name ?? ''}/${ns}`)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(s, ns)}`;
}

/** A role reference that could not be resolved, worded as the informer listers' NotFound. */
export class RoleResolutionError extends Error {}

export type RuleVisitor = (
  source: string | undefined,
  rule: PolicyRule | undefined,
  err: Error | undefined,
) => boolean;

export class RuleResolver {
  constructor(readonly objects: RbacObjects) {}

  /** The rules a RoleRef grants in `namespace` (the binding's namespace; '' for ClusterRoleBindings). */
  async roleReferenceRules(ref: RoleRef, namespace: string): Promise<PolicyRule[]> {
    if (ref.kind === 'Role') {
      const role = await this.objects.getRole(namespace, ref.name);
      if (!role)
        throw new RoleResolutionError(`role.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found`);
      return role.rules ?? [];
    }
    if (ref.kind === 'ClusterRole') {
      const role = await this.objects.getClusterRole(ref.name);
      if (!role) {
        throw new RoleResolutionError(
          `clusterrole.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found`,
        );
      }
      return role.rules ?? [];
    }
    throw new RoleResolutionError(`unsupported role reference kind: ${JSON.stringify(ref.kind)}`);
  }

  /** Calls `visit` with each rule that applies to `user` in `namespace`, until it returns false. */
  async visitRulesFor(user: UserInfo, namespace: string, visit: RuleVisitor): Promise<void> {
    for (const b of await this.objects.listClusterRoleBindings()) {
      const subject = (b.subjects ?? []).find((s) => appliesToUser(user, s, ''));
      if (!subject) continue;
      let rules: PolicyRule[];
      try {
        rules = await this.roleReferenceRules(b.roleRef, '');
      } catch (e) {
        if (!visit(undefined, undefined, e as Error)) return;
        continue;
      }
      const source = describeClusterRoleBinding(b, subject);
      for (const rule of rules) if (!visit(source, rule, undefined)) return;
    }
    if (!namespace) return;
    for (const b of await this.objects.listRoleBindings(namespace)) {
      const subject = (b.subjects ?? []).find((s) => appliesToUser(user, s, namespace));
      if (!subject) continue;
      let rules: PolicyRule[];
      try {
        rules = await this.roleReferenceRules(b.roleRef, namespace);
      } catch (e) {
        if (!visit(undefined, undefined, e as Error)) return;
        continue;
      }
      const source = describeRoleBinding(b, subject);
      for (const rule of rules) if (!visit(source, rule, undefined)) return;
    }
  }

  /** Every rule that applies, and the resolution errors met on the way. */
  async rulesFor(user: UserInfo, namespace: string): Promise<{ rules: PolicyRule[]; errors: Error[] }> {
    const rules: PolicyRule[] = [];
    const errors: Error[] = [];
    await this.visitRulesFor(user, namespace, (_source, rule, err) => {
      if (rule) rules.push(rule);
      if (err) errors.push(err);
      return true;
    });
    return { rules, errors };
  }
}
