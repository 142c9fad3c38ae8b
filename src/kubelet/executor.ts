// SyncPod (pkg/kubelet/kuberuntime/kuberuntime_manager.go): carries out a PodPlan against the runtime in the
// kubelet's order and reports one SyncResult per step.
//
//  1. Record SandboxChanged when an existing sandbox is replaced.
//  2. Kill the pod (every running container in termination order, then the sandbox), or
//  3. kill the containers the plan names.
//  4. Remove stopped instances the plan prunes.
//  5. Report containers waiting in crash-loop backoff (BackOff events, CrashLoopBackOff results).
//  6. Mount volumes, then create the sandbox if the plan says so; generate the sandbox config (hostname, DNS)
//     for the containers to start.
//  7. Start init containers in order; the first regular init container that fails to start ends the sync,
//     a sidecar that fails to start is skipped.
//  8. Start app containers one at a time in spec order, each with its postStart hook run to its end.
// Each start first carries out the plan's image step for that container (use, pull, or wait), so images are
// pulled one container at a time, just before the container that needs them.
import type { Container, Pod } from '../api/types.js';
import type { ImageStatus, PodSandboxConfig, RuntimeService } from '../runtime/types.js';
import type { Clock } from '../util/clock.js';
import type { Collaborators } from './collaborators.js';
import { containerConfig, restartCountFromLogDir, sandboxConfig } from './container-config.js';
import { DEFAULT_CLUSTER_DOMAIN } from './dns.js';
import { pidNamespaceTarget } from './ephemeral.js';
import type { SyncResult } from './executor-types.js';
import { expandContainerCommandAndArgs } from './expansion.js';
import { nodenameForKernel, podHostnameAndDomain, shouldMountHostsFile } from './hosts-file.js';
import type { ImagePullState } from './image-plan.js';
import { type ImageOutcome, PodImagePuller } from './image-puller.js';
import { killContainer, killPod } from './kill.js';
import { podLogDirectory } from './logs/paths.js';
import { removeContainerLogs } from './logs/remove.js';
import type { PodPlan } from './planner.js';
import {
  appContainers,
  type ContainerKind,
  containerRef,
  ephemeralContainers,
  formatPod,
  initContainers,
  isSidecar,
} from './pod-util.js';
import { newestByName, type ObservedPod, restartCountOf } from './runtime-view.js';
import type { ImageUser } from './security.js';
import { StartFailure } from './start-failure.js';
import type { EventRecorder, KubeletConfig, ObjectGetter } from './types.js';

export interface ExecutorDeps {
  runtime: RuntimeService;
  clock: Clock;
  events: EventRecorder;
  objects: ObjectGetter;
  config: Pick<KubeletConfig, 'hostIP' | 'rootDir' | 'imagePullBackOff' | 'clusterDomain'>;
  collaborators: Collaborators;
}

export interface ExecuteInput {
  pod: Pod;
  plan: PodPlan;
  /** What the plan was computed from (restart counts come from it). */
  observed: ObservedPod;
  imagePulls: ImagePullState;
  /** For a pod kill: the grace to use instead of the pod's. */
  gracePeriodOverride?: number;
}

export interface ExecuteOutcome {
  results: SyncResult[];
  imagePulls: ImagePullState;
}

export async function executePlan(deps: ExecutorDeps, input: ExecuteInput): Promise<ExecuteOutcome> {
  const { pod, plan, observed } = input;
  const images = new PodImagePuller(deps, pod, input.imagePulls);
  const results: SyncResult[] = [];
  const outcome = (): ExecuteOutcome => ({ results, imagePulls: images.state });

  // Step 1
  if (plan.createSandbox && observed.sandboxes.length > 0) {
    deps.events.event(
      containerRef(pod),
      'Normal',
      'SandboxChanged',
      'Pod sandbox changed, it will be killed and re-created.',
    );
  }

  // Steps 2 and 3
  if (plan.killPod) {
    const killed = await killPod(deps, pod, observed, input.gracePeriodOverride);
    results.push(...killed);
    if (killed.some((r) => r.error)) return outcome();
  } else {
    for (const k of plan.containersToKill) {
      const status = observed.containers.find((c) => c.id === k.containerId);
      if (!status) continue;
      const result: SyncResult = { action: 'KillContainer', target: k.name };
      results.push(result);
      try {
        await killContainer(deps, pod, status, {
          message: k.message,
          reason: k.reason,
          podIP: observed.sandboxes[0]?.ip ?? '',
        });
      } catch (e) {
        result.error = 'KillContainerError';
        result.message = (e as Error).message;
        return outcome();
      }
    }
  }

  // Step 4: failures are the GC's to retry; they never block a start. The instance's log file (and its
  // rotations) goes first, as the kubelet's removeContainer does; the newest stopped instance, which
  // `kubectl logs --previous` reads, is never pruned.
  for (const id of plan.pruneContainerIds) {
    const logPath = observed.containers.find((c) => c.id === id)?.logPath;
    try {
      if (logPath) removeContainerLogs(podLogDirectory(deps.config.rootDir, pod), logPath);
    } catch {
      // A file that cannot be removed now is removed with the pod's log directory.
    }
    await deps.runtime.removeContainer(id).catch(() => {});
  }

  // Step 5
  for (const w of plan.waiting) {
    deps.events.event(
      containerRef(pod, w.name),
      'Warning',
      'BackOff',
      `Back-off restarting failed container ${w.name} in pod ${formatPod(pod)}`,
    );
    results.push({ action: 'StartContainer', target: w.name, error: w.reason, message: w.message });
  }

  const hasStarts =
    plan.initContainersToStart.length > 0 ||
    plan.containersToStart.length > 0 ||
    plan.ephemeralContainersToStart.length > 0;
  // A live pod's configMap, secret and downwardAPI volumes are re-projected on every sync, as the kubelet's
  // volume manager does, so that updates reach running containers through the `..data` swap.
  const phase = pod.status?.phase;
  const live =
    !plan.killPod && !pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
  // Only projected contents can change under a running pod; emptyDir and hostPath need nothing per sync.
  const projects = (pod.spec?.volumes ?? []).some(
    (v) => v.configMap || v.secret || v.downwardAPI || v.projected,
  );
  const refresh = live && projects && observed.sandboxes.length > 0;
  // A live pod's sync goes on to the sandbox config even with nothing to start (see below).
  if (!hasStarts && !plan.createSandbox && !live) return outcome();

  // Step 6: storage before anything runs, then the sandbox.
  if (hasStarts || plan.createSandbox || refresh) {
    try {
      await deps.collaborators.volumes.setUpPod(pod);
    } catch (e) {
      const err = e as Error & { failures?: { message: string }[] };
      for (const f of err.failures ?? [{ message: err.message }]) {
        deps.events.event(containerRef(pod), 'Warning', 'FailedMount', f.message);
      }
      results.push({
        action: 'SetupVolumes',
        target: formatPod(pod),
        error: 'FailedMount',
        message: err.message,
      });
      return outcome();
    }
  }
  let sandboxId = plan.sandboxId;
  let podIP = observed.sandboxes[0]?.ip ?? '';
  if (plan.createSandbox) {
    const result: SyncResult = { action: 'CreatePodSandbox', target: formatPod(pod) };
    results.push(result);
    let created: PodSandboxConfig;
    try {
      created = await generateSandboxConfig(deps, pod, plan.sandboxAttempt);
    } catch (e) {
      const err = (e as Error).message;
      deps.events.event(
        containerRef(pod),
        'Warning',
        'FailedCreatePodSandBox',
        `Failed to create pod sandbox: ${err}`,
      );
      result.error = 'CreatePodSandboxError';
      result.message = `Failed to generate sandbox config for pod ${JSON.stringify(formatPod(pod))}: ${err}`;
      return outcome();
    }
    try {
      sandboxId = await deps.runtime.runPodSandbox(created);
      podIP = (await deps.runtime.podSandboxStatus(sandboxId)).ip;
    } catch (e) {
      const message = `Failed to create pod sandbox: ${(e as Error).message}`;
      deps.events.event(containerRef(pod), 'Warning', 'FailedCreatePodSandBox', message);
      result.error = 'CreatePodSandboxError';
      result.message = message;
      return outcome();
    }
  }
  // SyncPod generates the sandbox config again for the containers it starts, on every sync of a live pod, so the
  // DNS config's events (DNSConfigForming) repeat as upstream's do.
  let sbConfig: PodSandboxConfig;
  try {
    sbConfig = await generateSandboxConfig(deps, pod, plan.sandboxAttempt);
  } catch (e) {
    results.push({
      action: 'ConfigPodSandbox',
      target: sandboxId,
      error: 'ConfigPodSandboxError',
      message: `GeneratePodSandboxConfig for pod ${JSON.stringify(formatPod(pod))} failed: ${(e as Error).message}`,
    });
    return outcome();
  }
  if (!hasStarts) return outcome();
  const ctx: StartContext = {
    deps,
    pod,
    observed,
    sandboxId,
    sandboxConfig: sbConfig,
    podIP: podIP || deps.config.hostIP,
    images,
    plan,
  };
  const start = async (container: Container, kind: ContainerKind): Promise<boolean> => {
    const result: SyncResult = { action: 'StartContainer', target: container.name };
    results.push(result);
    try {
      await startContainer(ctx, container, kind);
      return true;
    } catch (e) {
      result.error = e instanceof StartFailure ? e.reason : 'RunContainerError';
      result.message = (e as Error).message;
      return false;
    }
  };

  // Step 7: ephemeral containers first, as SyncPod does; one that fails to start holds nothing back.
  const ephemeral = ephemeralContainers(pod);
  for (const idx of plan.ephemeralContainersToStart) await start(ephemeral[idx]!, 'ephemeral');
  const inits = initContainers(pod);
  for (const idx of plan.initContainersToStart) {
    const c = inits[idx]!;
    if (!(await start(c, isSidecar(c) ? 'sidecar' : 'init')) && !isSidecar(c)) return outcome();
  }
  // Step 8
  const apps = appContainers(pod);
  for (const idx of plan.containersToStart) await start(apps[idx]!, 'app');
  return outcome();
}

/** generatePodSandboxConfig: the hostname (GetNodenameForKernel) and the DNS config are the kubelet's. */
async function generateSandboxConfig(
  deps: ExecutorDeps,
  pod: Pod,
  attempt: number,
): Promise<PodSandboxConfig> {
  const { hostname, domain } = podHostnameAndDomain(pod, deps.config.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN);
  const dns = await deps.collaborators.dns.getPodDNS(pod);
  return sandboxConfig(pod, attempt, deps.config.rootDir, {
    hostname: nodenameForKernel(hostname, domain, pod.spec?.setHostnameAsFQDN),
    dns,
  });
}

interface StartContext {
  deps: ExecutorDeps;
  pod: Pod;
  observed: ObservedPod;
  sandboxId: string;
  sandboxConfig: PodSandboxConfig;
  podIP: string;
  images: PodImagePuller;
  plan: PodPlan;
}

/**
 * startContainer: the image step (EnsureImageExists), build the config (env, mounts, security), create,
 * start, then run the postStart hook to its end; a failed hook kills the container (PostStartHookError).
 */
async function startContainer(ctx: StartContext, container: Container, kind: ContainerKind): Promise<void> {
  const { deps, pod } = ctx;
  const ref = containerRef(pod, container.name);
  const failed = (reason: string, message: string): StartFailure => {
    deps.events.event(ref, 'Warning', 'Failed', `Error: ${message}`);
    return new StartFailure(reason, message);
  };

  // The image step records its own events (Pulling, Pulled, Failed, BackOff) before any failure.
  let image: ImageOutcome;
  try {
    image = await ctx.images.ensure(container, ctx.plan.images[container.name]);
  } catch (e) {
    if (e instanceof StartFailure) throw e;
    throw failed('ErrImagePull', (e as Error).message);
  }
  // getImageUser: an image that names no user runs as root. Host mode has no image to ask.
  const imageUser = image.rootfs === 'image' ? imageUserOf(image.status) : undefined;

  const previous = newestByName(ctx.observed, container.name);
  const restartCount = previous
    ? restartCountOf(previous) + 1
    : restartCountFromLogDir(deps.config.rootDir, pod, container.name);

  let config: ReturnType<typeof containerConfig>;
  try {
    const envs = await deps.collaborators.makeEnvironment(
      pod,
      container,
      deps.objects,
      ctx.podIP,
      deps.config.hostIP,
    );
    const nonRoot = deps.collaborators.security.verifyRunAsNonRoot(pod, container, imageUser);
    if (nonRoot) throw new Error(nonRoot);
    const { command, args } = expandContainerCommandAndArgs(container, envs);
    const mounts = deps.collaborators.volumes.mountsFor(pod, container, envs);
    // makeMounts: the kubelet's hosts file last, unless the container mounts its own /etc/hosts.
    const podIPs = ctx.podIP ? [ctx.podIP] : [];
    if (shouldMountHostsFile(container, podIPs))
      mounts.push(await deps.collaborators.hosts.ensure(pod, podIPs));
    config = containerConfig({
      pod,
      container,
      kind,
      restartCount,
      image: container.image ?? '',
      rootfs: image.rootfs,
      command,
      args,
      envs,
      mounts,
      security: deps.collaborators.security.linuxSecurity(pod, container, imageUser),
    });
    // `kubectl debug --target`: the target's PID namespace, from its running instance.
    const pidTarget =
      kind === 'ephemeral' ? pidNamespaceTarget(pod, container.name, ctx.observed) : undefined;
    if (pidTarget) config.linux = { ...config.linux, pidNamespaceTargetId: pidTarget };
  } catch (e) {
    throw failed('CreateContainerConfigError', (e as Error).message);
  }

  let id: string;
  try {
    id = await deps.runtime.createContainer(ctx.sandboxId, config, ctx.sandboxConfig);
  } catch (e) {
    throw failed('CreateContainerError', (e as Error).message);
  }
  deps.events.event(ref, 'Normal', 'Created', `Created container: ${container.name}`);
  try {
    await deps.runtime.startContainer(id);
  } catch (e) {
    throw failed('RunContainerError', (e as Error).message);
  }
  deps.events.event(ref, 'Normal', 'Started', `Started container ${container.name}`);

  const postStart = container.lifecycle?.postStart;
  if (postStart) {
    const r = await deps.collaborators
      .runHook(postStart, { pod, container, containerId: id, podIP: ctx.podIP })
      .catch((e: unknown) => ({ ok: false, message: (e as Error).message }));
    if (!r.ok) {
      // The message may hold secrets: the event does not repeat it.
      deps.events.event(ref, 'Warning', 'FailedPostStartHook', 'PostStartHook failed');
      const status = await deps.runtime.containerStatus(id).catch(() => undefined);
      if (status)
        await killContainer(deps, pod, status, { message: 'FailedPostStartHook', podIP: ctx.podIP }).catch(
          () => {},
        );
      throw new StartFailure('PostStartHookError', r.message);
    }
  }
}

/** getImageUser (kuberuntime_container.go): the image's uid, else its user name, else root. */
function imageUserOf(status: ImageStatus | null): ImageUser {
  if (status?.uid !== undefined) return { uid: status.uid };
  if (status?.username) return { username: status.username };
  return { uid: 0 };
}
