// What `podrun up` needs from a podrun, whether it runs in this process or is a `podrun serve` elsewhere.
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import type { PullProgress } from '../../runtime/types.js';

export interface PodEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

export interface UpClient {
  /** A sentence for people: `in-process podrun (state dir …)` or `podrun serve at https://…`. */
  readonly description: string;
  /** Creates or updates the object (server-side apply, field manager `podrun`). */
  apply(resource: ResourceInfo, object: KubeObject): Promise<KubeObject>;
  get(resource: ResourceInfo, namespace: string, name: string): Promise<KubeObject | undefined>;
  /** Deletes with background propagation and the objects' own grace periods; absent is fine. */
  delete(resource: ResourceInfo, namespace: string, name: string): Promise<void>;
  /** Every change to pods in `namespace`, starting with the current ones as ADDED. */
  watchPods(
    namespace: string,
    onEvent: (e: PodEvent) => void,
    onError: (err: Error) => void,
  ): Promise<() => void>;
  /** The messages of the Warning events about an object, oldest first (`FailedCreatePodSandBox: …`). */
  warnings(namespace: string, name: string): Promise<string[]>;
  /** Every event about the named object (pod), as the API returns them. */
  events(namespace: string, name: string): Promise<KubeObject[]>;
  /**
   * The last `tailLines` lines of a container's log (empty when there are none); with `previous`, of its
   * previous run (`kubectl logs --previous`).
   */
  logTail(
    namespace: string,
    pod: string,
    container: string,
    tailLines: number,
    previous?: boolean,
  ): Promise<string>;
  /** Image pulls under way on the node, for progress lines. */
  pullsInProgress(): Promise<PullProgress[]>;
  /** Releases what the client holds; for an in-process podrun, `stopPods` first stops every pod. */
  close(options: { stopPods: boolean }): Promise<void>;
}

/** `Reason: message` of each event, oldest first by lastTimestamp. */
export function warningLines(events: KubeObject[]): string[] {
  const at = (e: KubeObject) => String((e as { lastTimestamp?: string }).lastTimestamp ?? '');
  return [...events]
    .sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : 0))
    .map((e) => `${(e as { reason?: string }).reason}: ${(e as { message?: string }).message}`);
}
