import type { JsonObject } from '../api/patch/json-value.js';
import { groupResource, type ResourceInfo, resourceByName } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { type ObjectKey, type ResultOptions, SHARED, type Store, StoreError } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './api-deps.js';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  notFound,
  OPTIMISTIC_LOCK_MESSAGE,
} from './errors.js';
import { applyConfiguration, recordUpdate, type Target } from './managed-fields.js';
import { startNamespaceLifecycle } from './namespace-lifecycle.js';
import { clone, deepEqual, generateName, isPlainObject, metaOf } from './object-util.js';
import { applyPatch, type PatchType } from './patching.js';
import {
  apiErrorOf,
  checkName,
  decodeBody,
  namespaceFor,
  objectKey,
  typedBody,
  validateWrite,
  withTypeMeta,
} from './registry/decoding.js';
import {
  afterRemoval,
  checkDeletePreconditions,
  type DeletionContext,
  deleteOnce,
} from './registry/deletion.js';
import { EventExpiry } from './registry/event-ttl.js';
import { boundPod } from './registry/pod-binding.js';
import { prepareForCreate, prepareForUpdate } from './registry/prepare.js';
import { readScaleBody, scaleOf } from './registry/scale.js';
import type {
  DeleteOptions,
  DeleteResult,
  ListOptions,
  ListResponse,
  PatchOptions,
  RegistryOptions,
  RegistryWatch,
  RegistryWatchEvent,
  RegistryWatchOptions,
  ResourceRef,
  WriteOptions,
} from './registry/types.js';
import { waitForChange, watchResource } from './registry/watch.js';
import { installServiceAllocator } from './service-ip/install.js';
import { type PropagationPolicy, strategyFor } from './strategy.js';
import {
  type AdmissionHook,
  NO_TRANSACTION,
  type UpdateAdmissionHook,
  type WriteHooks,
} from './write-hooks.js';

export { parseResourceVersion, withTypeMeta } from './registry/decoding.js';
export { scaleOf } from './registry/scale.js';
export type * from './registry/types.js';

/** Namespaces that always exist and may not be deleted (the first two) as upstream's NamespaceLifecycle. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const UNDELETABLE_NAMESPACES = ['default', 'kube-system', 'kube-public'];

const NAMESPACES = resourceByName('', 'namespaces')!;
const PODS = resourceByName('', 'pods')!;
const ALL = () => true;

export type NamespaceTerminationHook = (namespace: string) => void;

export class Registry {
  readonly store: Store;
  readonly clock: Clock;
  readonly nodeName: string | undefined;
  #onNamespaceTerminating: NamespaceTerminationHook | undefined;
  readonly #events: EventExpiry;
  readonly #onBackgroundError: (error: unknown) => void;
  readonly #writeHooks = new Map<string, WriteHooks>();
  readonly #deletion: DeletionContext;
  readonly #admission = new Map<string, AdmissionHook[]>();
  readonly #updateAdmission = new Map<string, UpdateAdmissionHook[]>();

  constructor(options: RegistryOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.nodeName = options.nodeName;
    this.#events = new EventExpiry(options.store, options.clock, options.eventTTLSeconds ?? 3600);
    this.#onBackgroundError =
      options.onBackgroundError ??
      ((e) => process.stderr.write(`podrun apiserver: ${e instanceof Error ? e.message : String(e)}\n`));
    this.#deletion = {
      store: this.store,
      clock: this.clock,
      find: (r, ns, name) => this.find(r, ns, name),
      update: (r, ns, name, body, o) => this.update(r, ns, name, body, o),
      delete: (r, ns, name, o) => this.delete(r, ns, name, o),
      afterDelete: (r, removed) => this.#writeHooks.get(groupResource(r))?.afterDelete(removed),
      namespaceTerminating: (name) => this.#onNamespaceTerminating?.(name),
      waitForChange: (check) => this.waitForChange(check),
      reportError: (e) => this.reportError(e),
    };
  }

  /** Reports an error of background work (see RegistryOptions.onBackgroundError). */
  reportError(error: unknown): void {
    this.#onBackgroundError(error);
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

  /** Adds an admission plugin for updates (PUT and PATCH, not /status) of one resource (write-hooks.ts). */
  addUpdateAdmission(ref: ResourceRef, hook: UpdateAdmissionHook): void {
    const key = groupResource(this.resolve(ref));
    this.#updateAdmission.set(key, [...(this.#updateAdmission.get(key) ?? []), hook]);
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

  // ---- reads ----

  /** The object, or undefined when absent. */
  async find(ref: ResourceRef, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    const r = this.resolve(ref);
    const obj = await this.store.get(objectKey(r, namespace, name));
    return obj ? withTypeMeta(r, obj) : undefined;
  }

  /**
   * As find, but the stored object itself, deeply frozen (ResultOptions.shared), for callers that only read
   * it: the kubelet's and the scheduler's lookups, a write's current object. Changing it throws.
   */
  async findShared(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined> {
    const r = this.resolve(ref);
    const obj = await this.store.get(objectKey(r, namespace, name), SHARED);
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
    return this.#list(ref, namespace, options, undefined);
  }

  /** As list, with the stored objects themselves, deeply frozen (see findShared). */
  listShared(
    ref: ResourceRef,
    namespace: string | undefined,
    options: ListOptions = {},
  ): Promise<ListResponse> {
    return this.#list(ref, namespace, options, SHARED);
  }

  async #list(
    ref: ResourceRef,
    namespace: string | undefined,
    options: ListOptions,
    result: ResultOptions | undefined,
  ): Promise<ListResponse> {
    const r = this.resolve(ref);
    if (r.resource === 'events' && r.group === '') await this.#events.sweep();
    // Only what matches is copied.
    const { items, revision } = await this.store.list(
      groupResource(r),
      r.namespaced ? namespace || undefined : undefined,
      this.#matcher(r, options),
      result,
    );
    return { items: items.map((o) => withTypeMeta(r, o)), resourceVersion: String(revision) };
  }

  #matcher(r: ResourceInfo, options: ListOptions): ((o: Readonly<KubeObject>) => boolean) | undefined {
    try {
      const label = options.labelSelector ? parseLabelSelector(options.labelSelector) : undefined;
      const field = options.fieldSelector ? parseFieldSelector(options.fieldSelector, r.kind) : undefined;
      if (!label && !field) return undefined;
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
    return this.#create(this.resolve(ref), namespace, body, options, false);
  }

  /** `applied`: the body is a server-side apply's result, whose managedFields the apply computed. */
  async #create(
    r: ResourceInfo,
    namespace: string | undefined,
    body: unknown,
    options: WriteOptions,
    applied: boolean,
  ): Promise<KubeObject> {
    if (r.resource === 'events' && r.group === '') await this.#events.sweep();
    const { obj, ns, generated } = await this.#admitCreate(r, namespace, body, options);

    const meta = metaOf(obj);
    const requested = meta.managedFields;
    for (let attempt = 0; ; attempt++) {
      // The first name was drawn before admission (whose messages name the object, as upstream's validating
      // plugins do); a collision draws another.
      if (generated && attempt > 0) meta.name = generateName(meta.generateName!);
      // obj is decoded (a private copy); only a generated name may need a second attempt from it.
      const now = this.clock.now();
      const prepared = prepareForCreate(r, generated ? clone(obj) : obj, now);
      if (applied) metaOf(prepared).managedFields = requested;
      else recordUpdate(r, undefined, prepared, requested, options.fieldManager, 'main', now);
      const txn = this.#writeHooks.get(groupResource(r))?.beginCreate(prepared, !!options.dryRun);
      try {
        validateWrite(r, prepared, undefined);
        if (options.dryRun) {
          if (await this.store.get(objectKey(r, ns, prepared.metadata.name!)))
            throw alreadyExists(r, meta.name!);
          return withTypeMeta(r, prepared);
        }
        const created = await this.store.create(objectKey(r, ns, prepared.metadata.name!), prepared);
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
  async createAll(
    ref: ResourceRef,
    items: ReadonlyArray<{ namespace: string | undefined; body: unknown }>,
    options: WriteOptions = {},
  ): Promise<PromiseSettledResult<KubeObject>[]> {
    const r = this.resolve(ref);
    if (options.dryRun) throw new Error('createAll does not support dryRun');
    if (this.#writeHooks.has(groupResource(r))) throw new Error(`createAll does not support ${r.resource}`);
    if (r.resource === 'events' && r.group === '') await this.#events.sweep();
    const admitted: Array<{ key: ObjectKey; object: KubeObject } | { error: unknown }> = [];
    for (const item of items) {
      try {
        const { obj, ns } = await this.#admitCreate(r, item.namespace, item.body, options);
        const meta = metaOf(obj);
        if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
        const requested = meta.managedFields;
        const now = this.clock.now();
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
        : this.store.create(a.key, a.object, options.sharedResult ? SHARED : undefined).then(
            (created) => withTypeMeta(r, created),
            (e: unknown) => {
              throw apiErrorOf(r, a.key.name, e);
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
  ): Promise<{ obj: KubeObject; ns: string; generated: boolean }> {
    const input = typedBody(r, body);
    const ns = namespaceFor(r, namespace, input);
    if (input.metadata.resourceVersion) {
      throw badRequest('resourceVersion should not be set on objects to be created');
    }
    const obj = decodeBody(r, input, options);
    if (r.namespaced) obj.metadata.namespace = ns;
    else delete obj.metadata.namespace;
    await this.#checkNamespaceOpen(r, ns);
    const generated = !obj.metadata.name && !!obj.metadata.generateName;
    if (generated) obj.metadata.name = generateName(obj.metadata.generateName!);
    for (const admit of this.#admission.get(groupResource(r)) ?? []) {
      await admit(obj, !!options.dryRun, { generatedName: generated });
    }
    return { obj, ns, generated };
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
    const input = typedBody(r, body);
    checkName(input, name);
    const ns = namespaceFor(r, namespace, input);
    const obj = decodeBody(r, input, options);
    const old = await this.get(r, ns, name);
    return (await this.#updateFrom(r, old, obj, options, 'main', 'main')).object;
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
    const input = typedBody(r, body);
    checkName(input, name);
    const ns = namespaceFor(r, namespace, input);
    const obj = decodeBody(r, input, options);
    const old = await this.get(r, ns, name);
    return (await this.#updateFrom(r, old, obj, options, 'status', 'status')).object;
  }

  /**
   * The kubelet's status write: PUT pods/status with `status`, only while the pod named has `uid` (a pod
   * recreated under the same name is another pod). Undefined when that pod is gone. The same checks as
   * updateStatus, with the stored pod's metadata (so that the write changes the status alone).
   * The pod returned is the stored one, frozen (WriteOptions.sharedResult).
   */
  async writePodStatus(
    namespace: string,
    name: string,
    uid: string | undefined,
    status: unknown,
  ): Promise<KubeObject | undefined> {
    const old = await this.findShared(PODS, namespace, name);
    if (!old || old.metadata.uid !== uid) return undefined;
    // A pods/status write takes the request's labels, annotations and finalizers: the stored ones go with it
    // (upstream's kubelet sends a patch of the status alone). The write is conditional on `old`'s version.
    const { managedFields: _, ...metadata } = old.metadata;
    const body = { apiVersion: 'v1', kind: 'Pod', metadata, status };
    const obj = decodeBody(PODS, typedBody(PODS, body), {});
    const options = { fieldManager: 'kubelet', sharedResult: true };
    return (await this.#updateFrom(PODS, old, obj, options, 'status', 'status')).object;
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
      recordUpdate(r, old, obj, requested, options.fieldManager, endpoint, this.clock.now());
    }
    if (target === 'main') {
      for (const admit of this.#updateAdmission.get(groupResource(r)) ?? []) {
        await admit(obj, old, !!options.dryRun);
      }
    }
    const hooks = target === 'main' ? this.#writeHooks.get(groupResource(r)) : undefined;
    const txn = hooks?.beginUpdate(obj, old, !!options.dryRun) ?? NO_TRANSACTION;
    try {
      const result = await this.#validateAndWrite(r, old, obj, options, target);
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
        const deleted = await this.store.delete(key, expected);
        await this.#afterRemoval(r, deleted);
        return { object: withTypeMeta(r, deleted), stored: false };
      }
      const updated = await this.store.update(key, obj, expected, options.sharedResult ? SHARED : undefined);
      return { object: withTypeMeta(r, updated), stored: true };
    } catch (e) {
      throw apiErrorOf(r, name, e);
    }
  }

  // ---- pods/binding ----

  /**
   * Binds a pod to a node (setPodHostAndAnnotations): sets spec.nodeName, which updates may not change, and
   * PodScheduled=True. Conflict when the pod is already bound or being deleted, or its uid is not `uid`.
   * Returns the stored pod, frozen (its callers only read it).
   */
  async bind(
    namespace: string,
    name: string,
    uid: string | undefined,
    nodeName: string,
  ): Promise<KubeObject> {
    const r = PODS;
    for (let attempt = 0; ; attempt++) {
      const pod = await this.findShared(r, namespace, name);
      if (!pod) throw notFound(r, name);
      const next = boundPod(pod, uid, nodeName, this.clock.now());
      try {
        const updated = await this.store.update(
          objectKey(r, namespace, name),
          next,
          Number(pod.metadata.resourceVersion),
          SHARED,
        );
        return withTypeMeta(r, updated);
      } catch (e) {
        if (e instanceof StoreError && e.reason === 'Conflict' && attempt < 5) continue;
        throw apiErrorOf(r, name, e);
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
    const { replicas, resourceVersion } = readScaleBody(body, name);
    const old = await this.get(r, namespace, name);
    const next = clone(old);
    if (resourceVersion) metaOf(next).resourceVersion = resourceVersion;
    else delete metaOf(next).resourceVersion;
    next.spec = { ...(isPlainObject(old.spec) ? old.spec : {}), replicas };
    const { object } = await this.#updateFrom(r, old, next, options, 'main', 'scale');
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
      const target = options.subresource === 'status' ? 'status' : 'main';
      const apply = (live: KubeObject | undefined) =>
        applyConfiguration(
          r,
          live,
          applyPatch(type, undefined, patch, r.kind) as JsonObject,
          options.fieldManager ?? '',
          !!options.force,
          target,
          this.clock.now(),
        );
      if (!old) {
        if (type !== 'apply' || options.subresource) throw notFound(r, name);
        const body = typedBody(r, apply(undefined));
        checkName(body, name);
        try {
          return { object: await this.#create(r, namespace, body, options, true), created: true };
        } catch (e) {
          if (e instanceof ApiError && e.reason === 'AlreadyExists' && attempt < 5) continue;
          throw e;
        }
      }
      const patched = typedBody(
        r,
        type === 'apply' ? apply(old) : applyPatch(type, clone(old), patch, r.kind),
      );
      checkName(patched, name);
      // The patch is applied to a given version; a concurrent write makes it retry on the new one.
      metaOf(patched).resourceVersion = old.metadata.resourceVersion;
      const obj = decodeBody(r, patched, options, 'patch');
      try {
        const { object } = await this.#updateFrom(
          r,
          old,
          obj,
          options,
          target,
          type === 'apply' ? 'applied' : target,
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

  /** DELETE. The object in the result is the stored one, frozen: every caller only reads it. */
  async delete(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): Promise<DeleteResult> {
    const r = this.resolve(ref);
    const strategy = strategyFor(r);
    for (let attempt = 0; ; attempt++) {
      // Only read: deleteOnce changes a copy.
      const old = await this.findShared(r, namespace, name);
      if (!old) throw notFound(r, name);
      checkDeletePreconditions(r, old, options);
      if (r.resource === 'namespaces' && UNDELETABLE_NAMESPACES.includes(name)) {
        throw forbidden(r, name, 'this namespace may not be deleted');
      }
      try {
        return await deleteOnce(this.#deletion, r, old, options, strategy.returnsDeletedObject);
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

  /** DELETE on a collection: every match is deleted as by DELETE on it; the objects returned are frozen. */
  async deleteCollection(
    ref: ResourceRef,
    namespace: string | undefined,
    listOptions: ListOptions = {},
    options: DeleteOptions = {},
  ): Promise<ListResponse> {
    const r = this.resolve(ref);
    const { items } = await this.listShared(r, namespace, listOptions);
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

  /** After an object left the store: hooks, then dependents per the propagation policy. */
  async #afterRemoval(r: ResourceInfo, removed: KubeObject, policy?: PropagationPolicy): Promise<void> {
    await afterRemoval(this.#deletion, r, removed, policy);
  }

  /**
   * Runs `check` now and after every later change to any resource until it returns true. Used by the
   * namespace lifecycle and foreground deletion, which wait for other objects to go.
   */
  waitForChange(check: () => Promise<boolean>): Promise<void> {
    return waitForChange(this.store, check, (e) => this.reportError(e));
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
    return watchResource(this.store, r, this.#matcher(r, options) ?? ALL, namespace, options, listener);
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
        objectKey(NAMESPACES, '', name),
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

  async #checkNamespaceOpen(r: ResourceInfo, ns: string): Promise<void> {
    if (!r.namespaced) return;
    const nsObj = await this.store.get({ groupResource: 'namespaces', namespace: '', name: ns }, SHARED);
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
