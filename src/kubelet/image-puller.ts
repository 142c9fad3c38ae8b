// EnsureImageExists (pkg/kubelet/images/image_manager.go): pull per imagePullPolicy, with its own backoff per
// pod and image (ErrImagePull, then ImagePullBackOff until the delay passes), and the kubelet's events.
import type { Container, Pod } from '../api/types.js';
import { goDuration } from '../util/go-format.js';
import { type BackoffState, backoffSinceUpdateUntil, nextBackoff } from './backoff.js';
import type { ExecutorDeps } from './executor.js';
import { containerRef } from './pod-util.js';
import { StartFailure } from './start-failure.js';

/** The API's default: Always for `:latest` or an untagged image, else IfNotPresent. */
export function imagePullPolicy(container: Container): 'Always' | 'IfNotPresent' | 'Never' {
  const p = container.imagePullPolicy;
  if (p === 'Always' || p === 'IfNotPresent' || p === 'Never') return p;
  const image = container.image ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastPart.includes(':') ? lastPart.slice(lastPart.lastIndexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export function imageBackoffKey(pod: Pod, image: string): string {
  return `${pod.metadata?.uid ?? ''}_${image}`;
}

/** Returns the image ref; throws StartFailure (ErrImagePull, ImagePullBackOff, ErrImageNeverPull). */
export async function ensureImageExists(
  deps: ExecutorDeps,
  pod: Pod,
  container: Container,
  state: { imageBackoff: BackoffState },
): Promise<string> {
  const image = container.image ?? '';
  const ref = containerRef(pod, container.name);
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) =>
    deps.events.event(ref, type, reason, message);
  const policy = imagePullPolicy(container);
  const present = await deps.runtime.imageStatus({ image });
  const shouldPull = policy === 'Always' || (policy === 'IfNotPresent' && !present);
  if (!shouldPull) {
    if (present) {
      event('Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return present.id;
    }
    const msg = `Container image "${image}" is not present with pull policy of Never`;
    event('Warning', 'ErrImageNeverPull', msg);
    throw new StartFailure('ErrImageNeverPull', msg);
  }

  const key = imageBackoffKey(pod, image);
  const now = deps.clock.now();
  if (backoffSinceUpdateUntil(state.imageBackoff, key, now) !== undefined) {
    const msg = `Back-off pulling image "${image}"`;
    event('Normal', 'BackOff', msg);
    throw new StartFailure('ImagePullBackOff', msg);
  }
  event('Normal', 'Pulling', `Pulling image "${image}"`);
  try {
    const imageRef = await deps.runtime.pullImage({ image });
    const took = goDuration(deps.clock.now() - now);
    const size = (await deps.runtime.imageStatus({ image }))?.size ?? 0;
    event(
      'Normal',
      'Pulled',
      `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${size} bytes.`,
    );
    return imageRef;
  } catch (e) {
    const message = (e as Error).message;
    event('Warning', 'Failed', `Failed to pull image "${image}": ${message}`);
    const at = deps.clock.now();
    state.imageBackoff = {
      ...state.imageBackoff,
      [key]: nextBackoff(state.imageBackoff, key, at, at, deps.config.imagePullBackOff),
    };
    throw new StartFailure('ErrImagePull', message);
  }
}
