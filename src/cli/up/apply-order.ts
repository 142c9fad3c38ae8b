// The order `podrun up` applies objects in: what others refer to first (namespaces, then configuration,
// then services), workloads last, as kubectl's and Helm's install orders do. Stable within a kind.
import type { KubeObject } from '../../api/types.js';

const ORDER = [
  'Namespace',
  // Helm's install order: ServiceAccount before Secret.
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'Service',
  'Endpoints',
  'Pod',
  'ReplicaSet',
  'Deployment',
  'Job',
];

export function applyOrder(objects: KubeObject[]): KubeObject[] {
  const rank = (o: KubeObject) => {
    const i = ORDER.indexOf(o.kind);
    return i < 0 ? ORDER.length : i;
  };
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i)
    .map(({ o }) => o);
}
