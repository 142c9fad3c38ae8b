// An in-memory ControllerClient for controller unit tests: objects by resource, namespace and name, watch
// events delivered synchronously before a write returns (as the in-process registry does), and hooks to
// fail a create or act in the middle of a sync. Creates record which ran together (one "batch" is the
// creates in flight at once), so that slow-start batching can be asserted.
import type { ResourceInfo } from '../../src/api/resources.js';
import type { KubeObject } from '../../src/api/types.js';
import { ApiError } from '../../src/apiserver/errors.js';
import type { ControllerClient, WatchEventType } from '../../src/controllers/client.js';
import type { EventRecorder } from '../../src/kubelet/types.js';

type Listener = (type: WatchEventType, object: KubeObject) => void;

export class FakeApi implements ControllerClient {
  readonly #objects = new Map<string, KubeObject>();
  readonly #watchers: Array<{ resource: string; listener: Listener }> = [];
  #rv = 1;
  #uid = 1;
  #inFlight = 0;
  /** Sizes of the groups of creates that were in flight together, in order. */
  readonly createBatches: number[] = [];
  createCalls = 0;
  readonly deleted: string[] = [];
  readonly updated: KubeObject[] = [];
  readonly lists: string[] = [];
  /** Called with the 1-based number of each create before it is stored; throwing fails that create. */
  beforeCreate: ((call: number) => void) | undefined;

  static key(resource: ResourceInfo, namespace: string, name: string): string {
    return `${resource.resource}.${resource.group}/${namespace}/${name}`;
  }

  /** Stores an object as it is (uid and resourceVersion filled in when absent) and tells the watchers. */
  put(resource: ResourceInfo, object: KubeObject): KubeObject {
    const stored: KubeObject = {
      ...object,
      metadata: {
        ...object.metadata,
        uid: object.metadata.uid ?? `uid-${this.#uid++}`,
        resourceVersion: String(++this.#rv),
      },
    };
    const key = FakeApi.key(resource, stored.metadata.namespace ?? '', stored.metadata.name ?? '');
    const type = this.#objects.has(key) ? 'MODIFIED' : 'ADDED';
    this.#objects.set(key, stored);
    this.#emit(resource, type, stored);
    return stored;
  }

  remove(resource: ResourceInfo, namespace: string, name: string): void {
    const key = FakeApi.key(resource, namespace, name);
    const old = this.#objects.get(key);
    if (!old) return;
    this.#objects.delete(key);
    this.#emit(resource, 'DELETED', old);
  }

  get(resource: ResourceInfo, namespace: string, name: string): KubeObject | undefined {
    return this.#objects.get(FakeApi.key(resource, namespace, name));
  }

  items(resource: ResourceInfo, namespace?: string): KubeObject[] {
    const prefix = `${resource.resource}.${resource.group}/`;
    return [...this.#objects.entries()]
      .filter(
        ([k, o]) => k.startsWith(prefix) && (namespace === undefined || o.metadata.namespace === namespace),
      )
      .map(([, o]) => o);
  }

  async list(resource: ResourceInfo, namespace?: string) {
    this.lists.push(`${resource.resource}/${namespace ?? ''}`);
    return { items: this.items(resource, namespace), resourceVersion: String(this.#rv) };
  }

  watch(resource: ResourceInfo, _rv: string, onEvent: Listener): () => void {
    const w = { resource: `${resource.resource}.${resource.group}`, listener: onEvent };
    this.#watchers.push(w);
    return () => {
      const i = this.#watchers.indexOf(w);
      if (i >= 0) this.#watchers.splice(i, 1);
    };
  }

  async create(resource: ResourceInfo, namespace: string, object: KubeObject): Promise<KubeObject> {
    const call = ++this.createCalls;
    if (this.#inFlight === 0) this.createBatches.push(0);
    this.#inFlight++;
    this.createBatches[this.createBatches.length - 1]!++;
    try {
      // Yields, as a real create does, so that the creates started together are in flight together.
      await new Promise<void>((r) => setImmediate(r));
      this.beforeCreate?.(call);
      const name = object.metadata.name ?? `${object.metadata.generateName ?? ''}${call.toString(36)}`;
      return this.put(resource, { ...object, metadata: { ...object.metadata, name, namespace } });
    } finally {
      this.#inFlight--;
    }
  }

  async update(resource: ResourceInfo, namespace: string, object: KubeObject): Promise<KubeObject> {
    const current = this.get(resource, namespace, object.metadata.name ?? '');
    if (!current) throw new ApiError(404, 'NotFound', `${object.metadata.name} not found`);
    if (current.metadata.resourceVersion !== object.metadata.resourceVersion)
      throw new ApiError(409, 'Conflict', 'the object has been modified');
    this.updated.push(object);
    return this.put(resource, object);
  }

  updateStatus(resource: ResourceInfo, namespace: string, object: KubeObject): Promise<KubeObject> {
    return this.update(resource, namespace, object);
  }

  async delete(resource: ResourceInfo, namespace: string, name: string): Promise<void> {
    this.deleted.push(`${namespace}/${name}`);
    this.remove(resource, namespace, name);
  }

  #emit(resource: ResourceInfo, type: WatchEventType, object: KubeObject): void {
    const r = `${resource.resource}.${resource.group}`;
    for (const w of [...this.#watchers]) if (w.resource === r) w.listener(type, object);
  }
}

export function recordingEvents(): EventRecorder & { reasons: string[] } {
  const reasons: string[] = [];
  return {
    reasons,
    event: (_involved, _type, reason) => {
      reasons.push(reason);
    },
  };
}
