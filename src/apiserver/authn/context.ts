// The user of the request being served, for code the HTTP layer calls without passing it along (registry
// admission plugins such as RBAC's escalation check), as upstream reads it from the request's context.
// Writes made outside any request (controllers, start-up) have no user.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { UserInfo } from './user.js';

const storage = new AsyncLocalStorage<UserInfo>();

export function runAsUser<T>(user: UserInfo, fn: () => T): T {
  return storage.run(user, fn);
}

/** The user of the request in progress; undefined for the server's own writes. */
export function currentUser(): UserInfo | undefined {
  return storage.getStore();
}
