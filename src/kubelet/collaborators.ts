// What the kubelet's executor and pod workers need from the rest of the kubelet: environment, volumes,
// security, lifecycle hooks, probes, the pod's DNS config and its hosts file. Each is a small interface so tests
// can pass doubles; `defaultCollaborators` wires the real modules (env.ts, volumes/, security.ts, handlers.ts,
// prober/, dns.ts, hosts-file.ts).
import type { Container, Pod } from '../api/types.js';
import type { KeyValue, LinuxContainerSecurity, Mount, RuntimeService } from '../runtime/types.js';
import type { Clock } from '../util/clock.js';
import { DEFAULT_CLUSTER_DOMAIN, DEFAULT_RESOLV_CONF, type DnsConfig, DnsConfigurer } from './dns.js';
import { makeEnvironment } from './env.js';
import { type LifecycleHandler, runHandler } from './handlers.js';
import { HostsFiles } from './hosts-file.js';
import { podRef } from './pod-util.js';
import { type ContainerInstance, ProberManager } from './prober/index.js';
import { type ImageUser, linuxSecurity, verifyRunAsNonRoot } from './security.js';
import type { EventRecorder, KubeletConfig, ObjectGetter, ProbeResults } from './types.js';
import { VolumeManager } from './volumes/index.js';

export type { ContainerInstance } from './prober/index.js';

/** makeEnvironment: the container's resolved env; throws ContainerConfigError (CreateContainerConfigError). */
export type EnvironmentMaker = (
  pod: Pod,
  container: Container,
  objects: ObjectGetter,
  podIP: string,
  hostIP: string,
) => Promise<KeyValue[]>;

export interface PodVolumes {
  /** Mounts every volume of the pod; throws (VolumeError, reason FailedMount) listing what failed. */
  setUpPod(pod: Pod): Promise<void>;
  /** The runtime mounts of one container; throws ContainerConfigError. */
  mountsFor(pod: Pod, container: Container, envs: KeyValue[]): Mount[];
  tearDownPod(podUid: string): Promise<void>;
  /** The pods (by uid) that have volumes or a directory on this node, whether or not the kubelet knows them. */
  podsOnDisk?(): Promise<string[]>;
}

/** `imageUser` is the image's user when the container runs on an image, undefined on the host's filesystem. */
export interface ContainerSecurity {
  linuxSecurity(pod: Pod, container: Container, imageUser?: ImageUser): LinuxContainerSecurity;
  /** undefined when the container may run, else the kubelet's error text (CreateContainerConfigError). */
  verifyRunAsNonRoot(pod: Pod, container: Container, imageUser?: ImageUser): string | undefined;
}

export interface HookContext {
  pod: Pod;
  container: Container;
  containerId: string;
  podIP: string;
}

/** Runs a lifecycle hook (postStart, preStop) to its end; the caller bounds the wait. */
export type HookRunner = (
  handler: LifecycleHandler,
  ctx: HookContext,
) => Promise<{ ok: boolean; message: string }>;

/** The prober as the pod workers drive it; `get` answers the planner and the status generator. */
export interface PodProber extends ProbeResults {
  updatePod(pod: Pod, containers: readonly ContainerInstance[], podIP: string): void;
  removePod(podUid: string): void;
  stop?(): Promise<void>;
}

/** The DNS Configurer's GetPodDNS: records its Warning events; throws when the host's resolv.conf is unusable. */
export interface PodDNS {
  getPodDNS(pod: Pod): Promise<DnsConfig>;
}

/** The kubelet-managed /etc/hosts of each pod. */
export interface PodHostsFile {
  /** Writes the pod's hosts file for these pod IPs; returns its /etc/hosts mount. */
  ensure(pod: Pod, podIPs: readonly string[]): Promise<Mount>;
  remove(podUid: string): Promise<void>;
}

export interface Collaborators {
  makeEnvironment: EnvironmentMaker;
  volumes: PodVolumes;
  security: ContainerSecurity;
  runHook: HookRunner;
  prober: PodProber;
  dns: PodDNS;
  hosts: PodHostsFile;
}

export interface DefaultCollaboratorDeps {
  runtime: RuntimeService;
  clock: Clock;
  events: EventRecorder;
  objects: ObjectGetter;
  config: Pick<
    KubeletConfig,
    'rootDir' | 'nodeName' | 'hostIP' | 'clusterDNS' | 'clusterDomain' | 'resolvConf' | 'nodeHostsFile'
  >;
  /** Where probe result changes go (the kubelet wakes the pod's worker). */
  onProbeChange: (podUid: string) => void;
}

export function defaultCollaborators(deps: DefaultCollaboratorDeps): Collaborators {
  const volumes = new VolumeManager({
    rootDir: deps.config.rootDir,
    objects: deps.objects,
    clock: deps.clock,
    events: deps.events,
  });
  return {
    makeEnvironment: (pod, container, objects, podIP, hostIP) =>
      makeEnvironment(pod, container, objects, podIP, hostIP, {
        onWarning: (reason, message) => deps.events.event(podRef(pod), 'Warning', reason, message),
      }),
    volumes: {
      setUpPod: (pod) => volumes.setUpPod(pod),
      mountsFor: (pod, container, envs) => volumes.mountsFor(pod, container, envs),
      tearDownPod: (uid) => volumes.tearDownPod(uid),
    },
    security: {
      linuxSecurity,
      // On the host's filesystem there is no image user: it counts as root, as an image naming none does.
      verifyRunAsNonRoot: (pod, container, imageUser) =>
        verifyRunAsNonRoot(pod, container, imageUser?.uid, imageUser?.username),
    },
    runHook: (handler, ctx) =>
      runHandler(handler, {
        runtime: deps.runtime,
        containerId: ctx.containerId,
        podIP: ctx.podIP,
        timeoutSeconds: 0,
        clock: deps.clock,
        container: ctx.container,
        pod: ctx.pod,
        purpose: 'lifecycle',
        events: deps.events,
      }),
    dns: new DnsConfigurer({
      clusterDNS: deps.config.clusterDNS ?? [],
      clusterDomain: deps.config.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN,
      resolvConf: deps.config.resolvConf ?? DEFAULT_RESOLV_CONF,
      nodeName: deps.config.nodeName,
      nodeIPs: [deps.config.hostIP],
      events: deps.events,
    }),
    hosts: new HostsFiles({
      rootDir: deps.config.rootDir,
      clusterDomain: deps.config.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN,
      nodeHostsFile: deps.config.nodeHostsFile ?? '/etc/hosts',
    }),
    prober: new ProberManager({
      runtime: deps.runtime,
      clock: deps.clock,
      events: deps.events,
      onChange: deps.onProbeChange,
    }),
  };
}
