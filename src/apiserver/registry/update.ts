// The common tail of PUT, PUT status, PATCH and the scale subresource (the store's GuaranteedUpdate with
// rest.BeforeUpdate): preconditions, the strategy, field ownership, admission, validation, no-op detection,
// the conditional write, and the removal of an object whose last finalizer went.
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { SHARED } from '../../store/types.js';
import { conflict, OPTIMISTIC_LOCK_MESSAGE } from '../errors.js';
import { recordUpdate, type Target } from '../managed-fields.js';
import { deepEqual, metaOf } from '../object-util.js';
import { NO_TRANSACTION } from '../write-hooks.js';
import { apiErrorOf, objectKey, validateWrite, withTypeMeta } from './decoding.js';
import { prepareForUpdate } from './prepare.js';
import type { WriteOptions } from './types.js';
import type { WriteContext } from './write-context.js';

export async function updateFrom(
  ctx: WriteContext,
  r: ResourceInfo,
  old: KubeObject,
  incoming: KubeObject,
  options: WriteOptions,
  target: 'main' | 'status',
  /** The endpoint written, for field ownership; `applied`: incoming's managedFields come from an apply. */
  endpoint: Target | 'applied',
): Promise<{ object: KubeObject }> {
  const name = old.metadata.name!;
  const wantRV = incoming.metadata?.resourceVersion;
  if (wantRV && wantRV !== old.metadata.resourceVersion) throw conflict(r, name, OPTIMISTIC_LOCK_MESSAGE);
  const requested = incoming.metadata?.managedFields;
  const obj = prepareForUpdate(r, old, incoming, target);
  if (endpoint === 'applied') {
    if (requested) metaOf(obj).managedFields = requested;
  } else {
    recordUpdate(r, old, obj, requested, options.fieldManager, endpoint, ctx.clock.now());
  }
  if (target === 'main') {
    for (const admit of ctx.updateAdmission(r)) await admit(obj, old, !!options.dryRun);
  }
  const hooks = target === 'main' ? ctx.writeHooks(r) : undefined;
  const txn = hooks?.beginUpdate(obj, old, !!options.dryRun) ?? NO_TRANSACTION;
  try {
    const result = await validateAndWrite(ctx, r, old, obj, options, target);
    // A write that removed the object took nothing: what it held goes back in afterRemoval.
    if (result.stored) txn.commit();
    else txn.revert();
    return { object: result.object };
  } catch (e) {
    txn.revert();
    throw e;
  }
}

async function validateAndWrite(
  ctx: WriteContext,
  r: ResourceInfo,
  old: KubeObject,
  obj: KubeObject,
  options: WriteOptions,
  target: 'main' | 'status',
): Promise<{ object: KubeObject; stored: boolean }> {
  const meta = metaOf(obj);
  const name = old.metadata.name!;
  const oldMeta = old.metadata;
  validateWrite(r, obj, old, target);

  if (deepEqual(obj, old)) return { object: old, stored: false };
  // shouldDeleteDuringUpdate: the last finalizer went and no grace period is running (a pod being stopped
  // by its kubelet stays until the kubelet's final delete).
  const finalized =
    !!meta.deletionTimestamp &&
    (meta.finalizers ?? []).length === 0 &&
    (meta.deletionGracePeriodSeconds ?? 0) === 0;
  if (options.dryRun) return { object: withTypeMeta(r, obj), stored: true };
  const key = objectKey(r, oldMeta.namespace, name);
  const expected = Number(oldMeta.resourceVersion);
  try {
    if (finalized && r.resource !== 'namespaces') {
      // The last finalizer went from an object being deleted: it leaves now.
      const deleted = await ctx.store.delete(key, expected);
      await ctx.afterRemoval(r, deleted);
      return { object: withTypeMeta(r, deleted), stored: false };
    }
    const updated = await ctx.store.update(key, obj, expected, options.sharedResult ? SHARED : undefined);
    return { object: withTypeMeta(r, updated), stored: true };
  } catch (e) {
    throw apiErrorOf(r, name, e);
  }
}
