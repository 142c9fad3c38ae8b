// CRI AuthConfig -> the pull client's Credentials. The kubelet passes one AuthConfig per keyring match
// (pull secrets first); `auth` is base64 `user:password` and wins over username/password, as in a docker
// config. Token-only entries (identity/registry tokens) carry no user and password, which podrun's client
// cannot present: they are refused with a message rather than silently dropped.
import type { AuthConfig } from '../../runtime/types.js';
import { sha256Of } from '../digest.js';
import type { Credentials } from '../registry/auth.js';

export class AuthConfigError extends Error {}

export function credentialsFromAuth(auth: readonly AuthConfig[] | undefined): Credentials[] | undefined {
  if (auth === undefined || auth.length === 0) return undefined;
  return auth.map((a, i): Credentials => {
    if (a.auth !== undefined && a.auth !== '') {
      const decoded = Buffer.from(a.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new AuthConfigError(
          `auth[${i}].auth: not base64 of "user:password"; fix the pull secret's "auth" field`,
        );
      }
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if ((a.username ?? '') !== '' || (a.password ?? '') !== '') {
      return { username: a.username ?? '', password: a.password ?? '' };
    }
    if ((a.identityToken ?? '') !== '' || (a.registryToken ?? '') !== '') {
      throw new AuthConfigError(
        `auth[${i}]: identity and registry tokens are not supported; give a username and password (or "auth")`,
      );
    }
    throw new AuthConfigError(`auth[${i}]: has neither "auth" nor a username and password`);
  });
}

/** A key telling credential lists apart, so that pulls of one image with different credentials are not merged. */
export function credentialsKey(creds: readonly Credentials[] | undefined): string {
  if (creds === undefined) return '';
  return sha256Of(JSON.stringify(creds.map((c) => [c.username, c.password])));
}
