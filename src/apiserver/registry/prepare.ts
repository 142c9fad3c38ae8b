// What the server owns in an object's metadata (rest.BeforeCreate / BeforeUpdate): a new object gets its
// uid, creation time and first generation; an updated one keeps its identity and deletion state whatever
// the client sent, and its generation moves when the spec changes. Then the kind's strategy and defaults.
import { randomUUID } from 'node:crypto';
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { applyDefaultsInPlace } from '../api-deps.js';
import { clone, metaOf, rfc3339 } from '../object-util.js';
import { specChanged, strategyFor } from '../strategy.js';
import { setOrDelete } from './decoding.js';

/** `obj` (the caller's own copy, changed in place) ready to be stored as a new object at `now`. */
export function prepareForCreate(r: ResourceInfo, obj: KubeObject, now: number): KubeObject {
  const meta = metaOf(obj);
  meta.uid = randomUUID();
  meta.creationTimestamp = rfc3339(now);
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete (meta as Record<string, unknown>).selfLink;
  delete meta.managedFields;
  const strategy = strategyFor(r);
  if (strategy.tracksGeneration) meta.generation = 1;
  else delete meta.generation;
  strategy.prepareForCreate(obj);
  return applyDefaultsInPlace(obj);
}

/** `incoming` as it would replace `old`: through the strategy (of the status or the main resource), with
 * the server-owned metadata of `old`, and defaulted. */
export function prepareForUpdate(
  r: ResourceInfo,
  old: KubeObject,
  incoming: KubeObject,
  target: 'main' | 'status',
): KubeObject {
  const strategy = strategyFor(r);
  let obj: KubeObject;
  if (target === 'status') {
    obj = strategy.prepareForStatusUpdate(incoming, old);
  } else {
    obj = clone(incoming);
    strategy.prepareForUpdate(obj, old);
  }
  const meta = metaOf(obj);
  const oldMeta = old.metadata;
  meta.name = oldMeta.name;
  if (r.namespaced) meta.namespace = oldMeta.namespace;
  else delete meta.namespace;
  // BeforeUpdate keeps the stored uid only when the request names none: another is refused as immutable,
  // through /status as well (whose strategy may have taken the stored metadata).
  meta.uid = incoming.metadata?.uid || oldMeta.uid;
  meta.creationTimestamp = oldMeta.creationTimestamp;
  meta.resourceVersion = oldMeta.resourceVersion;
  setOrDelete(meta, 'deletionTimestamp', oldMeta.deletionTimestamp);
  setOrDelete(meta, 'deletionGracePeriodSeconds', oldMeta.deletionGracePeriodSeconds);
  delete meta.managedFields;
  delete (meta as Record<string, unknown>).selfLink;
  if (strategy.tracksGeneration) {
    meta.generation = (oldMeta.generation ?? 1) + (specChanged(obj, old) ? 1 : 0);
  } else {
    setOrDelete(meta, 'generation', oldMeta.generation);
  }
  // obj is this call's own copy (decoded, then prepared by the strategy), so it is defaulted in place.
  return applyDefaultsInPlace(obj);
}
