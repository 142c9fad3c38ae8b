// RBAC's escalation prevention (pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/
// policybased and pkg/registry/rbac/validation/rule.go ConfirmNoEscalation): a user may create or change a
// Role only with rules they hold themselves, and bind a role only if they hold its rules, unless they may
// `escalate` roles or `bind` that role. system:masters and the server's own writes are exempt.

import { jsonEqual } from '../../api/json-equal.js';
import type { ClusterRole, KubeObject, PolicyRule, Role, RoleBinding } from '../../api/types.js';
import { currentUser } from '../authn/context.js';
import type { UserInfo } from '../authn/user.js';
import { forbidden, notFound } from '../errors.js';
import { type Authorizer, aggregateMessage, SYSTEM_MASTERS } from './authorizer.js';
import { RoleResolutionError } from './resolver.js';
import { compactRules, compactString, covers, goQuotedList, resourceAttributes } from './rules.js';

const GROUP = 'rbac.authorization.k8s.io';

/** Every verb on everything: what an aggregationRule may gather. */
const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

/** ConfirmNoEscalation: the message when `user`'s rules in `namespace` do not cover `rules`, else undefined. */
export async function escalationMessage(
  authorizer: Authorizer,
  user: UserInfo,
  namespace: string,
  rules: readonly PolicyRule[],
): Promise<string | undefined> {
  const owner = await authorizer.rulesFor(user, namespace);
  const { covered, missing } = covers(owner.rules, rules);
  if (covered) return undefined;
  const descriptions = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user ${JSON.stringify(user.username)} (groups=${goQuotedList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${descriptions.join('\n')}`;
  if (owner.errors.length > 0) msg += `; resolution errors: [${aggregateMessage(owner.errors)}]`;
  return msg;
}

function exempt(user: UserInfo | undefined): user is undefined {
  return !user || user.groups.includes(SYSTEM_MASTERS);
}

/** Labels, annotations and what a binding or role grants: what a change must be allowed for. */
function guarded(o: KubeObject): unknown {
  const { metadata, ...rest } = o;
  return { ...rest, labels: metadata.labels ?? {}, annotations: metadata.annotations ?? {} };
}

export interface RbacAdmission {
  /** Create (old undefined) or update of a Role or ClusterRole. */
  role(obj: KubeObject, old: KubeObject | undefined): Promise<void>;
  /** Create (old undefined) or update of a RoleBinding or ClusterRoleBinding. */
  binding(obj: KubeObject, old: KubeObject | undefined): Promise<void>;
}

export function rbacAdmission(authorizer: Authorizer): RbacAdmission {
  return {
    async role(obj, old) {
      const user = currentUser();
      if (exempt(user)) return;
      if (old && jsonEqual(guarded(obj), guarded(old))) return;
      const cluster = obj.kind === 'ClusterRole';
      const resource = cluster ? 'clusterroles' : 'roles';
      const namespace = cluster ? '' : (obj.metadata.namespace ?? '');
      const name = obj.metadata.name ?? '';
      const escalate = await authorizer.authorize(
        user,
        resourceAttributes({ verb: 'escalate', apiGroup: GROUP, resource, namespace, name }),
      );
      if (escalate.allowed) return;
      const gr = { group: GROUP, resource };
      const msg = await escalationMessage(authorizer, user, namespace, (obj as unknown as Role).rules ?? []);
      if (msg) throw forbidden(gr, name, msg);
      if (cluster && (obj as unknown as ClusterRole).aggregationRule) {
        if (await escalationMessage(authorizer, user, namespace, FULL_AUTHORITY)) {
          throw forbidden(gr, name, 'must have cluster-admin privileges to use the aggregationRule');
        }
      }
    },

    async binding(obj, old) {
      const user = currentUser();
      if (exempt(user)) return;
      if (old && jsonEqual(guarded(obj), guarded(old))) return;
      const b = obj as unknown as RoleBinding;
      const namespace = obj.kind === 'ClusterRoleBinding' ? '' : (obj.metadata.namespace ?? '');
      const name = obj.metadata.name ?? '';
      const ref = b.roleRef ?? { apiGroup: '', kind: '', name: '' };
      if (ref.kind === 'Role' || ref.kind === 'ClusterRole') {
        const bind = await authorizer.authorize(
          user,
          resourceAttributes({
            verb: 'bind',
            apiGroup: ref.apiGroup ?? '',
            resource: ref.kind === 'Role' ? 'roles' : 'clusterroles',
            namespace,
            name: ref.name,
          }),
        );
        if (bind.allowed) return;
      }
      let rules: PolicyRule[];
      try {
        rules = await authorizer.resolver.roleReferenceRules(ref, namespace);
      } catch (e) {
        // The registry's own NotFound (plural), as upstream's policybased storage returns it.
        if (e instanceof RoleResolutionError && (ref.kind === 'Role' || ref.kind === 'ClusterRole')) {
          throw notFound(
            { group: GROUP, resource: ref.kind === 'Role' ? 'roles' : 'clusterroles' },
            ref.name,
          );
        }
        throw e;
      }
      const msg = await escalationMessage(authorizer, user, namespace, rules);
      if (msg) {
        throw forbidden(
          {
            group: GROUP,
            resource: obj.kind === 'ClusterRoleBinding' ? 'clusterrolebindings' : 'rolebindings',
          },
          name,
          msg,
        );
      }
    },
  };
}
