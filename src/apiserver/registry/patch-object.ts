// PATCH (the store's Update with a patch applied to the live object): strategic merge, JSON merge, JSON
// (RFC 6902) or server-side apply, retried on a newer version when a concurrent write got there first unless
// the patch names a resourceVersion. An apply patch on a missing object creates it.
import type { JsonObject } from '../../api/patch/json-value.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { ApiError, notFound } from '../errors.js';
import { applyConfiguration } from '../managed-fields.js';
import { clone, isPlainObject, metaOf } from '../object-util.js';
import { applyPatch, type PatchType } from '../patching.js';
import { createObject } from './create.js';
import { checkName, decodeBody, typedBody } from './decoding.js';
import type { PatchOptions } from './types.js';
import { updateFrom } from './update.js';
import type { WriteContext } from './write-context.js';

export interface PatchContext extends WriteContext {
  find(r: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
}

export async function patchObject(
  ctx: PatchContext,
  r: ResourceInfo,
  namespace: string | undefined,
  name: string,
  type: PatchType,
  patch: unknown,
  options: PatchOptions,
): Promise<{ object: KubeObject; created: boolean }> {
  for (let attempt = 0; ; attempt++) {
    const old = await ctx.find(r, namespace, name);
    const target = options.subresource === 'status' ? 'status' : 'main';
    const apply = (live: KubeObject | undefined) =>
      applyConfiguration(
        r,
        live,
        applyPatch(type, undefined, patch, r.kind) as JsonObject,
        options.fieldManager ?? '',
        !!options.force,
        target,
        ctx.clock.now(),
      );
    if (!old) {
      if (type !== 'apply' || options.subresource) throw notFound(r, name);
      const body = typedBody(r, apply(undefined));
      checkName(body, name, namespace);
      try {
        return { object: await createObject(ctx, r, namespace, body, options, true), created: true };
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'AlreadyExists' && attempt < 5) continue;
        throw e;
      }
    }
    const patched = typedBody(r, type === 'apply' ? apply(old) : applyPatch(type, clone(old), patch, r.kind));
    checkName(patched, name, namespace);
    // The patch is applied to a given version; a concurrent write makes it retry on the new one.
    metaOf(patched).resourceVersion = old.metadata.resourceVersion;
    const obj = decodeBody(r, patched, options, 'patch');
    try {
      const endpoint = type === 'apply' ? 'applied' : target;
      const { object } = await updateFrom(ctx, r, old, obj, options, target, endpoint);
      return { object, created: false };
    } catch (e) {
      const explicitRV =
        isPlainObject(patch) && isPlainObject(patch.metadata) && patch.metadata.resourceVersion;
      if (e instanceof ApiError && e.reason === 'Conflict' && !explicitRV && attempt < 5) continue;
      throw e;
    }
  }
}
