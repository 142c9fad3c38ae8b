// Image references as distribution/reference parses and normalises them (regexp.go, reference.go,
// normalize.go), plus the kubelet's two wrappers around them (pkg/util/parsers ParseImageName and
// image_manager applyDefaultImageTag). Error texts are upstream's: they reach users verbatim in
// InvalidImageName events.
import { digestProblem } from './digest.js';

export const defaultDomain = 'docker.io';
export const legacyDefaultDomain = 'index.docker.io';
export const officialRepoPrefix = 'library/';
export const defaultTag = 'latest';
export const repositoryNameTotalLengthMax = 255;

export const ErrReferenceInvalidFormat = 'invalid reference format';
export const ErrNameContainsUppercase = 'repository name must be lowercase';
export const ErrNameEmpty = 'repository name must have at least one component';
export const ErrNameTooLong = `repository name must not be more than ${repositoryNameTotalLengthMax} characters`;
export const ErrTagInvalidFormat = 'invalid tag format';

/** Every reference error is an InvalidImageName to the kubelet. */
export class InvalidReferenceError extends Error {
  readonly reason = 'InvalidImageName';
}

/**
 * A parsed reference. `domain` is '' only for references from `parseReference` that named no registry;
 * the normalising parsers always fill it. `path` is '' only for a digest-only reference.
 */
export interface ImageReference {
  readonly domain: string;
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const optionalPort = '(?::[0-9]+)?';
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = host + optionalPort;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

const referenceRegexp = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const anchoredNameRegexp = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const anchoredTagRegexp = new RegExp(`^${tagPat}$`);
const anchoredIdentifierRegexp = /^[a-f0-9]{64}$/;

/** distribution/reference `Parse`: syntax only, no defaults. */
export function parseReference(s: string): ImageReference {
  if (s === '') throw new InvalidReferenceError(ErrNameEmpty);
  const m = referenceRegexp.exec(s);
  if (m === null) {
    const lower = s.toLowerCase();
    if (lower !== s && referenceRegexp.test(lower)) throw new InvalidReferenceError(ErrNameContainsUppercase);
    throw new InvalidReferenceError(ErrReferenceInvalidFormat);
  }
  const name = m[1] ?? '';
  const nm = anchoredNameRegexp.exec(name);
  const domain = nm?.[1] ?? '';
  const path = nm ? (nm[2] ?? '') : name;
  if (path.length > repositoryNameTotalLengthMax) throw new InvalidReferenceError(ErrNameTooLong);
  const digest = m[3];
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    if (problem !== undefined) throw new InvalidReferenceError(problem);
  }
  return {
    domain,
    path,
    ...(m[2] !== undefined ? { tag: m[2] } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** normalize.go `splitDockerDomain`. */
export function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { domain: defaultDomain, remainder: officialRepoPrefix + name };
  const maybeDomain = name.slice(0, slash);
  const maybeRemote = name.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (maybeDomain === 'localhost') {
    domain = maybeDomain;
    remainder = maybeRemote;
  } else if (maybeDomain === legacyDefaultDomain) {
    domain = defaultDomain;
    remainder = maybeRemote;
  } else if (/[.:]/.test(maybeDomain) || maybeDomain.toLowerCase() !== maybeDomain) {
    domain = maybeDomain;
    remainder = maybeRemote;
  } else {
    domain = defaultDomain;
    remainder = name;
  }
  if (domain === defaultDomain && !remainder.includes('/')) remainder = officialRepoPrefix + remainder;
  return { domain, remainder };
}

/** distribution/reference `ParseNormalizedNamed`: `busybox:1.36` → `docker.io/library/busybox:1.36`. */
export function parseNormalizedNamed(s: string): ImageReference {
  if (anchoredIdentifierRegexp.test(s)) {
    throw new InvalidReferenceError(
      `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`,
    );
  }
  const { domain, remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw new InvalidReferenceError(
      `${ErrReferenceInvalidFormat}: repository name (${remote}) must be lowercase`,
    );
  }
  const ref = parseReference(`${domain}/${remainder}`);
  if (ref.path === '') throw new InvalidReferenceError(`reference ${referenceString(ref)} has no name`);
  return ref;
}

/**
 * distribution/reference `ParseDockerRef`, what containerd's CRI pulls: normalised, a tag+digest
 * reference keeps only the digest, a bare name gets `:latest`.
 */
export function parseDockerRef(s: string): ImageReference {
  const ref = parseNormalizedNamed(s);
  if (ref.digest !== undefined) return { domain: ref.domain, path: ref.path, digest: ref.digest };
  return tagNameOnly(ref);
}

export function tagNameOnly(ref: ImageReference): ImageReference {
  if (ref.tag === undefined && ref.digest === undefined) return { ...ref, tag: defaultTag };
  return ref;
}

export function withTag(ref: ImageReference, tag: string): ImageReference {
  if (!anchoredTagRegexp.test(tag)) throw new InvalidReferenceError(ErrTagInvalidFormat);
  return { ...ref, tag };
}

/** The repository name: `docker.io/library/busybox`. */
export function referenceName(ref: ImageReference): string {
  return ref.domain === '' ? ref.path : `${ref.domain}/${ref.path}`;
}

/** The full reference string: name, then `:tag`, then `@digest`, as upstream's String(). */
export function referenceString(ref: ImageReference): string {
  const name = ref.path === '' ? '' : referenceName(ref);
  if (name === '') return ref.digest ?? '';
  return (
    name + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '')
  );
}

/** normalize.go `familiarizeName` + String: `docker.io/library/redis:7` → `redis:7`. */
export function familiarString(ref: ImageReference): string {
  let domain = ref.domain;
  let path = ref.path;
  if (domain === defaultDomain) {
    domain = '';
    if (path.startsWith(officialRepoPrefix)) {
      const rest = path.slice(officialRepoPrefix.length);
      if (!rest.includes('/')) path = rest;
    }
  }
  return referenceString({ ...ref, domain, path });
}

/** kubelet `parsers.ParseImageName`: the repository to pull, the tag (default `latest`), the digest. */
export function parseImageName(image: string): { repoToPull: string; tag: string; digest: string } {
  let named: ImageReference;
  try {
    named = parseNormalizedNamed(image);
  } catch (err) {
    throw new InvalidReferenceError(`couldn't parse image name ${goQuote(image)}: ${(err as Error).message}`);
  }
  let tag = named.tag ?? '';
  const digest = named.digest ?? '';
  if (tag === '' && digest === '') tag = defaultTag;
  return { repoToPull: referenceName(named), tag, digest };
}

/**
 * kubelet `applyDefaultImageTag`: appends `:latest` to the image *as written* (not normalised). The
 * error is the InvalidImageName message the kubelet reports.
 */
export function applyDefaultImageTag(image: string): string {
  let parsed: { tag: string; digest: string };
  try {
    parsed = parseImageName(image);
  } catch (err) {
    throw new InvalidReferenceError(
      `Failed to apply default image tag ${goQuote(image)}: ${(err as Error).message}`,
    );
  }
  if (parsed.digest === '' && parsed.tag !== '' && !image.endsWith(`:${parsed.tag}`)) {
    return `${image}:${parsed.tag}`;
  }
  return image;
}

/** Go's %q for the strings that reach these messages (JSON quoting matches it for printable text). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}
