// Object types: the upstream Kubernetes API types (kubernetes-types, types only, no runtime cost),
// re-exported so the rest of podrun imports them from one place.

export type {
  ControllerRevision,
  DaemonSet,
  Deployment,
  ReplicaSet,
  StatefulSet,
} from 'kubernetes-types/apps/v1.js';
export type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
export type { Lease } from 'kubernetes-types/coordination/v1.js';
export type {
  ConfigMap,
  Container,
  ContainerState,
  ContainerStatus,
  Endpoints,
  EnvVar,
  Event,
  Namespace,
  Node,
  NodeCondition,
  NodeStatus,
  ObjectReference,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodCondition,
  PodSpec,
  PodStatus,
  Probe,
  ReplicationController,
  Secret,
  Service,
  ServiceAccount,
  Taint,
  Toleration,
  Volume,
  VolumeMount,
} from 'kubernetes-types/core/v1.js';
export type {
  Endpoint,
  EndpointConditions,
  EndpointPort as EndpointSlicePort,
  EndpointSlice,
} from 'kubernetes-types/discovery/v1.js';
export type { ObjectMeta, OwnerReference, Status, Time } from 'kubernetes-types/meta/v1.js';
export type {
  AggregationRule,
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  RoleRef,
  Subject,
} from 'kubernetes-types/rbac/v1.js';
export type { StorageClass } from 'kubernetes-types/storage/v1.js';

import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

/** Any stored Kubernetes object. Concrete kinds narrow it with `kind`. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name?: string; namespace?: string };
  [field: string]: unknown;
}
export type { LimitRange, LimitRangeItem, ResourceQuota } from 'kubernetes-types/core/v1.js';
export type { Ingress, IngressClass, NetworkPolicy } from 'kubernetes-types/networking/v1.js';
export type { Eviction, PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
export type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
