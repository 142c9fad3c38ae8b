// Content digests as opencontainers/go-digest validates them: `alg:hex`, with the algorithms Go's
// crypto registers for it (sha256, sha384, sha512). The error texts are go-digest's, because they end up
// verbatim in kubelet events.
import { createHash, type Hash } from 'node:crypto';

export const ErrDigestInvalidFormat = 'invalid checksum digest format';
export const ErrDigestInvalidLength = 'invalid checksum digest length';
export const ErrDigestUnsupported = 'unsupported digest algorithm';

const hexLength: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const anyDigest = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export class DigestError extends Error {}

/** Returns why `d` is not a usable digest, or undefined when it is one. */
export function digestProblem(d: string): string | undefined {
  const i = d.indexOf(':');
  if (i <= 0 || i + 1 === d.length) return ErrDigestInvalidFormat;
  const alg = d.slice(0, i);
  const encoded = d.slice(i + 1);
  const len = hexLength[alg];
  if (len === undefined) return anyDigest.test(d) ? ErrDigestUnsupported : ErrDigestInvalidFormat;
  if (encoded.length !== len) return ErrDigestInvalidLength;
  return /^[a-f0-9]+$/.test(encoded) ? undefined : ErrDigestInvalidFormat;
}

export function validateDigest(d: string): string {
  const problem = digestProblem(d);
  if (problem !== undefined) throw new DigestError(problem);
  return d;
}

export function digestAlgorithm(d: string): string {
  return d.slice(0, d.indexOf(':'));
}

export function digestHex(d: string): string {
  return d.slice(d.indexOf(':') + 1);
}

/** A hasher for the digest's own algorithm, so a sha512-addressed blob is checked with sha512. */
export function hasherFor(d: string): Hash {
  return createHash(digestAlgorithm(d));
}

export function sha256Of(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function digestOf(algorithmOf: string, data: Buffer): string {
  const alg = digestAlgorithm(algorithmOf);
  return `${alg}:${createHash(alg).update(data).digest('hex')}`;
}
