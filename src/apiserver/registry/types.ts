// The registry's public shapes: options of reads, writes and deletes, and what they answer.
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import type { Store } from '../../store/types.js';
import type { Clock } from '../../util/clock.js';
import type { PropagationPolicy } from '../strategy.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** A resource by its ResourceInfo or its group-qualified plural (`pods`, `deployments.apps`). */
export type ResourceRef = ResourceInfo | string;

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WriteOptions {
  /** dryRun=All: run every check and return the result, write nothing. */
  dryRun?: boolean;
  /** What unknown fields do. Default `Warn`, as the API server's. */
  fieldValidation?: FieldValidation;
  fieldManager?: string;
  /** Collects `Warning` header texts (unknown fields under `Warn`). */
  warnings?: string[];
  /**
   * The caller only reads what the write returns: it gets the stored object itself, deeply frozen, instead
   * of a copy (ResultOptions.shared). The kubelet's status writes and the event recorder's creates.
   */
  sharedResult?: boolean;
}

export interface PatchOptions extends WriteOptions {
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  /** `status` to patch the status subresource. */
  subresource?: 'status';
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteResult {
  /** The object as deleted (with its deletion resourceVersion) or as it stays while being deleted. */
  object: KubeObject;
  /** True when the object left the store; false while it waits for a kubelet or finalizers. */
  removed: boolean;
  /** Whether DELETE should answer with the object rather than a Status Success. */
  returnsObject: boolean;
}

export interface ListResponse {
  items: KubeObject[];
  resourceVersion: string;
}

export interface RegistryWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

export interface RegistryWatchOptions extends ListOptions {
  /** '' or '0': synthetic ADDED for every current match first; N: only changes after N. */
  resourceVersion?: string;
  /** Events carry the store's own frozen objects, not copies (the store's WatchOptions.shared). */
  shared?: boolean;
}

export interface RegistryWatch {
  stop(): void;
  /** The newest revision this watch has delivered (or started from): what a BOOKMARK carries. */
  readonly revision: number;
}

export interface RegistryOptions {
  store: Store;
  clock: Clock;
  /** The node pods are scheduled to; recorded for callers, not used for scheduling. */
  nodeName?: string;
  /** Events are removed this long after their last write (the API server's --event-ttl). @default 3600 */
  eventTTLSeconds?: number;
  /**
   * Errors of background work (namespace deletion, foreground deletion) that has no caller to fail.
   * @default writes them to stderr
   */
  onBackgroundError?: (error: unknown) => void;
  /** Where Service ClusterIPs come from (kube-apiserver --service-cluster-ip-range). @default 10.96.0.0/12 */
  serviceCIDR?: string;
}
