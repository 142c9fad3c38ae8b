// Wires the disruption and resource quota controllers into the controller manager: their informers, queues
// and the changes that requeue them (a pod or a workload's scale changes the budgets of its namespace; a pod,
// service, claim or quota change recounts the namespace's quotas).
import { resourceByName } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import type { Clock } from '../../util/clock.js';
import type { ControllerClient } from '../client.js';
import { type Informer, objectKey } from '../informer.js';
import type { SyncResult, WorkQueue } from '../queue.js';
import { syncDisruptionBudget } from './disruption.js';
import { syncResourceQuota } from './resourcequota.js';

const PDBS = resourceByName('policy', 'poddisruptionbudgets')!;
const QUOTAS = resourceByName('', 'resourcequotas')!;

export interface PolicyWiring {
  client: ControllerClient;
  clock: Clock;
  informer(r: typeof PDBS): Informer;
  queue(name: string, sync: (ns: string, n: string) => Promise<SyncResult>): WorkQueue;
  pods: Informer;
  replicaSets: Informer;
  deployments: Informer;
  statefulSets: Informer;
  /** Other informers whose objects quotas may count. */
  counted: Informer[];
}

/** Registers the controllers; the returned function queues their first syncs once the informers started. */
export function wirePolicyControllers(w: PolicyWiring): () => void {
  const pdbs = w.informer(PDBS);
  const quotas = w.informer(QUOTAS);
  const pdbQueue = w.queue('disruption', (ns, n) =>
    syncDisruptionBudget(
      {
        client: w.client,
        clock: w.clock,
        resource: PDBS,
        pdbs,
        pods: w.pods,
        replicaSets: w.replicaSets,
        deployments: w.deployments,
        statefulSets: w.statefulSets,
      },
      ns,
      n,
    ),
  );
  const quotaQueue = w.queue('resourcequota', (ns, n) =>
    syncResourceQuota({ client: w.client, resource: QUOTAS, quotas, pods: w.pods }, ns, n),
  );
  const budgetsOf = (o: KubeObject) => {
    for (const p of pdbs.list(o.metadata.namespace ?? '')) pdbQueue.add(objectKey(p));
  };
  const quotasOf = (o: KubeObject) => {
    for (const q of quotas.list(o.metadata.namespace ?? '')) quotaQueue.add(objectKey(q));
  };
  pdbs.onChange((_t, p) => pdbQueue.add(objectKey(p)));
  quotas.onChange((_t, q) => quotaQueue.add(objectKey(q)));
  w.pods.onChange((_t, p) => {
    budgetsOf(p);
    quotasOf(p);
  });
  for (const i of [w.replicaSets, w.deployments, w.statefulSets]) i.onChange((_t, o) => budgetsOf(o));
  for (const i of w.counted) i.onChange((_t, o) => quotasOf(o));
  return () => {
    for (const p of pdbs.list()) pdbQueue.add(objectKey(p));
    for (const q of quotas.list()) quotaQueue.add(objectKey(q));
  };
}
