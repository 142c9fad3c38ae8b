// pods/binding's check and change (setPodHostAndAnnotations in pkg/registry/core/pod/storage): the pod with
// spec.nodeName set and PodScheduled=True, or the Conflict upstream answers.
import type { KubeObject } from '../../api/types.js';
import { conflict } from '../errors.js';
import { clone, isPlainObject, rfc3339 } from '../object-util.js';

const PODS = { group: '', resource: 'pods' };
const BINDING = { group: '', resource: 'pods/binding' };

/** `pod` bound to `nodeName` at `now`; Conflict when its uid is not `uid`, or it is bound or being deleted. */
export function boundPod(
  pod: KubeObject,
  uid: string | undefined,
  nodeName: string,
  now: number,
): KubeObject {
  const name = pod.metadata.name ?? '';
  if (uid && pod.metadata.uid !== uid) {
    throw conflict(
      PODS,
      name,
      `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata.uid}`,
    );
  }
  if (pod.metadata.deletionTimestamp) {
    throw conflict(BINDING, name, `pod ${name} is being deleted, cannot be assigned to a host`);
  }
  const spec = (isPlainObject(pod.spec) ? pod.spec : {}) as { nodeName?: string };
  if (spec.nodeName)
    throw conflict(BINDING, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
  const next = clone(pod);
  next.spec = { ...spec, nodeName };
  const status = (isPlainObject(pod.status) ? clone(pod.status) : {}) as {
    conditions?: Array<Record<string, unknown>>;
  };
  const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
  conditions.push({
    type: 'PodScheduled',
    status: 'True',
    lastProbeTime: null,
    lastTransitionTime: rfc3339(now),
  });
  status.conditions = conditions;
  next.status = status;
  return next;
}
