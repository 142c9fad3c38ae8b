// Just enough reference normalisation for the store's index (distribution/reference splitDockerDomain):
// `busybox:1.36` → `docker.io/library/busybox:1.36`. The full grammar and its error texts live in
// src/images/reference.ts; the store takes a normaliser so the runtime can pass that one in.
import { StoreError } from './digest.js';

export interface ParsedRef {
  /** Normalised repository, e.g. `docker.io/library/busybox`. */
  repo: string;
  tag?: string;
  digest?: string;
}

const component = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const tagRe = /^[\w][\w.-]{0,127}$/;

export function parseRef(ref: string): ParsedRef {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[a-f0-9]{64}$/.test(digest))
      throw new StoreError(`image reference ${JSON.stringify(ref)}: bad digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRe.test(tag))
      throw new StoreError(`image reference ${JSON.stringify(ref)}: bad tag ${JSON.stringify(tag)}`);
  }
  let domain = 'docker.io';
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (
      first === 'localhost' ||
      first.includes('.') ||
      first.includes(':') ||
      first !== first.toLowerCase()
    ) {
      domain = first === 'index.docker.io' ? 'docker.io' : first;
      path = rest.slice(slash + 1);
    }
  }
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  for (const c of path.split('/')) {
    if (!component.test(c)) {
      throw new StoreError(
        `image reference ${JSON.stringify(ref)}: invalid reference format${c !== c.toLowerCase() ? ': repository name must be lowercase' : ''}`,
      );
    }
  }
  return {
    repo: `${domain}/${path}`,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

export type Normalizer = (ref: string) => ParsedRef;
