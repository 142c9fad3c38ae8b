// Which container of a pod a logs, exec or attach request is for, as upstream's validateContainer /
// LogLocation choose it: the named one, or the only app container, with the API server's errors.
import type { Pod } from '../api/types.js';
import { badRequest } from './errors.js';

export function resolvePodContainer(pod: Pod, requested: string | undefined): string {
  const name = pod.metadata?.name ?? '';
  const names = (list: { name: string }[] | undefined) => (list ?? []).map((c) => c.name);
  const containers = names(pod.spec?.containers);
  const inits = names(pod.spec?.initContainers);
  const ephemeral = names(pod.spec?.ephemeralContainers);
  if (!requested) {
    if (containers.length === 1) return containers[0]!;
    let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
    if (inits.length > 0) msg += ` or one of the init containers: [${inits.join(' ')}]`;
    if (ephemeral.length > 0) msg += ` or one of the ephemeral containers: [${ephemeral.join(' ')}]`;
    throw badRequest(msg);
  }
  if (![...containers, ...inits, ...ephemeral].includes(requested)) {
    throw badRequest(`container ${requested} is not valid for pod ${name}`);
  }
  return requested;
}
