// Creates (rest.BeforeCreate and the store's Create): the body's type and namespace, decoding, admission, the
// server-owned metadata, field ownership, validation, then the store; a generated name that collides is drawn
// again. createAll writes several at once for the event recorder.
import { type ResourceInfo, resourceByName } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { type ObjectKey, SHARED, StoreError } from '../../store/types.js';
import { alreadyExists, badRequest, forbidden, notFound } from '../errors.js';
import { recordUpdate } from '../managed-fields.js';
import { clone, generateName, metaOf } from '../object-util.js';
import {
  apiErrorOf,
  decodeBody,
  namespaceFor,
  objectKey,
  typedBody,
  validateWrite,
  withTypeMeta,
} from './decoding.js';
import { prepareForCreate } from './prepare.js';
import type { WriteOptions } from './types.js';
import type { WriteContext } from './write-context.js';

const NAMESPACES = resourceByName('', 'namespaces')!;

/** `applied`: the body is a server-side apply's result, whose managedFields the apply computed. */
export async function createObject(
  ctx: WriteContext,
  r: ResourceInfo,
  namespace: string | undefined,
  body: unknown,
  options: WriteOptions,
  applied: boolean,
): Promise<KubeObject> {
  if (r.resource === 'events' && r.group === '') await ctx.sweepEvents();
  const { obj, ns, generated } = await admitCreate(ctx, r, namespace, body, options);

  const meta = metaOf(obj);
  const requested = meta.managedFields;
  for (let attempt = 0; ; attempt++) {
    // The first name was drawn before admission (whose messages name the object, as upstream's validating
    // plugins do); a collision draws another.
    if (generated && attempt > 0) meta.name = generateName(meta.generateName!);
    // obj is decoded (a private copy); only a generated name may need a second attempt from it.
    const now = ctx.clock.now();
    const prepared = prepareForCreate(r, generated ? clone(obj) : obj, now);
    if (applied) metaOf(prepared).managedFields = requested;
    else recordUpdate(r, undefined, prepared, requested, options.fieldManager, 'main', now);
    const txn = ctx.writeHooks(r)?.beginCreate(prepared, !!options.dryRun);
    try {
      validateWrite(r, prepared, undefined);
      if (options.dryRun) {
        if (await ctx.store.get(objectKey(r, ns, prepared.metadata.name!)))
          throw alreadyExists(r, meta.name!);
        return withTypeMeta(r, prepared);
      }
      const created = await ctx.store.create(objectKey(r, ns, prepared.metadata.name!), prepared);
      txn?.commit();
      return withTypeMeta(r, created);
    } catch (e) {
      txn?.revert();
      // A generated name that collides is drawn again, as the API server does a few times.
      if (e instanceof StoreError && e.reason === 'AlreadyExists' && generated && attempt < 5) continue;
      throw apiErrorOf(r, meta.name ?? '', e);
    }
  }
}

/**
 * Creates several objects of one resource, each checked as `create` checks it and succeeding or failing on
 * its own. They reach the store in the given order, one after the other without a wait in between, so
 * the store commits them together: the event recorder writes its queued events this way. A generated
 * name is drawn once (a collision fails that item). No dryRun.
 */
export async function createAll(
  ctx: WriteContext,
  r: ResourceInfo,
  items: ReadonlyArray<{ namespace: string | undefined; body: unknown }>,
  options: WriteOptions,
): Promise<PromiseSettledResult<KubeObject>[]> {
  if (options.dryRun) throw new Error('createAll does not support dryRun');
  if (ctx.writeHooks(r)) throw new Error(`createAll does not support ${r.resource}`);
  if (r.resource === 'events' && r.group === '') await ctx.sweepEvents();
  const admitted: Array<{ key: ObjectKey; object: KubeObject } | { error: unknown }> = [];
  for (const item of items) {
    try {
      const { obj, ns } = await admitCreate(ctx, r, item.namespace, item.body, options);
      const meta = metaOf(obj);
      if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
      const requested = meta.managedFields;
      const now = ctx.clock.now();
      const prepared = prepareForCreate(r, obj, now);
      recordUpdate(r, undefined, prepared, requested, options.fieldManager, 'main', now);
      validateWrite(r, prepared, undefined);
      admitted.push({ key: objectKey(r, ns, prepared.metadata.name!), object: prepared });
    } catch (e) {
      admitted.push({ error: e });
    }
  }
  const writes = admitted.map((a) =>
    'error' in a
      ? Promise.reject(a.error)
      : ctx.store.create(a.key, a.object, options.sharedResult ? SHARED : undefined).then(
          (created) => withTypeMeta(r, created),
          (e: unknown) => {
            throw apiErrorOf(r, a.key.name, e);
          },
        ),
  );
  return Promise.allSettled(writes);
}

/** What a create checks before the object is prepared: the body's type, namespace, decoding, admission. */
async function admitCreate(
  ctx: WriteContext,
  r: ResourceInfo,
  namespace: string | undefined,
  body: unknown,
  options: WriteOptions,
): Promise<{ obj: KubeObject; ns: string; generated: boolean }> {
  const input = typedBody(r, body);
  const ns = namespaceFor(r, namespace, input);
  if (input.metadata.resourceVersion) {
    throw badRequest('resourceVersion should not be set on objects to be created');
  }
  const obj = decodeBody(r, input, options);
  if (r.namespaced) obj.metadata.namespace = ns;
  else delete obj.metadata.namespace;
  await checkNamespaceOpen(ctx, r, ns);
  const generated = !obj.metadata.name && !!obj.metadata.generateName;
  if (generated) obj.metadata.name = generateName(obj.metadata.generateName!);
  for (const admit of ctx.admission(r)) {
    await admit(obj, !!options.dryRun, { generatedName: generated });
  }
  return { obj, ns, generated };
}

/** NamespaceLifecycle admission: no create in a namespace that is missing or Terminating. */
async function checkNamespaceOpen(ctx: WriteContext, r: ResourceInfo, ns: string): Promise<void> {
  if (!r.namespaced) return;
  const nsObj = await ctx.store.get({ groupResource: 'namespaces', namespace: '', name: ns }, SHARED);
  if (!nsObj) throw notFound(NAMESPACES, ns);
  if (
    nsObj.metadata.deletionTimestamp ||
    (nsObj.status as { phase?: string } | undefined)?.phase === 'Terminating'
  ) {
    throw forbidden(r, '', `unable to create new content in namespace ${ns} because it is being terminated`);
  }
}
