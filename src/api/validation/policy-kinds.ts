// The policy kinds' entries for validateObject and validateKindUpdate (index.ts, update.ts), by kind.
import type { LimitRange, ResourceQuota } from 'kubernetes-types/core/v1.js';
import type { Ingress, IngressClass, NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { KubeObject } from '../types.js';
import { type FieldError, invalid } from './field-error.js';
import {
  validateIngress,
  validateIngressClass,
  validateLimitRange,
  validateNetworkPolicy,
  validatePodDisruptionBudget,
  validatePriorityClass,
  validatePriorityClassUpdate,
  validateResourceQuota,
} from './policy.js';

export function validatePolicyKind(obj: KubeObject): FieldError[] {
  switch (obj.kind) {
    case 'PodDisruptionBudget':
      return validatePodDisruptionBudget(obj as unknown as PodDisruptionBudget);
    case 'PriorityClass':
      return validatePriorityClass(obj as unknown as PriorityClass);
    case 'LimitRange':
      return validateLimitRange(obj as unknown as LimitRange);
    case 'ResourceQuota':
      return validateResourceQuota(obj as unknown as ResourceQuota);
    case 'NetworkPolicy':
      return validateNetworkPolicy(obj as unknown as NetworkPolicy);
    case 'Ingress':
      return validateIngress(obj as unknown as Ingress);
    case 'IngressClass':
      return validateIngressClass(obj as unknown as IngressClass);
    default:
      return [];
  }
}

export function validatePolicyKindUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  switch (obj.kind) {
    case 'PriorityClass':
      return validatePriorityClassUpdate(obj as unknown as PriorityClass, old as unknown as PriorityClass);
    case 'IngressClass': {
      // spec.controller is immutable (ValidateIngressClassUpdate).
      const n = (obj as unknown as IngressClass).spec?.controller;
      const o = (old as unknown as IngressClass).spec?.controller;
      return n === o ? [] : [invalid('spec.controller', n ?? '', 'field is immutable')];
    }
    default:
      return [];
  }
}
