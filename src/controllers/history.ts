// Controller history (pkg/controller/history): the ControllerRevisions that version a workload's pod
// template, shared by the StatefulSet and DaemonSet controllers. A revision's data is the template as a
// strategic-merge patch that replaces it (getPatch: `{spec: {template: {…, $patch: replace}}}`), so that
// `kubectl rollout undo` can send it back as it is; its name is `<owner>-<hash of the data>`.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { ControllerRevision, KubeObject } from '../api/types.js';
import { ApiError } from '../apiserver/errors.js';
import type { ControllerClient } from './client.js';
import { canonicalJson, podTemplateHash } from './hash.js';
import type { Informer } from './informer.js';
import { RESOURCE } from './kinds.js';
import { isControlledBy, ownerReferenceTo } from './pods.js';

export interface HistoryDeps {
  client: ControllerClient;
  revisions: Informer;
}

/** What a controller puts on a new revision besides its data. */
export interface RevisionShape {
  /** The revision's labels for a given hash. */
  labels(hash: string): Record<string, string>;
  annotations?: Record<string, string>;
  collisionCount: number;
}

/** The revision's data for a template (getPatch). */
export function templatePatch(template: PodTemplateSpec | undefined): unknown {
  return { spec: { template: { ...(structuredClone(template) ?? {}), $patch: 'replace' } } };
}

export function templateOfRevision(cr: ControllerRevision): PodTemplateSpec | undefined {
  const data = cr.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined;
  const t = data?.spec?.template;
  if (!t) return undefined;
  const { $patch: _drop, ...template } = t;
  return template;
}

export function sameRevisionData(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** The hash part of a revision's name (`<owner>-<hash>`). */
export function revisionHash(owner: KubeObject, cr: ControllerRevision): string {
  const name = cr.metadata?.name ?? '';
  const prefix = `${owner.metadata.name}-`;
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

export function newRevision(
  owner: KubeObject,
  data: unknown,
  revision: number,
  shape: RevisionShape,
): ControllerRevision {
  const hash = podTemplateHash(data, shape.collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${owner.metadata.name}-${hash}`,
      namespace: owner.metadata.namespace,
      labels: shape.labels(hash),
      ...(shape.annotations ? { annotations: { ...shape.annotations } } : {}),
      ownerReferences: [ownerReferenceTo(owner)],
    },
    data: data as ControllerRevision['data'],
    revision,
  };
}

/**
 * The owner's revisions: the one matching `data` (made, or moved to the newest revision number when an
 * older template comes back, as a rollback does), the one named `currentName`, and all it owns.
 */
export async function syncRevisions(
  deps: HistoryDeps,
  owner: KubeObject,
  data: unknown,
  shape: RevisionShape,
  currentName: string | undefined,
): Promise<{ current: ControllerRevision; update: ControllerRevision; owned: ControllerRevision[] }> {
  const ns = owner.metadata.namespace ?? '';
  const owned = deps.revisions
    .list(ns)
    .filter((r) => isControlledBy(r, owner))
    .map((r) => r as unknown as ControllerRevision)
    .sort((a, b) => a.revision - b.revision);
  const maxRevision = owned.reduce((m, r) => Math.max(m, r.revision), 0);
  let update = owned.find((r) => sameRevisionData(r.data, data));
  if (update && update.revision !== maxRevision) {
    const bumped = { ...update, revision: maxRevision + 1 };
    update = (await deps.client.update(
      RESOURCE.controllerrevisions,
      ns,
      bumped as unknown as KubeObject,
    )) as unknown as ControllerRevision;
  }
  if (!update) {
    const cr = newRevision(owner, data, maxRevision + 1, shape);
    try {
      update = (await deps.client.create(
        RESOURCE.controllerrevisions,
        ns,
        cr as unknown as KubeObject,
      )) as unknown as ControllerRevision;
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      const existing = deps.revisions.get(ns, cr.metadata?.name ?? '');
      // Another owner's revision of the same name (a StatefulSet and a DaemonSet of one name and template)
      // is not ours to use.
      if (!existing || !sameRevisionData(existing.data, data) || !isControlledBy(existing, owner)) throw err;
      update = existing as unknown as ControllerRevision;
    }
    owned.push(update);
  }
  const current = owned.find((r) => r.metadata?.name === currentName) ?? update;
  return { current, update, owned };
}

/** Deletes the oldest revisions beyond `limit`, sparing those named in `live` (in use by the owner or a pod). */
export async function truncateHistory(
  deps: HistoryDeps,
  owner: KubeObject,
  owned: ControllerRevision[],
  live: Set<string>,
  limit: number,
): Promise<void> {
  const history = owned
    .filter((r) => !live.has(r.metadata?.name ?? ''))
    .sort((a, b) => a.revision - b.revision);
  for (const r of history.slice(0, Math.max(0, history.length - limit))) {
    await deps.client.delete(
      RESOURCE.controllerrevisions,
      owner.metadata.namespace ?? '',
      r.metadata?.name ?? '',
    );
  }
}
