// Which pod `podrun logs TYPE/NAME` reads, as kubectl's LogsForObject picks it: a pod is itself; a workload
// (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController) or a Service stands for the pods
// its selector matches, sorted by podutils.ByLogging (assigned, Running, ready, ready longest, most restarts,
// oldest) and the first taken, saying `Found N pods, using pod/NAME` when there were several. With no pod yet it
// waits for one (kubectl's --pod-running-timeout, 20 s).
import { resourceForKind } from '../../api/resources.js';
import { labelSelectorFromObject } from '../../api/selectors.js';
import type { Pod } from '../../api/types.js';
import { KubeApiError, type KubeClient } from '../client/kube.js';
import { resolveResource, UsageError } from './resources.js';

const POD = resourceForKind('v1', 'Pod')!;
export const POD_RUNNING_TIMEOUT_MS = 20_000;

/** Go's `%T` of the object kubectl decoded: `*v1.Service`, `*v1.ConfigMap`. */
function goType(kind: string, apiVersion: string): string {
  const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
  return `*${version}.${kind}`;
}

function ready(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function readyTime(pod: Pod): number {
  const c = pod.status?.conditions?.find((x) => x.type === 'Ready' && x.status === 'True');
  return c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : 0;
}

function restarts(pod: Pod): [number, number] {
  const sidecars = new Set(
    (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name),
  );
  const regular = Math.max(0, ...(pod.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
  const side = Math.max(
    0,
    ...(pod.status?.initContainerStatuses ?? [])
      .filter((c) => sidecars.has(c.name))
      .map((c) => c.restartCount ?? 0),
  );
  return [regular, side];
}

/** afterOrZero: t1 after t2, a zero time counting as after any other. */
function afterOrZero(t1: number, t2: number): boolean {
  if (t1 === 0 || t2 === 0) return t1 === 0;
  return t1 > t2;
}

/** podutils.ByLogging's Less. */
export function byLogging(a: Pod, b: Pod): number {
  const less = (i: Pod, j: Pod): boolean => {
    const ni = i.spec?.nodeName ?? '';
    const nj = j.spec?.nodeName ?? '';
    if (ni !== nj && (ni === '' || nj === '')) return ni !== '';
    const rank = (p: Pod) => ({ Running: 0, Unknown: 1, Pending: 2 })[p.status?.phase ?? ''] ?? 0;
    if (rank(i) !== rank(j)) return rank(i) < rank(j);
    if (ready(i) !== ready(j)) return ready(i);
    if (ready(i) && ready(j) && readyTime(i) !== readyTime(j)) return afterOrZero(readyTime(j), readyTime(i));
    const [ri, si] = restarts(i);
    const [rj, sj] = restarts(j);
    if (ri !== rj) return ri > rj;
    if (si !== sj) return si > sj;
    const ci = Date.parse(i.metadata?.creationTimestamp ?? '') || 0;
    const cj = Date.parse(j.metadata?.creationTimestamp ?? '') || 0;
    if (ci !== cj) return afterOrZero(cj, ci);
    return false;
  };
  return less(a, b) ? -1 : less(b, a) ? 1 : 0;
}

/** kubectl's not-found wording for logs: lower-case `error from server`, with the namespace. */
function notFound(err: unknown, ns: string): never {
  if (err instanceof KubeApiError && err.code === 404) {
    throw new UsageError(`error from server (NotFound): ${err.message} in namespace "${ns}"`);
  }
  throw err;
}

/** The pod whose logs `arg` (`NAME`, `pod/NAME`, `deploy/NAME`, `svc/NAME`, …) stands for. */
export async function logTarget(
  client: KubeClient,
  ns: string,
  arg: string,
  warn: (line: string) => void,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<Pod> {
  const slash = arg.indexOf('/');
  const resource = slash < 0 ? POD : resolveResource(arg.slice(0, slash));
  const name = slash < 0 ? arg : arg.slice(slash + 1);
  const object = await client.get(resource, ns, name).catch((err: unknown) => notFound(err, ns));
  if (object.kind === 'Pod' || resource.kind === 'Pod') return object as unknown as Pod;

  const typeName = goType(resource.kind, object.apiVersion || resource.version);
  let selector: string;
  const spec = (object as unknown as { spec?: { selector?: unknown } }).spec;
  switch (resource.kind) {
    case 'Service':
    case 'ReplicationController': {
      const set = (spec?.selector ?? {}) as Record<string, string>;
      if (resource.kind === 'Service' && Object.keys(set).length === 0) {
        throw new UsageError(
          `cannot get the logs from ${typeName}: invalid service '${name}': Service is defined without a selector`,
        );
      }
      selector = labelSelectorFromObject({ matchLabels: set }).toString();
      break;
    }
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
      selector = labelSelectorFromObject(spec?.selector as never).toString();
      break;
    default:
      throw new UsageError(`cannot get the logs from ${typeName}: selector for ${typeName} not implemented`);
  }

  for (let waited = 0; ; waited += 500) {
    const pods = (await client.list(POD, ns, { labelSelector: selector })).items as unknown as Pod[];
    if (pods.length > 0) {
      const sorted = [...pods].sort(byLogging);
      const first = sorted[0]!;
      if (pods.length > 1) warn(`Found ${pods.length} pods, using pod/${first.metadata?.name}\n`);
      return first;
    }
    if (waited >= POD_RUNNING_TIMEOUT_MS) throw new UsageError('timed out waiting for the condition');
    await sleep(500);
  }
}
