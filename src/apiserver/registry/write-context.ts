// What the registry's create, update and patch paths (create.ts, update.ts, patch-object.ts) need of it: its
// store and clock, the admission plugins and write hooks registered per resource, and the steps it owns.
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import type { Store } from '../../store/types.js';
import type { Clock } from '../../util/clock.js';
import type { AdmissionHook, UpdateAdmissionHook, WriteHooks } from '../write-hooks.js';

export interface WriteContext {
  readonly store: Store;
  readonly clock: Clock;
  /** Create admission plugins of the resource, in the order added. */
  admission(r: ResourceInfo): readonly AdmissionHook[];
  /** Update admission plugins (PUT and PATCH of the main resource). */
  updateAdmission(r: ResourceInfo): readonly UpdateAdmissionHook[];
  writeHooks(r: ResourceInfo): WriteHooks | undefined;
  /** Drops expired events; called before an event is created. */
  sweepEvents(): Promise<void>;
  /** After an update removed the object (its last finalizer went): hooks, then dependents. */
  afterRemoval(r: ResourceInfo, removed: KubeObject): Promise<void>;
}
