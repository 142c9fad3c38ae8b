// The kubelet's contracts with the rest of podrun: what it needs (an API to read ConfigMaps and Secrets and
// write pod status and events, a runtime, a clock) and what it offers (container logs, like the kubelet's
// /containerLogs endpoint). The wiring in `src/node/` adapts these onto the API server's registry.
import type { PersistentVolume, PersistentVolumeClaim, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { ConfigMap, ObjectReference, Pod, PodStatus, Secret, Service } from '../api/types.js';
import { defaultGcPolicy } from '../images/service/gc-plan.js';
import type { RuntimeService } from '../runtime/types.js';
import type { Clock } from '../util/clock.js';
import type { TokenRequester } from './token-manager.js';

export type EventType = 'Normal' | 'Warning';

/** Records a v1 Event; the API side de-duplicates (count, firstTimestamp, lastTimestamp) like client-go's recorder. */
export interface EventRecorder {
  /** `involved.fieldPath` names the container, e.g. `spec.initContainers{init1}`. */
  event(involved: ObjectReference, type: EventType, reason: string, message: string): void;
}

/** Reads the objects a pod refers to. `undefined` means not found (the pod waits: CreateContainerConfigError). */
export interface ObjectGetter {
  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
  /** The Services of a namespace, for the containers' service environment variables. */
  listServices(namespace: string): Promise<Service[]>;
  /**
   * The pod's ServiceAccount, for its imagePullSecrets. Optional: where ServiceAccounts are not stored, pulls
   * use the pod's own imagePullSecrets only.
   */
  getServiceAccount?(namespace: string, name: string): Promise<ServiceAccount | undefined>;
  /**
   * The TokenRequest API, for projected serviceAccountToken sources. Optional: without it such sources are
   * skipped with a Warning event.
   */
  requestServiceAccountToken?: TokenRequester;
  /** Claims and volumes, for persistentVolumeClaim volumes. Optional: without them such volumes fail to mount. */
  getPersistentVolumeClaim?(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined>;
  getPersistentVolume?(name: string): Promise<PersistentVolume | undefined>;
}

/** Writes what the kubelet observed back to the API, as the kubelet's status manager does. */
export interface PodStatusWriter {
  /** PATCH/PUT pods/status. Must not fail for a pod that was deleted meanwhile. */
  updateStatus(pod: Pod, status: PodStatus): Promise<void>;
  /**
   * The kubelet's final delete (grace period 0) once every container of a pod with a deletionTimestamp has
   * stopped; the object then leaves the store.
   */
  finalizeDeletion(pod: Pod): Promise<void>;
}

export interface BackoffConfig {
  /** First restart is immediate; then this (kubelet: 10 s). */
  initialMs: number;
  /** Cap (kubelet: 300 s). */
  maxMs: number;
  /** The backoff resets when a container ran longer than this before failing (kubelet: 600 s). */
  resetAfterMs: number;
}

export const DEFAULT_CRASHLOOP_BACKOFF: BackoffConfig = {
  initialMs: 10_000,
  maxMs: 300_000,
  resetAfterMs: 600_000,
};
/** Image pulls back off separately (MaxImageBackOff). */
export const DEFAULT_IMAGE_BACKOFF: BackoffConfig = {
  initialMs: 10_000,
  maxMs: 300_000,
  resetAfterMs: 600_000,
};

/** The kubelet's image garbage collection (ImageGCPolicy and ImageGCPeriod); see src/kubelet/image-gc.ts. */
export interface ImageGCConfig {
  /** --image-gc-high-threshold: at or above this disk usage, images are collected. 100 turns that off. */
  highThresholdPercent: number;
  /** --image-gc-low-threshold: what a collection frees down to. */
  lowThresholdPercent: number;
  /** --minimum-image-ttl-duration: an image detected more recently than this is never collected for space. */
  minAgeMs: number;
  /** --image-maximum-gc-age: unused images not used for this long go whatever the usage; 0 turns it off. */
  maxAgeMs: number;
  /** How often the collection runs (ImageGCPeriod, a constant upstream). */
  periodMs: number;
}

/** kubelet defaults: 85 %, 80 %, 2 min (the image service's policy, one home), max age off, every 5 min. */
export const DEFAULT_IMAGE_GC: ImageGCConfig = { ...defaultGcPolicy, maxAgeMs: 0, periodMs: 5 * 60_000 };

export interface KubeletConfig {
  nodeName: string;
  /** Node address written to status.hostIP. */
  hostIP: string;
  /** Root of per-pod directories: volumes (`pods/<uid>/volumes`) and logs (`logs/<ns>_<name>_<uid>/<container>/<n>.log`). */
  rootDir: string;
  crashLoopBackOff: BackoffConfig;
  imagePullBackOff: BackoffConfig;
  /**
   * `pull` (default): containers run on their image's filesystem, pulled per imagePullPolicy. `host`: they run
   * on the host's filesystem and nothing is pulled (`podrun serve --images host`). A pod's annotation
   * `podrun.dev/images: host|pull` overrides it.
   */
  images?: 'pull' | 'host';
  /** How often a worker re-syncs a pod with nothing pending (the kubelet's resync, 1 min upstream). */
  resyncIntervalMs: number;
  /**
   * kubelet --cluster-dns: the nameservers of ClusterFirst pods. Default none: ClusterFirst pods then fall
   * back to Default with a `MissingClusterDNS` event, as upstream.
   */
  clusterDNS?: string[];
  /** kubelet --cluster-domain, for search paths and the hosts file. Default `cluster.local`. */
  clusterDomain?: string;
  /** kubelet --resolv-conf: the host file `Default` pods copy. Default `/etc/resolv.conf`; '' for none. */
  resolvConf?: string;
  /** The node's hosts file, which hostNetwork pods see (upstream: /etc/hosts). Default `/etc/hosts`. */
  nodeHostsFile?: string;
  /** Image garbage collection; each field defaults to DEFAULT_IMAGE_GC's. */
  imageGC?: Partial<ImageGCConfig>;
}

export interface KubeletDeps {
  runtime: RuntimeService;
  clock: Clock;
  objects: ObjectGetter;
  status: PodStatusWriter;
  events: EventRecorder;
  config: KubeletConfig;
}

/**
 * Outcome of probe runs so far. Before the first run a new instance reads as upstream's initial values:
 * readiness `failure`, liveness `success`, startup `unknown`.
 */
export type ProbeResult = 'success' | 'failure' | 'unknown';
export type ProbeKind = 'startup' | 'liveness' | 'readiness';

/**
 * The prober's results as the planner and status generator read them, keyed by runtime container id (a new
 * instance starts with no results, as in the kubelet's results manager).
 */
export interface ProbeResults {
  get(containerId: string, kind: ProbeKind): ProbeResult | undefined;
}

/** The kubelet's /containerLogs options (PodLogOptions). */
export interface LogOptions {
  container: string;
  follow?: boolean;
  previous?: boolean;
  sinceSeconds?: number;
  /** ms since epoch */
  sinceTime?: number;
  timestamps?: boolean;
  tailLines?: number;
  limitBytes?: number;
  stream?: 'All' | 'Stdout' | 'Stderr';
}

/**
 * Logs as the kubelet serves them. Errors are `LogError`s with the kubelet's exact messages
 * (`container "app" in pod "web" is waiting to start: PodInitializing`); the API server returns them as 400.
 */
/**
 * Where log text goes; a returned promise asks the producer to wait (backpressure). Any other result is
 * ignored (`unknown` rather than `void | Promise<void>` so that `(c) => chunks.push(c)` still fits).
 */
export type LogSink = (chunk: string) => unknown;

export interface ContainerLogSource {
  /**
   * Writes the selected log to `out` (one chunk per line when following) and resolves when done or aborted.
   * When `out` returns a promise the consumer is full (a slow client): the source reads no further until it
   * settles, so a follower never holds more than one block in memory.
   */
  containerLogs(
    pod: Pod,
    options: LogOptions,
    out: LogSink,
    signal: AbortSignal,
    /** Told the container ID of the run chosen, before anything is written to `out`. */
    selected?: (containerID: string) => void,
  ): Promise<void>;
}

export class LogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogError';
  }
}
