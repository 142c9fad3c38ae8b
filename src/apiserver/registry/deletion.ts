// Deletion as upstream's Store.Delete and the garbage collector do it: preconditions, graceful deletion
// (deletionTimestamp + grace period, only ever shortened), finalizers, namespaces that empty first, and the
// propagation policies over ownerReferences (Orphan, Background, Foreground).
import { graceDeadline, shortenedDeadline } from '../../api/grace-period.js';
import { groupResource, RESOURCES, type ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { SHARED, type Store, StoreError } from '../../store/types.js';
import type { Clock } from '../../util/clock.js';
import { ApiError, conflict } from '../errors.js';
import { clone, deepEqual, isPlainObject, metaOf, rfc3339 } from '../object-util.js';
import { type PropagationPolicy, strategyFor } from '../strategy.js';
import { objectKey, storeCall, withTypeMeta } from './decoding.js';
import type { DeleteOptions, DeleteResult, WriteOptions } from './types.js';

/** What deletion needs of the registry: its store and clock, and its public writes for dependents. */
export interface DeletionContext {
  readonly store: Store;
  readonly clock: Clock;
  find(r: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  update(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions,
  ): Promise<KubeObject>;
  delete(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions,
  ): Promise<DeleteResult>;
  /** The resource's write hooks' afterDelete (allocations given back). */
  afterDelete(r: ResourceInfo, removed: KubeObject): void;
  /** A namespace started Terminating. */
  namespaceTerminating(name: string): void;
  waitForChange(check: () => Promise<boolean>): Promise<void>;
  reportError(e: unknown): void;
}

export function checkDeletePreconditions(r: ResourceInfo, obj: KubeObject, options: DeleteOptions): void {
  const pre = options.preconditions;
  const name = obj.metadata.name!;
  // Preconditions.Check: a precondition that is set is compared, the empty string too (it matches nothing).
  if (pre?.uid !== undefined && pre.uid !== obj.metadata.uid) {
    throw conflict(
      r,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`,
    );
  }
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== obj.metadata.resourceVersion) {
    throw conflict(
      r,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`,
    );
  }
}

/** One attempt at deleting `old` (the version just read); a Conflict means it changed meanwhile. */
export async function deleteOnce(
  ctx: DeletionContext,
  r: ResourceInfo,
  old: KubeObject,
  options: DeleteOptions,
  returnsObject: boolean,
): Promise<DeleteResult> {
  const strategy = strategyFor(r);
  const meta = metaOf(old);
  const key = objectKey(r, meta.namespace, meta.name!);
  const expected = Number(meta.resourceVersion);
  const policy = options.propagationPolicy ?? strategy.defaultPropagation;
  const now = ctx.clock.now();
  // Deletion's callers only read what it returns: the stored objects themselves, frozen.
  const write = (next: KubeObject) =>
    storeCall(r, meta.name!, () => ctx.store.update(key, next, expected, SHARED));

  if (r.resource === 'namespaces') {
    // A namespace is emptied first: Terminating until the lifecycle controller has deleted its content.
    if (meta.deletionTimestamp) return { object: old, removed: false, returnsObject: true };
    const next = clone(old);
    metaOf(next).deletionTimestamp = rfc3339(now);
    metaOf(next).deletionGracePeriodSeconds = 0;
    next.status = { ...(isPlainObject(old.status) ? old.status : {}), phase: 'Terminating' };
    if (options.dryRun) return { object: next, removed: false, returnsObject: true };
    const updated = withTypeMeta(r, await write(next));
    ctx.namespaceTerminating(meta.name!);
    return { object: updated, removed: false, returnsObject: true };
  }

  let grace = strategy.gracePeriodSeconds(old, options.gracePeriodSeconds);
  if (options.gracePeriodSeconds !== undefined && options.gracePeriodSeconds < 0) grace = 0;
  const finalizers = [...(meta.finalizers ?? [])];
  if (policy === 'Orphan' && !options.dryRun) {
    const dependents = await dependentsOf(ctx.store, old);
    if (dependents.length > 0) return orphanFirst(ctx, r, old, dependents, write, now, grace, returnsObject);
  }

  if (meta.deletionTimestamp) {
    // Already being deleted: a delete may only shorten the grace period (BeforeDelete).
    const current = meta.deletionGracePeriodSeconds ?? 0;
    if (grace > 0 && grace >= current) return { object: old, removed: false, returnsObject };
    if (grace > 0 || finalizers.length > 0) {
      const next = clone(old);
      const deadline = Date.parse(meta.deletionTimestamp);
      metaOf(next).deletionTimestamp = rfc3339(
        grace > 0 ? shortenedDeadline(deadline, current, grace, now) : Math.min(now, deadline),
      );
      metaOf(next).deletionGracePeriodSeconds = grace;
      if (options.dryRun || deepEqual(next, old)) return { object: old, removed: false, returnsObject };
      return { object: withTypeMeta(r, await write(next)), removed: false, returnsObject };
    }
  } else if (grace > 0 || finalizers.length > 0) {
    const next = clone(old);
    metaOf(next).deletionTimestamp = rfc3339(graceDeadline(now, grace));
    metaOf(next).deletionGracePeriodSeconds = grace;
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) {
      metaOf(next).finalizers = [...finalizers, 'foregroundDeletion'];
    }
    if (options.dryRun) return { object: withTypeMeta(r, next), removed: false, returnsObject };
    const updated = await write(next);
    if (policy === 'Foreground') foregroundDelete(ctx, r, updated).catch((e: unknown) => ctx.reportError(e));
    return { object: withTypeMeta(r, updated), removed: false, returnsObject };
  }

  if (policy === 'Foreground' && !options.dryRun && (await dependentsOf(ctx.store, old)).length > 0) {
    // Dependents go first; the owner stays, marked, until they are gone (foregroundDeletion finalizer).
    const next = clone(old);
    metaOf(next).deletionTimestamp = rfc3339(now);
    metaOf(next).deletionGracePeriodSeconds = 0;
    metaOf(next).finalizers = [...finalizers, 'foregroundDeletion'];
    const updated = await write(next);
    foregroundDelete(ctx, r, updated).catch((e: unknown) => ctx.reportError(e));
    return { object: withTypeMeta(r, updated), removed: false, returnsObject };
  }
  if (options.dryRun) return { object: old, removed: true, returnsObject };
  const deleted = await storeCall(r, meta.name!, () => ctx.store.delete(key, expected, SHARED));
  await afterRemoval(ctx, r, deleted, policy);
  return { object: withTypeMeta(r, deleted), removed: true, returnsObject };
}

/** Objects whose ownerReferences name `owner`'s uid, in the owner's namespace (all, for cluster owners). */
async function dependentsOf(
  store: Store,
  owner: KubeObject,
): Promise<Array<{ r: ResourceInfo; obj: KubeObject }>> {
  const uid = owner.metadata.uid;
  // Most objects own nothing: the store's count spares the scan of every resource for them.
  if (!uid || store.dependentCount(uid) === 0) return [];
  const ns = owner.metadata.namespace || undefined;
  const out: Array<{ r: ResourceInfo; obj: KubeObject }> = [];
  for (const r of RESOURCES) {
    if (!r.namespaced && ns) continue;
    // The predicate runs on the stored objects, so only the dependents themselves are copied.
    const { items } = await store.list(groupResource(r), r.namespaced ? ns : undefined, (o) =>
      (o.metadata.ownerReferences ?? []).some((ref) => ref.uid === uid),
    );
    for (const obj of items) out.push({ r, obj });
  }
  return out;
}

/** After an object left the store: its hooks run, and (Background) dependents with no other owner go. */
export async function afterRemoval(
  ctx: DeletionContext,
  r: ResourceInfo,
  removed: KubeObject,
  policy: PropagationPolicy = 'Background',
): Promise<void> {
  ctx.afterDelete(r, removed);
  if (policy === 'Orphan') return;
  for (const { r: dr, obj } of await dependentsOf(ctx.store, removed)) {
    const refs = obj.metadata.ownerReferences ?? [];
    const others = refs.filter((o) => o.uid !== removed.metadata.uid);
    try {
      if (others.length > 0) {
        const next = clone(obj);
        metaOf(next).ownerReferences = others;
        await ctx.store.update(
          objectKey(dr, obj.metadata.namespace, obj.metadata.name!),
          next,
          Number(obj.metadata.resourceVersion),
        );
      } else {
        await ctx.delete(dr, obj.metadata.namespace, obj.metadata.name!, { propagationPolicy: 'Background' });
      }
    } catch (e) {
      // A dependent deleted or changed meanwhile has already been dealt with by someone else.
      if (!(e instanceof ApiError) && !(e instanceof StoreError)) throw e;
    }
  }
}

/**
 * Orphan propagation in upstream's order: the owner is marked first, in one write (its deletionTimestamp and
 * the `orphan` finalizer), so its controller stops managing it; then its dependents lose their reference to
 * it; then the finalizer goes, which removes an owner left without finalizers and without a grace period
 * running. Releasing the dependents before marking the owner let a ReplicaSet's controller replace its pods
 * as they left it: 2,000 replicas became 26,000 pods.
 */
async function orphanFirst(
  ctx: DeletionContext,
  r: ResourceInfo,
  old: KubeObject,
  dependents: ReadonlyArray<{ r: ResourceInfo; obj: KubeObject }>,
  write: (next: KubeObject) => Promise<KubeObject>,
  now: number,
  grace: number,
  returnsObject: boolean,
): Promise<DeleteResult> {
  const meta = old.metadata;
  const marked = clone(old);
  if (!meta.deletionTimestamp) {
    metaOf(marked).deletionTimestamp = rfc3339(graceDeadline(now, grace));
    metaOf(marked).deletionGracePeriodSeconds = grace;
  }
  const finalizers = meta.finalizers ?? [];
  if (!finalizers.includes('orphan')) metaOf(marked).finalizers = [...finalizers, 'orphan'];
  const stored = deepEqual(marked, old) ? old : await write(marked);
  await orphanDependents(ctx, stored, dependents);
  const next = clone(stored);
  metaOf(next).finalizers = (stored.metadata.finalizers ?? []).filter((f) => f !== 'orphan');
  const after = await ctx.update(r, meta.namespace, meta.name!, next, {});
  const removed =
    (after.metadata.finalizers ?? []).length === 0 && (after.metadata.deletionGracePeriodSeconds ?? 0) === 0;
  return { object: withTypeMeta(r, after), removed, returnsObject };
}

/** Every dependent loses its reference to `owner`, in one group commit. */
async function orphanDependents(
  ctx: DeletionContext,
  owner: KubeObject,
  dependents: ReadonlyArray<{ r: ResourceInfo; obj: KubeObject }>,
): Promise<void> {
  const uid = owner.metadata.uid;
  const release = async (dr: ResourceInfo, first: KubeObject) => {
    let obj: KubeObject | undefined = first;
    // A dependent written meanwhile is read again: one left naming the owner would be collected as the
    // dependent of an absent owner once the owner is gone, which Orphan promised not to do.
    for (let attempt = 0; obj && attempt < 10; attempt++) {
      const refs = obj.metadata.ownerReferences ?? [];
      if (!refs.some((o) => o.uid === uid)) return;
      const next = clone(obj);
      const others = refs.filter((o) => o.uid !== uid);
      if (others.length > 0) metaOf(next).ownerReferences = others;
      else delete metaOf(next).ownerReferences;
      try {
        await ctx.store.update(
          objectKey(dr, obj.metadata.namespace, obj.metadata.name!),
          next,
          Number(obj.metadata.resourceVersion),
        );
        return;
      } catch (e) {
        if (!(e instanceof StoreError)) throw e;
        obj = await ctx.find(dr, obj.metadata.namespace, obj.metadata.name!);
      }
    }
  };
  await Promise.all(dependents.map(({ r: dr, obj }) => release(dr, obj)));
}

/**
 * Foreground propagation: deletes the dependents, waits until they are gone, then drops the owner's
 * foregroundDeletion finalizer, which removes it.
 */
async function foregroundDelete(ctx: DeletionContext, r: ResourceInfo, owner: KubeObject): Promise<void> {
  for (const { r: dr, obj } of await dependentsOf(ctx.store, owner)) {
    await ctx
      .delete(dr, obj.metadata.namespace, obj.metadata.name!, { propagationPolicy: 'Background' })
      .catch(() => {});
  }
  const ownerRef = { ns: owner.metadata.namespace, name: owner.metadata.name!, uid: owner.metadata.uid };
  const tryFinish = async (): Promise<boolean> => {
    const current = await ctx.find(r, ownerRef.ns, ownerRef.name);
    if (!current || current.metadata.uid !== ownerRef.uid) return true;
    if ((await dependentsOf(ctx.store, current)).length > 0) return false;
    const next = clone(current);
    metaOf(next).finalizers = (current.metadata.finalizers ?? []).filter((f) => f !== 'foregroundDeletion');
    try {
      await ctx.update(r, ownerRef.ns, ownerRef.name, next, {});
    } catch {
      return false;
    }
    return true;
  };
  await ctx.waitForChange(tryFinish);
}
