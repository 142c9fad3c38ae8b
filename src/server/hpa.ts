// The horizontal pod autoscaler controller's view of the API (controllers/hpa/controller.ts): its objects,
// the scale subresource of any kind that has one, the pods a selector picks, through the registry.
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import { RESOURCES, type ResourceInfo } from '../api/resources.js';
import type { Pod } from '../api/types.js';
import { ApiError } from '../apiserver/errors.js';
import type { Registry } from '../apiserver/registry.js';
import type { HpaApi } from '../controllers/hpa/controller.js';

/** The resource a scaleTargetRef names, as the controller's RESTMapper finds it (the group of its apiVersion). */
function scaleResource(ref: { apiVersion?: string; kind: string }): ResourceInfo {
  const group = ref.apiVersion?.includes('/') ? ref.apiVersion.split('/')[0] : '';
  const r = RESOURCES.find(
    (x) =>
      x.kind === ref.kind &&
      (ref.apiVersion === undefined || x.group === group) &&
      x.subresources.includes('scale'),
  );
  if (!r) {
    throw new ApiError(
      404,
      'NotFound',
      `no matches for kind "${ref.kind}" in group "${group ?? ''}" with a scale subresource`,
    );
  }
  return r;
}

export function registryHpaApi(registry: Registry): HpaApi {
  return {
    async listAutoscalers() {
      const { items } = await registry.list('horizontalpodautoscalers.autoscaling', undefined);
      return items as unknown as HorizontalPodAutoscaler[];
    },
    async getScale(namespace, ref) {
      const scale = await registry.getScale(scaleResource(ref), namespace, ref.name);
      const spec = scale.spec as { replicas?: number };
      const status = scale.status as { selector?: string };
      return { replicas: spec.replicas ?? 0, selector: status.selector ?? '' };
    },
    async updateScale(namespace, ref, replicas) {
      await registry.updateScale(scaleResource(ref), namespace, ref.name, {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name: ref.name, namespace },
        spec: { replicas },
      });
    },
    async listPods(namespace, selector) {
      const { items } = await registry.list('pods', namespace, { labelSelector: selector });
      return items as unknown as Pod[];
    },
    async updateStatus(hpa) {
      await registry.updateStatus(
        'horizontalpodautoscalers.autoscaling',
        hpa.metadata?.namespace,
        hpa.metadata?.name ?? '',
        hpa,
      );
    },
  };
}
