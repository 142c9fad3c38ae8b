// The Deployment controller (pkg/controller/deployment): one ReplicaSet per pod template, named
// `<deployment>-<pod-template-hash>`; RollingUpdate scales the new one up within maxSurge and the old ones
// down within maxUnavailable; Recreate scales the old ones to zero first. Status and conditions as upstream.
import type { Deployment, DeploymentCondition } from 'kubernetes-types/apps/v1.js';
import type { KubeObject, ReplicaSet } from '../api/types.js';
import type { EventRecorder } from '../kubelet/types.js';
import type { Clock } from '../util/clock.js';
import { type ControllerClient, isStaleWrite } from './client.js';
import { podTemplateHash } from './hash.js';
import type { Informer } from './informer.js';
import { scaledValue } from './intstr.js';
import { RESOURCE, ref } from './kinds.js';
import { asPod, isControlledBy, isPodActive, ownerReferenceTo } from './pods.js';

const HASH_LABEL = 'pod-template-hash';
const REVISION = 'deployment.kubernetes.io/revision';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';

export interface DeploymentSyncDeps {
  client: ControllerClient;
  deployments: Informer;
  replicaSets: Informer;
  pods: Informer;
  events: EventRecorder;
  clock: Clock;
}

interface RS {
  obj: KubeObject;
  rs: ReplicaSet;
}

const specReplicas = (r: RS) => r.rs.spec?.replicas ?? 0;
const statusOf = (r: RS) => r.rs.status ?? { replicas: 0 };
const revisionOf = (r: RS) => Number(r.obj.metadata.annotations?.[REVISION] ?? 0);
const created = (r: RS) => Date.parse(r.obj.metadata.creationTimestamp ?? '') || 0;

/** The template without the hash label, to compare a ReplicaSet's template with the Deployment's. */
function templateWithoutHash(t: unknown): string {
  const copy = structuredClone(t ?? {}) as { metadata?: { labels?: Record<string, string> } };
  if (copy.metadata?.labels) delete copy.metadata.labels[HASH_LABEL];
  return JSON.stringify(sortKeys(copy));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  }
  return v;
}

function resolveFenceposts(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const replicas = d.spec?.replicas ?? 1;
  const ru = d.spec?.strategy?.rollingUpdate;
  const maxSurge = scaledValue(ru?.maxSurge, replicas, true, Math.ceil(replicas * 0.25));
  let maxUnavailable = scaledValue(ru?.maxUnavailable, replicas, false, Math.floor(replicas * 0.25));
  // Both zero would deadlock a rollout; upstream then allows one unavailable.
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

export async function syncDeployment(
  deps: DeploymentSyncDeps,
  namespace: string,
  name: string,
): Promise<{ requeueAfterMs?: number } | undefined> {
  const dObj = deps.deployments.get(namespace, name);
  if (!dObj || dObj.metadata.deletionTimestamp) return undefined;
  const d = dObj as unknown as Deployment;
  const all: RS[] = deps.replicaSets
    .list(namespace)
    .filter((o) => isControlledBy(o, dObj))
    .map((obj) => ({ obj, rs: obj as unknown as ReplicaSet }));
  const wantTemplate = templateWithoutHash(d.spec?.template);
  let newRS = all.find((r) => templateWithoutHash(r.rs.spec?.template) === wantTemplate);
  const olds = all.filter((r) => r !== newRS).sort((a, b) => created(a) - created(b));

  if (d.spec?.paused) {
    await syncStatus(deps, dObj, newRS, olds, undefined);
    return undefined;
  }

  let createdRS: string | undefined;
  if (!newRS) {
    newRS = await createNewReplicaSet(deps, dObj, d, olds);
    createdRS = newRS.obj.metadata.name;
  }
  const recreate = d.spec?.strategy?.type === 'Recreate';
  // Each scaling step is followed by ReplicaSet events, which bring this deployment back for the next step.
  if (recreate) await rolloutRecreate(deps, dObj, d, newRS, olds);
  else await rolloutRolling(deps, dObj, d, newRS, olds);
  await cleanupOldReplicaSets(deps, d, olds);
  await syncStatus(deps, dObj, newRS, olds, createdRS);
  return undefined;
}

async function createNewReplicaSet(
  deps: DeploymentSyncDeps,
  dObj: KubeObject,
  d: Deployment,
  olds: RS[],
): Promise<RS> {
  const namespace = dObj.metadata.namespace ?? '';
  const collisionCount = (d.status?.collisionCount ?? 0) as number;
  const hash = podTemplateHash(d.spec?.template, collisionCount);
  const revision = Math.max(0, ...olds.map(revisionOf)) + 1;
  const replicas = d.spec?.replicas ?? 1;
  const template = structuredClone(d.spec?.template ?? {});
  template.metadata = {
    ...(template.metadata ?? {}),
    labels: { ...(template.metadata?.labels ?? {}), [HASH_LABEL]: hash },
  };
  const selector = structuredClone(d.spec?.selector ?? {});
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [HASH_LABEL]: hash };
  // Rolling updates start the new set within maxSurge; Recreate starts it once the old pods are gone.
  const recreate = d.spec?.strategy?.type === 'Recreate';
  const initial = recreate
    ? 0
    : newReplicasForRolling(
        d,
        0,
        olds.reduce((n, r) => n + specReplicas(r), 0),
      );
  const { maxSurge } = resolveFenceposts(d);
  const rsObj: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${dObj.metadata.name}-${hash}`,
      namespace,
      labels: { ...(d.spec?.template?.metadata?.labels ?? {}), [HASH_LABEL]: hash },
      annotations: {
        [DESIRED]: String(replicas),
        [MAX_REPLICAS]: String(replicas + maxSurge),
        [REVISION]: String(revision),
      },
      ownerReferences: [ownerReferenceTo(dObj)],
    },
    spec: {
      replicas: initial,
      minReadySeconds: d.spec?.minReadySeconds ?? 0,
      selector,
      template,
    },
  };
  const created = await deps.client.create(RESOURCE.replicasets, namespace, rsObj);
  if (initial > 0) {
    deps.events.event(
      ref(dObj),
      'Normal',
      'ScalingReplicaSet',
      `Scaled up replica set ${created.metadata.name} from 0 to ${initial}`,
    );
  }
  if (dObj.metadata.annotations?.[REVISION] !== String(revision)) {
    try {
      const updated = structuredClone(dObj);
      updated.metadata.annotations = {
        ...(updated.metadata.annotations ?? {}),
        [REVISION]: String(revision),
      };
      await deps.client.update(RESOURCE.deployments, namespace, updated);
    } catch (err) {
      if (!isStaleWrite(err)) throw err;
    }
  }
  return { obj: created, rs: created as unknown as ReplicaSet };
}

/** NewRSNewReplicas for RollingUpdate. */
function newReplicasForRolling(d: Deployment, newSpec: number, oldSpecTotal: number): number {
  const replicas = d.spec?.replicas ?? 1;
  if (newSpec === replicas) return newSpec;
  const { maxSurge } = resolveFenceposts(d);
  const maxTotal = replicas + maxSurge;
  const current = newSpec + oldSpecTotal;
  if (current >= maxTotal) return newSpec;
  const scaleUp = Math.min(maxTotal - current, replicas - newSpec);
  return newSpec + Math.max(0, scaleUp);
}

async function scale(
  deps: DeploymentSyncDeps,
  dObj: KubeObject,
  d: Deployment,
  r: RS,
  to: number,
): Promise<boolean> {
  const from = specReplicas(r);
  if (from === to) return false;
  const updated = structuredClone(r.obj);
  const replicas = d.spec?.replicas ?? 1;
  updated.spec = { ...(updated.spec as object), replicas: to };
  updated.metadata.annotations = {
    ...(updated.metadata.annotations ?? {}),
    [DESIRED]: String(replicas),
    [MAX_REPLICAS]: String(replicas + resolveFenceposts(d).maxSurge),
  };
  try {
    const saved = await deps.client.update(RESOURCE.replicasets, r.obj.metadata.namespace ?? '', updated);
    r.obj = saved;
    r.rs = saved as unknown as ReplicaSet;
  } catch (err) {
    if (isStaleWrite(err)) return false;
    throw err;
  }
  const verb = to > from ? 'up' : 'down';
  deps.events.event(
    ref(dObj),
    'Normal',
    'ScalingReplicaSet',
    `Scaled ${verb} replica set ${r.obj.metadata.name} from ${from} to ${to}`,
  );
  return true;
}

async function rolloutRolling(
  deps: DeploymentSyncDeps,
  dObj: KubeObject,
  d: Deployment,
  newRS: RS,
  olds: RS[],
): Promise<boolean> {
  const oldSpecTotal = olds.reduce((n, r) => n + specReplicas(r), 0);
  const target = newReplicasForRolling(d, specReplicas(newRS), oldSpecTotal);
  if (await scale(deps, dObj, d, newRS, target)) return true;

  if (oldSpecTotal === 0) return false;
  const replicas = d.spec?.replicas ?? 1;
  const { maxUnavailable } = resolveFenceposts(d);
  const allSpec = oldSpecTotal + specReplicas(newRS);
  const minAvailable = replicas - maxUnavailable;
  const newUnavailable = specReplicas(newRS) - (statusOf(newRS).availableReplicas ?? 0);
  let budget = allSpec - minAvailable - newUnavailable;
  if (budget <= 0) return false;
  let changed = false;
  // First old pods that are not available: removing them costs no availability.
  for (const r of olds) {
    if (budget <= 0) break;
    const unhealthy = specReplicas(r) - (statusOf(r).availableReplicas ?? 0);
    const down = Math.min(unhealthy, budget);
    if (down <= 0) continue;
    changed = (await scale(deps, dObj, d, r, specReplicas(r) - down)) || changed;
    budget -= down;
  }
  // Then available ones, as far as the availability floor allows.
  const available = [...olds, newRS].reduce((n, r) => n + (statusOf(r).availableReplicas ?? 0), 0);
  let total = available - minAvailable;
  for (const r of olds) {
    if (total <= 0) break;
    const down = Math.min(specReplicas(r), total);
    if (down <= 0) continue;
    changed = (await scale(deps, dObj, d, r, specReplicas(r) - down)) || changed;
    total -= down;
  }
  return changed;
}

async function rolloutRecreate(
  deps: DeploymentSyncDeps,
  dObj: KubeObject,
  d: Deployment,
  newRS: RS,
  olds: RS[],
): Promise<boolean> {
  let changed = false;
  for (const r of olds) changed = (await scale(deps, dObj, d, r, 0)) || changed;
  const namespace = dObj.metadata.namespace ?? '';
  const oldPodsLeft = deps.pods
    .list(namespace)
    .map(asPod)
    .some((p) => olds.some((r) => isControlledBy(p as unknown as KubeObject, r.obj)) && isPodActive(p));
  if (changed || oldPodsLeft) return changed;
  return scale(deps, dObj, d, newRS, d.spec?.replicas ?? 1);
}

async function cleanupOldReplicaSets(deps: DeploymentSyncDeps, d: Deployment, olds: RS[]): Promise<void> {
  const limit = d.spec?.revisionHistoryLimit ?? 10;
  const idle = olds.filter(
    (r) => specReplicas(r) === 0 && (statusOf(r).replicas ?? 0) === 0 && !r.obj.metadata.deletionTimestamp,
  );
  const excess = idle.length - limit;
  for (const r of idle.sort((a, b) => revisionOf(a) - revisionOf(b)).slice(0, Math.max(0, excess))) {
    await deps.client.delete(RESOURCE.replicasets, r.obj.metadata.namespace ?? '', r.obj.metadata.name ?? '');
  }
}

function condition(
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
  nowIso: string,
  old: DeploymentCondition[] | undefined,
): DeploymentCondition {
  const prev = old?.find((c) => c.type === type);
  const same = prev && prev.status === status && prev.reason === reason && prev.message === message;
  if (same) return prev;
  return {
    type,
    status,
    reason,
    message,
    lastUpdateTime: nowIso,
    lastTransitionTime: prev && prev.status === status ? (prev.lastTransitionTime ?? nowIso) : nowIso,
  };
}

async function syncStatus(
  deps: DeploymentSyncDeps,
  dObj: KubeObject,
  newRS: RS | undefined,
  olds: RS[],
  createdRS: string | undefined,
): Promise<void> {
  const d = dObj as unknown as Deployment;
  const all = newRS ? [newRS, ...olds] : olds;
  const sum = (f: (r: RS) => number) => all.reduce((n, r) => n + f(r), 0);
  const replicas = d.spec?.replicas ?? 1;
  const available = sum((r) => statusOf(r).availableReplicas ?? 0);
  const updated = newRS ? (statusOf(newRS).replicas ?? 0) : 0;
  const total = sum((r) => statusOf(r).replicas ?? 0);
  const nowIso = new Date(Math.floor(deps.clock.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const oldConditions = d.status?.conditions;
  const { maxUnavailable } = resolveFenceposts(d);
  const conditions: DeploymentCondition[] = [
    available >= replicas - maxUnavailable
      ? condition(
          'Available',
          'True',
          'MinimumReplicasAvailable',
          'Deployment has minimum availability.',
          nowIso,
          oldConditions,
        )
      : condition(
          'Available',
          'False',
          'MinimumReplicasUnavailable',
          'Deployment does not have minimum availability.',
          nowIso,
          oldConditions,
        ),
  ];
  const rsName = newRS?.obj.metadata.name ?? '';
  const complete = newRS && updated === replicas && available === replicas && total === replicas;
  if (complete) {
    conditions.push(
      condition(
        'Progressing',
        'True',
        'NewReplicaSetAvailable',
        `ReplicaSet "${rsName}" has successfully progressed.`,
        nowIso,
        oldConditions,
      ),
    );
  } else if (createdRS) {
    conditions.push(
      condition(
        'Progressing',
        'True',
        'NewReplicaSetCreated',
        `Created new replica set "${createdRS}"`,
        nowIso,
        oldConditions,
      ),
    );
  } else if (newRS) {
    const prev = oldConditions?.find((c) => c.type === 'Progressing');
    conditions.push(
      prev?.reason === 'NewReplicaSetCreated' && updated === 0
        ? prev
        : condition(
            'Progressing',
            'True',
            'ReplicaSetUpdated',
            `ReplicaSet "${rsName}" is progressing.`,
            nowIso,
            oldConditions,
          ),
    );
  }
  const status: Record<string, unknown> = {
    observedGeneration: dObj.metadata.generation ?? 1,
    replicas: total,
    updatedReplicas: updated,
    readyReplicas: sum((r) => statusOf(r).readyReplicas ?? 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, replicas - available),
    conditions,
  };
  for (const k of [
    'replicas',
    'updatedReplicas',
    'readyReplicas',
    'availableReplicas',
    'unavailableReplicas',
  ]) {
    if (status[k] === 0) delete status[k];
  }
  if (d.status?.collisionCount) status.collisionCount = d.status.collisionCount;
  const fresh = deps.deployments.get(dObj.metadata.namespace ?? '', dObj.metadata.name ?? '') ?? dObj;
  if (JSON.stringify(fresh.status ?? {}) === JSON.stringify(status)) return;
  try {
    await deps.client.updateStatus(RESOURCE.deployments, dObj.metadata.namespace ?? '', { ...fresh, status });
  } catch (err) {
    if (!isStaleWrite(err)) throw err;
  }
}
