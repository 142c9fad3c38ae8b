// The resources the controllers read and write, looked up once from the shared resource table.
import { RESOURCES, type ResourceInfo } from '../api/resources.js';
import type { KubeObject, ObjectReference } from '../api/types.js';

function find(group: string, resource: string): ResourceInfo {
  const r = RESOURCES.find((x) => x.group === group && x.resource === resource);
  if (!r) throw new Error(`resource ${resource}.${group} is missing from src/api/resources.ts`);
  return r;
}

export const RESOURCE = {
  pods: find('', 'pods'),
  services: find('', 'services'),
  endpoints: find('', 'endpoints'),
  endpointslices: find('discovery.k8s.io', 'endpointslices'),
  replicasets: find('apps', 'replicasets'),
  deployments: find('apps', 'deployments'),
  jobs: find('batch', 'jobs'),
  persistentvolumeclaims: find('', 'persistentvolumeclaims'),
  persistentvolumes: find('', 'persistentvolumes'),
  storageclasses: find('storage.k8s.io', 'storageclasses'),
  statefulsets: find('apps', 'statefulsets'),
  controllerrevisions: find('apps', 'controllerrevisions'),
  daemonsets: find('apps', 'daemonsets'),
  cronjobs: find('batch', 'cronjobs'),
  replicationcontrollers: find('', 'replicationcontrollers'),
  nodes: find('', 'nodes'),
} as const;

/** The involvedObject of an event about `o`. */
export function ref(o: KubeObject): ObjectReference {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name,
    namespace: o.metadata.namespace,
    uid: o.metadata.uid,
    resourceVersion: o.metadata.resourceVersion,
  };
}
