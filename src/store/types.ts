// The object store contract. The API server's registry is the only writer in normal operation; it does
// defaulting, validation and admission, and the store only keeps objects, versions and history.
// SQLite (WAL) serves it now; etcd can serve the same interface later, which is why reads and writes are
// promises even though SQLite answers synchronously.
import type { KubeObject } from '../api/types.js';

/** Identifies one object: `groupResource` as in `pods`, `deployments.apps`; namespace '' for cluster-scoped. */
export interface ObjectKey {
  groupResource: string;
  namespace: string;
  name: string;
}

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: StoreEventType;
  groupResource: string;
  /** For DELETED: the object as it was, with metadata.resourceVersion set to the deletion's revision. */
  object: KubeObject;
  /** The revision this event was written at (equals object.metadata.resourceVersion). */
  revision: number;
}

export interface ListResult {
  items: KubeObject[];
  /** The store's current revision at the time of the list. */
  revision: number;
}

export interface WatchOptions {
  groupResource: string;
  /** Only objects in this namespace; undefined for all. */
  namespace?: string;
  /**
   * Deliver events with a revision greater than this. 0 or undefined: the caller lists first (synthetic
   * ADDED is the API server's job, not the store's).
   */
  afterRevision?: number;
  /**
   * Called for each change in delivery order, with the stored object (which it must not change), before
   * the listener's copy is made: a change it refuses is neither copied nor delivered. The API server's
   * selectors use it, so that a watch copies only what it sends.
   */
  accept?: (type: StoreEventType, object: Readonly<KubeObject>, revision: number) => boolean;
  /**
   * The listener gets the stored object itself, deeply frozen, instead of a copy of its own: for listeners
   * that only read what they get (or copy what they change), as client-go's shared informers hand out their
   * cache's objects. With five of podrun's own watches on pods, a copy each per change was most of the
   * store's copying and a copy of every pod kept per watcher.
   */
  shared?: boolean;
}

export interface Watch {
  stop(): void;
}

/** Thrown by conditional writes; the API server maps `reason` onto a Status. */
export class StoreError extends Error {
  constructor(
    readonly reason: 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Expired',
    message: string,
    /** For Expired: the oldest revision still in history. */
    readonly oldestRevision?: number,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/**
 * The largest object the store keeps, in bytes of its JSON: etcd's default --max-request-bytes (1.5 MiB),
 * which is what bounds an object in Kubernetes. A bigger write fails with ObjectTooLargeError.
 */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/**
 * A write of an object over MAX_OBJECT_BYTES. The message is etcd's, which the API server passes on as a
 * 500 without a reason, as upstream does.
 */
export class ObjectTooLargeError extends Error {
  constructor(readonly bytes: number) {
    super('etcdserver: request is too large');
    this.name = 'ObjectTooLargeError';
  }
}

/**
 * How a read or a write hands its object over. By default the caller gets a copy of its own. With `shared`,
 * it gets the stored object itself, deeply frozen (as WatchOptions.shared): for callers that only read it,
 * such as the server's own controllers and the kubelet's lookups, where the copy was most of a read's cost.
 */
export interface ResultOptions {
  shared?: boolean;
}

/** The options of a read or write whose caller only reads the result. */
export const SHARED: Readonly<ResultOptions> = Object.freeze({ shared: true });

export interface Store {
  /** The newest revision written (0 when empty). Survives restarts and never goes back. */
  revision(): number;
  get(key: ObjectKey, options?: ResultOptions): Promise<KubeObject | undefined>;
  /**
   * Lists the objects of a resource, optionally in one namespace. With `where`, only the objects it accepts are
   * copied and returned; it sees the stored object and must not change it (a cheap scan, e.g. for owners).
   */
  list(
    groupResource: string,
    namespace?: string,
    where?: (object: Readonly<KubeObject>) => boolean,
    options?: ResultOptions,
  ): Promise<ListResult>;
  /**
   * How many stored objects (of any resource, committed writes and those queued) name `uid` in their
   * metadata.ownerReferences. Lets the garbage collector skip the scan for dependents when there are none,
   * which is most deletions (a pod owns nothing).
   */
  dependentCount(uid: string): number;
  /**
   * Writes a new object; fails with AlreadyExists, or ObjectTooLargeError. Sets metadata.resourceVersion.
   * Durable when it returns.
   */
  create(key: ObjectKey, object: KubeObject, options?: ResultOptions): Promise<KubeObject>;
  /**
   * Replaces an object. With `expectedRevision`, fails with Conflict unless the stored object has it.
   * Fails with NotFound when absent, ObjectTooLargeError when too big. Sets metadata.resourceVersion.
   * Durable when it returns.
   */
  update(
    key: ObjectKey,
    object: KubeObject,
    expectedRevision?: number,
    options?: ResultOptions,
  ): Promise<KubeObject>;
  /** Deletes; returns the object as it was, with the deletion's resourceVersion. NotFound when absent. */
  delete(key: ObjectKey, expectedRevision?: number, options?: ResultOptions): Promise<KubeObject>;
  /**
   * Calls `listener` for every change after `afterRevision`, in revision order: first from history, then live.
   * Fails with Expired when afterRevision is older than the history kept.
   */
  watch(options: WatchOptions, listener: (event: StoreEvent) => void): Watch;
  close(): Promise<void>;
}
