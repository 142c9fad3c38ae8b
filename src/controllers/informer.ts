// A shared cache of one resource kept current by list + watch, with change handlers: client-go's informer,
// reduced to what in-process controllers need.
import type { ResourceInfo } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import type { ControllerClient, WatchEventType } from './client.js';

export type InformerHandler = (type: WatchEventType, object: KubeObject, old: KubeObject | undefined) => void;

export function objectKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

export class Informer {
  readonly resource: ResourceInfo;
  readonly #client: ControllerClient;
  readonly #cache = new Map<string, KubeObject>();
  readonly #handlers: InformerHandler[] = [];
  #stop: (() => void) | undefined;

  constructor(client: ControllerClient, resource: ResourceInfo) {
    this.#client = client;
    this.resource = resource;
  }

  onChange(handler: InformerHandler): void {
    this.#handlers.push(handler);
  }

  async start(): Promise<void> {
    const { items, resourceVersion } = await this.#client.list(this.resource);
    const fresh = new Map(items.map((o) => [objectKey(o), o]));
    // On a relist, objects that vanished meanwhile are reported as deleted.
    for (const [key, old] of this.#cache) if (!fresh.has(key)) this.#apply('DELETED', old);
    for (const item of items) this.#apply(this.#cache.has(objectKey(item)) ? 'MODIFIED' : 'ADDED', item);
    this.#stop = this.#client.watch(
      this.resource,
      resourceVersion,
      (type, object) => this.#apply(type, object),
      () => {
        this.#stop = undefined;
        // The registry is in-process: a relist that fails too means it is shutting down.
        void this.start().catch(() => {});
      },
    );
  }

  stop(): void {
    this.#stop?.();
    this.#stop = undefined;
  }

  get(namespace: string, name: string): KubeObject | undefined {
    return this.#cache.get(`${namespace}/${name}`);
  }

  list(namespace?: string): KubeObject[] {
    const all = [...this.#cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  #apply(type: WatchEventType, object: KubeObject): void {
    const key = objectKey(object);
    const old = this.#cache.get(key);
    if (type === 'DELETED') this.#cache.delete(key);
    else this.#cache.set(key, object);
    for (const h of this.#handlers) h(type, object, old);
  }
}
