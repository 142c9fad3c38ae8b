// The runtime contract, shaped like the CRI (k8s.io/cri-api RuntimeService + ImageService), split by concern.
// The kubelet talks only to this interface; `host/`, `docker/` and `fake/` implement it. Nothing above this
// line knows which runtime runs.
//
// Like the CRI, the runtime keeps no Kubernetes semantics: it does not restart containers, knows no restart
// policy, and never deletes a container on its own. The kubelet decides; the runtime does what it is told
// and reports what it observes.

import type { Duplex, Readable, Writable } from 'node:stream';
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
  /** The image's user by name, when the pod sets no runAsUser (CRI `run_as_username`); resolved in the rootfs. */
  runAsUsername?: string;
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
  /** The image as the pod names it (`busybox:1.36`); reported back as the status's `image`. */
  image: string;
  /**
   * `image`: the container runs on its own root filesystem made from the image, which the kubelet has made
   * sure is present; the runtime applies the image's config (Entrypoint/Cmd, Env, WorkingDir, User, Volumes)
   * as containerd does (src/runtime/image-process.ts). `host` (also when absent; the kubelet always says):
   * it runs on the host's filesystem and `image` is only a label (`podrun serve --images host`, or the pod
   * annotation `podrun.dev/images: host`).
   */
  rootfs?: 'image' | 'host';
  /**
   * As the kubelet passes them: `$(VAR)`-expanded, with `[]` for "not set" (the pod's `command: []` too).
   * With `rootfs: 'image'` the runtime merges them with the image's Entrypoint and Cmd; with `host`, they are
   * the whole command line.
   */
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
    /**
     * CRI NamespaceOption `pid: TARGET` with `target_id`: the container joins the PID namespace of this running
     * container instead of getting its own (an ephemeral container with targetContainerName).
     */
    pidNamespaceTargetId?: string;
  };
  /** The process's stdin stays open for attachments (`kubectl attach -i`, `run -i`). */
  stdin?: boolean;
  /** stdin closes once the first attachment's stdin has closed. */
  stdinOnce?: boolean;
  /** The process runs on a pseudo-terminal (stdout and stderr are one stream). */
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

/** One reading of a running container's usage (CRI ContainerStats). */
export interface ContainerStats {
  id: string;
  podSandboxId: string;
  /** The container's labels (the kubelet's io.kubernetes.* labels name its pod and container). */
  labels: Record<string, string>;
  /** When the reading was taken, ms since the epoch. */
  timestampMs: number;
  /** CPU time used since the container started, in nanoseconds (cAdvisor's usage_core_nano_seconds). */
  cpuUsageCoreNanoSeconds: number;
  /** Memory in use minus inactive file pages, in bytes (cAdvisor's working set). */
  memoryWorkingSetBytes: number;
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

/** Which of a streaming exec's or attach's streams the client wants (CRI ExecRequest/AttachRequest). */
export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  /** Always false with tty: a terminal has one output. */
  stderr: boolean;
  tty: boolean;
  /** The terminal's size when the command starts (tty only): the client's first resize. */
  size?: TerminalSize;
}

/** A terminal size, as kubectl sends it on the resize channel. */
export interface TerminalSize {
  width: number;
  height: number;
}

/**
 * A running exec or an attachment to a container's main process: the CRI's streaming Exec/Attach, served in
 * process instead of through a streaming URL. Streams not asked for are null.
 */
export interface ContainerStream {
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  /** Sets the terminal's size (tty only; ignored otherwise, and for a dimension below 1, as containerd). */
  resize(size: TerminalSize): void;
  /**
   * Exec: the command's exit code (128+n when killed by signal n), once it has exited and its output has been
   * read. Attach: the container's, once it exits, or undefined when the attachment was closed first.
   */
  done: Promise<number | undefined>;
  /** The client left: exec kills the command; attach only detaches. */
  close(): void;
}

export interface ImageSpec {
  /** A reference as a pod names it (`busybox:1.36`, `registry:5000/app@sha256:…`) or an image id. */
  image: string;
}

/** CRI AuthConfig: one credential to try for a pull. */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64 `user:password`, as in a docker config's `auth`. */
  auth?: string;
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}

export interface PullImageOptions {
  /** Credentials to try in order (the kubelet's keyring matches: pull secrets first); none: anonymous. */
  auth?: AuthConfig[];
  /** Cancels the pull (the pod went away). */
  signal?: AbortSignal;
}

export interface ImageStatus {
  /** The image id (`sha256:<config digest>`), reported as the status's `imageID` with the repo digest. */
  id: string;
  /** Normalised `docker.io/library/busybox:1.36`. */
  repoTags: string[];
  /** Normalised `docker.io/library/busybox@sha256:…`. */
  repoDigests: string[];
  /** Bytes, as containerd counts an image (config and compressed layers). */
  size: number;
  /** The image config's user when it is numeric (uid part), for runAsNonRoot; CRI `uid`. */
  uid?: number;
  /** The image config's user when it is a name (user part); CRI `username`. */
  username?: string;
  /** Pinned images are never garbage collected. */
  pinned?: boolean;
}

/** An image pull under way, for progress lines (`podrun up`, `podrun image pull`). */
export interface PullProgress {
  /** The reference as asked for. */
  image: string;
  /** ms since epoch */
  startedAt: number;
  /** Layers (and config) known so far, with their sizes; bytes counts what has arrived. */
  totalBytes: number;
  doneBytes: number;
  layers: number;
  layersDone: number;
}

export interface ImageFsInfo {
  usedBytes: number;
  capacityBytes: number;
  availableBytes: number;
}

/** A change the runtime saw on its own (a process exited), like the kubelet's PLEG relist but pushed. */
export interface RuntimeEvent {
  type: 'ContainerStarted' | 'ContainerStopped' | 'ContainerCreated' | 'ContainerDeleted' | 'SandboxStopped';
  containerId?: string;
  podSandboxId: string;
  podUid: string;
}

/**
 * Every reason a runtime may fail with. The kubelet shows some of them as waiting reasons (CreateContainerError,
 * RunContainerError, ErrImagePull, InvalidImageName), so a runtime picks the one a cluster would show.
 */
export type RuntimeErrorReason =
  /** No such sandbox, container or image. */
  | 'NotFound'
  /** exec in a container that is not running. */
  | 'NotRunning'
  /** The runtime cannot do this here (architecture, missing kernel feature, a runtime without images). */
  | 'Unsupported'
  | 'CreatePodSandboxError'
  | 'CreateContainerError'
  | 'RunContainerError'
  /** A pull failed (network, auth, digest, unpack); the message says why, as containerd words it. */
  | 'ErrImagePull'
  /** The registry has no such repository or tag (a pull's `not found`); shown as ErrImagePull. */
  | 'ImageNotFound'
  | 'InvalidImageName'
  /** removeImage of an image a container still uses. */
  | 'ImageInUse';

/** Errors carry a stable reason (like the kubelet's sync errors) and a sentence for people. */
export class RuntimeError extends Error {
  constructor(
    readonly reason: RuntimeErrorReason,
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
  /**
   * Starts a command in a running container with its streams connected (CRI Exec, `kubectl exec`). Rejects
   * with `NotRunning` for a container that is not running, and with `RunContainerError` when the command
   * cannot be started (not found, not executable): a cluster shows that as an error, not an exit code.
   */
  exec?(id: string, cmd: string[], options: StreamOptions): Promise<ContainerStream>;
  /**
   * Joins the streams of a running container's main process (CRI Attach, `kubectl attach`): its output from
   * now on, and its stdin when the container was created with `stdin: true`.
   */
  attach?(id: string, options: StreamOptions): Promise<ContainerStream>;
}

/** Images (CRI ImageService). Content is shared: concurrent pulls of one image download it once. */
export interface ImageManager {
  /** Returns the image's status, or null when it is not present. `InvalidImageName` for a bad reference. */
  imageStatus(image: ImageSpec): Promise<ImageStatus | null>;
  /**
   * Pulls the image; fails with `ErrImagePull`, `ImageNotFound` or `InvalidImageName`. Returns the image id
   * (CRI `image_ref`).
   */
  pullImage(image: ImageSpec, options?: PullImageOptions): Promise<string>;
  listImages(): Promise<ImageStatus[]>;
  /** Untags and, when nothing else names it, deletes the image. Idempotent; `ImageInUse` while a container uses it. */
  removeImage(image: ImageSpec): Promise<void>;
  imageFsInfo(): Promise<ImageFsInfo>;
  /** Pulls under way, for progress lines. */
  pullsInProgress(): PullProgress[];
  /**
   * Adds the images of a file on this machine: a `docker save` tarball (old and new layouts), an OCI layout
   * directory or its tar archive (`podrun image load`). Returns what was loaded. Absent where the runtime
   * keeps its images elsewhere.
   */
  loadImage?(path: string): Promise<ImageStatus[]>;
}

/**
 * PortForward's reader of what the pod sends: takes a chunk at once (it is valid only during the call);
 * false pauses reading until the connection's resume().
 */
export interface PortForwardReader {
  (chunk: Buffer): boolean;
  /**
   * Memory for the next read, which a runtime may read into (then the chunk is a view of it, and the reader
   * keeps it): what the reader sends can then go out from where it was read. A runtime may ignore it.
   */
  buffer?: () => Buffer;
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
  /**
   * CRI PortForward, done in process: a TCP connection to `port` on the pod's own localhost, made inside the
   * sandbox's network namespace as containerd does (127.0.0.1, then ::1). Rejects with RuntimeError `NotFound`
   * for an unknown sandbox and `NotRunning` for one that is not ready; a refused or failed connection rejects
   * with a plain Error carrying the dial's words (`dial tcp4 127.0.0.1:9090: connect: connection refused`).
   * Absent on a runtime that cannot reach into a pod's network.
   *
   * With `onData`, what the pod sends is handed to it instead of the Duplex's 'data' events, as it is read:
   * the chunk is valid only during the call (the runtime may read the next one into the same memory), and
   * returning false pauses reading until the Duplex's resume(). The end still comes as 'end'.
   */
  portForward?(podSandboxId: string, port: number, onData?: PortForwardReader): Promise<Duplex>;
  /** The pod network, when the runtime gives pods addresses of their own. */
  podNetwork?(): PodNetworkInfo | undefined;
  /**
   * CRI ListContainerStats: cumulative CPU and the memory working set of each running container, read from its
   * cgroups. Absent on a runtime that does not account containers (metrics.k8s.io then reports no pods).
   */
  listContainerStats?(): Promise<ContainerStats[]>;
  /** Releases runtime resources held by this process (watchers, sockets); does not stop containers. */
  close?(): Promise<void>;
}
