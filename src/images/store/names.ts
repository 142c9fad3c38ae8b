// Reference normalisation for the store's index keys: `busybox:1.36` → `docker.io/library/busybox:1.36`,
// by src/images/reference.ts (distribution/reference). The store checks the tag and digest it keys by
// itself first, to name the part that is wrong; the runtime may pass another normaliser.
import { InvalidReferenceError, parseNormalizedNamed, referenceName } from '../reference.js';
import { StoreError } from './digest.js';

export interface ParsedRef {
  /** Normalised repository, e.g. `docker.io/library/busybox`. */
  repo: string;
  tag?: string;
  digest?: string;
}

const tagRe = /^[\w][\w.-]{0,127}$/;

export function parseRef(ref: string): ParsedRef {
  const at = ref.indexOf('@');
  const digest = at === -1 ? undefined : ref.slice(at + 1);
  if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest))
    throw new StoreError(`image reference ${JSON.stringify(ref)}: bad digest`);
  const named = at === -1 ? ref : ref.slice(0, at);
  const colon = named.lastIndexOf(':');
  const tag = colon > named.lastIndexOf('/') ? named.slice(colon + 1) : undefined;
  if (tag !== undefined && !tagRe.test(tag))
    throw new StoreError(`image reference ${JSON.stringify(ref)}: bad tag ${JSON.stringify(tag)}`);
  try {
    const parsed = parseNormalizedNamed(ref);
    return {
      repo: referenceName(parsed),
      ...(parsed.tag !== undefined ? { tag: parsed.tag } : {}),
      ...(parsed.digest !== undefined ? { digest: parsed.digest } : {}),
    };
  } catch (e) {
    if (e instanceof InvalidReferenceError)
      throw new StoreError(`image reference ${JSON.stringify(ref)}: ${e.message}`);
    throw e;
  }
}

export type Normalizer = (ref: string) => ParsedRef;
