// The scale subresource of Deployments, ReplicaSets, StatefulSets and ReplicationControllers: an autoscaling/v1 Scale read from the object, and a
// Scale body checked as upstream's scale REST does before its replicas go to the object.
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../../api/types.js';
import { labelSelectorString } from '../../printers/meta.js';
import { badRequest, invalid } from '../errors.js';
import { isPlainObject } from '../object-util.js';

/** autoscaling/v1 Scale of a deployment or replicaset (status.selector as a selector string). */
export function scaleOf(o: KubeObject): KubeObject {
  const spec = (o.spec ?? {}) as { replicas?: number; selector?: LabelSelector | Record<string, string> };
  const status = (o.status ?? {}) as { replicas?: number };
  // A ReplicationController's selector is a plain label map (equality-based).
  const labelSelector =
    o.kind === 'ReplicationController'
      ? { matchLabels: spec.selector as Record<string, string> | undefined }
      : (spec.selector as LabelSelector | undefined);
  const selector = labelSelectorString(labelSelector);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, ...(selector ? { selector } : {}) },
  };
}

/** What a PUT …/scale body asks for: the replicas and the resourceVersion it was read at. */
export function readScaleBody(body: unknown, name: string): { replicas: number; resourceVersion?: string } {
  if (!isPlainObject(body)) throw badRequest('the body must be an autoscaling/v1 Scale object');
  const meta = isPlainObject(body.metadata) ? body.metadata : {};
  if (typeof meta.name === 'string' && meta.name !== '' && meta.name !== name) {
    throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
  }
  const replicas = isPlainObject(body.spec) ? body.spec.replicas : undefined;
  // Decoding first, as upstream's: a number that is not an int32 does not fit ScaleSpec.replicas (400).
  if (typeof replicas === 'number' && (replicas | 0) !== replicas) {
    throw badRequest(
      `Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal number ${String(replicas)} into Go struct field ScaleSpec.spec.replicas of type int32`,
    );
  }
  if (
    replicas !== undefined &&
    (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
  ) {
    const text = `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`;
    throw invalid({ group: 'autoscaling', kind: 'Scale' }, name, [
      { reason: 'FieldValueInvalid', field: 'spec.replicas', body: text, full: `spec.replicas: ${text}` },
    ]);
  }
  const resourceVersion = typeof meta.resourceVersion === 'string' ? meta.resourceVersion : undefined;
  return { replicas: (replicas as number | undefined) ?? 0, ...(resourceVersion ? { resourceVersion } : {}) };
}
