// The kubelet's image decisions (EnsureImageExists, pkg/kubelet/images/image_manager.go) as data: for each
// container a sync is about to start, the planner says whether its image is used as present, pulled first,
// or whether the container waits (ImagePullBackOff, ErrImageNeverPull, InvalidImageName, ImageInspectError).
// Pure: what the runtime holds comes in as observations gathered before planning, the pull backoff as state.
// The executor carries a step out just before it creates that container, so pulls keep upstream's order
// (one container at a time, init containers first).
import type { Container, Pod } from '../api/types.js';
import { applyDefaultImageTag, parseImageName } from '../images/reference.js';
import type { ImageStatus } from '../runtime/types.js';
import { type BackoffState, backoffSinceUpdateUntil } from './backoff.js';
import type { EventType } from './types.js';

/** `pull`: containers run on their image's filesystem; `host`: on the host's, the image is only a label. */
export type ImageMode = 'pull' | 'host';

/** The pod annotation that overrides the kubelet's image mode for one pod. */
export const ANNOTATION_IMAGES = 'podrun.dev/images';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** What runtime.imageStatus said of an image, by the reference as the pod writes it. */
export type ImageObservation = { status: ImageStatus | null } | { error: string };
export type ImageObservations = ReadonlyMap<string, ImageObservation>;

/** The pull backoff (per `<pod uid>_<image>`) and the last pull error of each key (upstream's prevPullErrMsg). */
export interface ImagePullState {
  backoff: BackoffState;
  /** `ErrImagePull: <message>`, shown after `Back-off pulling image "x": ` while the backoff lasts. */
  lastErrors: Readonly<Record<string, string>>;
}

export const EMPTY_IMAGE_PULL_STATE: ImagePullState = { backoff: {}, lastErrors: {} };

export interface PlannedEvent {
  type: EventType;
  reason: string;
  message: string;
}

export type ImageStep =
  /** Host mode: no image is looked at, pulled or reported. */
  | { action: 'host' }
  /** The image is there and the policy does not pull it (`Container image "x" already present on machine`). */
  | { action: 'present'; requested: string; status: ImageStatus }
  /** Pull `image` (the reference with the default tag applied), then create the container. */
  | { action: 'pull'; requested: string; image: string; backoffKey: string }
  /**
   * An earlier container of the same sync pulls this image first. The kubelet would ask EnsureImageExists
   * again after that pull, so: after a failure, ImagePullBackOff (ErrImageNeverPull under Never); after a
   * success, `Always` pulls again and the other policies find the image present.
   */
  | { action: 'afterPull'; requested: string; image: string; backoffKey: string; policy: PullPolicy }
  /** The container does not start this sync: its waiting reason and message, and the events to record. */
  | { action: 'wait'; reason: string; message: string; events: PlannedEvent[] };

/** A container that waits because its image could not be looked at: the kubelet's InspectFailed, then Failed. */
function inspectFailed(reason: 'InvalidImageName' | 'ImageInspectError', message: string): ImageStep {
  return {
    action: 'wait',
    reason,
    message,
    events: [
      { type: 'Warning', reason: 'InspectFailed', message },
      { type: 'Warning', reason: 'Failed', message: `Error: ${reason}` },
    ],
  };
}

export interface ImagePlan {
  /** By container name, for every container the plan starts. */
  steps: Record<string, ImageStep>;
  /** The earliest end of an image pull backoff a container waits for, or null. */
  wakeAt: number | null;
}

/** The pod's image mode: its annotation when set, else the kubelet's. An invalid annotation is an error text. */
export function podImageMode(pod: Pod, configured: ImageMode): { mode: ImageMode } | { error: string } {
  const value = pod.metadata?.annotations?.[ANNOTATION_IMAGES];
  if (value === undefined) return { mode: configured };
  if (value === 'pull' || value === 'host') return { mode: value };
  return {
    error: `invalid annotation ${ANNOTATION_IMAGES}: ${JSON.stringify(value)}: must be "pull" or "host"`,
  };
}

/**
 * The container's pull policy. The API server defaults it (src/api/defaults.ts); a pod that reaches the
 * kubelet without one gets the same default here.
 */
export function imagePullPolicy(container: Container): PullPolicy {
  const p = container.imagePullPolicy;
  if (p === 'Always' || p === 'IfNotPresent' || p === 'Never') return p;
  try {
    return parseImageName(container.image ?? '').tag === 'latest' ? 'Always' : 'IfNotPresent';
  } catch {
    // SetDefaults_Container ignores the parse error: the tag is then '' and the policy IfNotPresent.
    return 'IfNotPresent';
  }
}

export function imageBackoffKey(pod: Pod, image: string): string {
  return `${pod.metadata?.uid ?? ''}_${image}`;
}

export const pulledMessage = (image: string, tookText: string, size: number): string =>
  `Successfully pulled image "${image}" in ${tookText} (${tookText} including waiting). Image size: ${size} bytes.`;
export const alreadyPresentMessage = (requested: string): string =>
  `Container image "${requested}" already present on machine`;
export const neverPullMessage = (requested: string): string =>
  `Container image "${requested}" is not present with pull policy of Never`;
export const backOffEventMessage = (requested: string): string => `Back-off pulling image "${requested}"`;

/** ErrImageNeverPull: the events and the waiting state. */
export function neverPullWait(requested: string): ImageStep {
  const message = neverPullMessage(requested);
  return {
    action: 'wait',
    reason: 'ErrImageNeverPull',
    message,
    events: [
      { type: 'Warning', reason: 'ErrImageNeverPull', message },
      { type: 'Warning', reason: 'Failed', message: 'Error: ErrImageNeverPull' },
    ],
  };
}

/**
 * ImagePullBackOff. The event says `Back-off pulling image "x"`; the waiting message adds the previous pull's
 * error (`Back-off pulling image "x": ErrImagePull: <error>`), as kubelets since 1.31 do.
 */
export function backOffWait(requested: string, lastError: string | undefined): ImageStep {
  const event = backOffEventMessage(requested);
  return {
    action: 'wait',
    reason: 'ImagePullBackOff',
    message: lastError ? `${event}: ${lastError}` : event,
    events: [
      { type: 'Normal', reason: 'BackOff', message: event },
      { type: 'Warning', reason: 'Failed', message: 'Error: ImagePullBackOff' },
    ],
  };
}

export interface ImagePlanInput {
  pod: Pod;
  /** The containers to start, in the order the executor starts them. */
  containers: readonly Container[];
  images: ImageObservations;
  pulls: ImagePullState;
  mode: ImageMode;
  now: number;
}

/** EnsureImageExists for each container to start, in start order. */
export function planImages(input: ImagePlanInput): ImagePlan {
  const { pod, now } = input;
  const steps: Record<string, ImageStep> = {};
  let wakeAt: number | null = null;
  const resolved = podImageMode(pod, input.mode);
  // Images an earlier container of this plan pulls.
  const pulling = new Set<string>();

  for (const container of input.containers) {
    if ('error' in resolved) {
      steps[container.name] = {
        action: 'wait',
        reason: 'CreateContainerConfigError',
        message: resolved.error,
        events: [{ type: 'Warning', reason: 'Failed', message: `Error: ${resolved.error}` }],
      };
      continue;
    }
    if (resolved.mode === 'host') {
      steps[container.name] = { action: 'host' };
      continue;
    }
    const requested = container.image ?? '';
    let image: string;
    try {
      image = applyDefaultImageTag(requested);
    } catch (err) {
      // The message is already the kubelet's: `Failed to apply default image tag "X": couldn't parse …`.
      const message = (err as Error).message;
      steps[container.name] = inspectFailed('InvalidImageName', message);
      continue;
    }
    const policy = imagePullPolicy(container);
    const backoffKey = imageBackoffKey(pod, requested);
    if (pulling.has(requested)) {
      steps[container.name] = { action: 'afterPull', requested, image, backoffKey, policy };
      continue;
    }
    const observed = input.images.get(requested) ?? { status: null };
    // imagePullPrecheck: Always pulls without asking whether the image is there, so a failed look-up only
    // matters to the other policies.
    if ('error' in observed && policy !== 'Always') {
      const message = `Failed to inspect image "${requested}": ${observed.error}`;
      steps[container.name] = inspectFailed('ImageInspectError', message);
      continue;
    }
    const present = 'status' in observed ? observed.status : null;
    const shouldPull = policy === 'Always' || (policy === 'IfNotPresent' && !present);
    if (!shouldPull) {
      steps[container.name] = present
        ? { action: 'present', requested, status: present }
        : neverPullWait(requested);
      continue;
    }
    const until = backoffSinceUpdateUntil(input.pulls.backoff, backoffKey, now);
    if (until !== undefined) {
      steps[container.name] = backOffWait(requested, input.pulls.lastErrors[backoffKey]);
      wakeAt = wakeAt === null ? until : Math.min(wakeAt, until);
      continue;
    }
    steps[container.name] = { action: 'pull', requested, image, backoffKey };
    pulling.add(requested);
  }
  return { steps, wakeAt };
}
