// The EndpointSlice controller (pkg/controller/endpointslice/endpointslice_controller.go): for every Service
// with a selector, the discovery.k8s.io/v1 slices listing the pods it selects (endpointslice-reconciler.ts
// computes them). Slices are owned by their Service, so the garbage collector removes them with it; a Service
// without a selector (or of type ExternalName) is left alone, its slices being its user's.
import type { Service } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromObject } from '../api/selectors.js';
import type { EndpointSlice, KubeObject, Pod } from '../api/types.js';
import { ApiError } from '../apiserver/errors.js';
import { type ControllerClient, isStaleWrite, type WatchEventType } from './client.js';
import {
  ANNOTATION_LAST_CHANGE_TRIGGER_TIME,
  CONTROLLER_NAME,
  DEFAULT_MAX_ENDPOINTS_PER_SLICE,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  reconcileEndpointSlices,
} from './endpointslice-reconciler.js';
import type { Informer } from './informer.js';
import { RESOURCE } from './kinds.js';
import { asPod } from './pods.js';
import type { SyncResult } from './queue.js';

export interface EndpointSliceControllerDeps {
  client: ControllerClient;
  services: Informer;
  pods: Informer;
  endpointSlices: Informer;
  /** --max-endpoints-per-slice. @default 100 */
  maxEndpointsPerSlice?: number;
}

/** Retry delay when the slice cache lags behind this controller's own writes. */
const STALE_CACHE_RETRY_MS = 1000;

/** The `namespace/name` of the Service a slice belongs to, when this controller manages it. */
export function serviceKeyOfSlice(slice: KubeObject): string | undefined {
  const labels = slice.metadata.labels ?? {};
  const svc = labels[LABEL_SERVICE_NAME];
  if (!svc || labels[LABEL_MANAGED_BY] !== CONTROLLER_NAME) return undefined;
  return `${slice.metadata.namespace ?? ''}/${svc}`;
}

function timeOf(t: string | undefined): number {
  const ms = t ? Date.parse(t) : Number.NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/** time.RFC3339Nano in UTC: no fraction for whole seconds, trailing zeros trimmed otherwise. */
function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

/**
 * TriggerTimeTracker: the time of the oldest change not yet reflected in the slices, for the
 * last-change-trigger-time annotation. A pod's change is its Ready condition's transition; the Service's is its
 * creation, which is also the answer the first time a Service is seen. 0: no new change.
 */
class TriggerTimeTracker {
  readonly #states = new Map<string, { service: number; pods: Map<string, number> }>();

  compute(key: string, svc: Service, pods: Pod[]): number {
    const state = this.#states.get(key);
    let min = 0;
    const seen = new Map<string, number>();
    for (const pod of pods) {
      const t = timeOf(pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime);
      if (t === 0) continue;
      seen.set(pod.metadata?.name ?? '', t);
      if (t > (state?.pods.get(pod.metadata?.name ?? '') ?? 0) && (min === 0 || t < min)) min = t;
    }
    const created = timeOf(svc.metadata?.creationTimestamp);
    if (created > (state?.service ?? 0) && (min === 0 || created < min)) min = created;
    this.#states.set(key, { service: created, pods: seen });
    return state ? min : created;
  }

  forget(key: string): void {
    this.#states.delete(key);
  }
}

/**
 * EndpointSliceTracker, reduced: the slices this controller wrote (by resourceVersion) or deleted, per Service,
 * until the informer shows them. A sync on a cache that does not yet would create the same slices twice.
 */
class WrittenSlices {
  readonly #expected = new Map<string, Map<string, number | 'deleted'>>();

  wrote(key: string, slice: KubeObject): void {
    this.#for(key).set(slice.metadata.name ?? '', Number(slice.metadata.resourceVersion ?? 0));
  }

  deleted(key: string, name: string): void {
    this.#for(key).set(name, 'deleted');
  }

  /** Whether the cached slices miss one of this controller's writes; forgets the writes they show. */
  stale(key: string, cached: KubeObject[]): boolean {
    const expected = this.#expected.get(key);
    if (!expected) return false;
    const byName = new Map(cached.map((s) => [s.metadata.name ?? '', s]));
    for (const [name, want] of expected) {
      const have = byName.get(name);
      const seen = want === 'deleted' ? !have : !!have && Number(have.metadata.resourceVersion ?? 0) >= want;
      if (seen) expected.delete(name);
    }
    if (expected.size === 0) this.#expected.delete(key);
    return expected.size > 0;
  }

  /** A slice is gone from the cache for good: nothing more of it is to be waited for. */
  gone(key: string, name: string): void {
    const expected = this.#expected.get(key);
    expected?.delete(name);
    if (expected?.size === 0) this.#expected.delete(key);
  }

  forget(key: string): void {
    this.#expected.delete(key);
  }

  #for(key: string): Map<string, number | 'deleted'> {
    let m = this.#expected.get(key);
    if (!m) {
      m = new Map();
      this.#expected.set(key, m);
    }
    return m;
  }
}

function withTriggerTime(slice: EndpointSlice, triggerTime: number): KubeObject {
  const annotations = { ...(slice.metadata?.annotations ?? {}) };
  if (triggerTime > 0) annotations[ANNOTATION_LAST_CHANGE_TRIGGER_TIME] = rfc3339Nano(triggerTime);
  else delete annotations[ANNOTATION_LAST_CHANGE_TRIGGER_TIME];
  const metadata = { ...slice.metadata };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  return { ...slice, apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata } as KubeObject;
}

const byName = (a: Pod, b: Pod) => {
  const x = a.metadata?.name ?? '';
  const y = b.metadata?.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
};

export class EndpointSliceController {
  readonly #deps: EndpointSliceControllerDeps;
  readonly #triggerTimes = new TriggerTimeTracker();
  readonly #written = new WrittenSlices();

  constructor(deps: EndpointSliceControllerDeps) {
    this.#deps = deps;
  }

  /**
   * Feeds the controller the slice informer's events (the manager's handler does). A deleted slice may have
   * been one this controller wrote and is still waiting to see.
   */
  observe(type: WatchEventType, slice: KubeObject): void {
    const key = serviceKeyOfSlice(slice);
    if (key && type === 'DELETED') this.#written.gone(key, slice.metadata.name ?? '');
  }

  /** syncService: brings the slices of Service `namespace/name` in line with the pods it selects. */
  async sync(namespace: string, name: string): Promise<SyncResult> {
    const { client, services, pods, endpointSlices } = this.#deps;
    const key = `${namespace}/${name}`;
    const svcObj = services.get(namespace, name);
    if (!svcObj) {
      // The garbage collector deletes the slices with the Service (their controller owner reference).
      this.#triggerTimes.forget(key);
      this.#written.forget(key);
      return undefined;
    }
    const svc = svcObj as unknown as Service;
    if (svc.spec?.type === 'ExternalName') return undefined;
    // The API server stores an empty selector as none.
    if (!svc.spec?.selector || Object.keys(svc.spec.selector).length === 0) return undefined;

    const selector = labelSelectorFromObject({ matchLabels: svc.spec.selector });
    const selected = pods
      .list(namespace)
      .filter((p) => selector.matches(p.metadata.labels ?? {}))
      .map(asPod)
      .sort(byName);
    const slices = endpointSlices
      .list(namespace)
      .filter((s) => serviceKeyOfSlice(s) === key && !s.metadata.deletionTimestamp);
    if (this.#written.stale(key, slices)) return { requeueAfterMs: STALE_CACHE_RETRY_MS };

    const triggerTime = this.#triggerTimes.compute(key, svc, selected);
    const changes = reconcileEndpointSlices(
      svc,
      selected,
      slices as unknown as EndpointSlice[],
      this.#deps.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE,
    );
    const slicesResource = RESOURCE.endpointslices;
    try {
      // No new slices for a Service being deleted: the garbage collector would race them.
      if (!svcObj.metadata.deletionTimestamp) {
        for (const slice of changes.create) {
          const created = await client.create(slicesResource, namespace, withTriggerTime(slice, triggerTime));
          this.#written.wrote(key, created);
        }
      }
      for (const slice of changes.update) {
        const updated = await client.update(slicesResource, namespace, withTriggerTime(slice, triggerTime));
        this.#written.wrote(key, updated);
      }
      for (const slice of changes.delete) {
        const sliceName = slice.metadata?.name ?? '';
        await client.delete(slicesResource, namespace, sliceName);
        this.#written.deleted(key, sliceName);
      }
    } catch (err) {
      // A lost race: the informer brings the newer state, and the retry starts from it.
      if (isStaleWrite(err)) return { requeueAfterMs: STALE_CACHE_RETRY_MS };
      // A terminating namespace takes no new slices; the Service goes with it.
      if (err instanceof ApiError && err.code === 403) return undefined;
      throw err;
    }
    return undefined;
  }
}
