// Registry authentication as containerd's docker authorizer does it (core/remotes/docker/authorizer.go,
// auth/fetch.go) and the distribution token spec describes: Basic on every request once challenged,
// Bearer tokens fetched with GET <realm>?service=…&scope=… (Basic-authenticated when we hold
// credentials) and cached per host, scope and user until they expire.
import { httpStatus, RegistryError } from './errors.js';
import { readBody, send } from './http.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Parses `WWW-Authenticate` (RFC 7235 auth-params; several challenges may share one header). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const out: Challenge[] = [];
  for (const value of Array.isArray(header) ? header : header ? [header] : []) {
    const re = /\s*([A-Za-z][A-Za-z0-9_-]*)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*)))?\s*,?/gy;
    let current: Challenge | undefined;
    let m: RegExpExecArray | null = re.exec(value);
    while (m !== null && m[0] !== '') {
      const key = m[1] ?? '';
      if (m[2] === undefined && m[3] === undefined) {
        const scheme = key.toLowerCase();
        current = scheme === 'basic' || scheme === 'bearer' ? { scheme, params: {} } : undefined;
        if (current) out.push(current);
        // A scheme may be followed by its first param without a comma: `Bearer realm="…"`.
      } else if (current) {
        current.params[key.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
      }
      m = re.exec(value);
    }
  }
  return out;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

const defaultTokenLifetimeSeconds = 60;

/** Token cache and auth state shared by all pulls of one client. */
export class AuthCache {
  private readonly tokens = new Map<string, CachedToken>();
  /** Hosts that asked for Basic: we then send it up front. */
  private readonly basicHosts = new Set<string>();
  /** Bearer challenge parameters per host, so later requests fetch a token before asking. */
  private readonly bearer = new Map<string, Record<string, string>>();

  constructor(private readonly now: () => number = Date.now) {}

  private key(host: string, scope: string, creds: Credentials | undefined): string {
    return `${host}\u0000${scope}\u0000${creds?.username ?? ''}\u0000${creds?.password ?? ''}`;
  }

  /** The Authorization header to send up front, if this host has challenged before. */
  async header(
    host: string,
    scope: string,
    creds: Credentials | undefined,
    insecure: boolean,
  ): Promise<string | undefined> {
    if (this.basicHosts.has(host) && creds) return basicHeader(creds);
    const params = this.bearer.get(host);
    if (params) return `Bearer ${await this.token(host, scope, params, creds, insecure)}`;
    return undefined;
  }

  /**
   * Learns from a 401's challenge. Returns true when a retry with new authorization may succeed, false
   * when the refusal is final (no credentials for Basic, or a repeated Bearer refusal).
   */
  async challenged(
    host: string,
    scope: string,
    challenges: Challenge[],
    creds: Credentials | undefined,
    alreadySent: string | undefined,
    insecure: boolean,
  ): Promise<boolean> {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      if (bearer.params.error === 'insufficient_scope' && alreadySent?.startsWith('Bearer ')) return false;
      if (alreadySent?.startsWith('Bearer ')) {
        // A token that was accepted before may have expired early; fetch once more, not forever.
        this.tokens.delete(this.key(host, scope, creds));
        this.bearer.delete(host);
        return false;
      }
      this.bearer.set(host, bearer.params);
      await this.token(host, scope, bearer.params, creds, insecure);
      return true;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!creds || alreadySent?.startsWith('Basic ')) return false;
      this.basicHosts.add(host);
      return true;
    }
    return false;
  }

  private async token(
    host: string,
    scope: string,
    params: Record<string, string>,
    creds: Credentials | undefined,
    insecure: boolean,
  ): Promise<string> {
    const key = this.key(host, scope, creds);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.token;
    const realm = params.realm;
    if (!realm)
      throw new RegistryError(
        'Unauthorized',
        `failed to authorize: no realm in the Bearer challenge from ${host}`,
      );
    const url = new URL(realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', scope);
    const res = await send({
      method: 'GET',
      url: url.toString(),
      ...(creds ? { hostHeaders: { Authorization: basicHeader(creds) } } : {}),
      insecureSkipVerify: insecure,
    });
    const body = await readBody(res, 1 << 20);
    const what = creds ? 'failed to fetch oauth token' : 'failed to fetch anonymous token';
    if (res.status !== 200) {
      throw new RegistryError(
        res.status === 401 || res.status === 403 ? 'Unauthorized' : 'UnexpectedStatus',
        `failed to authorize: ${what}: unexpected status from GET request to ${url}: ${httpStatus(res.status, res.statusMessage)}`,
        res.status,
      );
    }
    let parsed: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new RegistryError(
        'Unauthorized',
        `failed to authorize: ${what}: the token endpoint ${url} did not answer JSON`,
      );
    }
    const token = parsed.token || parsed.access_token;
    if (!token)
      throw new RegistryError(
        'Unauthorized',
        `failed to authorize: ${what}: no token in the answer from ${url}`,
      );
    const lifetime =
      parsed.expires_in && parsed.expires_in > 0 ? parsed.expires_in : defaultTokenLifetimeSeconds;
    this.tokens.set(key, { token, expiresAt: this.now() + lifetime * 1000 });
    return token;
  }
}

export function basicHeader(creds: Credentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
}
