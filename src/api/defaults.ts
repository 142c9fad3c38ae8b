// Defaulting, as the API server applies it after decoding and before validating: pkg/apis/core/v1/defaults.go,
// pkg/apis/apps/v1/defaults.go, pkg/apis/batch/v1/defaults.go (Kubernetes v1.30), plus the create-time fills
// of the Namespace strategy. Pure: returns a new object; applying it twice gives the same result.

import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type {
  Container,
  Endpoints,
  EphemeralContainer,
  LifecycleHandler,
  Namespace,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ReplicationController,
  Secret,
  Service,
  Volume,
} from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { RoleBinding } from 'kubernetes-types/rbac/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { parseImageName } from '../images/reference.js';
import { cloneJson } from '../store/json-clone.js';
import { defaultLimitRange, defaultNetworkPolicy, defaultPriorityClass } from './defaults-policy.js';
import { defaultRbacObject } from './defaults-rbac.js';
import {
  defaultPersistentVolume,
  defaultPersistentVolumeClaim,
  defaultStatefulSetSpec,
  defaultStorageClass,
} from './defaults-storage.js';
import {
  defaultCronJobSpec,
  defaultDaemonSetSpec,
  defaultReplicationControllerSpec,
} from './defaults-workloads.js';
import { defaultHorizontalPodAutoscaler } from './hpa.js';
import type { KubeObject, LimitRange, NetworkPolicy, PriorityClass } from './types.js';
import { VOLUME_SOURCES } from './volume-sources.js';

const DEFAULT_MODE = 0o644;
/** v1.DefaultClientIPServiceAffinitySeconds: three hours. */
const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800;

/**
 * SetDefaults_Container's pull policy: Always when the tag is `latest`, written or implied (no tag and no
 * digest), else IfNotPresent. Like upstream it ignores a reference it cannot parse (its tag is then '').
 */
export function defaultPullPolicy(image: string | undefined): 'Always' | 'IfNotPresent' {
  let tag: string;
  try {
    tag = parseImageName(image ?? '').tag;
  } catch {
    tag = '';
  }
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultHandler(h: LifecycleHandler | Probe | undefined): void {
  if (!h?.httpGet) return;
  if (!h.httpGet.path) h.httpGet.path = '/';
  if (!h.httpGet.scheme) h.httpGet.scheme = 'HTTP';
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  defaultHandler(p);
}

function defaultContainer(c: Container | EphemeralContainer): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = defaultPullPolicy(c.image);
  if (!c.terminationMessagePath) c.terminationMessagePath = '/dev/termination-log';
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  // The API server always serves `resources: {}` (a non-omitempty struct); clients such as `kubectl rollout
  // undo` send it back, so a stored template must carry it too to compare equal.
  if (!c.resources) c.resources = {};
  for (const p of c.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.fieldRef;
    if (ref && !ref.apiVersion) ref.apiVersion = 'v1';
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultHandler(c.lifecycle?.postStart);
  defaultHandler(c.lifecycle?.preStop);
}

function defaultVolume(v: Volume): void {
  // SetDefaults_Volume: a volume without any source is an emptyDir.
  if (VOLUME_SOURCES.every((f) => v[f] === undefined)) v.emptyDir = {};
  if (v.hostPath && v.hostPath.type === undefined) v.hostPath.type = '';
  if (v.secret && v.secret.defaultMode === undefined) v.secret.defaultMode = DEFAULT_MODE;
  if (v.configMap && v.configMap.defaultMode === undefined) v.configMap.defaultMode = DEFAULT_MODE;
  if (v.downwardAPI) {
    if (v.downwardAPI.defaultMode === undefined) v.downwardAPI.defaultMode = DEFAULT_MODE;
    for (const item of v.downwardAPI.items ?? []) {
      if (item.fieldRef && !item.fieldRef.apiVersion) item.fieldRef.apiVersion = 'v1';
    }
  }
  if (v.projected) {
    if (v.projected.defaultMode === undefined) v.projected.defaultMode = DEFAULT_MODE;
    for (const s of v.projected.sources ?? []) {
      for (const item of s.downwardAPI?.items ?? []) {
        if (item.fieldRef && !item.fieldRef.apiVersion) item.fieldRef.apiVersion = 'v1';
      }
      if (s.serviceAccountToken && s.serviceAccountToken.expirationSeconds === undefined) {
        s.serviceAccountToken.expirationSeconds = 3600;
      }
    }
  }
  if (v.iscsi) {
    if (!v.iscsi.iscsiInterface) v.iscsi.iscsiInterface = 'default';
  }
  if (v.azureDisk) {
    v.azureDisk.cachingMode ??= 'ReadWrite';
    v.azureDisk.fsType ??= 'ext4';
    v.azureDisk.readOnly ??= false;
    v.azureDisk.kind ??= 'Shared';
  }
}

/** SetDefaults_PodSpec: applies to Pods and to every pod template. */
function defaultPodSpec(spec: PodSpec): void {
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  if (!spec.securityContext) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined) spec.terminationGracePeriodSeconds = 30;
  if (!spec.schedulerName) spec.schedulerName = 'default-scheduler';
  if (spec.hostNetwork) {
    // defaultHostNetworkPorts: with host networking, hostPort is the containerPort.
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      for (const p of c.ports ?? []) if (!p.hostPort) p.hostPort = p.containerPort;
    }
  }
  for (const v of spec.volumes ?? []) defaultVolume(v);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c);
}

function defaultTemplate(t: PodTemplateSpec | undefined): void {
  if (t?.spec) defaultPodSpec(t.spec);
}

function defaultPod(pod: Pod): void {
  const spec = pod.spec;
  if (!spec) return;
  // SetDefaults_Pod (Pods only, not templates): requests default to limits; service links on.
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const limits = c.resources?.limits;
    if (!limits) continue;
    c.resources!.requests ??= {};
    for (const [k, v] of Object.entries(limits)) c.resources!.requests[k] ??= v;
  }
  if (spec.enableServiceLinks === undefined) spec.enableServiceLinks = true;
  defaultPodSpec(spec);
}

/** SetDefaults_Service, plus the create-time half of the strategy's NormalizeClusterIPs (see below). */
function defaultService(svc: Service): void {
  svc.spec ??= {};
  const spec = svc.spec;
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (
    spec.sessionAffinity === 'ClientIP' &&
    spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined
  ) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_AFFINITY_SECONDS } };
  }
  if (!spec.type) spec.type = 'ClusterIP';
  for (const p of spec.ports ?? []) {
    if (!p.protocol) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  const externallyAccessible =
    spec.type === 'NodePort' ||
    spec.type === 'LoadBalancer' ||
    (spec.type === 'ClusterIP' && (spec.externalIPs ?? []).length > 0);
  if (externallyAccessible && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP') {
    spec.internalTrafficPolicy ??= 'Cluster';
  }
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  // A client that sets only the singular clusterIP gets the plural from it, as the Service strategy does on
  // create; manifests checked offline (podrun validate, up) see the object the API server would validate.
  if (spec.clusterIP && (spec.clusterIPs ?? []).length === 0) spec.clusterIPs = [spec.clusterIP];
}

function defaultDeployment(d: Deployment): void {
  const spec = d.spec;
  if (!spec) return;
  spec.replicas ??= 1;
  spec.strategy ??= {};
  const strategy = spec.strategy;
  strategy.type ||= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    strategy.rollingUpdate ??= {};
    strategy.rollingUpdate.maxUnavailable ??= '25%';
    strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec.template);
}

function defaultReplicaSet(rs: ReplicaSet): void {
  if (!rs.spec) return;
  rs.spec.replicas ??= 1;
  defaultTemplate(rs.spec.template);
}

function defaultJob(job: Job): void {
  const spec = job.spec;
  if (!spec) return;
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? 2147483647 : 6;
  const labels = spec.template?.metadata?.labels;
  if (labels && Object.keys(job.metadata?.labels ?? {}).length === 0) {
    job.metadata ??= {};
    job.metadata.labels = { ...labels };
  }
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  for (const rule of spec.podFailurePolicy?.rules ?? []) {
    for (const p of rule.onPodConditions ?? []) p.status ||= 'True';
  }
  defaultTemplate(spec.template);
}

/** Returns a defaulted copy of `obj`. Unknown kinds are returned as a plain copy. */
export function applyDefaults(obj: KubeObject): KubeObject {
  return applyDefaultsInPlace(cloneJson(obj));
}

/** Defaults `out` itself and returns it: for a caller that owns the object (the API server's write path). */
export function applyDefaultsInPlace(out: KubeObject): KubeObject {
  switch (out.kind) {
    case 'Pod':
      defaultPod(out as unknown as Pod);
      break;
    case 'Service':
      defaultService(out as unknown as Service);
      break;
    case 'Deployment':
      defaultDeployment(out as unknown as Deployment);
      break;
    case 'ReplicaSet':
      defaultReplicaSet(out as unknown as ReplicaSet);
      break;
    case 'Job':
      defaultJob(out as unknown as Job);
      break;
    case 'StatefulSet': {
      const sts = out as unknown as StatefulSet;
      defaultStatefulSetSpec(sts);
      defaultTemplate(sts.spec?.template);
      break;
    }
    case 'DaemonSet': {
      const ds = out as unknown as DaemonSet;
      defaultDaemonSetSpec(ds);
      defaultTemplate(ds.spec?.template);
      break;
    }
    case 'CronJob': {
      const cj = out as unknown as CronJob;
      defaultCronJobSpec(cj);
      defaultTemplate(cj.spec?.jobTemplate?.spec?.template);
      break;
    }
    case 'ReplicationController': {
      const rc = out as unknown as ReplicationController;
      defaultReplicationControllerSpec(rc);
      defaultTemplate(rc.spec?.template);
      break;
    }
    case 'HorizontalPodAutoscaler':
      defaultHorizontalPodAutoscaler(out as unknown as HorizontalPodAutoscaler);
      break;
    case 'PersistentVolumeClaim':
      defaultPersistentVolumeClaim(out as unknown as PersistentVolumeClaim);
      break;
    case 'PersistentVolume':
      defaultPersistentVolume(out as unknown as PersistentVolume);
      break;
    case 'StorageClass':
      defaultStorageClass(out as unknown as StorageClass);
      break;
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      defaultRbacObject(out as unknown as RoleBinding);
      break;
    case 'LimitRange':
      defaultLimitRange(out as unknown as LimitRange);
      break;
    case 'NetworkPolicy':
      defaultNetworkPolicy(out as unknown as NetworkPolicy);
      break;
    case 'PriorityClass':
      defaultPriorityClass(out as unknown as PriorityClass);
      break;
    case 'Secret': {
      const s = out as unknown as Secret;
      if (!s.type) s.type = 'Opaque';
      break;
    }
    case 'Namespace': {
      // The Namespace strategy (PrepareForCreate) and SetDefaults_NamespaceStatus.
      const ns = out as unknown as Namespace;
      ns.spec ??= {};
      if (!ns.spec.finalizers || ns.spec.finalizers.length === 0) ns.spec.finalizers = ['kubernetes'];
      ns.status ??= {};
      ns.status.phase ||= 'Active';
      break;
    }
    case 'Endpoints': {
      for (const subset of (out as unknown as Endpoints).subsets ?? []) {
        for (const p of subset.ports ?? []) p.protocol ||= 'TCP';
      }
      break;
    }
    case 'EndpointSlice': {
      // pkg/apis/discovery/v1 SetDefaults_EndpointPort: an absent name is "", an absent protocol TCP.
      for (const p of (out as unknown as EndpointSlice).ports ?? []) {
        p.name ??= '';
        p.protocol ??= 'TCP';
      }
      break;
    }
  }
  return out;
}
