// metrics.k8s.io/v1beta1: served by podrun's API server itself (metrics-server's API, which a cluster
// aggregates) from the node's readings, never stored. Discovery lists these beside the stored kinds.
import type { ResourceInfo } from './resources.js';

const READ_ONLY = ['get', 'list'];

export const METRICS_RESOURCES: readonly ResourceInfo[] = [
  {
    group: 'metrics.k8s.io',
    version: 'v1beta1',
    kind: 'NodeMetrics',
    resource: 'nodes',
    singular: '',
    namespaced: false,
    shortNames: [],
    categories: [],
    subresources: [],
    verbs: READ_ONLY,
  },
  {
    group: 'metrics.k8s.io',
    version: 'v1beta1',
    kind: 'PodMetrics',
    resource: 'pods',
    singular: '',
    namespaced: true,
    shortNames: [],
    categories: [],
    subresources: [],
    verbs: READ_ONLY,
  },
];
