// The garbage collector's dangling-owner half (pkg/controller/garbagecollector/garbagecollector.go,
// attemptToDeleteItem and isDangling; graph_builder.go for which changes queue which objects). The API
// server's deletion (src/apiserver/registry/deletion.ts) already applies an owner's propagation policy when
// the owner goes, but only to the dependents it finds at that moment. What it cannot see is left here: a
// dependent created after its owner was gone (a controller's create in flight while the owner was deleted),
// one that names an owner replaced under the same name (another uid), and one whose owner's removal it
// missed. A dependent whose owners are all absent is deleted; one with some owners left loses the references
// to the absent ones.
import { RESOURCES, type ResourceInfo } from '../api/resources.js';
import type { KubeObject, OwnerReference } from '../api/types.js';
import { type ControllerClient, isStaleWrite } from './client.js';
import { type Informer, objectKey } from './informer.js';
import type { SyncResult, WorkQueue } from './queue.js';

/** The size of upstream's absentOwnerCache (NewReferenceCache(500) in garbagecollector.go). */
export const ABSENT_OWNER_CACHE_SIZE = 500;

/**
 * solid: the owner exists with the referenced uid. dangling: it does not (not found, or found with another
 * uid). unresolvable: podrun cannot tell (a kind it does not serve, or a cluster-scoped dependent naming a
 * namespaced owner); upstream retries those forever and never deletes, and so they are left alone here.
 */
type OwnerState = 'solid' | 'dangling' | 'unresolvable';

export interface GarbageCollectorDeps {
  client: ControllerClient;
  /** The informers whose objects are dependents; they also answer "does the owner exist" first. */
  informers: readonly Informer[];
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

// Asked for every owner reference of every change an informer sees: a map rather than a scan of RESOURCES.
const byGroupKind = new Map(RESOURCES.map((r) => [`${r.group}/${r.kind}`, r]));

/** The resource of an owner reference, by group and kind: its version does not matter (RESTMapper's role). */
function resourceOfKind(group: string, kind: string): ResourceInfo | undefined {
  return byGroupKind.get(`${group}/${kind}`);
}

export class GarbageCollector {
  readonly #client: ControllerClient;
  /** Owner informers by `group/Kind`: upstream resolves an owner reference by group and kind. */
  readonly #ownerInformers = new Map<string, Informer>();
  /** Owner uids known to be gone (a uid never comes back), least recently used first. */
  readonly #absent = new Map<string, true>();

  constructor(deps: GarbageCollectorDeps) {
    this.#client = deps.client;
    for (const i of deps.informers) this.#ownerInformers.set(`${i.resource.group}/${i.resource.kind}`, i);
  }

  /**
   * Whether `o` (an object of `resource`) names an owner its informer does not hold under the referenced
   * uid: worth an attemptToDelete. Cheap, from the caches only; the attempt confirms with the API.
   */
  needsAttention(resource: ResourceInfo, o: KubeObject): boolean {
    if (o.metadata.deletionTimestamp) return false;
    for (const ref of o.metadata.ownerReferences ?? []) {
      const owner = this.#resolve(resource, o, ref);
      if (!owner) continue;
      const cached = this.#ownerInformers.get(`${owner.resource.group}/${owner.resource.kind}`);
      if (cached?.get(owner.namespace, ref.name)?.metadata.uid !== ref.uid) return true;
    }
    return false;
  }

  /**
   * attemptToDeleteItem for the object `namespace/name` of `informer`: deletes it when every owner is
   * dangling, drops the dangling references when some owner is solid, and leaves it when an owner is
   * unresolvable or it is already being deleted.
   */
  async attemptToDelete(informer: Informer, namespace: string, name: string): Promise<void> {
    const item = informer.get(namespace, name);
    if (!item || item.metadata.deletionTimestamp) return;
    const refs = item.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const states = await Promise.all(refs.map((ref) => this.#ownerState(informer.resource, item, ref)));
    if (states.includes('unresolvable') || !states.includes('dangling')) return;
    // The lookups awaited: act only on the version they judged. A change since then queued the object again.
    const latest = informer.get(namespace, name);
    if (
      !latest ||
      latest.metadata.uid !== item.metadata.uid ||
      latest.metadata.resourceVersion !== item.metadata.resourceVersion
    )
      return;
    if (states.every((s) => s === 'dangling')) {
      // Upstream deletes with the dependent's own policy (Background unless it carries the orphan or
      // foregroundDeletion finalizer) and a uid precondition; the controllers' client deletes with
      // Background and no precondition, so the re-read just above stands in for the latter.
      await this.#client.delete(informer.resource, namespace, name);
      return;
    }
    const solid = refs.filter((_, i) => states[i] === 'solid');
    try {
      await this.#client.update(informer.resource, namespace, {
        ...latest,
        metadata: { ...latest.metadata, ownerReferences: solid },
      });
    } catch (err) {
      // A newer version was (or will be) queued by its own change, and is judged afresh.
      if (!isStaleWrite(err)) throw err;
    }
  }

  /** The owner's resource and the namespace it lives in, or undefined when the reference is unresolvable. */
  #resolve(
    dependentResource: ResourceInfo,
    dependent: KubeObject,
    ref: OwnerReference,
  ): { resource: ResourceInfo; namespace: string } | undefined {
    const resource = resourceOfKind(groupOf(ref.apiVersion ?? ''), ref.kind);
    if (!resource) return undefined;
    if (!resource.namespaced) return { resource, namespace: '' };
    // An owner reference has no namespace: a namespaced owner lives in its dependent's namespace, and a
    // cluster-scoped dependent cannot have one (upstream reports the reference as invalid and keeps it).
    if (!dependentResource.namespaced) return undefined;
    return { resource, namespace: dependent.metadata.namespace ?? '' };
  }

  /**
   * isDangling: asks the API rather than the informer, whose owner may lag behind the dependent (an owner
   * created, or replaced, just before it); an absence once confirmed is remembered.
   */
  async #ownerState(
    dependentResource: ResourceInfo,
    dependent: KubeObject,
    ref: OwnerReference,
  ): Promise<OwnerState> {
    const owner = this.#resolve(dependentResource, dependent, ref);
    if (!owner) return 'unresolvable';
    if (this.#absent.has(ref.uid)) {
      this.#absent.delete(ref.uid);
      this.#absent.set(ref.uid, true);
      return 'dangling';
    }
    const cached = this.#ownerInformers.get(`${owner.resource.group}/${owner.resource.kind}`);
    if (cached?.get(owner.namespace, ref.name)?.metadata.uid === ref.uid) return 'solid';
    // The controllers' client has no get: the owner's namespace is listed, which the rarity of a dangling
    // reference and the absence cache keep cheap.
    const { items } = await this.#client.list(
      owner.resource,
      owner.resource.namespaced ? owner.namespace : undefined,
    );
    const found = items.find((o) => o.metadata.name === ref.name);
    if (found?.metadata.uid === ref.uid) return 'solid';
    this.#absent.set(ref.uid, true);
    if (this.#absent.size > ABSENT_OWNER_CACHE_SIZE)
      this.#absent.delete(this.#absent.keys().next().value as string);
    return 'dangling';
  }
}

export interface GarbageCollectorWiring {
  client: ControllerClient;
  queue(name: string, sync: (ns: string, n: string) => Promise<SyncResult>): WorkQueue;
  /** Every informer of the manager: each resource's objects are dependents, and may be owners. */
  informers: readonly Informer[];
}

/**
 * Registers the collector on the informers; the returned function, called once they have all started, looks
 * at every object once (upstream's GC waits for its monitors to sync too). Until then nothing is queued: an
 * owner whose informer has not listed yet would make every dependent look orphaned.
 */
/** The same owner uids in the same order (the store shares an unchanged list, so mostly one comparison). */
function sameOwners(a: KubeObject, b: KubeObject): boolean {
  const x = a.metadata.ownerReferences;
  const y = b.metadata.ownerReferences;
  if (x === y) return true;
  if ((x?.length ?? 0) !== (y?.length ?? 0)) return false;
  return (x ?? []).every((ref, i) => ref.uid === y?.[i]?.uid);
}

export function wireGarbageCollector(w: GarbageCollectorWiring): () => void {
  const gc = new GarbageCollector({ client: w.client, informers: w.informers });
  let started = false;
  // The graph builder's uidToNode, reduced to what it is used for here: the dependents to look at again
  // when an owner goes, whichever of the two deletions' watch events comes first.
  const dependentsOf = new Map<string, Map<string, { queue: WorkQueue; key: string }>>();
  const index = (o: KubeObject, id: string, entry: { queue: WorkQueue; key: string } | undefined) => {
    for (const ref of o.metadata.ownerReferences ?? []) {
      let deps = dependentsOf.get(ref.uid);
      if (entry) {
        if (!deps) {
          deps = new Map();
          dependentsOf.set(ref.uid, deps);
        }
        deps.set(id, entry);
      } else if (deps) {
        deps.delete(id);
        if (deps.size === 0) dependentsOf.delete(ref.uid);
      }
    }
  };

  const queues: Array<{ informer: Informer; queue: WorkQueue }> = [];
  for (const informer of w.informers) {
    const queue = w.queue('garbagecollector', async (ns, n): Promise<SyncResult> => {
      await gc.attemptToDelete(informer, ns, n);
      return undefined;
    });
    queues.push({ informer, queue });
    const prefix = `${informer.resource.group}/${informer.resource.resource}:`;
    informer.onChange((type, o, old) => {
      const key = objectKey(o);
      const id = prefix + key;
      // Most changes (a pod's status) keep the owners: the index stays as it is.
      if (type === 'DELETED' || !old || !sameOwners(old, o)) {
        if (old) index(old, id, undefined);
        if (type !== 'DELETED') index(o, id, { queue, key });
      }
      if (!started) return;
      if (type === 'DELETED') {
        const uid = o.metadata.uid;
        for (const d of (uid ? dependentsOf.get(uid)?.values() : undefined) ?? []) d.queue.add(d.key);
      } else if (gc.needsAttention(informer.resource, o)) {
        queue.add(key);
      }
    });
  }
  return () => {
    started = true;
    for (const { informer, queue } of queues)
      for (const o of informer.list()) if (gc.needsAttention(informer.resource, o)) queue.add(objectKey(o));
  };
}
