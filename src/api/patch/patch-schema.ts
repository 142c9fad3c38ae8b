// The strategic-merge-patch metadata of the kinds podrun serves: which lists merge (and by which key) and
// which are atomic. Transcribed from the `patchStrategy`/`patchMergeKey` struct tags of k8s.io/api
// (core/v1, apps/v1, batch/v1, meta/v1 types.go). A list with no entry here is atomic (replaced whole), a map
// with no entry merges key by key: the same defaults upstream applies to untagged fields.

export interface FieldMeta {
  /** For lists: 'merge' merges items (by `mergeKey` for objects, as a set for scalars); absent = atomic. */
  strategy?: 'merge';
  mergeKey?: string;
  /** The schema of the value (for a list: of each item). */
  type?: TypeSchema;
}

export type TypeSchema = { readonly [field: string]: FieldMeta };

const mergeBy = (mergeKey: string, type?: TypeSchema): FieldMeta => ({ strategy: 'merge', mergeKey, type });
const nested = (type: TypeSchema): FieldMeta => ({ type });

const CONDITIONS = mergeBy('type');

const OBJECT_META: TypeSchema = {
  finalizers: { strategy: 'merge' },
  ownerReferences: mergeBy('uid'),
};

const CONTAINER: TypeSchema = {
  ports: mergeBy('containerPort'),
  env: mergeBy('name'),
  volumeMounts: mergeBy('mountPath'),
  volumeDevices: mergeBy('devicePath'),
};

const POD_SPEC: TypeSchema = {
  volumes: mergeBy('name'),
  initContainers: mergeBy('name', CONTAINER),
  containers: mergeBy('name', CONTAINER),
  ephemeralContainers: mergeBy('name', CONTAINER),
  imagePullSecrets: mergeBy('name'),
  hostAliases: mergeBy('ip'),
  topologySpreadConstraints: mergeBy('topologyKey'),
  schedulingGates: mergeBy('name'),
  resourceClaims: mergeBy('name'),
};

const POD_STATUS: TypeSchema = {
  conditions: CONDITIONS,
  podIPs: mergeBy('ip'),
  hostIPs: mergeBy('ip'),
  resourceClaimStatuses: mergeBy('name'),
};

const POD_TEMPLATE: TypeSchema = { metadata: nested(OBJECT_META), spec: nested(POD_SPEC) };

const WORKLOAD_STATUS: TypeSchema = { conditions: CONDITIONS };

function kind(spec: TypeSchema = {}, status: TypeSchema = {}): TypeSchema {
  return { metadata: nested(OBJECT_META), spec: nested(spec), status: nested(status) };
}

/** Top-level schemas by Kind. Kinds not listed get object metadata only. */
export const PATCH_SCHEMAS: Readonly<Record<string, TypeSchema>> = {
  Pod: kind(POD_SPEC, POD_STATUS),
  Deployment: kind({ template: nested(POD_TEMPLATE) }, WORKLOAD_STATUS),
  ReplicaSet: kind({ template: nested(POD_TEMPLATE) }, WORKLOAD_STATUS),
  Job: kind({ template: nested(POD_TEMPLATE) }, WORKLOAD_STATUS),
  StatefulSet: kind({ template: nested(POD_TEMPLATE) }, WORKLOAD_STATUS),
  DaemonSet: kind({ template: nested(POD_TEMPLATE) }, WORKLOAD_STATUS),
  ReplicationController: kind({ template: nested(POD_TEMPLATE) }, WORKLOAD_STATUS),
  CronJob: kind({
    jobTemplate: nested({ metadata: nested(OBJECT_META), spec: nested({ template: nested(POD_TEMPLATE) }) }),
  }),
  PersistentVolumeClaim: kind({}, { conditions: CONDITIONS }),
  Service: kind({ ports: mergeBy('port') }, { conditions: CONDITIONS }),
  Namespace: kind({}, { conditions: CONDITIONS }),
  // NodeSpec.taints has no patch strategy (kubectl taint sends the whole list); status merges by type.
  Node: kind({}, { conditions: CONDITIONS, addresses: mergeBy('type') }),
};

export function patchSchemaFor(kindName: string): TypeSchema {
  return PATCH_SCHEMAS[kindName] ?? { metadata: nested(OBJECT_META) };
}
