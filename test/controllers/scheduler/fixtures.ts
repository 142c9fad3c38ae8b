// Nodes and pods for the scheduler tests.
import type { Node, Pod } from '../../../src/api/types.js';

export function node(
  over: { labels?: Record<string, string>; spec?: Node['spec']; allocatable?: Record<string, string> } = {},
): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'podrun',
      labels: { 'kubernetes.io/hostname': 'podrun', 'kubernetes.io/os': 'linux', ...over.labels },
    },
    spec: over.spec ?? {},
    status: {
      allocatable: {
        cpu: '2',
        memory: '8045568Ki',
        'ephemeral-storage': '90Gi',
        pods: '110',
        ...over.allocatable,
      },
    },
  };
}

export function pod(
  name: string,
  requests: Record<string, string> = {},
  spec: Partial<Pod['spec']> = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: '2026-12-05T12:00:00Z' },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests } }], ...spec },
  };
}
