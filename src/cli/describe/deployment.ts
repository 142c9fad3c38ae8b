// kubectl describe deployment (describeDeployment in k8s.io/kubectl/pkg/describe/describe.go, v1.32): replica
// counts, strategy, the pod template, conditions, the old and new ReplicaSets, and events. The ReplicaSets are
// deploymentutil.GetAllReplicaSets': those the Deployment controls, the new one being the one whose template
// equals the Deployment's (the pod-template-hash label aside, oldest first), the others old, in list order.
import { resourceForKind } from '../../api/resources.js';
import { labelSelectorFromObject } from '../../api/selectors.js';
import type { Deployment, Event, ReplicaSet } from '../../api/types.js';
import type { KubeClient } from '../client/kube.js';
import { describePodTemplate } from './template.js';
import {
  describeEvents,
  PrefixWriter,
  printAnnotationsMultiline,
  printLabelsMultiline,
  rfc1123z,
} from './writer.js';

const REPLICA_SET = resourceForKind('apps/v1', 'ReplicaSet')!;
const HASH_LABEL = 'pod-template-hash';

function canonical(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x && typeof x === 'object') {
      return Object.fromEntries(
        Object.entries(x as Record<string, unknown>)
          .filter(([, y]) => y !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, y]) => [k, sort(y)]),
      );
    }
    return x;
  };
  return JSON.stringify(sort(v));
}

function withoutHash(template: unknown): string {
  const copy = structuredClone(template ?? {}) as { metadata?: { labels?: Record<string, string> } };
  if (copy.metadata?.labels) delete copy.metadata.labels[HASH_LABEL];
  return canonical(copy);
}

/** GetAllReplicaSets: the controlled ReplicaSets split into the old ones and the new one. */
export function splitReplicaSets(d: Deployment, all: ReplicaSet[]): { old: ReplicaSet[]; new: ReplicaSet[] } {
  const uid = d.metadata?.uid;
  const created = (rs: ReplicaSet) => Date.parse(rs.metadata?.creationTimestamp ?? '') || 0;
  // FindNewReplicaSet sorts the list in place (ReplicaSetsByCreationTimestamp), so the old ones come in that order too.
  const owned = all
    .filter((rs) => rs.metadata?.ownerReferences?.some((r) => r.controller && r.uid === uid))
    .sort(
      (a, b) => created(a) - created(b) || ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1),
    );
  const want = withoutHash(d.spec?.template);
  const newest = owned.find((rs) => withoutHash(rs.spec?.template) === want);
  return { old: owned.filter((rs) => rs !== newest), new: newest ? [newest] : [] };
}

function replicaSetsText(list: ReplicaSet[]): string {
  const text = list
    .map(
      (rs) => `${rs.metadata?.name} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 0} replicas created)`,
    )
    .join(', ');
  return text || '<none>';
}

function intOrString(v: number | string | undefined): string {
  return v === undefined ? '0' : String(v);
}

export async function describeDeployment(
  d: Deployment,
  events: Event[] | undefined,
  client: KubeClient,
  now: number,
): Promise<string> {
  const ns = d.metadata?.namespace ?? 'default';
  const selector = labelSelectorFromObject(d.spec?.selector);
  let sets: { old: ReplicaSet[]; new: ReplicaSet[] } = { old: [], new: [] };
  try {
    const list = await client.list(REPLICA_SET, ns, { labelSelector: selector.toString() });
    sets = splitReplicaSets(d, list.items as unknown as ReplicaSet[]);
  } catch {
    // kubectl leaves the ReplicaSet lines out when it cannot list them.
  }
  const w = new PrefixWriter();
  const spec = d.spec;
  const status = d.status ?? {};
  w.write(0, `Name:\t${d.metadata?.name ?? ''}\n`);
  w.write(0, `Namespace:\t${ns}\n`);
  w.write(0, `CreationTimestamp:\t${rfc1123z(d.metadata?.creationTimestamp)}\n`);
  printLabelsMultiline(w, 'Labels', d.metadata?.labels);
  printAnnotationsMultiline(w, 'Annotations', d.metadata?.annotations);
  w.write(0, `Selector:\t${selector.toString()}\n`);
  w.write(
    0,
    `Replicas:\t${spec?.replicas ?? 0} desired | ${status.updatedReplicas ?? 0} updated | ${status.replicas ?? 0} total | ${status.availableReplicas ?? 0} available | ${status.unavailableReplicas ?? 0} unavailable\n`,
  );
  w.write(0, `StrategyType:\t${spec?.strategy?.type ?? ''}\n`);
  w.write(0, `MinReadySeconds:\t${spec?.minReadySeconds ?? 0}\n`);
  const ru = spec?.strategy?.rollingUpdate;
  if (ru) {
    w.write(
      0,
      `RollingUpdateStrategy:\t${intOrString(ru.maxUnavailable)} max unavailable, ${intOrString(ru.maxSurge)} max surge\n`,
    );
  }
  describePodTemplate(spec?.template, w);
  if (status.conditions?.length) {
    w.write(0, 'Conditions:\n  Type\tStatus\tReason\n');
    w.write(1, '----\t------\t------\n');
    for (const c of status.conditions) w.write(1, `${c.type} \t${c.status}\t${c.reason ?? ''}\n`);
  }
  if (sets.old.length > 0 || sets.new.length > 0) {
    w.write(0, `OldReplicaSets:\t${replicaSetsText(sets.old)}\n`);
    w.write(0, `NewReplicaSet:\t${replicaSetsText(sets.new)}\n`);
  }
  describeEvents(events, w, now);
  return w.text();
}
