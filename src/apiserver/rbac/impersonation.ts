// The impersonation filter (k8s.io/apiserver/pkg/endpoints/filters/impersonation.go): `Impersonate-User`,
// `Impersonate-Group`, `Impersonate-Uid` and `Impersonate-Extra-<key>` headers (kubectl's --as,
// --as-group, --as-uid) replace the request's user, once the real user is allowed the `impersonate` verb on
// each of them. system:masters may impersonate anyone.
import type { IncomingMessage } from 'node:http';
import type { UserInfo } from '../authn/user.js';
import { badRequest } from '../errors.js';
import { type Authorizer, forbiddenError } from './authorizer.js';
import { type RequestAttributes, resourceAttributes } from './rules.js';

const SA_PREFIX = 'system:serviceaccount:';

function headerValues(req: IncomingMessage, name: string): string[] {
  const v = req.headers[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The user a request acts as: `user` itself without impersonation headers. Throws 403/400 otherwise. */
export async function impersonatedUser(
  req: IncomingMessage,
  user: UserInfo,
  authorizer: Authorizer,
): Promise<UserInfo> {
  const username = headerValues(req, 'impersonate-user')[0];
  const groups = headerValues(req, 'impersonate-group');
  const uid = headerValues(req, 'impersonate-uid')[0];
  const extra: Record<string, string[]> = {};
  for (const [h, v] of Object.entries(req.headers)) {
    if (!h.startsWith('impersonate-extra-') || v === undefined) continue;
    const key = decodeURIComponent(h.slice('impersonate-extra-'.length));
    extra[key] = (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim());
  }
  const hasExtra = Object.keys(extra).length > 0;
  if (username === undefined) {
    if (groups.length > 0 || uid !== undefined || hasExtra) {
      throw badRequest(
        'requested impersonation of groups, a uid or extra fields without impersonating a user',
      );
    }
    return user;
  }

  const checks: RequestAttributes[] = [];
  let effectiveGroups = [...groups];
  let name = username;
  if (username.startsWith(SA_PREFIX) && username.slice(SA_PREFIX.length).split(':').length === 2) {
    const [ns, sa] = username.slice(SA_PREFIX.length).split(':') as [string, string];
    checks.push(
      resourceAttributes({ verb: 'impersonate', resource: 'serviceaccounts', namespace: ns, name: sa }),
    );
    if (groups.length === 0) effectiveGroups = ['system:serviceaccounts', `system:serviceaccounts:${ns}`];
    name = `${SA_PREFIX}${ns}:${sa}`;
  } else {
    checks.push(resourceAttributes({ verb: 'impersonate', resource: 'users', name: username }));
  }
  for (const g of groups)
    checks.push(resourceAttributes({ verb: 'impersonate', resource: 'groups', name: g }));
  if (uid !== undefined) {
    checks.push(
      resourceAttributes({
        verb: 'impersonate',
        apiGroup: 'authentication.k8s.io',
        resource: 'uids',
        name: uid,
      }),
    );
  }
  for (const [key, values] of Object.entries(extra)) {
    for (const v of values) {
      checks.push(
        resourceAttributes({
          verb: 'impersonate',
          apiGroup: 'authentication.k8s.io',
          resource: 'userextras',
          subresource: key,
          name: v,
        }),
      );
    }
  }
  for (const a of checks) {
    const d = await authorizer.authorize(user, a);
    if (!d.allowed) throw forbiddenError(user, a, d.reason);
  }
  if (name !== 'system:anonymous') {
    if (!effectiveGroups.some((g) => g === 'system:authenticated' || g === 'system:unauthenticated')) {
      effectiveGroups.push('system:authenticated');
    }
  } else if (!effectiveGroups.includes('system:unauthenticated')) {
    effectiveGroups.push('system:unauthenticated');
  }
  return {
    username: name,
    groups: effectiveGroups,
    ...(uid !== undefined ? { uid } : {}),
    ...(hasExtra ? { extra } : {}),
  };
}
