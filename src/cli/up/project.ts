// What `podrun up` applies to a cluster is marked twice: the label podrun.dev/project=<name> on each object, and
// the field manager `podrun` in its managedFields (server-side apply). `podrun down` deletes an object only when
// both say podrun applied it: a controller's children that copy labels (EndpointSlices of a Service) or an
// object someone else labelled are never touched.
import { basename, extname } from 'node:path';
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { KubeApiError, type KubeClient } from '../client/kube.js';

export const PROJECT_LABEL = 'podrun.dev/project';
export const FIELD_MANAGER = 'podrun';

/** A label value (63 characters of [A-Za-z0-9._-], alphanumeric at both ends) from `--project` or the path. */
export function projectName(given: string | undefined, filenames: string[]): string {
  if (given !== undefined) {
    if (!/^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/.test(given))
      throw new Error(
        `--project "${given}" is not a label value: up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
      );
    return given;
  }
  const first = filenames[0] ?? '-';
  const base = first === '-' ? 'stdin' : basename(first.replace(/\/+$/, ''), extname(first));
  const clean = base
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
    .slice(0, 63)
    .replace(/[^A-Za-z0-9]+$/, '');
  return clean || 'podrun';
}

/** Whether podrun's server-side apply manages fields of the object. */
export function appliedByPodrun(o: KubeObject): boolean {
  const fields = (o.metadata as { managedFields?: { manager?: string; operation?: string }[] }).managedFields;
  return !!fields?.some((f) => f.manager === FIELD_MANAGER && f.operation === 'Apply');
}

export interface AppliedObject {
  resource: ResourceInfo;
  object: KubeObject;
}

/** Kinds whose objects are made by controllers, never applied by `podrun up`; not listed. */
const DERIVED = new Set(['Event', 'Node', 'Endpoints', 'EndpointSlice', 'ControllerRevision', 'Lease']);

/**
 * The objects of the project podrun applied, over every kind podrun knows, in every namespace (or `namespace`
 * when given). Kinds the server does not serve or lets the user list are skipped, each said in `skipped`.
 */
export async function findApplied(
  client: KubeClient,
  project: string,
  namespace: string | undefined,
): Promise<{ found: AppliedObject[]; skipped: string[] }> {
  const found: AppliedObject[] = [];
  const skipped: string[] = [];
  for (const resource of RESOURCES) {
    if (DERIVED.has(resource.kind) || !resource.verbs.includes('list')) continue;
    try {
      const list = await client.list(resource, resource.namespaced ? namespace : undefined, {
        labelSelector: `${PROJECT_LABEL}=${project}`,
      });
      for (const object of list.items) if (appliedByPodrun(object)) found.push({ resource, object });
    } catch (err) {
      if (!(err instanceof KubeApiError) || (err.code !== 404 && err.code !== 403)) throw err;
      skipped.push(`${resource.resource}: ${err.message}`);
    }
  }
  return { found, skipped };
}

/** Dependents first: workloads before the ConfigMaps and Services they use, Namespaces (kept) last. */
export function deleteOrder(objects: AppliedObject[]): AppliedObject[] {
  const rank = (o: AppliedObject) =>
    o.resource.kind === 'Namespace'
      ? 3
      : ['Pod', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'].includes(
            o.resource.kind,
          )
        ? 0
        : o.resource.kind === 'Service'
          ? 1
          : 2;
  return [...objects].sort((a, b) => rank(a) - rank(b));
}
