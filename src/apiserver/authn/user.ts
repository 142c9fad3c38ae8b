// Who made a request (k8s.io/apiserver/pkg/authentication/user.Info), attached to the request by the
// authentication step of the HTTP server so that later steps (an authorizer, audit) can read it, as upstream
// keeps it in the request's context.
import type { IncomingMessage } from 'node:http';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/**
 * The holder of the kubeconfig's bearer token: kubeadm's admin.conf user, with full rights (system:masters)
 * whatever an authorizer says.
 */
export const ADMIN_USER: UserInfo = {
  username: 'kubernetes-admin',
  groups: ['system:masters', 'system:authenticated'],
};

/** Requests on the public paths (/livez, /version…) without a token. */
export const ANONYMOUS_USER: UserInfo = {
  username: 'system:anonymous',
  groups: ['system:unauthenticated'],
};

const users = new WeakMap<IncomingMessage, UserInfo>();

export function setRequestUser(req: IncomingMessage, user: UserInfo): void {
  users.set(req, user);
}

/** The authenticated user of `req`; undefined only before authentication ran. */
export function requestUser(req: IncomingMessage): UserInfo | undefined {
  return users.get(req);
}
