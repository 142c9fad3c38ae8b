// A Service port's targetPort resolved on one pod (podutil.FindPort, shared by the Endpoints and EndpointSlice
// controllers): a number is taken as is; a name is looked up among the container ports, then among those of
// restartable init containers (sidecars), with the service port's protocol.
import type { ContainerPort, ServicePort } from 'kubernetes-types/core/v1.js';
import type { Pod } from '../api/types.js';

/** The port number, or undefined when the pod has no port of that name and protocol. */
export function findPort(pod: Pod, servicePort: ServicePort): number | undefined {
  // The API server defaults targetPort to port; an undefaulted object is read the same way.
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  const protocol = servicePort.protocol ?? 'TCP';
  const matches = (p: ContainerPort) => p.name === target && (p.protocol ?? 'TCP') === protocol;
  for (const c of pod.spec?.containers ?? []) {
    const p = c.ports?.find(matches);
    if (p) return p.containerPort;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy !== 'Always') continue;
    const p = c.ports?.find(matches);
    if (p) return p.containerPort;
  }
  return undefined;
}
