// The kubelet's token manager (pkg/kubelet/token/token_manager.go): service-account tokens for projected
// volumes, requested through the TokenRequest API, cached per (ServiceAccount, audiences, lifetime, bound
// pod), and requested anew once 80 % of their lifetime has passed (or 24 h since issue), so that a volume's
// token is replaced well before it expires. A refresh that fails keeps the cached token while it is valid.
import { ByPod } from '../util/by-pod.js';
import type { Clock } from '../util/clock.js';

export interface TokenRequestSpec {
  audiences: string[];
  expirationSeconds: number;
  boundObjectRef: { apiVersion: 'v1'; kind: 'Pod'; name: string; uid: string };
}

export interface IssuedToken {
  token: string;
  /** RFC 3339: status.expirationTimestamp (the requested lifetime's end). */
  expirationTimestamp: string;
}

/** POST serviceaccounts/<name>/token. */
export type TokenRequester = (
  namespace: string,
  name: string,
  spec: TokenRequestSpec,
) => Promise<IssuedToken>;

interface Cached {
  token: string;
  expiresAt: number;
  expirationSeconds: number;
}

/** maxTTL: a token older than this is refreshed whatever its lifetime. */
const MAX_TTL_MS = 24 * 60 * 60 * 1000;
/** maxJitter: refreshes are spread by up to this much. */
const MAX_JITTER_MS = 10_000;

export class TokenManager {
  readonly #request: TokenRequester;
  readonly #clock: Clock;
  readonly #random: () => number;
  /** By pod UID, then by request key: forgetting a pod does not scan every pod's tokens. */
  readonly #cache = new ByPod<Cached>();

  constructor(options: { request: TokenRequester; clock: Clock; random?: () => number }) {
    this.#request = options.request;
    this.#clock = options.clock;
    this.#random = options.random ?? Math.random;
  }

  /** GetServiceAccountToken: the cached token unless it needs a refresh. */
  async getServiceAccountToken(namespace: string, name: string, spec: TokenRequestSpec): Promise<string> {
    const key = [
      name,
      namespace,
      spec.audiences.join(','),
      spec.expirationSeconds,
      `${spec.boundObjectRef.kind}/${spec.boundObjectRef.name}/${spec.boundObjectRef.uid}`,
    ].join('"');
    const cached = this.#cache.get(spec.boundObjectRef.uid, key);
    if (cached && !this.#requiresRefresh(cached)) return cached.token;
    let issued: IssuedToken;
    try {
      issued = await this.#request(namespace, name, spec);
    } catch (e) {
      // The API may be briefly unreachable: a token that is still valid is better than none.
      if (cached && cached.expiresAt > this.#clock.now()) return cached.token;
      throw e;
    }
    const expiresAt = Date.parse(issued.expirationTimestamp);
    if (!Number.isFinite(expiresAt)) {
      throw new Error(`the token request for ${namespace}/${name} returned no expirationTimestamp`);
    }
    this.#cache.set(spec.boundObjectRef.uid, key, {
      token: issued.token,
      expiresAt,
      expirationSeconds: spec.expirationSeconds,
    });
    return issued.token;
  }

  /** DeleteServiceAccountToken: forgets the tokens bound to a pod that is gone. */
  deletePodTokens(podUid: string): void {
    this.#cache.forget(podUid);
  }

  /** requiresRefresh: past 80 % of the lifetime, or older than 24 h, each less a jitter of up to 10 s. */
  #requiresRefresh(c: Cached): boolean {
    const now = this.#clock.now();
    const issuedAt = c.expiresAt - c.expirationSeconds * 1000;
    const jitter = Math.floor(this.#random() * (MAX_JITTER_MS / 1000)) * 1000;
    if (now > issuedAt + MAX_TTL_MS - jitter) return true;
    return now > c.expiresAt - Math.floor((c.expirationSeconds * 20) / 100) * 1000 - jitter;
  }
}
