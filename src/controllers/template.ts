// Building a pod from a workload's template (controller.GetPodFromTemplate).
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/types.js';
import { ownerReferenceTo } from './pods.js';

export function podFromTemplate(
  owner: KubeObject,
  template: PodTemplateSpec | undefined,
  generateName: string,
  extraLabels: Record<string, string> = {},
): KubeObject {
  const meta = template?.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace: owner.metadata.namespace,
      labels: { ...(meta.labels ?? {}), ...extraLabels },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [ownerReferenceTo(owner)],
    },
    spec: structuredClone(template?.spec ?? { containers: [] }),
  };
}
