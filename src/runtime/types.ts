// The runtime contract, shaped like the CRI (k8s.io/cri-api RuntimeService + ImageService), split by concern.
// The kubelet talks only to this interface; `host/`, `docker/` and `fake/` implement it. Nothing above this
// line knows which runtime runs.
//
// Like the CRI, the runtime keeps no Kubernetes semantics: it does not restart containers, knows no restart
// policy, and never deletes a container on its own. The kubelet decides; the runtime does what it is told
// and reports what it observes.

import type { PodNetworkInfo, ServiceRules } from '../network/types.js';

/** Labels the kubelet puts on sandboxes and containers, as the real kubelet does (types.KubernetesPodUIDLabel, …). */
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
/** Annotations carried on containers so that a restarted kubelet can rebuild its view (kuberuntime labels.go). */
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_CONTAINER_HASH = 'io.kubernetes.container.hash';
export const ANNOTATION_TERMINATION_GRACE = 'io.kubernetes.pod.terminationGracePeriod';
/** "init" for a regular init container, "sidecar" for a restartable one, "app" otherwise (podrun's own). */
export const ANNOTATION_CONTAINER_KIND = 'podrun.io/container-kind';

export interface PodSandboxMetadata {
  name: string;
  namespace: string;
  uid: string;
  /** Increments each time the kubelet recreates the sandbox of the same pod. */
  attempt: number;
}

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort?: number;
  hostIp?: string;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname: string;
  /** Directory under which the kubelet asks containers to write their logs (CRI `log_directory`). */
  logDirectory: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  portMappings: PortMapping[];
  /** Hostnames to write into the sandbox's /etc/hosts besides localhost and the pod's own name. */
  hostAliases?: { ip: string; hostnames: string[] }[];
  /** Sysctls and the like are out of scope; the DNS config is here for Services reachable by name. */
  dns?: { servers: string[]; searches: string[]; options: string[] };
}

export type SandboxState = 'ready' | 'notready';

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata;
  state: SandboxState;
  /** ms since epoch */
  createdAt: number;
  /** The pod IP, or '' when the runtime gives pods no address of their own. */
  ip: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readOnly: boolean;
  /** When set, the file or directory inside hostPath to mount (volumeMount.subPath, already resolved). */
  subPath?: string;
}

export interface KeyValue {
  name: string;
  value: string;
}

export interface LinuxContainerSecurity {
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups?: number[];
  readOnlyRootfs?: boolean;
  privileged?: boolean;
}

export interface ContainerMetadata {
  name: string;
  /** The kubelet's restart count for this container: each instance gets a new attempt. */
  attempt: number;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: string;
  /** Already merged with the image's entrypoint/cmd by the kubelet where the image defines them. */
  command: string[];
  args: string[];
  workingDir?: string;
  /** Fully resolved: valueFrom, envFrom and $(VAR) references are done by the kubelet. */
  envs: KeyValue[];
  mounts: Mount[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Relative to the sandbox's logDirectory, e.g. `app/0.log`. */
  logPath: string;
  linux?: {
    security?: LinuxContainerSecurity;
    /** Memory limit in bytes; 0 or undefined means none. */
    memoryLimitBytes?: number;
    /** CPU quota in millicores; best effort. */
    cpuMillis?: number;
  };
  stdin?: boolean;
  tty?: boolean;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  state: ContainerState;
  /** ms since epoch; 0 when it has not happened */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  /** As containerd reports it: `Completed` (exit 0), `Error`, `OOMKilled`, `StartError`, or ''. */
  reason: string;
  message: string;
  image: string;
  imageRef: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Absolute path of this instance's log file (CRI format). */
  logPath: string;
}

export interface ContainerFilter {
  podSandboxId?: string;
  /** Containers whose labels include every pair given. */
  labelSelector?: Record<string, string>;
}

export interface SandboxFilter {
  labelSelector?: Record<string, string>;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** true when the command was killed because it outlived its timeout. */
  timedOut: boolean;
}

export interface ImageSpec {
  image: string;
}

export interface ImageStatus {
  /** Digest or content id, for `imageID`. */
  id: string;
  size: number;
}

/** A change the runtime saw on its own (a process exited), like the kubelet's PLEG relist but pushed. */
export interface RuntimeEvent {
  type: 'ContainerStarted' | 'ContainerStopped' | 'ContainerCreated' | 'ContainerDeleted' | 'SandboxStopped';
  containerId?: string;
  podSandboxId: string;
  podUid: string;
}

/** Errors carry a stable reason (like the kubelet's sync errors) and a sentence for people. */
export class RuntimeError extends Error {
  constructor(
    /** Stable CamelCase: `ErrImagePull`, `ImageNotFound`, `CreateContainerError`, `RunContainerError`, `NotFound`, `Unsupported`. */
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RuntimeError';
  }
}

export interface RuntimeVersion {
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

/** Sandboxes: the pod's shared namespaces (network, UTS, IPC) and its address. */
export interface PodSandboxManager {
  /** Creates and starts a sandbox; returns its id. The sandbox is `ready` when this resolves. */
  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  /** Stops every container in the sandbox (forcibly: the kubelet has already stopped them gracefully) and the sandbox. Idempotent. */
  stopPodSandbox(id: string): Promise<void>;
  /** Removes a stopped sandbox and all its containers. Idempotent: a missing sandbox is not an error. */
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): Promise<PodSandboxStatus>;
  listPodSandboxes(filter?: SandboxFilter): Promise<PodSandboxStatus[]>;
}

/** Containers inside a sandbox. */
export interface ContainerManager {
  /** Creates (does not start) a container; fails with a RuntimeError reason `CreateContainerError`. */
  createContainer(
    podSandboxId: string,
    config: ContainerConfig,
    sandboxConfig: PodSandboxConfig,
  ): Promise<string>;
  /** Starts a created container; fails with reason `RunContainerError` (the instance is then `exited`, reason `StartError`, exit 128). */
  startContainer(id: string): Promise<void>;
  /**
   * Sends SIGTERM, waits up to `timeoutSeconds`, then SIGKILL. Resolves when the container has exited.
   * A container that is not running is not an error.
   */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  /** Removes an exited container and its record (its log file stays: logs outlive instances). */
  removeContainer(id: string): Promise<void>;
  listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]>;
  containerStatus(id: string): Promise<ContainerStatus>;
  /** Runs a command in the container's namespaces (exec probes, exec hooks). Never rejects for a non-zero exit. */
  execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult>;
}

/** Images. The host runtime runs host binaries and pulls nothing; it reports that honestly. */
export interface ImageManager {
  /** Returns the image's status, or null when it is not present. */
  imageStatus(image: ImageSpec): Promise<ImageStatus | null>;
  /** Pulls the image; fails with RuntimeError reason `ErrImagePull` (or `ImageNotFound`). Returns the image ref. */
  pullImage(image: ImageSpec): Promise<string>;
}

export interface RuntimeService extends PodSandboxManager, ContainerManager, ImageManager {
  /** `host`, `docker`, `fake`: used in containerIDs as `<name>://<id>`. */
  readonly name: string;
  version(): Promise<RuntimeVersion>;
  /**
   * Subscribes to changes the runtime notices by itself (a container exited). Optional speed-up: the kubelet
   * also relists periodically, so a runtime without events is still correct.
   */
  onEvent?(listener: (event: RuntimeEvent) => void): () => void;
  /**
   * Programs the Service VIPs (kube-proxy's rules) in every ready sandbox's network, and in every sandbox made
   * afterwards before runPodSandbox resolves (so a pod's first init container already reaches Services).
   * Replaces the previous rules atomically. Absent on a runtime whose pods share the host's network.
   */
  setServiceRules?(rules: ServiceRules): Promise<void>;
  /** The pod network, when the runtime gives pods addresses of their own. */
  podNetwork?(): PodNetworkInfo | undefined;
  /** Releases runtime resources held by this process (watchers, sockets); does not stop containers. */
  close?(): Promise<void>;
}
