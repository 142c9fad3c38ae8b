// Per-kind rules of the generic registry, as upstream's RESTCreateStrategy/RESTUpdateStrategy/
// RESTGracefulDeleteStrategy (pkg/registry/<group>/<kind>/strategy.go): what a create resets, what an update
// may not touch, when the generation moves, and how long a delete waits.

import { DAEMONSET_TEMPLATE_GENERATION } from '../api/defaults-workloads.js';
import { podQOSClass } from '../api/qos.js';
import type { ResourceInfo } from '../api/resources.js';
import type { Job, KubeObject, Pod, Service } from '../api/types.js';
import { withGeneratedJobSelector } from '../api/validation/index.js';
import { clone, deepEqual, isPlainObject, metaOf } from './object-util.js';
import {
  dropTypeDependentFields,
  normalizeClusterIPs,
  patchAllocatedValues,
} from './service-ip/service-strategy.js';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface Strategy {
  /** Clears what a client may not set on create (status, mostly). */
  prepareForCreate(obj: KubeObject): void;
  /** Carries over from `old` what the main resource may not change (status, for kinds with /status). */
  prepareForUpdate(obj: KubeObject, old: KubeObject): void;
  /** The object a /status write produces: `old` with the new status. */
  prepareForStatusUpdate(obj: KubeObject, old: KubeObject): KubeObject;
  /** metadata.generation is 1 on create and moves when the spec changes. */
  tracksGeneration: boolean;
  /**
   * The grace period a DELETE gets (CheckGracefulDelete); 0 deletes at once. `requested` is
   * DeleteOptions.gracePeriodSeconds.
   */
  gracePeriodSeconds(obj: KubeObject, requested: number | undefined): number;
  /** DELETE answers with the object (pods, namespaces) rather than a Status Success. */
  returnsDeletedObject: boolean;
  /** The propagation when DeleteOptions names none (batch/v1 jobs orphan by default for compatibility). */
  defaultPropagation: PropagationPolicy;
}

function statusOf(o: KubeObject): unknown {
  return o.status;
}

function keepStatus(obj: KubeObject, old: KubeObject): void {
  if (old.status === undefined) delete obj.status;
  else obj.status = clone(statusOf(old));
}

/**
 * podStatusStrategy.PrepareForUpdate: the stored spec and ownerReferences (old kubelets corrupted them through
 * this endpoint) are kept and an empty qosClass is backfilled; the rest of the metadata is the request's, so labels,
 * annotations and finalizers may change through pods/status, as upstream (what the server owns is reset by
 * prepareForUpdate).
 */
function podStatusUpdate(obj: KubeObject, old: KubeObject): KubeObject {
  const { spec: _, status, ...rest } = obj;
  const out = clone(rest) as KubeObject;
  const meta = metaOf(out);
  const owners = old.metadata?.ownerReferences;
  if (owners) meta.ownerReferences = clone(owners);
  else delete meta.ownerReferences;
  out.spec = clone(old.spec);
  const next = (isPlainObject(status) ? clone(status) : {}) as Record<string, unknown>;
  const before = (isPlainObject(old.status) ? old.status : {}) as Record<string, unknown>;
  if (!next.qosClass && before.qosClass) next.qosClass = before.qosClass;
  if (status !== undefined || Object.keys(next).length > 0) out.status = next;
  return out;
}

/**
 * The status strategy of most kinds (rsStatusStrategy, jobStatusStrategy, serviceStatusStrategy, nodeStatusStrategy,
 * …): PrepareForUpdate sets only the spec back to the stored one. The request's metadata (labels, annotations,
 * finalizers, ownerReferences) is written along with its status, as through pods/status; what the server owns is
 * reset by prepareForUpdate.
 */
function specKept(obj: KubeObject, old: KubeObject): KubeObject {
  const { spec: _, ...rest } = obj;
  const out = clone(rest) as KubeObject;
  if (old.spec !== undefined) out.spec = clone(old.spec);
  return out;
}

const generic: Strategy = {
  prepareForCreate: () => {},
  prepareForUpdate: () => {},
  prepareForStatusUpdate: specKept,
  tracksGeneration: false,
  // Only pods delete gracefully upstream (RESTGracefulDeleteStrategy); for the rest a grace period is moot.
  gracePeriodSeconds: () => 0,
  returnsDeletedObject: false,
  defaultPropagation: 'Background',
};

const pods: Strategy = {
  ...generic,
  prepareForCreate(obj) {
    obj.status = { phase: 'Pending', qosClass: podQOSClass(obj as unknown as Pod) };
  },
  prepareForUpdate: keepStatus,
  prepareForStatusUpdate: podStatusUpdate,
  gracePeriodSeconds(obj, requested) {
    const spec = (obj.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
    const phase = (obj.status as { phase?: string } | undefined)?.phase;
    // An unscheduled pod has no kubelet to stop it, and a terminal one has nothing left to stop.
    if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
    return requested ?? spec.terminationGracePeriodSeconds ?? 30;
  },
  returnsDeletedObject: true,
};

const workloads = (defaultPropagation: PropagationPolicy): Strategy => ({
  ...generic,
  prepareForCreate(obj) {
    obj.status = {};
  },
  prepareForUpdate: keepStatus,
  tracksGeneration: true,
  defaultPropagation,
});

/** deploymentStatusStrategy: the stored labels stay as well as the spec (they are reset fields of its status). */
const deployments: Strategy = {
  ...workloads('Background'),
  prepareForStatusUpdate(obj, old) {
    const out = specKept(obj, old);
    const labels = old.metadata.labels;
    if (labels) metaOf(out).labels = clone(labels);
    else delete metaOf(out).labels;
    return out;
  },
};

const jobs: Strategy = {
  ...workloads('Orphan'),
  prepareForCreate(obj) {
    // Without manualSelector the API server writes the selector (controller-uid) into spec and template.
    const job = withGeneratedJobSelector(obj as unknown as Job, obj.metadata.uid ?? '');
    obj.spec = job.spec;
    obj.status = {};
  },
};

const daemonSets: Strategy = {
  ...workloads('Background'),
  prepareForCreate(obj) {
    // An empty DaemonSetStatus still serializes its four non-omitempty counts (typed clients require them).
    obj.status = {
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    };
    obj.metadata.annotations = { ...obj.metadata.annotations, [DAEMONSET_TEMPLATE_GENERATION]: '1' };
  },
  prepareForUpdate(obj, old) {
    keepStatus(obj, old);
    const was = Number(old.metadata.annotations?.[DAEMONSET_TEMPLATE_GENERATION] ?? '0') || 0;
    const template = (o: KubeObject) => (o.spec as { template?: unknown } | undefined)?.template;
    const next = deepEqual(template(obj), template(old)) ? was : was + 1;
    obj.metadata.annotations = { ...obj.metadata.annotations, [DAEMONSET_TEMPLATE_GENERATION]: String(next) };
  },
};

/** Core v1 replication controllers orphan their pods by default, for compatibility (rcStrategy). */
const replicationControllers: Strategy = {
  ...workloads('Orphan'),
  prepareForCreate(obj) {
    // ReplicationControllerStatus.replicas is not omitempty.
    obj.status = { replicas: 0 };
  },
};

const withStatus: Strategy = {
  ...generic,
  prepareForUpdate: keepStatus,
};

// The allocations themselves (ClusterIPs, NodePorts) are the write hooks of service-ip/allocator.ts.
const services: Strategy = {
  ...withStatus,
  prepareForCreate(obj) {
    obj.status = { loadBalancer: {} };
    normalizeClusterIPs(undefined, obj as unknown as Service);
  },
  prepareForUpdate(obj, old) {
    keepStatus(obj, old);
    const svc = obj as unknown as Service;
    const was = old as unknown as Service;
    patchAllocatedValues(svc, was);
    normalizeClusterIPs(was, svc);
    dropTypeDependentFields(svc, was);
  },
  returnsDeletedObject: true,
};

const quotas: Strategy = {
  ...withStatus,
  prepareForCreate(obj) {
    obj.status = {};
  },
};

const namespaces: Strategy = {
  ...generic,
  prepareForCreate(obj) {
    obj.status = { phase: 'Active' };
    const spec = isPlainObject(obj.spec) ? obj.spec : {};
    obj.spec = { ...spec, finalizers: ['kubernetes'] };
  },
  prepareForUpdate(obj, old) {
    keepStatus(obj, old);
    // spec.finalizers belong to the finalize subresource.
    obj.spec = clone(old.spec ?? {});
  },
  returnsDeletedObject: true,
};

/**
 * discovery.k8s.io/v1 writes drop endpoints[].deprecatedTopology (dropTopologyOnV1; podrun serves no v1beta1
 * that could have stored one), and the generation moves with any change outside the metadata.
 */
const endpointSlices: Strategy = {
  ...generic,
  prepareForCreate: dropDeprecatedTopology,
  prepareForUpdate: dropDeprecatedTopology,
  tracksGeneration: true,
};

function dropDeprecatedTopology(obj: KubeObject): void {
  if (!Array.isArray(obj.endpoints)) return;
  for (const ep of obj.endpoints) if (isPlainObject(ep)) delete ep.deprecatedTopology;
}

/** Claims start with an empty status (defaulting makes it phase Pending); the binder owns it afterwards. */
const claims: Strategy = {
  ...withStatus,
  prepareForCreate(obj) {
    obj.status = {};
  },
};

/**
 * Volumes as claims, and (PersistentVolumeLastPhaseTransitionTime, beta since v1.29) the time of the last
 * phase change is stamped by the server on create and on a status write that moves the phase.
 */
const volumes = (now: () => string): Strategy => ({
  ...claims,
  prepareForCreate(obj) {
    obj.status = { phase: 'Pending', lastPhaseTransitionTime: now() };
  },
  prepareForStatusUpdate(obj, old) {
    const out = specKept(obj, old);
    const phase = (s: unknown) => (isPlainObject(s) ? s.phase : undefined);
    if (isPlainObject(out.status) && phase(out.status) !== phase(old.status)) {
      out.status.lastPhaseTransitionTime = now();
    }
    return out;
  },
});

/** RFC 3339 at second precision, as metav1.Time serializes. */
function nowSeconds(): string {
  return `${new Date().toISOString().slice(0, 19)}Z`;
}

export function strategyFor(r: ResourceInfo): Strategy {
  switch (`${r.group}/${r.resource}`) {
    case '/pods':
      return pods;
    case '/services':
      return services;
    case '/namespaces':
      return namespaces;
    case '/persistentvolumeclaims':
      return claims;
    case '/persistentvolumes':
      return volumes(nowSeconds);
    case 'apps/daemonsets':
      return daemonSets;
    case 'apps/deployments':
      return deployments;
    case 'apps/replicasets':
    case 'apps/statefulsets':
    case 'batch/cronjobs':
      return workloads('Background');
    case '/replicationcontrollers':
      return replicationControllers;
    case 'batch/jobs':
      return jobs;
    case 'discovery.k8s.io/endpointslices':
      return endpointSlices;
    case 'policy/poddisruptionbudgets':
    case 'networking.k8s.io/ingresses':
      // Their create strategies drop a client's status and track the generation.
      return workloads('Background');
    case '/resourcequotas':
      return quotas;
    case 'networking.k8s.io/networkpolicies':
    case 'networking.k8s.io/ingressclasses':
      return { ...generic, tracksGeneration: true };
    default:
      return r.subresources.includes('status') ? withStatus : generic;
  }
}

/** Whether an update changed the spec (the generation's trigger). */
export function specChanged(obj: KubeObject, old: KubeObject): boolean {
  // An EndpointSlice has no spec: everything but its metadata counts, and its labels too.
  if (obj.kind === 'EndpointSlice') {
    const { metadata: newMeta, ...n } = obj;
    const { metadata: oldMeta, ...o } = old;
    return !deepEqual(n, o) || !deepEqual(newMeta.labels ?? {}, oldMeta.labels ?? {});
  }
  return !deepEqual(obj.spec, old.spec);
}
