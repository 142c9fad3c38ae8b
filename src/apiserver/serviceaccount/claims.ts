// The claims of a service-account token (pkg/serviceaccount/claims.go): the registered ones (iss, sub, aud,
// exp, iat, nbf, jti) and the private `kubernetes.io` claim naming the namespace, the ServiceAccount and the
// object the token is bound to (a pod or a secret). Both directions live here: what the TokenRequest API
// issues and what the authenticator reads back.
import { randomUUID } from 'node:crypto';

/** kube-apiserver's --service-account-issuer as kubeadm sets it; also the default audience. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** ExpirationExtensionSeconds: what a pod-bound 3607 s token is extended to (one year). */
export const EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 60 * 60;

export interface ObjectRef {
  name: string;
  uid: string;
}

export interface PrivateClaims {
  namespace: string;
  serviceaccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
  /** Seconds since the epoch after which a use of the (extended) token is only warned about. */
  warnafter?: number;
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': PrivateClaims;
}

/** apiserverserviceaccount.MakeUsername */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

export interface ClaimsInput {
  issuer: string;
  namespace: string;
  serviceAccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
  audiences: string[];
  /** Seconds since the epoch. */
  now: number;
  expirationSeconds: number;
  /** Seconds after `now`; 0 for none. */
  warnAfterSeconds: number;
}

/** token.Claims: the bound object is the pod if any, else the secret (a pod's node rides along). */
export function makeClaims(input: ClaimsInput): TokenClaims {
  const priv: PrivateClaims = { namespace: input.namespace, serviceaccount: input.serviceAccount };
  if (input.pod) {
    priv.pod = input.pod;
    if (input.node) priv.node = input.node;
  } else if (input.secret) {
    priv.secret = input.secret;
  } else if (input.node) {
    priv.node = input.node;
  }
  if (input.warnAfterSeconds > 0) priv.warnafter = input.now + input.warnAfterSeconds;
  return {
    iss: input.issuer,
    sub: serviceAccountUsername(input.namespace, input.serviceAccount.name),
    aud: input.audiences,
    exp: input.now + input.expirationSeconds,
    iat: input.now,
    nbf: input.now,
    jti: randomUUID(),
    'kubernetes.io': priv,
  };
}

function isRef(v: unknown): v is ObjectRef {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as ObjectRef).name === 'string' &&
    typeof (v as ObjectRef).uid === 'string'
  );
}

/**
 * The private claim of a token, checked for shape; undefined when it is not one podrun issued (a token
 * of another issuer, or a legacy secret-based token's claims, which podrun does not issue).
 */
export function privateClaimsOf(claims: Record<string, unknown>): PrivateClaims | undefined {
  const k = claims['kubernetes.io'];
  if (typeof k !== 'object' || k === null) return undefined;
  const p = k as Record<string, unknown>;
  if (typeof p.namespace !== 'string' || !isRef(p.serviceaccount)) return undefined;
  for (const f of ['pod', 'secret', 'node'] as const)
    if (p[f] !== undefined && !isRef(p[f])) return undefined;
  return p as unknown as PrivateClaims;
}
