// kubectl describe replicaset (describeReplicaSet in k8s.io/kubectl/pkg/describe/describe.go, v1.32): the
// replica counts, its pods by phase (getPodStatusForController: the selected pods it controls), the pod template,
// conditions and events.
import { resourceForKind } from '../../api/resources.js';
import { labelSelectorFromObject } from '../../api/selectors.js';
import type { Event, Pod, ReplicaSet } from '../../api/types.js';
import { formatLabelSelector } from '../../printers/meta.js';
import type { KubeClient } from '../client/kube.js';
import { describePodTemplate } from './template.js';
import {
  controlledBy,
  describeEvents,
  PrefixWriter,
  printAnnotationsMultiline,
  printLabelsMultiline,
} from './writer.js';

const POD = resourceForKind('v1', 'Pod')!;

export async function describeReplicaSet(
  rs: ReplicaSet,
  events: Event[] | undefined,
  client: KubeClient,
  now: number,
): Promise<string> {
  const ns = rs.metadata?.namespace ?? 'default';
  let podsStatus: string;
  try {
    const selector = labelSelectorFromObject(rs.spec?.selector).toString();
    const pods = (await client.list(POD, ns, { labelSelector: selector })).items as unknown as Pod[];
    const mine = pods.filter((p) =>
      p.metadata?.ownerReferences?.some((r) => r.controller && r.uid === rs.metadata?.uid),
    );
    const count = (phase: string) => mine.filter((p) => p.status?.phase === phase).length;
    podsStatus = `${count('Running')} Running / ${count('Pending')} Waiting / ${count('Succeeded')} Succeeded / ${count('Failed')} Failed`;
  } catch (err) {
    podsStatus = `error in fetching pods: ${(err as Error).message}`;
  }
  const w = new PrefixWriter();
  w.write(0, `Name:\t${rs.metadata?.name ?? ''}\n`);
  w.write(0, `Namespace:\t${ns}\n`);
  w.write(0, `Selector:\t${formatLabelSelector(rs.spec?.selector)}\n`);
  printLabelsMultiline(w, 'Labels', rs.metadata?.labels);
  printAnnotationsMultiline(w, 'Annotations', rs.metadata?.annotations);
  const controller = controlledBy(rs.metadata);
  if (controller) w.write(0, `Controlled By:\t${controller}\n`);
  w.write(0, `Replicas:\t${rs.status?.replicas ?? 0} current / ${rs.spec?.replicas ?? 0} desired\n`);
  w.write(0, `Pods Status:\t${podsStatus}\n`);
  describePodTemplate(rs.spec?.template, w);
  if (rs.status?.conditions?.length) {
    w.write(0, 'Conditions:\n  Type\tStatus\tReason\n');
    w.write(1, '----\t------\t------\n');
    for (const c of rs.status.conditions) w.write(1, `${c.type} \t${c.status}\t${c.reason ?? ''}\n`);
  }
  describeEvents(events, w, now);
  return w.text();
}
