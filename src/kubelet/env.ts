// A container's environment, as the kubelet's makeEnvironmentVariables builds it: envFrom first (later sources
// overwrite earlier ones), then env in order, each value expanded against what is defined so far (and the
// service variables), or resolved from a ConfigMap, Secret, pod field or container resource; then the service
// variables the container did not define. Any failure is a ContainerConfigError, which the kubelet reports as
// the container's waiting reason CreateContainerConfigError.
import type { ConfigMap, Container, Pod, Secret, Service } from '../api/types.js';
import type { KeyValue } from '../runtime/types.js';
import { expand } from './expansion.js';
import {
  extractContainerResourceValue,
  extractResourceValueByContainerName,
  hostNodeAllocatable,
  type NodeAllocatable,
  podFieldSelectorRuntimeValue,
} from './fieldpath.js';
import { serviceEnvVarMap } from './service-env.js';
import type { ObjectGetter } from './types.js';
import { secretData } from './volumes/object-data.js';

/** The container's configuration cannot be built; the message is the kubelet's, shown in `kubectl describe`. */
export class ContainerConfigError extends Error {
  readonly reason = 'CreateContainerConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContainerConfigError';
  }
}

export interface EnvironmentOptions {
  /** What resourceFieldRef reports for a limit the container does not set. Default: hostNodeAllocatable(). */
  allocatable?: NodeAllocatable;
  /** Receives the kubelet's Warning events about the pod (`InvalidEnvironmentVariableNames`). */
  onWarning?: (reason: string, message: string) => void;
}

/** validation.IsEnvVarName (without the RelaxedEnvironmentVariableValidation gate, off in 1.30). */
const ENV_VAR_NAME_RE = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * Builds the environment of `container`: its envFrom and env, then the variables of the Services it sees
 * (`KUBERNETES_SERVICE_HOST`, and with enableServiceLinks `<SVC>_SERVICE_HOST`, …) that it does not define.
 */
export async function makeEnvironment(
  pod: Pod,
  container: Container,
  objects: ObjectGetter,
  podIP: string,
  hostIP: string,
  options: EnvironmentOptions = {},
): Promise<KeyValue[]> {
  try {
    return await build(pod, container, objects, podIP, hostIP, options);
  } catch (e) {
    if (e instanceof ContainerConfigError) throw e;
    throw new ContainerConfigError(e instanceof Error ? e.message : String(e), { cause: e });
  }
}

async function build(
  pod: Pod,
  container: Container,
  objects: ObjectGetter,
  podIP: string,
  hostIP: string,
  options: EnvironmentOptions,
): Promise<KeyValue[]> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const configMaps = new Map<string, ConfigMap | undefined>();
  const secrets = new Map<string, Secret | undefined>();
  const getConfigMap = async (name: string) => {
    if (!configMaps.has(name)) configMaps.set(name, await objects.getConfigMap(namespace, name));
    return configMaps.get(name);
  };
  const getSecret = async (name: string) => {
    if (!secrets.has(name)) secrets.set(name, await objects.getSecret(namespace, name));
    return secrets.get(name);
  };
  const serviceEnv = await serviceEnvironment(objects, namespace, pod.spec?.enableServiceLinks !== false);
  // Insertion order is the output order; a later definition of a name replaces the value in place.
  const env = new Map<string, string>();

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let kind: string;
    let name: string;
    let values: [string, string][];
    if (from.configMapRef) {
      kind = 'configMap';
      name = from.configMapRef.name ?? '';
      const cm = await getConfigMap(name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${name}" not found`);
      }
      values = Object.entries(cm.data ?? {});
    } else if (from.secretRef) {
      kind = 'secret';
      name = from.secretRef.name ?? '';
      const secret = await getSecret(name);
      if (!secret) {
        if (from.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${name}" not found`);
      }
      values = [...secretData(secret)].map(([k, v]) => [k, v.toString('utf8')]);
    } else {
      continue;
    }
    const invalid: string[] = [];
    for (const [key, value] of values) {
      const k = prefix + key;
      if (!ENV_VAR_NAME_RE.test(k)) {
        invalid.push(k);
        continue;
      }
      env.set(k, value);
    }
    if (invalid.length > 0) {
      invalid.sort();
      options.onWarning?.(
        'InvalidEnvironmentVariableNames',
        `Keys [${invalid.join(', ')}] from the EnvFrom ${kind} ${namespace}/${name} were skipped since they are considered invalid environment variable names.`,
      );
    }
  }

  // MappingFuncFor(tmpEnv, serviceEnv): the container's own variables first, then the services'.
  const mapping = (name: string) => env.get(name) ?? serviceEnv.get(name);
  for (const v of container.env ?? []) {
    let value = v.value ?? '';
    if (value !== '') {
      value = expand(value, mapping);
    } else if (v.valueFrom) {
      const from = v.valueFrom;
      if (from.fieldRef) {
        value = podFieldSelectorRuntimeValue(pod, from.fieldRef, podIP, hostIP);
      } else if (from.resourceFieldRef) {
        const allocatable = options.allocatable ?? hostNodeAllocatable();
        const ref = from.resourceFieldRef;
        value = ref.containerName
          ? extractResourceValueByContainerName(ref, pod, ref.containerName, allocatable)
          : extractContainerResourceValue(ref, container, allocatable);
      } else if (from.configMapKeyRef) {
        const ref = from.configMapKeyRef;
        const name = ref.name ?? '';
        const cm = await getConfigMap(name);
        if (!cm) {
          if (ref.optional) continue;
          throw new ContainerConfigError(`configmap "${name}" not found`);
        }
        const data = cm.data ?? {};
        if (!Object.hasOwn(data, ref.key)) {
          if (ref.optional) continue;
          throw new ContainerConfigError(`couldn't find key ${ref.key} in ConfigMap ${namespace}/${name}`);
        }
        value = data[ref.key] as string;
      } else if (from.secretKeyRef) {
        const ref = from.secretKeyRef;
        const name = ref.name ?? '';
        const secret = await getSecret(name);
        if (!secret) {
          if (ref.optional) continue;
          throw new ContainerConfigError(`secret "${name}" not found`);
        }
        const bytes = secretData(secret).get(ref.key);
        if (bytes === undefined) {
          if (ref.optional) continue;
          throw new ContainerConfigError(`couldn't find key ${ref.key} in Secret ${namespace}/${name}`);
        }
        value = bytes.toString('utf8');
      }
    }
    env.set(v.name, value);
  }

  const out = [...env].map(([name, value]) => ({ name, value }));
  for (const [name, value] of serviceEnv) if (!env.has(name)) out.push({ name, value });
  return out;
}

/**
 * getServiceEnvVarMap over the API: the pod's namespace when enableServiceLinks is on, and `default` for the
 * master service. Services are read when the container starts; later changes reach the next container only.
 */
async function serviceEnvironment(
  objects: ObjectGetter,
  namespace: string,
  enableServiceLinks: boolean,
): Promise<Map<string, string>> {
  let services: Service[];
  try {
    const namespaces = new Set(['default', ...(enableServiceLinks ? [namespace] : [])]);
    services = (await Promise.all([...namespaces].map((ns) => objects.listServices(ns)))).flat();
  } catch (e) {
    throw new ContainerConfigError('failed to list services when setting up env vars', { cause: e });
  }
  return serviceEnvVarMap(services, namespace, enableServiceLinks);
}
