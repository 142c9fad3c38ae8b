// Service-account tokens: the TokenRequest API (`POST …/serviceaccounts/<name>/token`, upstream's TokenREST
// in pkg/registry/core/serviceaccount/storage/token.go) and their authentication (pkg/serviceaccount/jwt.go
// and the validator of claims.go): the signature, the audience, the time window, and that the ServiceAccount
// and the object the token is bound to still exist with the uids it names.
import type { KubeObject } from '../../api/types.js';
import type { Clock } from '../../util/clock.js';
import type { UserInfo } from '../authn/user.js';
import { ApiError, badRequest, conflict, invalid, notFound } from '../errors.js';
import { isPlainObject } from '../object-util.js';
import { WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS } from './admission.js';
import {
  DEFAULT_ISSUER,
  EXPIRATION_EXTENSION_SECONDS,
  makeClaims,
  type ObjectRef,
  privateClaimsOf,
  serviceAccountUsername,
} from './claims.js';
import { parseJwt, type SigningKey, signJwt, verifySignature } from './jwt.js';

/** What the tokens read: the registry's find or findShared (a stored object or undefined); only read. */
export interface TokenObjects {
  find(resource: string, namespace: string, name: string): Promise<KubeObject | undefined>;
}

export interface ServiceAccountTokensOptions {
  objects: TokenObjects;
  key: SigningKey;
  clock: Clock;
  /** @default DEFAULT_ISSUER */
  issuer?: string;
  /** The API server's audiences (--api-audiences). @default [issuer] */
  audiences?: string[];
  /** --service-account-extend-token-expiration. @default true */
  extendExpiration?: boolean;
}

/** ValidateTokenRequest's bounds. */
const MIN_TOKEN_AGE_SECONDS = 10 * 60;
const MAX_TOKEN_AGE_SECONDS = 2 ** 32;
/** The TokenRequest's default spec.expirationSeconds (SetDefaults_TokenRequestSpec). */
const DEFAULT_EXPIRATION_SECONDS = 3600;
/** go-jose's jwt.DefaultLeeway: clock skew allowed on exp, nbf, iat and on deletion timestamps. */
const LEEWAY_SECONDS = 60;

const TOKEN_REQUEST = { group: 'authentication.k8s.io', kind: 'TokenRequest' };

/** Why a token that names podrun's issuer was refused; the client only ever sees 401 Unauthorized. */
export class TokenInvalidError extends Error {
  override name = 'TokenInvalidError';
}

export interface TokenRequestSpec {
  audiences?: string[] | null;
  expirationSeconds?: number | null;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string } | null;
}

export class ServiceAccountTokens {
  readonly issuer: string;
  readonly audiences: string[];
  readonly #objects: TokenObjects;
  readonly #key: SigningKey;
  readonly #clock: Clock;
  readonly #extend: boolean;

  constructor(options: ServiceAccountTokensOptions) {
    this.#objects = options.objects;
    this.#key = options.key;
    this.#clock = options.clock;
    this.issuer = options.issuer ?? DEFAULT_ISSUER;
    this.audiences = options.audiences ?? [this.issuer];
    this.#extend = options.extendExpiration ?? true;
  }

  /**
   * TokenREST.Create: a TokenRequest (the decoded body) for ServiceAccount `name` in `namespace`, answered
   * with the same request, defaulted, and status.token / status.expirationTimestamp.
   */
  async createToken(namespace: string, name: string, body: unknown): Promise<KubeObject> {
    if (!isPlainObject(body)) throw badRequest('the body must be an authentication.k8s.io/v1 TokenRequest');
    if (body.kind !== undefined && body.kind !== 'TokenRequest') {
      throw badRequest(`the body must be a TokenRequest, not a ${String(body.kind)}`);
    }
    const rawSpec = isPlainObject(body.spec) ? (body.spec as TokenRequestSpec) : {};
    const expirationSeconds = rawSpec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    const problems: string[] = [];
    if (!Number.isInteger(expirationSeconds)) problems.push('must be an integer');
    else if (expirationSeconds < MIN_TOKEN_AGE_SECONDS)
      problems.push('may not specify a duration less than 10 minutes');
    else if (expirationSeconds > MAX_TOKEN_AGE_SECONDS)
      problems.push('may not specify a duration larger than 2^32 seconds');
    if (problems.length > 0) {
      const field = 'spec.expirationSeconds';
      throw invalid(
        TOKEN_REQUEST,
        '',
        problems.map((p) => ({
          reason: 'FieldValueInvalid',
          field,
          body: `Invalid value: ${JSON.stringify(expirationSeconds)}: ${p}`,
          full: `${field}: Invalid value: ${JSON.stringify(expirationSeconds)}: ${p}`,
        })),
      );
    }
    const sa = await this.#objects.find('serviceaccounts', namespace, name);
    if (!sa) throw notFound({ group: '', resource: 'serviceaccounts' }, name);

    let pod: ObjectRef | undefined;
    let secret: ObjectRef | undefined;
    let node: ObjectRef | undefined;
    const ref = rawSpec.boundObjectRef ?? undefined;
    if (ref) {
      const apiVersion = ref.apiVersion ?? '';
      const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
      const refName = ref.name ?? '';
      let uid: string;
      if (group === '' && ref.kind === 'Pod') {
        const p = await this.#objects.find('pods', namespace, refName);
        if (!p) throw notFound({ group: '', resource: 'pods' }, refName);
        const podSA = (p.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName;
        if (podSA !== name) {
          throw badRequest(
            `cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`,
          );
        }
        uid = p.metadata.uid ?? '';
        pod = { name: refName, uid };
        node = await this.#nodeOf(p);
      } else if (group === '' && ref.kind === 'Secret') {
        const s = await this.#objects.find('secrets', namespace, refName);
        if (!s) throw notFound({ group: '', resource: 'secrets' }, refName);
        uid = s.metadata.uid ?? '';
        secret = { name: refName, uid };
      } else {
        const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
        throw badRequest(
          `cannot bind token to object of type ${group === '' ? '' : `${group}/`}${version}, Kind=${ref.kind ?? ''}`,
        );
      }
      if (ref.uid && ref.uid !== uid) {
        throw conflict(
          { group, resource: ref.kind ?? '' },
          refName,
          `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
        );
      }
    }
    const audiences = rawSpec.audiences && rawSpec.audiences.length > 0 ? rawSpec.audiences : this.audiences;
    // A pod-bound token asked for with the admission's 3607 s lives a year but is only warned about after
    // 3607 s, so that clients that never reread their token keep working (upstream's safe transition).
    let exp = expirationSeconds;
    let warnAfter = 0;
    if (
      this.#extend &&
      pod &&
      expirationSeconds === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS &&
      audiences.every((a) => this.audiences.includes(a))
    ) {
      warnAfter = exp;
      exp = EXPIRATION_EXTENSION_SECONDS;
    }
    const nowMs = this.#clock.now();
    const now = Math.floor(nowMs / 1000);
    const claims = makeClaims({
      issuer: this.issuer,
      namespace,
      serviceAccount: { name, uid: sa.metadata.uid ?? '' },
      ...(pod ? { pod } : {}),
      ...(secret ? { secret } : {}),
      ...(node ? { node } : {}),
      audiences,
      now,
      expirationSeconds: exp,
      warnAfterSeconds: warnAfter,
    });
    const token = signJwt(this.#key, claims as unknown as Record<string, unknown>);
    const meta = isPlainObject(body.metadata) ? body.metadata : {};
    return {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      // creationTimestamp: null, as the API server writes a TokenRequest's (it is never stored).
      metadata: { ...meta, name, namespace, creationTimestamp: null } as unknown as KubeObject['metadata'],
      spec: { audiences, expirationSeconds, boundObjectRef: ref ?? null },
      status: {
        token,
        // The requested lifetime, not the extension: the kubelet refreshes by this.
        expirationTimestamp: new Date((now + expirationSeconds) * 1000)
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
      },
    };
  }

  /** The pod's node, when the pod is bound and the node is served and exists (ServiceAccountTokenPodNodeInfo). */
  async #nodeOf(pod: KubeObject): Promise<ObjectRef | undefined> {
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    if (!nodeName) return undefined;
    try {
      const n = await this.#objects.find('nodes', '', nodeName);
      return n ? { name: nodeName, uid: n.metadata.uid ?? '' } : undefined;
    } catch (e) {
      // podrun without Node objects: the token names no node.
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    }
  }

  /**
   * AuthenticateToken: undefined when `token` is not a JWT of this issuer (another authenticator may know
   * it); a TokenInvalidError saying why when it is one but may not be used; else the user it stands for.
   */
  async authenticate(token: string): Promise<UserInfo | undefined> {
    const parsed = parseJwt(token);
    if (!parsed || parsed.claims.iss !== this.issuer) return undefined;
    if (!verifySignature(parsed, [this.#key.publicKey])) {
      throw new TokenInvalidError('square/go-jose: error in cryptographic primitive');
    }
    const c = parsed.claims;
    const aud = typeof c.aud === 'string' ? [c.aud] : Array.isArray(c.aud) ? c.aud : [];
    const tokenAudiences = aud.length > 0 ? aud : this.audiences;
    if (!tokenAudiences.some((a) => this.audiences.includes(a as string))) {
      throw new TokenInvalidError(
        `token audiences ${JSON.stringify(tokenAudiences)} is invalid for the target audiences ${JSON.stringify(this.audiences)}`,
      );
    }
    const priv = privateClaimsOf(c);
    if (!priv)
      throw new TokenInvalidError(
        'service account token claims could not be validated due to unexpected private claim',
      );
    const now = this.#clock.now() / 1000;
    if (typeof c.exp === 'number' && now - LEEWAY_SECONDS > c.exp) {
      throw new TokenInvalidError('service account token has expired');
    }
    if (typeof c.nbf === 'number' && now + LEEWAY_SECONDS < c.nbf) {
      throw new TokenInvalidError('service account token is not valid yet');
    }
    if (typeof c.iat === 'number' && now + LEEWAY_SECONDS < c.iat) {
      throw new TokenInvalidError('service account token is issued in the future');
    }
    const ns = priv.namespace;
    // Objects deleted before now−leeway make the token invalid (a pod still terminating keeps it valid).
    const invalidIfDeletedBefore = this.#clock.now() - LEEWAY_SECONDS * 1000;
    const check = async (resource: string, ref: ObjectRef, what: string): Promise<KubeObject> => {
      const obj = await this.#objects.find(resource, resource === 'nodes' ? '' : ns, ref.name);
      if (!obj) throw new TokenInvalidError(`${what} "${ref.name}" not found`);
      const deleted = obj.metadata.deletionTimestamp;
      if (deleted && Date.parse(deleted) < invalidIfDeletedBefore) {
        throw new TokenInvalidError('service account token has been invalidated');
      }
      if ((obj.metadata.uid ?? '') !== ref.uid) {
        throw new TokenInvalidError(`${what} UID (${obj.metadata.uid}) does not match claim (${ref.uid})`);
      }
      return obj;
    };
    const sa = await check('serviceaccounts', priv.serviceaccount, 'service account');
    if (priv.secret) await check('secrets', priv.secret, 'secret');
    if (priv.pod) await check('pods', priv.pod, 'pod');
    const extra: Record<string, string[]> = {};
    if (priv.pod) {
      extra['authentication.kubernetes.io/pod-name'] = [priv.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [priv.pod.uid];
    }
    if (priv.node) {
      extra['authentication.kubernetes.io/node-name'] = [priv.node.name];
      extra['authentication.kubernetes.io/node-uid'] = [priv.node.uid];
    }
    if (typeof c.jti === 'string') extra['authentication.kubernetes.io/credential-id'] = [`JTI=${c.jti}`];
    return {
      username: serviceAccountUsername(ns, priv.serviceaccount.name),
      uid: sa.metadata.uid ?? '',
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
      extra,
    };
  }
}
