// Validation entry points: validateObject (create) and validateUpdate (update), returning every error with its
// field path. Expects a decoded object (see ../decode.ts), normally defaulted (../defaults.ts) as the API server
// does before validating; fields that defaulting fills in are not required when absent.

import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type {
  ConfigMap,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodSpec,
  ReplicationController,
  Secret,
  Service,
} from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { resourceForKind } from '../resources.js';
import type { KubeObject } from '../types.js';
import { validateConfigMap, validateNamespace, validateSecret } from './core.js';
import { validateCronJob } from './cronjob.js';
import { validateDaemonSet } from './daemonset.js';
import { validateEndpointSlice } from './discovery.js';
import { type FieldError, forbidden } from './field-error.js';
import { validateHorizontalPodAutoscaler } from './hpa.js';
import { validateInitTimeoutAnnotations } from './init-timeout.js';
import { type NameFn, validateObjectMeta } from './meta.js';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain } from './names.js';
import { validateLease, validateNode } from './node.js';
import { validatePodSpec } from './pod.js';
import { validatePodStatusUpdate } from './pod-status.js';
import { validatePolicyKind } from './policy-kinds.js';
import {
  isValidPathSegmentName,
  validateClusterRole,
  validateClusterRoleBinding,
  validateRole,
  validateRoleBinding,
} from './rbac.js';
import { validateReplicationController } from './replicationcontroller.js';
import { validateService, validateServiceUpdate } from './service.js';
import { validateStatefulSet } from './statefulset.js';
import { validatePersistentVolume, validatePersistentVolumeClaim, validateStorageClass } from './storage.js';
import { validateKindUpdate, validateObjectMetaUpdate } from './update.js';
import { validateDeployment, validateJob, validateReplicaSet } from './workloads.js';

export type { FieldError, FieldErrorType } from './field-error.js';
export { formatFieldError } from './field-error.js';
export { withGeneratedJobSelector } from './workloads.js';

const NAME_FNS: Record<string, NameFn> = {
  Namespace: isDNS1123Label,
  Service: isDNS1035Label,
  Role: isValidPathSegmentName,
  ClusterRole: isValidPathSegmentName,
  RoleBinding: isValidPathSegmentName,
  ClusterRoleBinding: isValidPathSegmentName,
};

function kindErrors(obj: KubeObject): FieldError[] {
  switch (obj.kind) {
    case 'Pod':
      return [
        ...validatePodSpec((obj as unknown as Pod).spec ?? ({} as PodSpec), 'spec'),
        ...validateInitTimeoutAnnotations(
          obj.metadata?.annotations,
          (obj as unknown as Pod).spec,
          'metadata.annotations',
        ),
      ];
    case 'Deployment':
      return validateDeployment(obj as unknown as Deployment);
    case 'ReplicaSet':
      return validateReplicaSet(obj as unknown as ReplicaSet);
    case 'Job':
      return validateJob(obj as unknown as Job);
    case 'ConfigMap':
      return validateConfigMap(obj as unknown as ConfigMap);
    case 'Secret':
      return validateSecret(obj as unknown as Secret);
    case 'Service':
      return validateService(obj as unknown as Service);
    case 'Namespace':
      return validateNamespace(obj as unknown as Namespace);
    case 'EndpointSlice':
      return validateEndpointSlice(obj as unknown as EndpointSlice);
    case 'Node':
      return validateNode(obj as unknown as Node);
    case 'Lease':
      return validateLease(obj as unknown as Lease);
    case 'StatefulSet':
      return validateStatefulSet(obj as unknown as StatefulSet);
    case 'DaemonSet':
      return validateDaemonSet(obj as unknown as DaemonSet);
    // A CronJob's rules differ on update (ValidateCronJobUpdate): see createOnlyErrors and validateKindUpdate.
    case 'ReplicationController':
      return validateReplicationController(obj as unknown as ReplicationController);
    case 'PersistentVolumeClaim':
      return validatePersistentVolumeClaim(obj as unknown as PersistentVolumeClaim);
    case 'PersistentVolume':
      return validatePersistentVolume(obj as unknown as PersistentVolume);
    case 'StorageClass':
      return validateStorageClass(obj as unknown as StorageClass);
    case 'Role':
      return validateRole(obj as unknown as Role);
    case 'ClusterRole':
      return validateClusterRole(obj as unknown as ClusterRole);
    case 'RoleBinding':
      return validateRoleBinding(obj as unknown as RoleBinding);
    case 'ClusterRoleBinding':
      return validateClusterRoleBinding(obj as unknown as ClusterRoleBinding);
    case 'HorizontalPodAutoscaler':
      return validateHorizontalPodAutoscaler(obj as unknown as HorizontalPodAutoscaler);
    default:
      return validatePolicyKind(obj);
  }
}

/** The object's own rules, on create and on every update. */
export function validateObjectFields(obj: KubeObject): FieldError[] {
  return [...metaErrors(obj), ...kindErrors(obj)];
}

/** ValidateObjectMeta with the kind's name rule and scope. */
function metaErrors(obj: KubeObject): FieldError[] {
  const namespaced = resourceForKind(obj.apiVersion, obj.kind)?.namespaced ?? true;
  const nameFn = NAME_FNS[obj.kind] ?? isDNS1123Subdomain;
  return validateObjectMeta(obj.metadata ?? {}, { namespaced, nameFn }, 'metadata');
}

/** Rules of a create only (ValidatePodCreate): ephemeral containers come through pods/ephemeralcontainers. */
function createOnlyErrors(obj: KubeObject): FieldError[] {
  if (obj.kind === 'CronJob') return validateCronJob(obj as unknown as CronJob);
  if (obj.kind !== 'Pod' || ((obj as unknown as Pod).spec?.ephemeralContainers ?? []).length === 0) return [];
  return [forbidden('spec.ephemeralContainers', 'cannot be set on create')];
}

/** Everything Kubernetes validates on create for this object's kind. */
export function validateObject(obj: KubeObject): FieldError[] {
  return [...validateObjectFields(obj), ...createOnlyErrors(obj)];
}

/**
 * A status write's rules. A pod's (ValidatePodStatusUpdate): its metadata's, and what its status may not do
 * (pod-status.ts); the write carries the spec over from the stored pod unchanged, and upstream does not
 * validate it again. Other kinds: as validateUpdate.
 */
export function validateStatusUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  if (obj.kind !== 'Pod') return validateUpdate(obj, old);
  return [
    ...validateObjectMetaUpdate(obj, old),
    ...metaErrors(obj),
    ...validatePodStatusUpdate(obj as unknown as Pod, old as unknown as Pod),
  ];
}

/** Create-time rules for the new object plus what may not change relative to `old`. */
export function validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  if (obj.kind === 'Service') {
    // ValidateServiceUpdate checks what may not change before the object itself.
    const svc = obj as unknown as Service;
    return [
      ...validateObjectMetaUpdate(obj, old),
      ...validateServiceUpdate(svc, old as unknown as Service),
      ...validateObjectFields(obj),
    ];
  }
  return [
    ...validateObjectMetaUpdate(obj, old),
    ...validateObjectFields(obj),
    ...validateKindUpdate(obj, old),
  ];
}
