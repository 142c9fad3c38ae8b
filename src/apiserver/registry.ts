// The registry: the one in-process API that the HTTP layer, the controllers and the kubelet all use, so that
// every write goes through the same decoding, defaulting, validation, resourceVersion checks, graceful
// deletion, finalizers and garbage collection (upstream's genericregistry.Store + the per-kind strategies).
import { randomUUID } from 'node:crypto';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { groupResource, RESOURCES, type ResourceInfo, resourceByName } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { labelSelectorString } from '../printers/meta.js';
import { type ObjectKey, type Store, StoreError } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import {
  applyDefaultsInPlace,
  decodeObject,
  type FieldError,
  formatFieldError,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
  validateObject,
  validateUpdate,
} from './api-deps.js';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  type InvalidCause,
  invalid,
  notFound,
  OPTIMISTIC_LOCK_MESSAGE,
  tooOldResourceVersion,
} from './errors.js';
import { startNamespaceLifecycle } from './namespace-lifecycle.js';
import { clone, deepEqual, generateName, isPlainObject, metaOf, rfc3339 } from './object-util.js';
import { applyPatch, type PatchType } from './patching.js';
import { installServiceAllocator } from './service-ip/install.js';
import { type PropagationPolicy, specChanged, strategyFor } from './strategy.js';
import { type AdmissionHook, NO_TRANSACTION, type WriteHooks } from './write-hooks.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** A resource by its ResourceInfo or its group-qualified plural (`pods`, `deployments.apps`). */
export type ResourceRef = ResourceInfo | string;

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WriteOptions {
  /** dryRun=All: run every check and return the result, write nothing. */
  dryRun?: boolean;
  /** What unknown fields do. Default `Warn`, as the API server's. */
  fieldValidation?: FieldValidation;
  fieldManager?: string;
  /** Collects `Warning` header texts (unknown fields under `Warn`). */
  warnings?: string[];
}

export interface PatchOptions extends WriteOptions {
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  /** `status` to patch the status subresource. */
  subresource?: 'status';
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteResult {
  /** The object as deleted (with its deletion resourceVersion) or as it stays while being deleted. */
  object: KubeObject;
  /** True when the object left the store; false while it waits for a kubelet or finalizers. */
  removed: boolean;
  /** Whether DELETE should answer with the object rather than a Status Success. */
  returnsObject: boolean;
}

export interface ListResponse {
  items: KubeObject[];
  resourceVersion: string;
}

export interface RegistryWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

export interface RegistryWatchOptions extends ListOptions {
  /** '' or '0': synthetic ADDED for every current match first; N: only changes after N. */
  resourceVersion?: string;
}

export interface RegistryWatch {
  stop(): void;
  /** The newest revision this watch has delivered (or started from): what a BOOKMARK carries. */
  readonly revision: number;
}

export interface RegistryOptions {
  store: Store;
  clock: Clock;
  /** The node pods are scheduled to; recorded for callers, not used for scheduling. */
  nodeName?: string;
  /** Events are removed this long after their last write (the API server's --event-ttl). @default 3600 */
  eventTTLSeconds?: number;
  /**
   * Errors of background work (namespace deletion, foreground deletion) that has no caller to fail.
   * @default writes them to stderr
   */
  onBackgroundError?: (error: unknown) => void;
  /** Where Service ClusterIPs come from (kube-apiserver --service-cluster-ip-range). @default 10.96.0.0/12 */
  serviceCIDR?: string;
}

// Expired events are swept at most this often, on the next event write or list.
const EVENT_SWEEP_INTERVAL_MS = 60_000;

/** Namespaces that always exist and may not be deleted (the first two) as upstream's NamespaceLifecycle. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const UNDELETABLE_NAMESPACES = ['default', 'kube-system', 'kube-public'];

const NAMESPACES = resourceByName('', 'namespaces')!;
const PODS = resourceByName('', 'pods')!;

export type NamespaceTerminationHook = (namespace: string) => void;

export class Registry {
  readonly store: Store;
  readonly clock: Clock;
  readonly nodeName: string | undefined;
  #onNamespaceTerminating: NamespaceTerminationHook | undefined;
  readonly #eventTTLMs: number;
  #lastEventSweep: number;
  readonly #onBackgroundError: (error: unknown) => void;
  readonly #writeHooks = new Map<string, WriteHooks>();
  readonly #admission = new Map<string, AdmissionHook[]>();

  constructor(options: RegistryOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.nodeName = options.nodeName;
    this.#eventTTLMs = (options.eventTTLSeconds ?? 3600) * 1000;
    this.#lastEventSweep = options.clock.now();
    this.#onBackgroundError =
      options.onBackgroundError ??
      ((e) => process.stderr.write(`podrun apiserver: ${e instanceof Error ? e.message : String(e)}\n`));
  }

  /** Reports an error of background work (see RegistryOptions.onBackgroundError). */
  reportError(error: unknown): void {
    this.#onBackgroundError(error);
  }

  /**
   * Removes events whose last write is older than the TTL, as etcd's leases do upstream. Runs lazily, from
   * event writes and lists, at most once a minute, so there is no timer to stop.
   */
  async #expireEvents(): Promise<void> {
    const now = this.clock.now();
    if (now - this.#lastEventSweep < EVENT_SWEEP_INTERVAL_MS) return;
    this.#lastEventSweep = now;
    const expired = (e: Readonly<KubeObject>): boolean => {
      const stamp = [e.lastTimestamp, e.eventTime, e.metadata.creationTimestamp].find(
        (t) => typeof t === 'string',
      );
      const last = Date.parse(String(stamp));
      return Number.isFinite(last) && now - last > this.#eventTTLMs;
    };
    // Only the expired events are copied out of the store: a node keeps thousands of live ones.
    const { items } = await this.store.list('events', undefined, expired);
    for (const e of items) {
      const key = {
        groupResource: 'events',
        namespace: e.metadata.namespace ?? '',
        name: e.metadata.name ?? '',
      };
      await this.store.delete(key, Number(e.metadata.resourceVersion)).catch((err: unknown) => {
        if (!(err instanceof StoreError)) throw err;
      });
    }
  }

  /** Called with a namespace's name when it starts Terminating (the namespace lifecycle controller). */
  onNamespaceTerminating(hook: NamespaceTerminationHook): void {
    this.#onNamespaceTerminating = hook;
  }

  /** Hooks around creates, updates and removals of one resource (see write-hooks.ts). */
  setWriteHooks(ref: ResourceRef, hooks: WriteHooks): void {
    this.#writeHooks.set(groupResource(this.resolve(ref)), hooks);
  }

  /** Adds an admission plugin for creates of one resource; plugins run in the order added (write-hooks.ts). */
  addAdmission(ref: ResourceRef, hook: AdmissionHook): void {
    const key = groupResource(this.resolve(ref));
    this.#admission.set(key, [...(this.#admission.get(key) ?? []), hook]);
  }

  resolve(ref: ResourceRef): ResourceInfo {
    if (typeof ref !== 'string') return ref;
    const dot = ref.indexOf('.');
    const resource = dot < 0 ? ref : ref.slice(0, dot);
    const group = dot < 0 ? '' : ref.slice(dot + 1);
    const r = resourceByName(group, resource);
    if (!r) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${ref})`);
    return r;
  }

  /** The store's current revision as a resourceVersion string. */
  resourceVersion(): string {
    return String(this.store.revision());
  }

  #key(r: ResourceInfo, namespace: string | undefined, name: string): ObjectKey {
    return { groupResource: groupResource(r), namespace: r.namespaced ? (namespace ?? '') : '', name };
  }

  // ---- reads ----

  /** The object, or undefined when absent. */
  async find(ref: ResourceRef, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    const r = this.resolve(ref);
    const obj = await this.store.get(this.#key(r, namespace, name));
    return obj ? withTypeMeta(r, obj) : undefined;
  }

  async get(ref: ResourceRef, namespace: string | undefined, name: string): Promise<KubeObject> {
    const r = this.resolve(ref);
    const obj = await this.find(r, namespace, name);
    if (!obj) throw notFound(r, name);
    return obj;
  }

  async list(
    ref: ResourceRef,
    namespace: string | undefined,
    options: ListOptions = {},
  ): Promise<ListResponse> {
    const r = this.resolve(ref);
    if (r.resource === 'events' && r.group === '') await this.#expireEvents();
    const matches = this.#matcher(r, options);
    const { items, revision } = await this.store.list(
      groupResource(r),
      r.namespaced ? namespace || undefined : undefined,
    );
    return {
      items: items.filter(matches).map((o) => withTypeMeta(r, o)),
      resourceVersion: String(revision),
    };
  }

  #matcher(r: ResourceInfo, options: ListOptions): (o: KubeObject) => boolean {
    try {
      const label = options.labelSelector ? parseLabelSelector(options.labelSelector) : undefined;
      const field = options.fieldSelector ? parseFieldSelector(options.fieldSelector, r.kind) : undefined;
      return (o) => (label ? label.matches(o) : true) && (field ? field.matches(o) : true);
    } catch (e) {
      if (e instanceof SelectorError) throw badRequest(e.message);
      throw e;
    }
  }

  // ---- create ----

  async create(
    ref: ResourceRef,
    namespace: string | undefined,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<KubeObject> {
    const r = this.resolve(ref);
    if (r.resource === 'events' && r.group === '') await this.#expireEvents();
    const { obj, ns } = await this.#admitCreate(r, namespace, body, options);

    const meta = metaOf(obj);
    const generated = !meta.name && !!meta.generateName;
    for (let attempt = 0; ; attempt++) {
      if (generated) meta.name = generateName(meta.generateName!);
      // obj is decoded (a private copy); only a generated name may need a second attempt from it.
      const prepared = this.#prepareCreate(r, generated ? clone(obj) : obj);
      const txn = this.#writeHooks.get(groupResource(r))?.beginCreate(prepared, !!options.dryRun);
      try {
        this.#validate(r, prepared, undefined);
        if (options.dryRun) {
          if (await this.store.get(this.#key(r, ns, prepared.metadata.name!)))
            throw alreadyExists(r, meta.name!);
          return withTypeMeta(r, prepared);
        }
        const created = await this.store.create(this.#key(r, ns, prepared.metadata.name!), prepared);
        txn?.commit();
        return withTypeMeta(r, created);
      } catch (e) {
        txn?.revert();
        // A generated name that collides is drawn again, as the API server does a few times.
        if (e instanceof StoreError && e.reason === 'AlreadyExists' && generated && attempt < 5) continue;
        throw this.#storeError(r, meta.name ?? '', e);
      }
    }
  }

  /**
   * Creates several objects of one resource, each checked as `create` checks it and succeeding or failing on
   * its own. They reach the store in the given order, one after the other without a wait in between, so
   * the store commits them together: the event recorder writes its queued events this way. A generated
   * name is drawn once (a collision fails that item). No dryRun.
   */
  async createAll(
    ref: ResourceRef,
    items: ReadonlyArray<{ namespace: string | undefined; body: unknown }>,
    options: WriteOptions = {},
  ): Promise<PromiseSettledResult<KubeObject>[]> {
    const r = this.resolve(ref);
    if (options.dryRun) throw new Error('createAll does not support dryRun');
    if (this.#writeHooks.has(groupResource(r))) throw new Error(`createAll does not support ${r.resource}`);
    if (r.resource === 'events' && r.group === '') await this.#expireEvents();
    const admitted: Array<{ key: ObjectKey; object: KubeObject } | { error: unknown }> = [];
    for (const item of items) {
      try {
        const { obj, ns } = await this.#admitCreate(r, item.namespace, item.body, options);
        const meta = metaOf(obj);
        if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
        const prepared = this.#prepareCreate(r, obj);
        this.#validate(r, prepared, undefined);
        admitted.push({ key: this.#key(r, ns, prepared.metadata.name!), object: prepared });
      } catch (e) {
        admitted.push({ error: e });
      }
    }
    const writes = admitted.map((a) =>
      'error' in a
        ? Promise.reject(a.error)
        : this.store.create(a.key, a.object).then(
            (created) => withTypeMeta(r, created),
            (e: unknown) => {
              throw this.#storeError(r, a.key.name, e);
            },
          ),
    );
    return Promise.allSettled(writes);
  }

  /** What a create checks before the object is prepared: the body's type, namespace, decoding, admission. */
  async #admitCreate(
    r: ResourceInfo,
    namespace: string | undefined,
    body: unknown,
    options: WriteOptions,
  ): Promise<{ obj: KubeObject; ns: string }> {
    const input = this.#typed(r, body);
    const ns = this.#namespaceFor(r, namespace, input);
    if (input.metadata.resourceVersion) {
      throw badRequest('resourceVersion should not be set on objects to be created');
    }
    const obj = this.#decode(r, input, options);
    if (r.namespaced) obj.metadata.namespace = ns;
    else delete obj.metadata.namespace;
    await this.#checkNamespaceOpen(r, ns);
    for (const admit of this.#admission.get(groupResource(r)) ?? []) await admit(obj, !!options.dryRun);
    return { obj, ns };
  }

  #prepareCreate(r: ResourceInfo, obj: KubeObject): KubeObject {
    const meta = metaOf(obj);
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(this.clock.now());
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

  // ---- update ----

  /** PUT: replaces the object. A stale metadata.resourceVersion is a Conflict. */
  async update(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<KubeObject> {
    const r = this.resolve(ref);
    const input = this.#typed(r, body);
    this.#checkName(input, name);
    const ns = this.#namespaceFor(r, namespace, input);
    const obj = this.#decode(r, input, options);
    const old = await this.get(r, ns, name);
    return (await this.#updateFrom(r, old, obj, options, 'main')).object;
  }

  /** PUT …/status: only the status changes; the rest of `body` is ignored. */
  async updateStatus(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<KubeObject> {
    const r = this.resolve(ref);
    this.#requireSubresource(r, 'status');
    const input = this.#typed(r, body);
    this.#checkName(input, name);
    const ns = this.#namespaceFor(r, namespace, input);
    const obj = this.#decode(r, input, options);
    const old = await this.get(r, ns, name);
    return (await this.#updateFrom(r, old, obj, options, 'status')).object;
  }

  /**
   * The kubelet's status write: PUT pods/status with `status`, only while the pod named has `uid` (a pod
   * recreated under the same name is another pod). Undefined when that pod is gone. The same checks as
   * updateStatus; only the status is sent, since a status write keeps everything else of the stored pod.
   */
  async writePodStatus(
    namespace: string,
    name: string,
    uid: string | undefined,
    status: unknown,
  ): Promise<KubeObject | undefined> {
    const old = await this.find(PODS, namespace, name);
    if (!old || old.metadata.uid !== uid) return undefined;
    const body = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, status };
    const obj = this.#decode(PODS, this.#typed(PODS, body), {});
    return (await this.#updateFrom(PODS, old, obj, {}, 'status')).object;
  }

  #requireSubresource(r: ResourceInfo, sub: string): void {
    if (!r.subresources.includes(sub))
      throw new ApiError(404, 'NotFound', `the server could not find the requested resource`);
  }

  /**
   * The common tail of PUT, PUT status and PATCH: preconditions, strategy, validation, no-op detection,
   * the conditional write, and the removal of an object whose last finalizer went.
   */
  async #updateFrom(
    r: ResourceInfo,
    old: KubeObject,
    incoming: KubeObject,
    options: WriteOptions,
    target: 'main' | 'status',
  ): Promise<{ object: KubeObject }> {
    const name = old.metadata.name!;
    const wantRV = incoming.metadata?.resourceVersion;
    if (wantRV && wantRV !== old.metadata.resourceVersion) throw conflict(r, name, OPTIMISTIC_LOCK_MESSAGE);
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
    meta.name = name;
    if (r.namespaced) meta.namespace = oldMeta.namespace;
    else delete meta.namespace;
    meta.uid = oldMeta.uid;
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
    obj = applyDefaultsInPlace(obj);
    const hooks = target === 'main' ? this.#writeHooks.get(groupResource(r)) : undefined;
    const txn = hooks?.beginUpdate(obj, old, !!options.dryRun) ?? NO_TRANSACTION;
    try {
      const result = await this.#validateAndWrite(r, old, obj, options);
      // A write that removed the object took nothing: what it held goes back in #afterRemoval.
      if (result.stored) txn.commit();
      else txn.revert();
      return { object: result.object };
    } catch (e) {
      txn.revert();
      throw e;
    }
  }

  async #validateAndWrite(
    r: ResourceInfo,
    old: KubeObject,
    obj: KubeObject,
    options: WriteOptions,
  ): Promise<{ object: KubeObject; stored: boolean }> {
    const meta = metaOf(obj);
    const name = old.metadata.name!;
    const oldMeta = old.metadata;
    this.#validate(r, obj, old);

    if (deepEqual(obj, old)) return { object: old, stored: false };
    // shouldDeleteDuringUpdate: the last finalizer went and no grace period is running (a pod being stopped
    // by its kubelet stays until the kubelet's final delete).
    const finalized =
      !!meta.deletionTimestamp &&
      (meta.finalizers ?? []).length === 0 &&
      (meta.deletionGracePeriodSeconds ?? 0) === 0;
    if (options.dryRun) return { object: withTypeMeta(r, obj), stored: true };
    const key = this.#key(r, oldMeta.namespace, name);
    const expected = Number(oldMeta.resourceVersion);
    try {
      if (finalized && r.resource !== 'namespaces') {
        // The last finalizer went from an object being deleted: it leaves now.
        const deleted = await this.store.delete(key, expected);
        await this.#afterRemoval(r, deleted);
        return { object: withTypeMeta(r, deleted), stored: false };
      }
      const updated = await this.store.update(key, obj, expected);
      return { object: withTypeMeta(r, updated), stored: true };
    } catch (e) {
      throw this.#storeError(r, name, e);
    }
  }

  // ---- pods/binding ----

  /**
   * Binds a pod to a node (setPodHostAndAnnotations): sets spec.nodeName, which updates may not change, and
   * PodScheduled=True. Conflict when the pod is already bound or being deleted, or its uid is not `uid`.
   */
  async bind(
    namespace: string,
    name: string,
    uid: string | undefined,
    nodeName: string,
  ): Promise<KubeObject> {
    const r = PODS;
    const binding = { group: '', resource: 'pods/binding' };
    for (let attempt = 0; ; attempt++) {
      const pod = await this.get(r, namespace, name);
      if (uid && pod.metadata.uid !== uid) {
        throw conflict(
          r,
          name,
          `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata.uid}`,
        );
      }
      if (pod.metadata.deletionTimestamp) {
        throw conflict(binding, name, `pod ${name} is being deleted, cannot be assigned to a host`);
      }
      const spec = (isPlainObject(pod.spec) ? pod.spec : {}) as { nodeName?: string };
      if (spec.nodeName)
        throw conflict(binding, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      const next = clone(pod);
      next.spec = { ...spec, nodeName };
      const status = (isPlainObject(pod.status) ? clone(pod.status) : {}) as {
        conditions?: Array<Record<string, unknown>>;
      };
      const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      conditions.push({
        type: 'PodScheduled',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: rfc3339(this.clock.now()),
      });
      status.conditions = conditions;
      next.status = status;
      try {
        const updated = await this.store.update(
          this.#key(r, namespace, name),
          next,
          Number(pod.metadata.resourceVersion),
        );
        return withTypeMeta(r, updated);
      } catch (e) {
        if (e instanceof StoreError && e.reason === 'Conflict' && attempt < 5) continue;
        throw this.#storeError(r, name, e);
      }
    }
  }

  // ---- scale subresource (deployments, replicasets) ----

  /** GET …/scale: the object's replicas as an autoscaling/v1 Scale. */
  async getScale(ref: ResourceRef, namespace: string | undefined, name: string): Promise<KubeObject> {
    const r = this.resolve(ref);
    this.#requireSubresource(r, 'scale');
    return scaleOf(await this.get(r, namespace, name));
  }

  /** PUT …/scale: sets spec.replicas from a Scale (with optimistic concurrency on its resourceVersion). */
  async updateScale(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<KubeObject> {
    const r = this.resolve(ref);
    this.#requireSubresource(r, 'scale');
    if (!isPlainObject(body)) throw badRequest('the body must be an autoscaling/v1 Scale object');
    const meta = isPlainObject(body.metadata) ? body.metadata : {};
    if (typeof meta.name === 'string' && meta.name !== '' && meta.name !== name) {
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    }
    const replicas = isPlainObject(body.spec) ? body.spec.replicas : undefined;
    if (
      replicas !== undefined &&
      (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
    ) {
      throw invalid({ group: 'autoscaling', kind: 'Scale' }, name, [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.replicas',
          body: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
          full: `spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
        },
      ]);
    }
    const old = await this.get(r, namespace, name);
    const next = clone(old);
    const rv = typeof meta.resourceVersion === 'string' ? meta.resourceVersion : undefined;
    if (rv) metaOf(next).resourceVersion = rv;
    else delete metaOf(next).resourceVersion;
    next.spec = { ...(isPlainObject(old.spec) ? old.spec : {}), replicas: replicas ?? 0 };
    const { object } = await this.#updateFrom(r, old, next, options, 'main');
    return scaleOf(object);
  }

  /** PATCH …/scale: the patch applies to the Scale, whose replicas then go to the object. */
  async patchScale(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    options: WriteOptions = {},
  ): Promise<KubeObject> {
    const r = this.resolve(ref);
    this.#requireSubresource(r, 'scale');
    if (type === 'apply') throw badRequest('server-side apply is not supported on the scale subresource');
    for (let attempt = 0; ; attempt++) {
      const current = await this.getScale(r, namespace, name);
      // A Scale has no merge keys, so a strategic merge patch is a JSON merge patch here.
      const patched = applyPatch(type === 'strategic' ? 'merge' : type, current, patch, 'Scale');
      try {
        return await this.updateScale(r, namespace, name, patched, options);
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'Conflict' && attempt < 5) continue;
        throw e;
      }
    }
  }

  // ---- patch ----

  /**
   * PATCH with a strategic merge, JSON merge, JSON (RFC 6902) or apply patch. An apply patch on a missing
   * object creates it (`created: true`, HTTP 201).
   */
  async patch(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    options: PatchOptions = {},
  ): Promise<{ object: KubeObject; created: boolean }> {
    const r = this.resolve(ref);
    if (options.subresource) this.#requireSubresource(r, options.subresource);
    for (let attempt = 0; ; attempt++) {
      const old = await this.find(r, namespace, name);
      if (!old) {
        if (type !== 'apply' || options.subresource) throw notFound(r, name);
        const applied = applyPatch(type, undefined, patch, r.kind);
        const body = this.#typed(r, applied);
        this.#checkName(body, name);
        try {
          return { object: await this.create(r, namespace, body, options), created: true };
        } catch (e) {
          if (e instanceof ApiError && e.reason === 'AlreadyExists' && attempt < 5) continue;
          throw e;
        }
      }
      const patched = this.#typed(r, applyPatch(type, stripForPatch(old), patch, r.kind));
      this.#checkName(patched, name);
      // The patch is applied to a given version; a concurrent write makes it retry on the new one.
      metaOf(patched).resourceVersion = old.metadata.resourceVersion;
      const obj = this.#decode(r, patched, options, 'patch');
      try {
        const { object } = await this.#updateFrom(
          r,
          old,
          obj,
          options,
          options.subresource === 'status' ? 'status' : 'main',
        );
        return { object, created: false };
      } catch (e) {
        const explicitRV =
          isPlainObject(patch) && isPlainObject(patch.metadata) && patch.metadata.resourceVersion;
        if (e instanceof ApiError && e.reason === 'Conflict' && !explicitRV && attempt < 5) continue;
        throw e;
      }
    }
  }

  // ---- delete ----

  async delete(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): Promise<DeleteResult> {
    const r = this.resolve(ref);
    const strategy = strategyFor(r);
    for (let attempt = 0; ; attempt++) {
      const old = await this.get(r, namespace, name);
      this.#checkPreconditions(r, old, options);
      if (r.resource === 'namespaces' && UNDELETABLE_NAMESPACES.includes(name)) {
        throw forbidden(r, name, 'this namespace may not be deleted');
      }
      try {
        return await this.#deleteOnce(r, old, options, strategy.returnsDeletedObject);
      } catch (e) {
        if (
          e instanceof ApiError &&
          e.reason === 'Conflict' &&
          attempt < 5 &&
          !options.preconditions?.resourceVersion
        ) {
          continue;
        }
        throw e;
      }
    }
  }

  #checkPreconditions(r: ResourceInfo, obj: KubeObject, options: DeleteOptions): void {
    const pre = options.preconditions;
    const name = obj.metadata.name!;
    if (pre?.uid && pre.uid !== obj.metadata.uid) {
      throw conflict(
        r,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion) {
      throw conflict(
        r,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`,
      );
    }
  }

  async #deleteOnce(
    r: ResourceInfo,
    old: KubeObject,
    options: DeleteOptions,
    returnsObject: boolean,
  ): Promise<DeleteResult> {
    const strategy = strategyFor(r);
    const meta = metaOf(old);
    const key = this.#key(r, meta.namespace, meta.name!);
    const expected = Number(meta.resourceVersion);
    const policy = options.propagationPolicy ?? strategy.defaultPropagation;
    const now = this.clock.now();

    if (r.resource === 'namespaces') {
      // A namespace is emptied first: Terminating until the lifecycle controller has deleted its content.
      if (meta.deletionTimestamp) return { object: old, removed: false, returnsObject: true };
      const next = clone(old);
      metaOf(next).deletionTimestamp = rfc3339(now);
      metaOf(next).deletionGracePeriodSeconds = 0;
      next.status = { ...(isPlainObject(old.status) ? old.status : {}), phase: 'Terminating' };
      if (options.dryRun) return { object: next, removed: false, returnsObject: true };
      const updated = withTypeMeta(
        r,
        await this.#storeCall(r, meta.name!, () => this.store.update(key, next, expected)),
      );
      this.#onNamespaceTerminating?.(meta.name!);
      return { object: updated, removed: false, returnsObject: true };
    }

    let grace = strategy.gracePeriodSeconds(old, options.gracePeriodSeconds);
    if (options.gracePeriodSeconds !== undefined && options.gracePeriodSeconds < 0) grace = 0;
    const finalizers = [...(meta.finalizers ?? [])];
    if (policy === 'Orphan' && !options.dryRun) await this.#orphanDependents(r, old);

    if (meta.deletionTimestamp) {
      // Already being deleted: a delete may only shorten the grace period (BeforeDelete).
      const current = meta.deletionGracePeriodSeconds ?? 0;
      if (grace > 0 && grace >= current) return { object: old, removed: false, returnsObject };
      if (grace > 0 || finalizers.length > 0) {
        const next = clone(old);
        const start = Date.parse(meta.deletionTimestamp) - current * 1000;
        metaOf(next).deletionTimestamp = rfc3339(
          grace > 0 ? start + grace * 1000 : Math.min(now, Date.parse(meta.deletionTimestamp)),
        );
        metaOf(next).deletionGracePeriodSeconds = grace;
        if (options.dryRun || deepEqual(next, old)) return { object: old, removed: false, returnsObject };
        const updated = await this.#storeCall(r, meta.name!, () => this.store.update(key, next, expected));
        return { object: withTypeMeta(r, updated), removed: false, returnsObject };
      }
    } else if (grace > 0 || finalizers.length > 0) {
      const next = clone(old);
      metaOf(next).deletionTimestamp = rfc3339(now + grace * 1000);
      metaOf(next).deletionGracePeriodSeconds = grace;
      if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) {
        metaOf(next).finalizers = [...finalizers, 'foregroundDeletion'];
      }
      if (options.dryRun) return { object: withTypeMeta(r, next), removed: false, returnsObject };
      const updated = await this.#storeCall(r, meta.name!, () => this.store.update(key, next, expected));
      if (policy === 'Foreground')
        this.#foregroundDelete(r, updated).catch((e: unknown) => this.reportError(e));
      return { object: withTypeMeta(r, updated), removed: false, returnsObject };
    }

    if (policy === 'Foreground' && !options.dryRun && (await this.#dependentsOf(old)).length > 0) {
      // Dependents go first; the owner stays, marked, until they are gone (foregroundDeletion finalizer).
      const next = clone(old);
      metaOf(next).deletionTimestamp = rfc3339(now);
      metaOf(next).deletionGracePeriodSeconds = 0;
      metaOf(next).finalizers = [...finalizers, 'foregroundDeletion'];
      const updated = await this.#storeCall(r, meta.name!, () => this.store.update(key, next, expected));
      this.#foregroundDelete(r, updated).catch((e: unknown) => this.reportError(e));
      return { object: withTypeMeta(r, updated), removed: false, returnsObject };
    }
    if (options.dryRun) return { object: old, removed: true, returnsObject };
    const deleted = await this.#storeCall(r, meta.name!, () => this.store.delete(key, expected));
    await this.#afterRemoval(r, deleted, policy);
    return { object: withTypeMeta(r, deleted), removed: true, returnsObject };
  }

  /** DELETE on a collection: every match is deleted as by DELETE on it. */
  async deleteCollection(
    ref: ResourceRef,
    namespace: string | undefined,
    listOptions: ListOptions = {},
    options: DeleteOptions = {},
  ): Promise<ListResponse> {
    const r = this.resolve(ref);
    const { items } = await this.list(r, namespace, listOptions);
    const out: KubeObject[] = [];
    for (const item of items) {
      try {
        out.push((await this.delete(r, item.metadata.namespace, item.metadata.name!, options)).object);
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'NotFound') continue;
        throw e;
      }
    }
    return { items: out, resourceVersion: this.resourceVersion() };
  }

  // ---- garbage collection (ownerReferences) ----

  /** Objects whose ownerReferences name `owner`'s uid, in the owner's namespace (all, for cluster owners). */
  async #dependentsOf(owner: KubeObject): Promise<Array<{ r: ResourceInfo; obj: KubeObject }>> {
    const uid = owner.metadata.uid;
    if (!uid) return [];
    const ns = owner.metadata.namespace || undefined;
    const out: Array<{ r: ResourceInfo; obj: KubeObject }> = [];
    for (const r of RESOURCES) {
      if (!r.namespaced && ns) continue;
      // The predicate runs on the stored objects, so only the dependents themselves are copied.
      const { items } = await this.store.list(groupResource(r), r.namespaced ? ns : undefined, (o) =>
        (o.metadata.ownerReferences ?? []).some((ref) => ref.uid === uid),
      );
      for (const obj of items) out.push({ r, obj });
    }
    return out;
  }

  /** Background propagation: once the owner is gone, dependents with no other owner are deleted. */
  async #afterRemoval(
    r: ResourceInfo,
    removed: KubeObject,
    policy: PropagationPolicy = 'Background',
  ): Promise<void> {
    this.#writeHooks.get(groupResource(r))?.afterDelete(removed);
    if (policy === 'Orphan') return;
    const dependents = await this.#dependentsOf(removed);
    for (const { r: dr, obj } of dependents) {
      const refs = obj.metadata.ownerReferences ?? [];
      const others = refs.filter((o) => o.uid !== removed.metadata.uid);
      try {
        if (others.length > 0) {
          const next = clone(obj);
          metaOf(next).ownerReferences = others;
          await this.store.update(
            this.#key(dr, obj.metadata.namespace, obj.metadata.name!),
            next,
            Number(obj.metadata.resourceVersion),
          );
        } else {
          await this.delete(dr, obj.metadata.namespace, obj.metadata.name!, {
            propagationPolicy: 'Background',
          });
        }
      } catch (e) {
        // A dependent deleted or changed meanwhile has already been dealt with by someone else.
        if (!(e instanceof ApiError) && !(e instanceof StoreError)) throw e;
      }
    }
  }

  async #orphanDependents(_r: ResourceInfo, owner: KubeObject): Promise<void> {
    for (const { r: dr, obj } of await this.#dependentsOf(owner)) {
      const next = clone(obj);
      const refs = (obj.metadata.ownerReferences ?? []).filter((o) => o.uid !== owner.metadata.uid);
      if (refs.length > 0) metaOf(next).ownerReferences = refs;
      else delete metaOf(next).ownerReferences;
      try {
        await this.store.update(
          this.#key(dr, obj.metadata.namespace, obj.metadata.name!),
          next,
          Number(obj.metadata.resourceVersion),
        );
      } catch (e) {
        if (!(e instanceof StoreError)) throw e;
      }
    }
  }

  /**
   * Foreground propagation: deletes the dependents, waits until they are gone, then drops the owner's
   * foregroundDeletion finalizer, which removes it.
   */
  async #foregroundDelete(r: ResourceInfo, owner: KubeObject): Promise<void> {
    for (const { r: dr, obj } of await this.#dependentsOf(owner)) {
      await this.delete(dr, obj.metadata.namespace, obj.metadata.name!, {
        propagationPolicy: 'Background',
      }).catch(() => {});
    }
    const ownerRef = { ns: owner.metadata.namespace, name: owner.metadata.name!, uid: owner.metadata.uid };
    const tryFinish = async (): Promise<boolean> => {
      const current = await this.find(r, ownerRef.ns, ownerRef.name);
      if (!current || current.metadata.uid !== ownerRef.uid) return true;
      if ((await this.#dependentsOf(current)).length > 0) return false;
      const next = clone(current);
      metaOf(next).finalizers = (current.metadata.finalizers ?? []).filter((f) => f !== 'foregroundDeletion');
      try {
        await this.update(r, ownerRef.ns, ownerRef.name, next, {});
      } catch {
        return false;
      }
      return true;
    };
    await this.waitForChange(tryFinish);
  }

  /**
   * Runs `check` now and after every later change to any resource until it returns true. Used by the
   * namespace lifecycle and foreground deletion, which wait for other objects to go.
   */
  async waitForChange(check: () => Promise<boolean>): Promise<void> {
    await new Promise<void>((resolve) => {
      let running = false;
      let again = false;
      const watches: Array<{ stop(): void }> = [];
      const stopAll = () => {
        for (const w of watches) w.stop();
      };
      const run = async () => {
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          do {
            again = false;
            let done = false;
            try {
              done = await check();
            } catch (e) {
              // Reported, then tried again on the next change (a conflict, a store hiccup).
              this.reportError(e);
            }
            if (done) {
              stopAll();
              resolve();
              return;
            }
          } while (again);
        } finally {
          running = false;
        }
      };
      const after = this.store.revision();
      for (const res of RESOURCES) {
        watches.push(
          this.store.watch({ groupResource: groupResource(res), afterRevision: after }, () => void run()),
        );
      }
      void run();
    });
  }

  // ---- watch ----

  /**
   * Watches one resource (optionally one namespace) with selectors. An object that starts matching arrives
   * as ADDED, one that stops matching as DELETED, as the API server's watch cache does.
   */
  async watch(
    ref: ResourceRef,
    namespace: string | undefined,
    options: RegistryWatchOptions,
    listener: (event: RegistryWatchEvent) => void,
  ): Promise<RegistryWatch> {
    const r = this.resolve(ref);
    const matches = this.#matcher(r, options);
    const rv = parseResourceVersion(options.resourceVersion);
    const ns = r.namespaced ? namespace || undefined : undefined;
    const gr = groupResource(r);
    const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const visible = new Set<string>();
    const { items, revision } = await this.store.list(gr, ns);
    let from = revision;
    for (const item of items) {
      if (!matches(item)) continue;
      visible.add(keyOf(item));
      if (rv === 0) listener({ type: 'ADDED', object: withTypeMeta(r, item) });
    }
    if (rv > 0) {
      from = rv;
      // Without the previous version of each object, what matched at `rv` is approximated by what matches now.
    }
    const state = { revision: from, stopped: false };
    const selects = Boolean(options.labelSelector || options.fieldSelector);
    // With selectors, a change the listener below would drop is refused before the store copies it: a
    // change that neither matches nor ends a match.
    const accept = (_type: string, o: Readonly<KubeObject>, revision: number): boolean => {
      if (state.stopped) return false;
      state.revision = revision;
      return matches(o as KubeObject) || visible.has(keyOf(o as KubeObject));
    };
    let storeWatch: { stop(): void };
    try {
      const watchOptions = { groupResource: gr, namespace: ns, afterRevision: from };
      storeWatch = this.store.watch(selects ? { ...watchOptions, accept } : watchOptions, (ev) => {
        if (state.stopped) return;
        state.revision = ev.revision;
        const key = keyOf(ev.object);
        const object = withTypeMeta(r, ev.object);
        const now = matches(ev.object);
        if (ev.type === 'DELETED') {
          if (visible.delete(key) || now) listener({ type: 'DELETED', object });
        } else if (now) {
          const was = visible.has(key);
          visible.add(key);
          listener({ type: was && ev.type === 'MODIFIED' ? 'MODIFIED' : 'ADDED', object });
        } else if (visible.delete(key)) {
          listener({ type: 'DELETED', object });
        }
      });
    } catch (e) {
      if (e instanceof StoreError && e.reason === 'Expired') {
        throw tooOldResourceVersion(rv, e.oldestRevision ?? this.store.revision());
      }
      throw e;
    }
    return {
      stop() {
        state.stopped = true;
        storeWatch.stop();
      },
      get revision() {
        return state.revision;
      },
    };
  }

  /**
   * Removes a Terminating namespace once its spec and metadata finalizers allow (the namespace controller
   * calls this when the namespace is empty). True when the namespace is gone.
   */
  async finalizeNamespace(name: string): Promise<boolean> {
    const ns = await this.find(NAMESPACES, '', name);
    if (!ns) return true;
    if (!ns.metadata.deletionTimestamp) return true;
    if ((ns.metadata.finalizers ?? []).length > 0) return false;
    try {
      const deleted = await this.store.delete(
        this.#key(NAMESPACES, '', name),
        Number(ns.metadata.resourceVersion),
      );
      await this.#afterRemoval(NAMESPACES, deleted);
      return true;
    } catch (e) {
      if (e instanceof StoreError) return false;
      throw e;
    }
  }

  // ---- helpers ----

  /** The body as an object of this resource's kind; kind/apiVersion default from the URL, as upstream decodes. */
  #typed(r: ResourceInfo, body: unknown): KubeObject {
    if (!isPlainObject(body)) {
      throw badRequest(
        `${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: the body must be a JSON object`,
      );
    }
    const apiVersion = r.group === '' ? r.version : `${r.group}/${r.version}`;
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersion) {
      throw badRequest(
        `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersion})`,
      );
    }
    if (body.kind !== undefined && body.kind !== r.kind) {
      throw badRequest(
        `the kind in the data (${String(body.kind)}) does not match the expected kind (${r.kind})`,
      );
    }
    const metadata = isPlainObject(body.metadata) ? body.metadata : {};
    // A shallow copy is enough: callers only set top-level metadata fields before #decode, which builds a
    // new object and shares nothing with its input.
    return { ...body, apiVersion, kind: r.kind, metadata: { ...metadata } } as KubeObject;
  }

  #namespaceFor(r: ResourceInfo, urlNamespace: string | undefined, obj: KubeObject): string {
    if (!r.namespaced) return '';
    const bodyNs = obj.metadata.namespace;
    if (urlNamespace && bodyNs && bodyNs !== urlNamespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const ns = urlNamespace || bodyNs;
    if (!ns) throw badRequest('the namespace of the provided object is not set and no namespace was given');
    return ns;
  }

  #checkName(obj: KubeObject, name: string): void {
    const bodyName = obj.metadata.name;
    if (bodyName && bodyName !== name) {
      throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${name})`);
    }
    obj.metadata.name = name;
  }

  async #checkNamespaceOpen(r: ResourceInfo, ns: string): Promise<void> {
    if (!r.namespaced) return;
    const nsObj = await this.store.get({ groupResource: 'namespaces', namespace: '', name: ns });
    if (!nsObj) throw notFound(NAMESPACES, ns);
    if (
      nsObj.metadata.deletionTimestamp ||
      (nsObj.status as { phase?: string } | undefined)?.phase === 'Terminating'
    ) {
      throw forbidden(
        r,
        '',
        `unable to create new content in namespace ${ns} because it is being terminated`,
      );
    }
  }

  /** Strict decoding per fieldValidation; type errors are a 400 as upstream's decoder gives. */
  #decode(
    r: ResourceInfo,
    input: KubeObject,
    options: WriteOptions,
    source: 'body' | 'patch' = 'body',
  ): KubeObject {
    const { object, unknownFields, errors } = decodeObject(input);
    if (errors.length > 0 || !object) {
      const why =
        errors.length > 0
          ? errors.map((e) => formatFieldError(e)).join(', ')
          : 'the object could not be decoded';
      throw badRequest(`${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: ${why}`);
    }
    const mode = options.fieldValidation ?? 'Warn';
    if (unknownFields.length > 0) {
      const texts = unknownFields.map((f) => `unknown field "${f}"`);
      if (mode === 'Strict') {
        // A request body's decode error names the kind (transformDecodeError); a patch's does not (patch.go).
        const strict = `strict decoding error: ${texts.join(', ')}`;
        throw badRequest(
          source === 'body'
            ? `${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: ${strict}`
            : strict,
        );
      }
      if (mode === 'Warn') options.warnings?.push(...texts);
    }
    const out = object as KubeObject;
    out.apiVersion = input.apiVersion;
    out.kind = input.kind;
    out.metadata ??= {};
    return out;
  }

  #validate(r: ResourceInfo, obj: KubeObject, old: KubeObject | undefined): void {
    const errors = old ? validateUpdate(obj, old) : validateObject(obj);
    if (errors.length === 0) return;
    throw invalid(r, obj.metadata.name ?? '', errors.map(toCause));
  }

  async #storeCall<T>(r: ResourceInfo, name: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw this.#storeError(r, name, e);
    }
  }

  #storeError(r: ResourceInfo, name: string, e: unknown): unknown {
    if (!(e instanceof StoreError)) return e;
    switch (e.reason) {
      case 'NotFound':
        return notFound(r, name);
      case 'AlreadyExists':
        return alreadyExists(r, name);
      case 'Conflict':
        return conflict(r, name, OPTIMISTIC_LOCK_MESSAGE);
      case 'Expired':
        return new ApiError(410, 'Expired', e.message);
    }
  }
}

function setOrDelete<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v === undefined) delete o[k];
  else o[k] = v;
}

/** The object a patch is applied to: what a client would GET. */
function stripForPatch(o: KubeObject): KubeObject {
  return clone(o);
}

/** autoscaling/v1 Scale of a deployment or replicaset (status.selector as a selector string). */
export function scaleOf(o: KubeObject): KubeObject {
  const spec = (o.spec ?? {}) as { replicas?: number; selector?: LabelSelector };
  const status = (o.status ?? {}) as { replicas?: number };
  const selector = labelSelectorString(spec.selector);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, ...(selector ? { selector } : {}) },
  };
}

export function withTypeMeta(r: ResourceInfo, o: KubeObject): KubeObject {
  const apiVersion = r.group === '' ? r.version : `${r.group}/${r.version}`;
  if (o.apiVersion === apiVersion && o.kind === r.kind) return o;
  return { ...o, apiVersion, kind: r.kind };
}

function toCause(e: FieldError): InvalidCause {
  const full = formatFieldError(e);
  const prefix = `${e.field}: `;
  return {
    reason: e.type,
    field: e.field,
    body: full.startsWith(prefix) ? full.slice(prefix.length) : full,
    full,
  };
}

/** '' and '0' mean "any" (0); otherwise a non-negative decimal. */
export function parseResourceVersion(rv: string | undefined): number {
  if (rv === undefined || rv === '' || rv === '0') return 0;
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return Number(rv);
}

/**
 * Opens a registry over `store` and makes sure the system namespaces exist (default, kube-system,
 * kube-public, kube-node-lease).
 */
export async function createRegistry(options: RegistryOptions): Promise<Registry> {
  const registry = new Registry(options);
  for (const name of SYSTEM_NAMESPACES) {
    if (!(await registry.find(NAMESPACES, '', name))) {
      try {
        await registry.create(NAMESPACES, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
      }
    }
  }
  // Before anything can write a Service, the allocator knows what the stored ones hold.
  await installServiceAllocator(registry, options.serviceCIDR);
  await startNamespaceLifecycle(registry);
  return registry;
}
