// The ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount/admission.go) for pod creates:
// spec.serviceAccountName defaults to `default`, a pod naming a ServiceAccount that does not exist is refused,
// the ServiceAccount's imagePullSecrets are copied into a pod that names none, and unless
// automountServiceAccountToken is false (on the pod, else on the ServiceAccount) every container and init
// container mounts the projected `kube-api-access-*` volume at /var/run/secrets/kubernetes.io/serviceaccount.
import type { KubeObject, Pod, ServiceAccount } from '../../api/types.js';
import { ApiError, forbidden, notFound } from '../errors.js';
import { isPlainObject, randomSuffix } from '../object-util.js';

export const DEFAULT_SERVICE_ACCOUNT_NAME = 'default';
export const DEFAULT_API_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The volume's name prefix (ServiceAccountVolumeName); the rest is 5 random characters. */
export const SERVICE_ACCOUNT_VOLUME_NAME = 'kube-api-access';
/**
 * WarnOnlyBoundTokenExpirationSeconds: the lifetime the admission asks for. The TokenRequest API extends
 * tokens asked for with exactly this lifetime and bound to a pod (see tokens.ts), as upstream does.
 */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 3607;
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
/** On a ServiceAccount, "true" limits its pods to the secrets it lists (EnforceMountableSecretsAnnotation). */
export const ENFORCE_MOUNTABLE_SECRETS_ANNOTATION = 'kubernetes.io/enforce-mountable-secrets';

const PODS = { group: '', resource: 'pods' };
const SERVICE_ACCOUNT_RESOURCE = { group: '', resource: 'serviceaccount' };

export interface ServiceAccountAdmissionDeps {
  /** The ServiceAccount, or undefined when it does not exist. */
  getServiceAccount(namespace: string, name: string): Promise<ServiceAccount | undefined>;
  /** Waits between the lookups of `default` (upstream: 100–200 ms). */
  sleep?: (ms: number) => Promise<void>;
  /** The 5-character volume name suffix; tests fix it. */
  volumeName?: () => string;
}

/** TokenVolumeSource: the projected source of a kube-api-access volume. */
export function tokenVolumeSource(): Record<string, unknown> {
  return {
    // Set explicitly, as upstream does (kubernetes#104464), so that the stored pod shows it.
    defaultMode: 0o644,
    sources: [
      { serviceAccountToken: { path: 'token', expirationSeconds: WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS } },
      { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      {
        downwardAPI: {
          items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
        },
      },
    ],
  };
}

/**
 * getServiceAccount: a missing `default` is looked up 10 times (the ServiceAccount controller may not have
 * made it yet in a namespace created just now), any other name once.
 */
async function lookUp(
  deps: ServiceAccountAdmissionDeps,
  namespace: string,
  name: string,
): Promise<ServiceAccount> {
  const attempts = name === DEFAULT_SERVICE_ACCOUNT_NAME ? 10 : 1;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const interval = 100 + Math.floor(Math.random() * 100);
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(interval);
    const sa = await deps.getServiceAccount(namespace, name);
    if (sa) return sa;
  }
  throw notFound(SERVICE_ACCOUNT_RESOURCE, name);
}

function shouldAutomount(sa: ServiceAccount, pod: Pod): boolean {
  // The pod's preference wins, then the ServiceAccount's; true by default.
  if (typeof pod.spec?.automountServiceAccountToken === 'boolean')
    return pod.spec.automountServiceAccountToken;
  if (typeof sa.automountServiceAccountToken === 'boolean') return sa.automountServiceAccountToken;
  return true;
}

interface MutableContainer {
  volumeMounts?: Array<Record<string, unknown>>;
}

function mountServiceAccountToken(spec: Record<string, unknown>, volumeName: () => string): void {
  const volumes = Array.isArray(spec.volumes) ? (spec.volumes as Array<Record<string, unknown>>) : [];
  // An existing kube-api-access-* volume is reused (a pod created from another pod's spec).
  const existing = volumes.find(
    (v) => typeof v.name === 'string' && v.name.startsWith(`${SERVICE_ACCOUNT_VOLUME_NAME}-`),
  );
  const name = (existing?.name as string | undefined) ?? `${SERVICE_ACCOUNT_VOLUME_NAME}-${volumeName()}`;
  let needsVolume = false;
  for (const field of ['initContainers', 'containers']) {
    const list = Array.isArray(spec[field]) ? (spec[field] as MutableContainer[]) : [];
    for (const c of list) {
      if (!isPlainObject(c)) continue;
      const mounts = Array.isArray(c.volumeMounts) ? c.volumeMounts : [];
      // A mount of its own at the default path keeps the API token out of that container.
      if (mounts.some((m) => isPlainObject(m) && m.mountPath === DEFAULT_API_TOKEN_MOUNT_PATH)) continue;
      c.volumeMounts = [...mounts, { name, readOnly: true, mountPath: DEFAULT_API_TOKEN_MOUNT_PATH }];
      needsVolume = true;
    }
  }
  if (!existing && needsVolume) spec.volumes = [...volumes, { name, projected: tokenVolumeSource() }];
}

interface SecretUser {
  name?: string;
  env?: Array<{ name?: string; valueFrom?: { secretKeyRef?: { name?: string } } }>;
  envFrom?: Array<{ secretRef?: { name?: string } }>;
}

/**
 * limitSecretReferences: with the annotation set, every secret volume, secret env reference and pull secret
 * of the pod must be among the ServiceAccount's secrets (pull secrets: its imagePullSecrets). The refusal
 * names the first that is not, in upstream's words; undefined when all are.
 */
export function secretReferenceProblem(
  sa: ServiceAccount,
  spec: Record<string, unknown>,
): string | undefined {
  const saName = sa.metadata?.name ?? '';
  const mountable = new Set((sa.secrets ?? []).map((s) => s.name ?? ''));
  const notReferenced = `is not allowed because service account ${saName} does not reference that secret`;
  const volumes = Array.isArray(spec.volumes)
    ? (spec.volumes as Array<{ secret?: { secretName?: string } }>)
    : [];
  for (const v of volumes) {
    if (!v?.secret) continue;
    const name = v.secret.secretName ?? '';
    if (!mountable.has(name)) return `volume with secret.secretName="${name}" ${notReferenced}`;
  }
  for (const [field, what] of [
    ['initContainers', 'init container'],
    ['containers', 'container'],
  ] as const) {
    const list = Array.isArray(spec[field]) ? (spec[field] as SecretUser[]) : [];
    for (const c of list) {
      for (const e of c?.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && !mountable.has(ref.name ?? '')) {
          return `${what} ${c.name} with envVar ${e.name} referencing secret.secretName="${ref.name ?? ''}" ${notReferenced}`;
        }
      }
      for (const e of c?.envFrom ?? []) {
        if (e.secretRef && !mountable.has(e.secretRef.name ?? '')) {
          return `${what} ${c.name} with envFrom referencing secret.secretName="${e.secretRef.name ?? ''}" ${notReferenced}`;
        }
      }
    }
  }
  const pullable = new Set((sa.imagePullSecrets ?? []).map((s) => s.name ?? ''));
  const pulls = Array.isArray(spec.imagePullSecrets)
    ? (spec.imagePullSecrets as Array<{ name?: string }>)
    : [];
  for (const [i, ref] of pulls.entries()) {
    if (!pullable.has(ref?.name ?? '')) {
      return `imagePullSecrets[${i}].name="${ref?.name ?? ''}" is not allowed because service account ${saName} does not reference that imagePullSecret`;
    }
  }
  return undefined;
}

/** The plugin as a registry admission hook for pods (Registry.addAdmission('pods', …)). */
export function serviceAccountAdmission(
  deps: ServiceAccountAdmissionDeps,
): (obj: KubeObject, dryRun: boolean, context?: { generatedName: boolean }) => Promise<void> {
  const volumeName = deps.volumeName ?? (() => randomSuffix(5));
  return async (obj, _dryRun, context) => {
    const meta = obj.metadata;
    // Mirror pods (static pods' API copies) are left as the kubelet wrote them.
    if (meta.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
    const namespace = meta.namespace ?? '';
    // A mutating plugin: it runs before a generateName becomes the pod's name.
    const podName = (context?.generatedName ? '' : meta.name) || meta.generateName || '';
    if (!isPlainObject(obj.spec)) obj.spec = {};
    const spec = obj.spec as Record<string, unknown>;
    if (typeof spec.serviceAccountName !== 'string' || spec.serviceAccountName === '') {
      // The deprecated spec.serviceAccount names it when serviceAccountName does not (v1 conversion).
      spec.serviceAccountName =
        typeof spec.serviceAccount === 'string' && spec.serviceAccount !== ''
          ? spec.serviceAccount
          : DEFAULT_SERVICE_ACCOUNT_NAME;
    }
    const saName = spec.serviceAccountName as string;
    // The v1 form carries the deprecated alias too, as a cluster's stored pods show it.
    spec.serviceAccount = saName;
    let sa: ServiceAccount;
    try {
      sa = await lookUp(deps, namespace, saName);
    } catch (e) {
      const why = e instanceof ApiError ? e.message : String(e);
      throw forbidden(PODS, podName, `error looking up service account ${namespace}/${saName}: ${why}`);
    }
    if (shouldAutomount(sa, obj as unknown as Pod)) mountServiceAccountToken(spec, volumeName);
    const pullSecrets = Array.isArray(spec.imagePullSecrets) ? spec.imagePullSecrets : [];
    if (pullSecrets.length === 0 && (sa.imagePullSecrets ?? []).length > 0) {
      spec.imagePullSecrets = (sa.imagePullSecrets ?? []).map((s) => ({ name: s.name ?? '' }));
    }
    // Validate: the mutated pod against the ServiceAccount's mountable secrets, when it asks for that.
    if (sa.metadata?.annotations?.[ENFORCE_MOUNTABLE_SECRETS_ANNOTATION] === 'true') {
      const problem = secretReferenceProblem(sa, spec);
      if (problem) throw forbidden(PODS, podName, problem);
    }
  };
}
