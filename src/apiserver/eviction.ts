// POST …/pods/{name}/eviction (pkg/registry/core/pod/storage/eviction.go, v1.32): deletes a pod unless that
// would break its PodDisruptionBudget. A pod that is Pending, terminal or already being deleted goes at
// once; otherwise the one budget selecting it must allow a disruption, which the eviction takes (status.
// disruptionsAllowed - 1, the pod in status.disruptedPods) before the pod gets a DisruptionTarget condition
// and is deleted. A budget that allows none is `429 TooManyRequests`, as upstream, which `kubectl drain`
// retries until its timeout.
import type { KubeObject, Pod, PodCondition, PodDisruptionBudget } from '../api/types.js';
import { selectorMatches } from '../api/validation/meta.js';
import {
  DeleteOptionsDecodeError,
  decodeDeleteOptions,
  type RawDeleteOptions,
  toDeleteOptions,
} from './delete-options.js';
import { ApiError, badRequest, forbidden } from './errors.js';
import { clone, isPlainObject } from './object-util.js';
import type { DeleteOptions, Registry } from './registry.js';

const PDBS = 'poddisruptionbudgets.policy';
const EVICTION_MESSAGE = "Cannot evict pod as it would violate the pod's disruption budget.";

export interface EvictionResult {
  code: number;
  status: Record<string, unknown>;
}

function tooManyRequests(cause: string, retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'TooManyRequests', EVICTION_MESSAGE, {
    causes: [{ reason: 'DisruptionBudget', message: cause }],
    ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}),
  });
}

function isReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function canIgnorePDB(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return (
    phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata?.deletionTimestamp
  );
}

/**
 * The DeleteOptions an Eviction carries (Eviction.deleteOptions), decoded with the rest of the Eviction by
 * encoding/json, so a value of the wrong type is the create handler's 400 (transformDecodeError). They are not
 * validated (the eviction passes them to Store.Delete): any dryRun value makes a dry run (dryrun.IsDryRun), as
 * does the request's own dryRun (propagateDryRun).
 */
function deleteOptionsOf(body: Record<string, unknown>, dryRun: boolean): DeleteOptions {
  let raw: RawDeleteOptions = {};
  if (body.deleteOptions !== undefined && body.deleteOptions !== null) {
    try {
      raw = decodeDeleteOptions(body.deleteOptions, 'deleteOptions');
    } catch (e) {
      if (!(e instanceof DeleteOptionsDecodeError)) throw e;
      const version = typeof body.apiVersion === 'string' ? body.apiVersion.split('/').at(-1) : 'v1';
      throw badRequest(`Eviction in version "${version}" cannot be handled as a Eviction: ${e.message}`);
    }
  }
  const out = toDeleteOptions(raw);
  if (dryRun) out.dryRun = true;
  return out;
}

/** The budget's DisruptionAllowed condition after a change of disruptionsAllowed (UpdateDisruptionAllowedCondition). */
export function withDisruptionAllowedCondition(pdb: PodDisruptionBudget, now: string): void {
  pdb.status ??= { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 };
  const status = pdb.status;
  const allowed = status.disruptionsAllowed > 0;
  const next = {
    type: 'DisruptionAllowed',
    status: allowed ? 'True' : 'False',
    reason: allowed ? 'SufficientPods' : 'InsufficientPods',
    message: '',
  };
  const conditions = status.conditions ?? [];
  const old = conditions.find((c) => c.type === 'DisruptionAllowed');
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : now;
  status.conditions = [
    ...conditions.filter((c) => c.type !== 'DisruptionAllowed'),
    { ...next, lastTransitionTime },
  ];
}

async function addDisruptionTarget(registry: Registry, pod: Pod, now: string): Promise<void> {
  const next = clone(pod as unknown as KubeObject);
  const status = (isPlainObject(next.status) ? next.status : {}) as { conditions?: PodCondition[] };
  next.status = status;
  status.conditions = [
    ...(status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'),
    {
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
      lastTransitionTime: now,
    },
  ];
  await registry.updateStatus('pods', pod.metadata?.namespace, pod.metadata?.name ?? '', next);
}

/** checkAndDecrement: takes one disruption from the budget or refuses. */
async function takeDisruption(
  registry: Registry,
  pdb: PodDisruptionBudget,
  podName: string,
  dryRun: boolean,
  now: string,
): Promise<void> {
  const status = pdb.status;
  const name = pdb.metadata?.name ?? '';
  if ((status?.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0)) {
    throw tooManyRequests(`The disruption budget ${name} is still being processed by the server.`, 10);
  }
  const allowed = status?.disruptionsAllowed ?? 0;
  if (allowed < 0)
    throw forbidden(
      { group: 'policy', resource: 'poddisruptionbudget' },
      name,
      'pdb disruptions allowed is negative',
    );
  if (allowed === 0) {
    throw tooManyRequests(
      `The disruption budget ${name} needs ${status?.desiredHealthy ?? 0} healthy pods and has ${status?.currentHealthy ?? 0} currently`,
      0,
    );
  }
  const next = clone(pdb as unknown as KubeObject) as unknown as PodDisruptionBudget;
  next.status!.disruptionsAllowed = allowed - 1;
  if (allowed - 1 === 0) withDisruptionAllowedCondition(next, now);
  if (dryRun) return;
  next.status!.disruptedPods = { ...(next.status!.disruptedPods ?? {}), [podName]: now };
  await registry.updateStatus(PDBS, pdb.metadata?.namespace, name, next);
}

/** Evicts the pod `namespace/name` as the body (a policy/v1 Eviction) asks. */
export async function evictPod(
  registry: Registry,
  namespace: string,
  name: string,
  body: unknown,
  dryRun: boolean,
): Promise<EvictionResult> {
  const eviction = isPlainObject(body) ? body : {};
  const meta = isPlainObject(eviction.metadata) ? eviction.metadata : {};
  if (meta.name !== name) throw badRequest('name in URL does not match name in Eviction object');
  const options = deleteOptionsOf(eviction, dryRun);
  const now = new Date(registry.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const success = {
    code: 201,
    status: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
  };

  for (let attempt = 0; ; attempt++) {
    const pod = (await registry.get('pods', namespace, name)) as unknown as Pod;
    try {
      if (canIgnorePDB(pod)) {
        await registry.delete('pods', namespace, name, options);
        return success;
      }
      const pdbs = ((await registry.list(PDBS, namespace)).items as unknown as PodDisruptionBudget[]).filter(
        (p) => selectorMatches(p.spec?.selector ?? {}, pod.metadata?.labels),
      );
      if (pdbs.length > 1) {
        const message =
          'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.';
        return {
          code: 500,
          status: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code: 500 },
        };
      }
      const pdb = pdbs[0];
      let unhealthyOk = false;
      if (pdb && !isReady(pod)) {
        const st = pdb.status;
        unhealthyOk =
          pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' ||
          ((st?.currentHealthy ?? 0) >= (st?.desiredHealthy ?? 0) && (st?.desiredHealthy ?? 0) > 0);
      }
      if (pdb && !unhealthyOk) await takeDisruption(registry, pdb, name, !!options.dryRun, now);
      if (!options.dryRun) await addDisruptionTarget(registry, pod, now);
      await registry.delete('pods', namespace, name, options);
      return success;
    } catch (e) {
      if (
        e instanceof ApiError &&
        e.reason === 'Conflict' &&
        attempt < 5 &&
        !options.preconditions?.resourceVersion
      )
        continue;
      throw e;
    }
  }
}
