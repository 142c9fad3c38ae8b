// A failed pull as the CRI reports it: containerd's message (`failed to pull and unpack image "<ref>": …`)
// with a RuntimeError reason the kubelet turns into a waiting reason. A missing repository or tag (the
// resolve step's `not found`) is ImageNotFound; everything else is ErrImagePull. A refused credential gets
// a sentence after containerd's text saying which credentials were tried and where to fix them.
import { RuntimeError } from '../../runtime/types.js';
import { applyDefaultImageTag, InvalidReferenceError } from '../reference.js';
import { pullAndUnpackMessage, RegistryError } from '../registry/errors.js';

/** What was presented to the registry, for the 401 explanation. */
export type CredentialSource =
  | { kind: 'given'; users: string[] }
  | { kind: 'keyring'; users: string[]; file: string }
  | { kind: 'anonymous'; file: string };

export function pullError(
  image: string,
  err: unknown,
  opts: { aborted: boolean; credentials: CredentialSource },
): RuntimeError {
  if (opts.aborted) {
    return new RuntimeError(
      'ErrImagePull',
      `failed to pull and unpack image ${JSON.stringify(image)}: context canceled`,
      {
        cause: err,
      },
    );
  }
  const e = err instanceof Error ? err : new Error(String(err));
  let message = pullAndUnpackMessage(image, e);
  if (err instanceof RegistryError && err.reason === 'Unauthorized') {
    message += `; ${explainRefusal(opts.credentials)}`;
  }
  const notFound =
    err instanceof RegistryError &&
    err.reason === 'NotFound' &&
    err.message.includes('failed to resolve reference');
  return new RuntimeError(notFound ? 'ImageNotFound' : 'ErrImagePull', message, { cause: err });
}

function users(list: string[]): string {
  return list.map((u) => JSON.stringify(u)).join(', ');
}

function explainRefusal(c: CredentialSource): string {
  switch (c.kind) {
    case 'given':
      return `the registry refused the credentials given for user ${users(c.users)}: check the pull secret`;
    case 'keyring':
      return `the registry refused the credentials for user ${users(c.users)} from ${c.file}: check them there`;
    case 'anonymous':
      return `the registry wants credentials and none were given: add an imagePullSecret, or an entry for the registry in ${c.file}`;
  }
}

/**
 * The kubelet's InvalidImageName for a reference it cannot parse:
 * `Failed to apply default image tag "BusyBox": couldn't parse image name "BusyBox": …`.
 */
export function invalidImageName(image: string, fallback: Error): RuntimeError {
  try {
    applyDefaultImageTag(image);
  } catch (err) {
    if (err instanceof InvalidReferenceError)
      return new RuntimeError('InvalidImageName', err.message, { cause: err });
  }
  return new RuntimeError('InvalidImageName', fallback.message, { cause: fallback });
}
