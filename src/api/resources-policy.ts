// The policy-shaped kinds of a default cluster (issue 14, item 6): disruption budgets, network policies and
// ingresses, priority classes, limit ranges and quotas, API services. Kept beside resources.ts so that table
// stays small; resources.ts spreads this list into RESOURCES. What runs each is in docs/api.md.
import type { ResourceInfo } from './resources.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function entry(
  info: Omit<ResourceInfo, 'verbs' | 'categories' | 'shortNames' | 'subresources'> &
    Partial<Pick<ResourceInfo, 'categories' | 'shortNames' | 'subresources'>>,
): ResourceInfo {
  return { verbs: ALL_VERBS, categories: [], shortNames: [], subresources: [], ...info };
}

export const POLICY_RESOURCES: readonly ResourceInfo[] = [
  entry({
    group: 'policy',
    version: 'v1',
    kind: 'PodDisruptionBudget',
    resource: 'poddisruptionbudgets',
    singular: 'poddisruptionbudget',
    namespaced: true,
    shortNames: ['pdb'],
    subresources: ['status'],
  }),
  entry({
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'NetworkPolicy',
    resource: 'networkpolicies',
    singular: 'networkpolicy',
    namespaced: true,
    shortNames: ['netpol'],
  }),
  entry({
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'Ingress',
    resource: 'ingresses',
    singular: 'ingress',
    namespaced: true,
    shortNames: ['ing'],
    subresources: ['status'],
  }),
  entry({
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'IngressClass',
    resource: 'ingressclasses',
    singular: 'ingressclass',
    namespaced: false,
  }),
  entry({
    group: 'scheduling.k8s.io',
    version: 'v1',
    kind: 'PriorityClass',
    resource: 'priorityclasses',
    singular: 'priorityclass',
    namespaced: false,
    shortNames: ['pc'],
  }),
  entry({
    group: '',
    version: 'v1',
    kind: 'LimitRange',
    resource: 'limitranges',
    singular: 'limitrange',
    namespaced: true,
    shortNames: ['limits'],
  }),
  entry({
    group: '',
    version: 'v1',
    kind: 'ResourceQuota',
    resource: 'resourcequotas',
    singular: 'resourcequota',
    namespaced: true,
    shortNames: ['quota'],
    subresources: ['status'],
  }),
  entry({
    group: 'apiregistration.k8s.io',
    version: 'v1',
    kind: 'APIService',
    resource: 'apiservices',
    singular: 'apiservice',
    namespaced: false,
    categories: ['api-extensions'],
    subresources: ['status'],
  }),
];
