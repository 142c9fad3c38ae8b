// The Priority admission plugin (plugin/pkg/admission/priority, v1.32): a pod's spec.priority and
// preemptionPolicy come from its priorityClassName, or from the global default class (priority 0 when there
// is none); an unknown class is refused. PriorityClass creates may not add a second global default. Plus the
// two system classes every cluster has, created at startup as the API server's bootstrap controller does.
import type { Pod, PriorityClass } from '../../api/types.js';
import { SYSTEM_PRIORITY_CLASSES } from '../../api/validation/policy.js';
import { ApiError, forbidden } from '../errors.js';
import type { Registry } from '../registry.js';

const PODS = { group: '', resource: 'pods' };
const CLASSES = { group: 'scheduling.k8s.io', resource: 'priorityclasses' };

/** getDefaultPriority: the global default with the lowest value. */
function defaultClass(classes: PriorityClass[]): PriorityClass | undefined {
  let best: PriorityClass | undefined;
  for (const c of classes) if (c.globalDefault && (!best || c.value < best.value)) best = c;
  return best;
}

/** Sets spec.priority (and preemptionPolicy) of a pod being created; throws Forbidden as upstream. */
export function admitPodPriority(pod: Pod, classes: PriorityClass[], generatedName = false): void {
  const spec = pod.spec;
  if (!spec) return;
  const name = generatedName ? '' : (pod.metadata?.name ?? '');
  let priority = 0;
  let preemption: string | undefined;
  if (!spec.priorityClassName) {
    const def = defaultClass(classes);
    if (def) {
      spec.priorityClassName = def.metadata?.name ?? '';
      priority = def.value;
      preemption = def.preemptionPolicy;
    }
  } else {
    const pc = classes.find((c) => c.metadata?.name === spec.priorityClassName);
    if (!pc) throw forbidden(PODS, name, `no PriorityClass with name ${spec.priorityClassName} was found`);
    priority = pc.value;
    preemption = pc.preemptionPolicy;
  }
  if (spec.priority !== undefined && spec.priority !== priority) {
    throw forbidden(
      PODS,
      name,
      `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`,
    );
  }
  spec.priority = priority;
  if (preemption !== undefined) {
    if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== preemption) {
      throw forbidden(
        PODS,
        name,
        `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${preemption} from the given PriorityClass name`,
      );
    }
    spec.preemptionPolicy = preemption;
  }
}

/** validatePriorityClass of the plugin: one global default at most. */
export function admitPriorityClass(pc: PriorityClass, classes: PriorityClass[]): void {
  if (!pc.globalDefault) return;
  const other = classes.find((c) => c.globalDefault && c.metadata?.name !== pc.metadata?.name);
  if (other) {
    throw forbidden(
      CLASSES,
      pc.metadata?.name ?? '',
      `PriorityClass ${other.metadata?.name} is already marked as default. Only one default can exist`,
    );
  }
}

export async function listPriorityClasses(registry: Registry): Promise<PriorityClass[]> {
  return (await registry.list('priorityclasses.scheduling.k8s.io', undefined))
    .items as unknown as PriorityClass[];
}

/** Creates system-node-critical and system-cluster-critical unless they exist. */
export async function ensureSystemPriorityClasses(registry: Registry): Promise<void> {
  for (const c of SYSTEM_PRIORITY_CLASSES) {
    if (await registry.find('priorityclasses.scheduling.k8s.io', undefined, c.name)) continue;
    try {
      await registry.create('priorityclasses.scheduling.k8s.io', undefined, {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: c.name },
        value: c.value,
        description: c.description,
      });
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
    }
  }
}
