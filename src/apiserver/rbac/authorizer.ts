// The API server's authorizer: kube-apiserver's chain for kubeadm's `--authorization-mode=Node,RBAC`, less
// the Node authorizer (podrun's kubelet is in process): members of system:masters are allowed everything
// (authorizerfactory.NewPrivilegedGroups), then RBAC (plugin/pkg/auth/authorizer/rbac/rbac.go). A refusal
// is a 403 worded by endpoints/handlers/responsewriters.ForbiddenStatusError.
import type { PolicyRule } from '../../api/types.js';
import type { UserInfo } from '../authn/user.js';
import { ApiError } from '../errors.js';
import type { RuleResolver } from './resolver.js';
import { type RequestAttributes, ruleAllows } from './rules.js';

export const SYSTEM_MASTERS = 'system:masters';

export interface Decision {
  allowed: boolean;
  /** `RBAC: allowed by …`, or on a refusal the resolution errors met (`RBAC: clusterrole… not found`). */
  reason: string;
}

/** utilerrors.NewAggregate(errs).Error(): one message bare, several as `[a, b]`, duplicates once. */
export function aggregateMessage(errors: readonly Error[]): string {
  const unique = [...new Set(errors.map((e) => e.message))];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

export class Authorizer {
  constructor(readonly resolver: RuleResolver) {}

  async authorize(user: UserInfo, a: RequestAttributes): Promise<Decision> {
    if (user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    let reason = '';
    const errors: Error[] = [];
    await this.resolver.visitRulesFor(user, a.namespace, (source, rule, err) => {
      if (rule && ruleAllows(a, rule)) {
        reason = `RBAC: allowed by ${source}`;
        return false;
      }
      if (err) errors.push(err);
      return true;
    });
    if (reason) return { allowed: true, reason };
    return { allowed: false, reason: errors.length > 0 ? `RBAC: ${aggregateMessage(errors)}` : '' };
  }

  /** The rules RBAC gives `user` in `namespace` (SelfSubjectRulesReview), with the resolution errors. */
  async rulesFor(user: UserInfo, namespace: string): Promise<{ rules: PolicyRule[]; errors: Error[] }> {
    return this.resolver.rulesFor(user, namespace);
  }
}

/** responsewriters.forbiddenMessage. */
export function forbiddenMessage(user: UserInfo, a: RequestAttributes): string {
  const who = JSON.stringify(user.username);
  if (!a.resourceRequest) return `User ${who} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const what = `User ${who} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)}`;
  if (a.namespace) return `${what} in the namespace ${JSON.stringify(a.namespace)}`;
  return `${what} at the cluster scope`;
}

/** ForbiddenStatusError: `pods is forbidden: User "…" cannot list resource "pods" in API group "" in …`. */
export function forbiddenError(user: UserInfo, a: RequestAttributes, reason: string): ApiError {
  let msg = forbiddenMessage(user, a);
  if (reason) msg = `${msg}: ${reason}`;
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  let message: string;
  if (!qualified) message = `forbidden: ${msg}`;
  else if (!a.name) message = `${qualified} is forbidden: ${msg}`;
  else message = `${qualified} ${JSON.stringify(a.name)} is forbidden: ${msg}`;
  return new ApiError(403, 'Forbidden', message, {
    ...(a.name ? { name: a.name } : {}),
    ...(a.apiGroup ? { group: a.apiGroup } : {}),
    ...(a.resource ? { kind: a.resource } : {}),
  });
}
