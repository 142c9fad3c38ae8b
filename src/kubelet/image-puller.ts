// The side effects of the planner's image steps (EnsureImageExists, pkg/kubelet/images/image_manager.go, and
// the pull itself, kuberuntime_image.go PullImage): events, the pull with the pod's registry credentials, the
// pull backoff. It decides nothing the plan did not: a step is carried out just before its container is
// created, so pulls happen one container at a time in start order, as the kubelet's do.
import type { Container, Pod, Secret } from '../api/types.js';
import { applyDefaultImageTag, parseImageName } from '../images/reference.js';
import { DockerKeyring } from '../images/registry/keyring.js';
import type { AuthConfig, ImageManager, ImageStatus } from '../runtime/types.js';
import type { Clock } from '../util/clock.js';
import { goDuration } from '../util/go-format.js';
import { nextBackoff } from './backoff.js';
import {
  alreadyPresentMessage,
  backOffWait,
  type ImageMode,
  type ImageObservation,
  type ImagePullState,
  type ImageStep,
  neverPullWait,
  type PlannedEvent,
  podImageMode,
  pulledMessage,
} from './image-plan.js';
import { appContainers, containerRef, initContainers, isTerminalPhase, podRef } from './pod-util.js';
import { StartFailure } from './start-failure.js';
import type { EventRecorder, KubeletConfig, ObjectGetter } from './types.js';

export interface ImagePullerDeps {
  runtime: ImageManager;
  clock: Clock;
  events: EventRecorder;
  objects: ObjectGetter;
  config: Pick<KubeletConfig, 'imagePullBackOff'>;
}

/** What a container runs on, and the image's status when it runs on an image (for its user). */
export type ImageOutcome = { rootfs: 'host' } | { rootfs: 'image'; status: ImageStatus | null };

type PullOutcome = { status: ImageStatus | null } | { error: string };

/** One sync's image work for one pod: pull outcomes so far, the pull state, the pull credentials (read once). */
export class PodImagePuller {
  readonly #deps: ImagePullerDeps;
  readonly #pod: Pod;
  #state: ImagePullState;
  readonly #pulled = new Map<string, PullOutcome>();
  #secrets: Promise<Secret[]> | undefined;

  constructor(deps: ImagePullerDeps, pod: Pod, state: ImagePullState) {
    this.#deps = deps;
    this.#pod = pod;
    this.#state = state;
  }

  /** The pull state after this sync's pulls. */
  get state(): ImagePullState {
    return this.#state;
  }

  /** Carries out `step` for `container`; throws StartFailure (with its events recorded) when it must wait. */
  async ensure(container: Container, step: ImageStep | undefined): Promise<ImageOutcome> {
    if (!step) throw new Error(`the plan has no image step for container ${JSON.stringify(container.name)}`);
    switch (step.action) {
      case 'host':
        return { rootfs: 'host' };
      case 'wait':
        this.#record(container, step.events);
        throw new StartFailure(step.reason, step.message);
      case 'present':
        this.#event(container, 'Normal', 'Pulled', alreadyPresentMessage(step.requested));
        return { rootfs: 'image', status: step.status };
      case 'pull':
        return this.#pull(container, step.requested, step.image, step.backoffKey);
      case 'afterPull': {
        const earlier = this.#pulled.get(step.requested);
        if (earlier === undefined || (step.policy === 'Always' && 'status' in earlier)) {
          return this.#pull(container, step.requested, step.image, step.backoffKey);
        }
        if ('status' in earlier) {
          this.#event(container, 'Normal', 'Pulled', alreadyPresentMessage(step.requested));
          return { rootfs: 'image', status: earlier.status };
        }
        const wait =
          step.policy === 'Never'
            ? neverPullWait(step.requested)
            : backOffWait(step.requested, this.#state.lastErrors[step.backoffKey]);
        return this.ensure(container, wait);
      }
    }
  }

  async #pull(container: Container, requested: string, image: string, key: string): Promise<ImageOutcome> {
    const { runtime, clock } = this.#deps;
    const secrets = await this.#pullSecrets();
    // A new pull forgets the previous error (prevPullErrMsg.Delete).
    const lastErrors = { ...this.#state.lastErrors };
    delete lastErrors[key];
    this.#state = { ...this.#state, lastErrors };
    // The events name the image as the pod writes it; the runtime is asked for the tagged reference.
    this.#event(container, 'Normal', 'Pulling', `Pulling image "${requested}"`);
    const started = clock.now();
    try {
      const auth = credentialsFor(secrets, image);
      await runtime.pullImage({ image }, { auth });
      const took = goDuration(clock.now() - started);
      const status = await runtime.imageStatus({ image }).catch(() => null);
      this.#event(container, 'Normal', 'Pulled', pulledMessage(requested, took, status?.size ?? 0));
      this.#pulled.set(requested, { status });
      return { rootfs: 'image', status };
    } catch (e) {
      const message = (e as Error).message;
      this.#event(container, 'Warning', 'Failed', `Failed to pull image "${requested}": ${message}`);
      const at = clock.now();
      this.#state = {
        backoff: {
          ...this.#state.backoff,
          [key]: nextBackoff(this.#state.backoff, key, at, at, this.#deps.config.imagePullBackOff),
        },
        lastErrors: { ...this.#state.lastErrors, [key]: `ErrImagePull: ${message}` },
      };
      this.#pulled.set(requested, { error: message });
      this.#event(container, 'Warning', 'Failed', 'Error: ErrImagePull');
      throw new StartFailure('ErrImagePull', message);
    }
  }

  /**
   * getPullSecretsForPod: the Secrets the pod's imagePullSecrets name, read once per sync. When the pod names
   * none, its ServiceAccount's (what the ServiceAccount admission plugin copies into a pod upstream). Missing
   * ones are reported and skipped: the pull goes on without them.
   */
  #pullSecrets(): Promise<Secret[]> {
    this.#secrets ??= (async () => {
      const { objects, events } = this.#deps;
      const pod = this.#pod;
      const namespace = pod.metadata?.namespace ?? 'default';
      let names = (pod.spec?.imagePullSecrets ?? []).map((r) => r.name ?? '');
      if (names.length === 0 && objects.getServiceAccount) {
        const account = await objects
          .getServiceAccount(namespace, pod.spec?.serviceAccountName || 'default')
          .catch(() => undefined);
        names = (account?.imagePullSecrets ?? []).map((r) => r.name ?? '');
      }
      const secrets: Secret[] = [];
      const failed: string[] = [];
      // Empty names pass validation (issue 99454); the kubelet ignores them without a warning.
      for (const name of names.filter((n) => n !== '')) {
        const secret = await objects.getSecret(namespace, name).catch(() => undefined);
        if (secret) secrets.push(secret);
        else failed.push(name);
      }
      if (failed.length > 0) {
        events.event(
          podRef(pod),
          'Warning',
          'FailedToRetrieveImagePullSecret',
          `Unable to retrieve some image pull secrets (${failed.join(', ')}); attempting to pull the image may not succeed.`,
        );
      }
      return secrets;
    })();
    return this.#secrets;
  }

  #record(container: Container, events: readonly PlannedEvent[]): void {
    for (const e of events) this.#event(container, e.type, e.reason, e.message);
  }

  #event(container: Container, type: PlannedEvent['type'], reason: string, message: string): void {
    this.#deps.events.event(containerRef(this.#pod, container.name), type, reason, message);
  }
}

/**
 * MakeDockerKeyring + Lookup: the credentials of the docker-config Secrets that match the image's repository,
 * most specific first. Secrets of other types are skipped, as upstream; a malformed one fails the pull.
 */
export function credentialsFor(secrets: readonly Secret[], image: string): AuthConfig[] {
  const keyring = new DockerKeyring();
  for (const secret of secrets) {
    const data = secret.data ?? {};
    const json = secret.type === 'kubernetes.io/dockerconfigjson' && Boolean(data['.dockerconfigjson']);
    const cfg = secret.type === 'kubernetes.io/dockercfg' && Boolean(data['.dockercfg']);
    if (json || cfg) keyring.addSecret(secret);
  }
  const { repoToPull } = parseImageName(image);
  return keyring.lookup(repoToPull).map((c) => ({ username: c.username, password: c.password }));
}

/**
 * The images a pod names as the runtime holds them, asked before planning (the planner's observed state).
 * Nothing is asked in host mode, of a reference the planner rejects, or of a pod that only stops.
 */
export async function observeImages(
  runtime: ImageManager,
  pod: Pod,
  configured: ImageMode,
): Promise<Map<string, ImageObservation>> {
  const out = new Map<string, ImageObservation>();
  const resolved = podImageMode(pod, configured);
  if ('error' in resolved || resolved.mode === 'host') return out;
  if (pod.metadata?.deletionTimestamp || isTerminalPhase(pod.status?.phase)) return out;
  const requested = new Set([...initContainers(pod), ...appContainers(pod)].map((c) => c.image ?? ''));
  await Promise.all(
    [...requested].map(async (image) => {
      let tagged: string;
      try {
        tagged = applyDefaultImageTag(image);
      } catch {
        return;
      }
      try {
        out.set(image, { status: await runtime.imageStatus({ image: tagged }) });
      } catch (e) {
        out.set(image, { error: (e as Error).message });
      }
    }),
  );
  return out;
}
