// The kubelet's view of the API (src/kubelet/types.ts), served by the registry in the same process.
import type {
  ConfigMap,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodStatus,
  Secret,
  Service,
  ServiceAccount,
} from '../api/types.js';
import { ApiError } from '../apiserver/errors.js';
import type { Registry } from '../apiserver/registry.js';
import type { ServiceAccountTokens } from '../apiserver/serviceaccount/tokens.js';
import type { ObjectGetter, PodStatusWriter } from '../kubelet/types.js';

function isGone(err: unknown): boolean {
  // 404: deleted meanwhile; 409 with a uid precondition: a new pod of the same name.
  return err instanceof ApiError && (err.code === 404 || err.code === 409);
}

/** `tokens`: the TokenRequest API for projected serviceAccountToken sources (the kubelet's token manager). */
export function registryObjectGetter(registry: Registry, tokens?: ServiceAccountTokens): ObjectGetter {
  return {
    ...(tokens
      ? {
          requestServiceAccountToken: async (ns: string, name: string, spec: object) => {
            const tr = await tokens.createToken(ns, name, {
              apiVersion: 'authentication.k8s.io/v1',
              kind: 'TokenRequest',
              spec,
            });
            const status = tr.status as { token: string; expirationTimestamp: string };
            return { token: status.token, expirationTimestamp: status.expirationTimestamp };
          },
        }
      : {}),
    getConfigMap: async (ns, name) =>
      (await registry.findShared('configmaps', ns, name)) as ConfigMap | undefined,
    getSecret: async (ns, name) => (await registry.findShared('secrets', ns, name)) as Secret | undefined,
    getServiceAccount: async (ns, name) =>
      (await registry.findShared('serviceaccounts', ns, name)) as ServiceAccount | undefined,
    getPersistentVolumeClaim: async (ns, name) =>
      (await registry.find('persistentvolumeclaims', ns, name)) as PersistentVolumeClaim | undefined,
    getPersistentVolume: async (name) =>
      (await registry.find('persistentvolumes', undefined, name)) as PersistentVolume | undefined,
    listServices: async (ns) => (await registry.listShared('services', ns)).items as unknown as Service[],
  };
}

export function registryStatusWriter(registry: Registry): PodStatusWriter {
  return {
    async updateStatus(pod: Pod, status: PodStatus): Promise<void> {
      const ns = pod.metadata?.namespace ?? 'default';
      const name = pod.metadata?.name ?? '';
      try {
        // The status belongs to this pod instance only: a pod recreated under the same name is another one.
        await registry.writePodStatus(ns, name, pod.metadata?.uid, status);
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    },
    async finalizeDeletion(pod: Pod): Promise<void> {
      try {
        await registry.delete('pods', pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '', {
          gracePeriodSeconds: 0,
          preconditions: { uid: pod.metadata?.uid },
        });
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    },
  };
}
