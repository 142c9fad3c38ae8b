// What a controller needs from the API: the same verbs client-go gives controllers, in process. The wiring
// adapts the API server's registry onto it, so controllers go through defaulting, validation and
// resourceVersion checks like any other client.

import type { ResourceInfo } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { ApiError } from '../apiserver/errors.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ControllerClient {
  list(resource: ResourceInfo, namespace?: string): Promise<{ items: KubeObject[]; resourceVersion: string }>;
  /**
   * Events after `resourceVersion`, in order. `onError` is called once if the watch cannot start or breaks
   * (the caller lists again). Returns a function that stops the watch.
   */
  watch(
    resource: ResourceInfo,
    resourceVersion: string,
    onEvent: (type: WatchEventType, object: KubeObject) => void,
    onError: (err: unknown) => void,
  ): () => void;
  create(resource: ResourceInfo, namespace: string, object: KubeObject): Promise<KubeObject>;
  /** PUT with optimistic concurrency on metadata.resourceVersion. */
  update(resource: ResourceInfo, namespace: string, object: KubeObject): Promise<KubeObject>;
  updateStatus(resource: ResourceInfo, namespace: string, object: KubeObject): Promise<KubeObject>;
  /** Deletes with background propagation; a missing object is not an error. */
  delete(resource: ResourceInfo, namespace: string, name: string): Promise<void>;
}

/** A write that lost a race (409 Conflict) or whose target vanished (404): re-sync from fresh state, quietly. */
export function isStaleWrite(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 409 || err.code === 404);
}
