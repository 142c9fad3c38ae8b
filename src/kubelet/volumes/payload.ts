// What each projected volume type writes: relative path → bytes and mode, built from the pod's objects the way
// the kubelet's configmap.MakePayload, secret.MakePayload, downwardapi.CollectData and the projected plugin do.
import type {
  ConfigMap,
  DownwardAPIVolumeFile,
  KeyToPath,
  Pod,
  ProjectedVolumeSource,
  Secret,
} from 'kubernetes-types/core/v1.js';
import {
  extractFieldPathAsString,
  extractResourceValueByContainerName,
  type NodeAllocatable,
} from '../fieldpath.js';
import type { TokenManager } from '../token-manager.js';
import type { ObjectGetter } from '../types.js';
import type { FileProjection } from './atomic-writer.js';
import { aggregate } from './errors.js';
import { configMapData, secretData } from './object-data.js';

/** The API's default for defaultMode on configMap, secret, downwardAPI and projected volumes (0644). */
export const DEFAULT_MODE = 0o644;

function fromData(
  data: Map<string, Buffer>,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  optional: boolean,
  missingKey: (key: string) => string,
): Map<string, FileProjection> {
  const payload = new Map<string, FileProjection>();
  if (!items || items.length === 0) {
    for (const [key, bytes] of data) payload.set(key, { data: bytes, mode: defaultMode });
    return payload;
  }
  for (const item of items) {
    const bytes = data.get(item.key);
    if (bytes === undefined) {
      if (optional) continue;
      throw new Error(missingKey(item.key));
    }
    payload.set(item.path, { data: bytes, mode: item.mode ?? defaultMode });
  }
  return payload;
}

/** configmap.MakePayload; a missing optional ConfigMap projects nothing. */
export function configMapPayload(
  items: KeyToPath[] | undefined,
  configMap: ConfigMap | undefined,
  defaultMode: number,
  optional: boolean,
): Map<string, FileProjection> {
  const data = configMap ? configMapData(configMap) : new Map<string, Buffer>();
  return fromData(
    data,
    items,
    defaultMode,
    optional,
    (key) => `configmap references non-existent config key: ${key}`,
  );
}

/** secret.MakePayload; a missing optional Secret projects nothing. */
export function secretPayload(
  items: KeyToPath[] | undefined,
  secret: Secret | undefined,
  defaultMode: number,
  optional: boolean,
): Map<string, FileProjection> {
  const data = secret ? secretData(secret) : new Map<string, Buffer>();
  return fromData(data, items, defaultMode, optional, (key) => `references non-existent secret key: ${key}`);
}

/**
 * downwardapi.CollectData: one file per item from a pod field (metadata only: name, namespace, uid, labels,
 * annotations) or a container resource. Every failing item is reported, aggregated as the kubelet does.
 */
export function downwardAPIPayload(
  items: DownwardAPIVolumeFile[] | undefined,
  pod: Pod,
  defaultMode: number,
  allocatable: NodeAllocatable,
): Map<string, FileProjection> {
  const payload = new Map<string, FileProjection>();
  const errors: Error[] = [];
  for (const item of items ?? []) {
    let data = Buffer.alloc(0);
    try {
      if (item.fieldRef) {
        data = Buffer.from(extractFieldPathAsString(pod, item.fieldRef.fieldPath));
      } else if (item.resourceFieldRef) {
        const ref = item.resourceFieldRef;
        data = Buffer.from(
          extractResourceValueByContainerName(ref, pod, ref.containerName ?? '', allocatable),
        );
      }
    } catch (e) {
      errors.push(e instanceof Error ? e : new Error(String(e)));
    }
    payload.set(item.path, { data, mode: item.mode ?? defaultMode });
  }
  const err = aggregate(errors);
  if (err) throw err;
  return payload;
}

export interface ProjectedResult {
  payload: Map<string, FileProjection>;
  /** Sources podrun cannot project (serviceAccountToken, clusterTrustBundle), as sentences for a Warning event. */
  skipped: string[];
}

/** The projected plugin's collectData: sources in order, later paths overwriting earlier ones. */
export async function projectedPayload(
  volumeName: string,
  source: ProjectedVolumeSource,
  pod: Pod,
  objects: ObjectGetter,
  allocatable: NodeAllocatable,
  tokens?: TokenManager,
): Promise<ProjectedResult> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const defaultMode = source.defaultMode ?? DEFAULT_MODE;
  const payload = new Map<string, FileProjection>();
  const skipped: string[] = [];
  const errors: Error[] = [];
  const merge = (m: Map<string, FileProjection>) => {
    for (const [k, v] of m) payload.set(k, v);
  };
  for (const s of source.sources ?? []) {
    try {
      if (s.configMap) {
        const name = s.configMap.name ?? '';
        const optional = s.configMap.optional === true;
        const cm = await objects.getConfigMap(namespace, name);
        if (!cm && !optional) throw new Error(`configmap "${name}" not found`);
        merge(configMapPayload(s.configMap.items, cm, defaultMode, optional));
      } else if (s.secret) {
        const name = s.secret.name ?? '';
        const optional = s.secret.optional === true;
        const secret = await objects.getSecret(namespace, name);
        if (!secret && !optional) throw new Error(`secret "${name}" not found`);
        merge(secretPayload(s.secret.items, secret, defaultMode, optional));
      } else if (s.downwardAPI) {
        merge(downwardAPIPayload(s.downwardAPI.items, pod, defaultMode, allocatable));
      } else if (s.serviceAccountToken && tokens) {
        const tp = s.serviceAccountToken;
        const token = await tokens.getServiceAccountToken(
          namespace,
          pod.spec?.serviceAccountName ?? 'default',
          {
            audiences: tp.audience ? [tp.audience] : [],
            expirationSeconds: tp.expirationSeconds ?? 3600,
            boundObjectRef: {
              apiVersion: 'v1',
              kind: 'Pod',
              name: pod.metadata?.name ?? '',
              uid: pod.metadata?.uid ?? '',
            },
          },
        );
        // With an fsGroup the token is 0600 before ownership gives the group read (0640), as upstream.
        const fsGroup = pod.spec?.securityContext?.fsGroup;
        payload.set(tp.path, { data: Buffer.from(token), mode: fsGroup === undefined ? defaultMode : 0o600 });
      } else if (s.serviceAccountToken) {
        skipped.push(
          `projected volume "${volumeName}": source serviceAccountToken (path ${s.serviceAccountToken.path}) is not supported by podrun (no token issuer) and was skipped`,
        );
      } else if (s.clusterTrustBundle) {
        skipped.push(
          `projected volume "${volumeName}": source clusterTrustBundle (path ${s.clusterTrustBundle.path}) is not supported by podrun and was skipped`,
        );
      }
    } catch (e) {
      errors.push(e instanceof Error ? e : new Error(String(e)));
    }
  }
  const err = aggregate(errors);
  if (err) throw err;
  return { payload, skipped };
}
