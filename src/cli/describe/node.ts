// kubectl describe node (NodeDescriber and describeNode in k8s.io/kubectl/pkg/describe/describe.go, v1.32):
// roles, labels, taints, the heartbeat Lease, conditions, addresses, capacity, system info, the non-terminated
// pods with their requests and limits against the allocatable, the totals, and the node's events (asked by its
// UID and again by its name, which the kubelet uses as the UID of its events).
import { quantityValue } from '../../api/quantity.js';
import { resourceForKind } from '../../api/resources.js';
import type { Container, Event, Node, Pod } from '../../api/types.js';
import { translateTimestampSince } from '../../printers/duration.js';
import { nodeRoles } from '../../printers/node.js';
import { KubeApiError, type KubeClient } from '../client/kube.js';
import {
  describeEvents,
  PrefixWriter,
  printAnnotationsMultiline,
  printLabelsMultiline,
  rfc1123z,
} from './writer.js';

const POD = resourceForKind('v1', 'Pod')!;
const EVENT = resourceForKind('v1', 'Event')!;
const LEASE = resourceForKind('coordination.k8s.io/v1', 'Lease')!;

type ResourceList = Record<string, string | number>;

/** A summed quantity: its value in milli-units (exact for what specs hold) and the format of the first term. */
interface Sum {
  milli: number;
  binary: boolean;
}

const BINARY = /(Ki|Mi|Gi|Ti|Pi|Ei)$/;

function toSum(q: string | number): Sum {
  const text = String(q).trim();
  return { milli: Math.round(quantityValue(text) * 1000), binary: BINARY.test(text) };
}

/** Quantity.String(): canonical form in the format of the quantity (`50m`, `2`, `32Mi`, `128M`, `0`). */
export function quantityString(s: Sum | undefined): string {
  if (!s || s.milli === 0) return '0';
  const milli = s.milli;
  if (milli % 1000 !== 0) return `${milli}m`;
  const value = milli / 1000;
  // BinarySI between -1024 and 1024 is written as DecimalSI (CanonicalizeBytes).
  if (s.binary && Math.abs(value) >= 1024) {
    const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
    let k = 0;
    let v = value;
    while (k < suffixes.length - 1 && v % 1024 === 0) {
      v /= 1024;
      k++;
    }
    return `${v}${suffixes[k]}`;
  }
  const suffixes = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
  let k = 0;
  let v = value;
  while (k < suffixes.length - 1 && v % 1000 === 0) {
    v /= 1000;
    k++;
  }
  return `${v}${suffixes[k]}`;
}

type Sums = Record<string, Sum>;

function add(into: Sums, list: ResourceList | undefined): Sums {
  const out = { ...into };
  for (const [name, q] of Object.entries(list ?? {})) {
    const s = toSum(q);
    out[name] = out[name] ? { ...out[name], milli: out[name].milli + s.milli } : s;
  }
  return out;
}

function max(into: Sums, other: Sums): Sums {
  const out = { ...into };
  for (const [name, s] of Object.entries(other)) {
    if (!out[name] || s.milli > out[name].milli) out[name] = s;
  }
  return out;
}

/** resourcehelper.PodRequests / PodLimits: app containers and sidecars together, the larger of that and each
 * init container with the sidecars started before it, plus the pod overhead. */
function podTotals(pod: Pod, pick: (c: Container) => ResourceList | undefined): Sums {
  let total: Sums = {};
  for (const c of pod.spec?.containers ?? []) total = add(total, pick(c));
  let sidecars: Sums = {};
  let initMax: Sums = {};
  for (const c of pod.spec?.initContainers ?? []) {
    const own = add({}, pick(c));
    if (c.restartPolicy === 'Always') {
      total = add(total, pick(c));
      sidecars = add(sidecars, pick(c));
      initMax = max(initMax, sidecars);
    } else {
      initMax = max(initMax, addSums(own, sidecars));
    }
  }
  total = max(total, initMax);
  const overhead = pod.spec?.overhead as ResourceList | undefined;
  if (overhead) {
    // Limits get the overhead only where a limit is set.
    const present = Object.fromEntries(
      Object.entries(overhead).filter(([k]) => pick === requestsOf || total[k]),
    );
    total = add(total, present);
  }
  return total;
}

function requestsOf(c: Container): ResourceList | undefined {
  // Defaulting copies limits into absent requests.
  return { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) } as ResourceList;
}

function limitsOf(c: Container): ResourceList | undefined {
  return c.resources?.limits as ResourceList | undefined;
}

/** int64(float64(a) / float64(b) * 100): the truncated percentage. */
function percent(part: Sum | undefined, whole: string | number | undefined, milli: boolean): number {
  const w = whole === undefined ? 0 : quantityValue(String(whole));
  const p = (part?.milli ?? 0) / 1000;
  const denominator = milli ? Math.ceil(w * 1000) : Math.ceil(w);
  const numerator = milli ? Math.ceil(p * 1000) : Math.ceil(p);
  if (denominator === 0) return 0;
  return Math.trunc((numerator / denominator) * 100);
}

function taintText(t: { key: string; value?: string; effect: string }): string {
  return t.value ? `${t.key}=${t.value}:${t.effect}` : `${t.key}:${t.effect}`;
}

async function nodeEvents(client: KubeClient, node: Node): Promise<Event[]> {
  const name = node.metadata?.name ?? '';
  const query = async (uid: string) =>
    (
      await client.list(EVENT, undefined, {
        fieldSelector: `involvedObject.kind=Node,involvedObject.name=${name},involvedObject.namespace=,involvedObject.uid=${uid}`,
      })
    ).items as unknown as Event[];
  return [...(await query(node.metadata?.uid ?? '')), ...(await query(name))];
}

export async function describeNode(
  node: Node,
  showEvents: boolean,
  client: KubeClient,
  now: number,
): Promise<string> {
  const name = node.metadata?.name ?? '';
  const pods = (
    await client.list(POD, undefined, {
      fieldSelector: `spec.nodeName=${name},status.phase!=Succeeded,status.phase!=Failed`,
    })
  ).items as unknown as Pod[];
  let lease: { spec?: { holderIdentity?: string; acquireTime?: string; renewTime?: string } } | undefined;
  let leaseError = '';
  try {
    lease = (await client.get(LEASE, 'kube-node-lease', name)) as typeof lease;
  } catch (err) {
    leaseError = err instanceof KubeApiError ? err.message : String(err);
  }
  const events = showEvents ? await nodeEvents(client, node) : undefined;

  const w = new PrefixWriter();
  const spec = node.spec ?? {};
  const status = node.status ?? {};
  w.write(0, `Name:\t${name}\n`);
  const roles = nodeRoles(node);
  w.write(0, `Roles:\t${roles.length > 0 ? roles.join(',') : '<none>'}\n`);
  printLabelsMultiline(w, 'Labels', node.metadata?.labels);
  printAnnotationsMultiline(w, 'Annotations', node.metadata?.annotations);
  w.write(0, `CreationTimestamp:\t${rfc1123z(node.metadata?.creationTimestamp)}\n`);
  w.write(0, 'Taints:\t');
  const taints = [...(spec.taints ?? [])].sort((a, b) =>
    `${a.effect},${a.key}` < `${b.effect},${b.key}`
      ? -1
      : `${a.effect},${a.key}` > `${b.effect},${b.key}`
        ? 1
        : 0,
  );
  if (taints.length === 0) w.writeLine('<none>');
  taints.forEach((t, i) => {
    w.write(0, `${i === 0 ? '' : '\t'}${taintText(t)}\n`);
  });
  w.write(0, `Unschedulable:\t${spec.unschedulable === true}\n`);
  if (lease) {
    w.write(0, 'Lease:\n');
    w.write(1, `HolderIdentity:\t${lease.spec?.holderIdentity ?? '<unset>'}\n`);
    w.write(1, `AcquireTime:\t${lease.spec?.acquireTime ? rfc1123z(lease.spec.acquireTime) : '<unset>'}\n`);
    w.write(1, `RenewTime:\t${lease.spec?.renewTime ? rfc1123z(lease.spec.renewTime) : '<unset>'}\n`);
  } else {
    w.write(0, `Lease:\tFailed to get lease: ${leaseError}\n`);
  }
  if (status.conditions?.length) {
    w.write(0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
    w.write(1, '----\t------\t-----------------\t------------------\t------\t-------\n');
    for (const c of status.conditions) {
      w.write(
        1,
        `${c.type} \t${c.status} \t${rfc1123z(c.lastHeartbeatTime)} \t${rfc1123z(c.lastTransitionTime)} \t${c.reason ?? ''} \t${c.message ?? ''}\n`,
      );
    }
  }
  w.write(0, 'Addresses:\n');
  for (const a of status.addresses ?? []) w.write(1, `${a.type}:\t${a.address}\n`);
  const printList = (list: ResourceList) => {
    for (const r of Object.keys(list).sort()) w.write(0, `  ${r}:\t${String(list[r])}\n`);
  };
  const capacity = (status.capacity ?? {}) as ResourceList;
  const allocatableList = (status.allocatable ?? {}) as ResourceList;
  if (Object.keys(capacity).length > 0) {
    w.write(0, 'Capacity:\n');
    printList(capacity);
  }
  if (Object.keys(allocatableList).length > 0) {
    w.write(0, 'Allocatable:\n');
    printList(allocatableList);
  }
  const info = status.nodeInfo;
  w.write(0, 'System Info:\n');
  w.write(0, `  Machine ID:\t${info?.machineID ?? ''}\n`);
  w.write(0, `  System UUID:\t${info?.systemUUID ?? ''}\n`);
  w.write(0, `  Boot ID:\t${info?.bootID ?? ''}\n`);
  w.write(0, `  Kernel Version:\t${info?.kernelVersion ?? ''}\n`);
  w.write(0, `  OS Image:\t${info?.osImage ?? ''}\n`);
  w.write(0, `  Operating System:\t${info?.operatingSystem ?? ''}\n`);
  w.write(0, `  Architecture:\t${info?.architecture ?? ''}\n`);
  w.write(0, `  Container Runtime Version:\t${info?.containerRuntimeVersion ?? ''}\n`);
  w.write(0, `  Kubelet Version:\t${info?.kubeletVersion ?? ''}\n`);
  w.write(0, `  Kube-Proxy Version:\t${info?.kubeProxyVersion ?? ''}\n`);
  if (spec.podCIDR) w.write(0, `PodCIDR:\t${spec.podCIDR}\n`);
  if (spec.podCIDRs?.length) w.write(0, `PodCIDRs:\t${spec.podCIDRs.join(',')}\n`);
  if (spec.providerID) w.write(0, `ProviderID:\t${spec.providerID}\n`);
  describeNodeResource(pods, capacity, allocatableList, w, now);
  describeEvents(events, w, now);
  return w.text();
}

function describeNodeResource(
  pods: Pod[],
  capacity: ResourceList,
  allocatableList: ResourceList,
  w: PrefixWriter,
  now: number,
): void {
  w.write(0, `Non-terminated Pods:\t(${pods.length} in total)\n`);
  w.write(1, 'Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n');
  w.write(1, '---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n');
  const allocatable = Object.keys(allocatableList).length > 0 ? allocatableList : capacity;
  let totalRequests: Sums = {};
  let totalLimits: Sums = {};
  for (const pod of pods) {
    const req = podTotals(pod, requestsOf);
    const lim = podTotals(pod, limitsOf);
    totalRequests = addSums(totalRequests, req);
    totalLimits = addSums(totalLimits, lim);
    const cell = (s: Sums, r: string, milli: boolean) =>
      `${quantityString(s[r])} (${percent(s[r], allocatable[r], milli)}%)`;
    w.write(
      1,
      `${pod.metadata?.namespace ?? ''}\t${pod.metadata?.name ?? ''}\t\t${cell(req, 'cpu', true)}\t${cell(lim, 'cpu', true)}\t${cell(req, 'memory', false)}\t${cell(lim, 'memory', false)}\t${translateTimestampSince(pod.metadata?.creationTimestamp, now)}\n`,
    );
  }
  w.write(0, 'Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
  w.write(1, 'Resource\tRequests\tLimits\n');
  w.write(1, '--------\t--------\t------\n');
  const row = (r: string, milli: boolean) =>
    w.write(
      1,
      `${r}\t${quantityString(totalRequests[r])} (${percent(totalRequests[r], allocatable[r], milli)}%)\t${quantityString(totalLimits[r])} (${percent(totalLimits[r], allocatable[r], milli)}%)\n`,
    );
  row('cpu', true);
  row('memory', false);
  row('ephemeral-storage', false);
  const names = Object.keys(allocatable);
  for (const r of names.filter((n) => n.startsWith('hugepages-')).sort()) row(r, false);
  const standard = new Set(['cpu', 'memory', 'ephemeral-storage', 'pods']);
  for (const r of names
    .filter((n) => !n.startsWith('hugepages-') && !standard.has(n) && !n.startsWith('requests.'))
    .sort()) {
    w.write(1, `${r}\t${quantityString(totalRequests[r])}\t${quantityString(totalLimits[r])}\n`);
  }
}

function addSums(a: Sums, b: Sums): Sums {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = out[k] ? { ...out[k], milli: out[k].milli + v.milli } : v;
  return out;
}
