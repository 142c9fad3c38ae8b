import { groupResource, type ResourceInfo, resourceByName } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { type ResultOptions, SHARED, type Store, StoreError } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './api-deps.js';
import { ApiError, badRequest, forbidden, notFound } from './errors.js';
import { startNamespaceLifecycle } from './namespace-lifecycle.js';
import { clone, isPlainObject, metaOf } from './object-util.js';
import { applyPatch, type PatchType } from './patching.js';
import { createAll, createObject } from './registry/create.js';
import {
  apiErrorOf,
  checkName,
  decodeBody,
  namespaceFor,
  objectKey,
  typedBody,
  withTypeMeta,
} from './registry/decoding.js';
import {
  afterRemoval,
  checkDeletePreconditions,
  type DeletionContext,
  deleteOnce,
} from './registry/deletion.js';
import { EventExpiry } from './registry/event-ttl.js';
import { type PatchContext, patchObject } from './registry/patch-object.js';
import { boundPod } from './registry/pod-binding.js';
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
import { updateFrom } from './registry/update.js';
import { waitForChange, watchResource } from './registry/watch.js';
import { installServiceAllocator } from './service-ip/install.js';
import { type PropagationPolicy, strategyFor } from './strategy.js';
import type { AdmissionHook, UpdateAdmissionHook, WriteHooks } from './write-hooks.js';

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
  readonly #writes: PatchContext;

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
    this.#writes = {
      store: this.store,
      clock: this.clock,
      admission: (r) => this.#admission.get(groupResource(r)) ?? [],
      updateAdmission: (r) => this.#updateAdmission.get(groupResource(r)) ?? [],
      writeHooks: (r) => this.#writeHooks.get(groupResource(r)),
      sweepEvents: () => this.#events.sweep(),
      afterRemoval: (r, removed) => this.#afterRemoval(r, removed),
      find: (r, ns, name) => this.find(r, ns, name),
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
    return createObject(this.#writes, this.resolve(ref), namespace, body, options, false);
  }

  /**
   * Creates several objects of one resource, each checked as `create` checks it and succeeding or failing on
   * its own, committed together (create.ts). No dryRun.
   */
  async createAll(
    ref: ResourceRef,
    items: ReadonlyArray<{ namespace: string | undefined; body: unknown }>,
    options: WriteOptions = {},
  ): Promise<PromiseSettledResult<KubeObject>[]> {
    return createAll(this.#writes, this.resolve(ref), items, options);
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
    return (await updateFrom(this.#writes, r, old, obj, options, 'main', 'main')).object;
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
    return (await updateFrom(this.#writes, r, old, obj, options, 'status', 'status')).object;
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
    return (await updateFrom(this.#writes, PODS, old, obj, options, 'status', 'status')).object;
  }

  #requireSubresource(r: ResourceInfo, sub: string): void {
    if (!r.subresources.includes(sub))
      throw new ApiError(404, 'NotFound', `the server could not find the requested resource`);
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
    const { object } = await updateFrom(this.#writes, r, old, next, options, 'main', 'scale');
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
    return patchObject(this.#writes, r, namespace, name, type, patch, options);
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
