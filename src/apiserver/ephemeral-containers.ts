// pods/ephemeralcontainers (pkg/registry/core/pod/storage EphemeralContainersREST and strategy.go
// podEphemeralContainersStrategy): GET answers the pod; PUT and PATCH (kubectl debug sends a strategic merge
// patch) change spec.ephemeralContainers and nothing else of the pod, whatever else the body says. The result
// is validated as a whole pod plus ValidatePodEphemeralContainersUpdate: new containers may be added, existing
// ones never changed or removed. The write goes to the store directly, since an ordinary pod update refuses
// any spec change beyond images; its field ownership is recorded as for any update, under the subresource.
import { resourceByName } from '../api/resources.js';
import type { KubeObject, Pod } from '../api/types.js';
import { validateEphemeralContainersUpdate } from '../api/validation/ephemeral.js';
import { validateObjectFields } from '../api/validation/index.js';
import { StoreError } from '../store/types.js';
import { applyDefaultsInPlace } from './api-deps.js';
import { ApiError, badRequest, conflict, invalid, notFound, OPTIMISTIC_LOCK_MESSAGE } from './errors.js';
import { recordUpdate } from './managed-fields.js';
import { clone, deepEqual, isPlainObject } from './object-util.js';
import { applyPatch, type PatchType } from './patching.js';
import { toCause } from './registry/decoding.js';
import type { Registry } from './registry.js';

const PODS = resourceByName('', 'pods')!;

export interface EphemeralWriteOptions {
  dryRun?: boolean;
  /** Who owns the fields the write sets (the fieldManager parameter or the User-Agent's prefix). */
  fieldManager?: string;
}

/** What the client sent: a whole Pod (PUT) or a patch of the pod (PATCH). */
export type EphemeralChange = { put: unknown } | { patch: unknown; type: PatchType };

export async function updateEphemeralContainers(
  registry: Registry,
  namespace: string,
  name: string,
  change: EphemeralChange,
  options: EphemeralWriteOptions = {},
): Promise<KubeObject> {
  if ('patch' in change && change.type === 'apply')
    throw badRequest(
      'server-side apply is not supported on pods/ephemeralcontainers; use a strategic merge patch',
    );
  for (let attempt = 0; ; attempt++) {
    const old = await registry.get(PODS, namespace, name);
    const body = 'put' in change ? change.put : applyPatch(change.type, clone(old), change.patch, 'Pod');
    if (!isPlainObject(body)) throw badRequest('the body of pods/ephemeralcontainers must be a Pod object');
    const meta = isPlainObject(body.metadata) ? body.metadata : {};
    if (typeof meta.name === 'string' && meta.name !== '' && meta.name !== name) {
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    }
    const wantRV = typeof meta.resourceVersion === 'string' && 'put' in change ? meta.resourceVersion : '';
    if (wantRV && wantRV !== old.metadata.resourceVersion)
      throw conflict(PODS, name, OPTIMISTIC_LOCK_MESSAGE);

    const spec = isPlainObject(body.spec) ? body.spec : {};
    const next = clone(old) as unknown as Pod;
    next.spec ??= { containers: [] };
    if (Array.isArray(spec.ephemeralContainers) && spec.ephemeralContainers.length > 0) {
      next.spec.ephemeralContainers = clone(spec.ephemeralContainers) as NonNullable<
        Pod['spec']
      >['ephemeralContainers'];
    } else {
      delete next.spec.ephemeralContainers;
    }
    const obj = applyDefaultsInPlace(next as unknown as KubeObject);
    const errors = [
      ...validateObjectFields(obj),
      ...validateEphemeralContainersUpdate(
        (obj as unknown as Pod).spec?.ephemeralContainers ?? [],
        (old as unknown as Pod).spec?.ephemeralContainers ?? [],
      ),
    ];
    if (errors.length > 0) throw invalid(PODS, name, errors.map(toCause));
    if (deepEqual(obj, old)) return old;
    // The fields this write changed are its manager's, as an update of the ephemeralcontainers subresource.
    delete obj.metadata.managedFields;
    recordUpdate(
      PODS,
      old,
      obj,
      undefined,
      options.fieldManager,
      'ephemeralcontainers',
      registry.clock.now(),
    );
    if (options.dryRun) return obj;
    try {
      const updated = await registry.store.update(
        { groupResource: 'pods', namespace, name },
        obj,
        Number(old.metadata.resourceVersion),
      );
      return { ...updated, apiVersion: 'v1', kind: 'Pod' };
    } catch (e) {
      if (e instanceof StoreError && e.reason === 'Conflict' && !wantRV && attempt < 5) continue;
      if (e instanceof StoreError && e.reason === 'NotFound') throw notFound(PODS, name);
      if (e instanceof StoreError && e.reason === 'Conflict')
        throw conflict(PODS, name, OPTIMISTIC_LOCK_MESSAGE);
      if (e instanceof ApiError) throw e;
      throw e;
    }
  }
}
