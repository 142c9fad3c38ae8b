// The default scheduler's Filter plugins that a single node can fail, in the profile's order (NodeUnschedulable,
// TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit), with their reasons as upstream words them. The
// first plugin that rejects the node decides; a plugin may give several reasons (NodeResourcesFit does).
import type { Node, Pod, Taint, Toleration } from '../../api/types.js';
import { nodeMatchesPodAffinity } from './node-affinity.js';
import { addAmounts, amountsOf, emptyAmounts, podRequests, type ResourceAmounts } from './requests.js';

/** Unschedulable may be helped by preemption; UnschedulableAndUnresolvable cannot. */
export type FilterCode = 'Unschedulable' | 'UnschedulableAndUnresolvable';

export interface FilterStatus {
  plugin: string;
  code: FilterCode;
  reasons: string[];
}

/** The node as the scheduler's NodeInfo sees it: the node, and the non-terminated pods bound to it. */
export interface NodeInfo {
  node: Node;
  pods: Pod[];
  /** What `pods` request in all, when the caller keeps that sum (the scheduler's cache); else it is summed here. */
  requested?: ResourceAmounts;
}

export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const ERR_REASON_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

/** Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

function tolerated(pod: Pod, taint: Taint): boolean {
  return (pod.spec?.tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

function nodeUnschedulable(pod: Pod, info: NodeInfo): FilterStatus | undefined {
  if (!info.node.spec?.unschedulable) return undefined;
  if (tolerated(pod, { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' })) return undefined;
  return {
    plugin: 'NodeUnschedulable',
    code: 'UnschedulableAndUnresolvable',
    reasons: [ERR_REASON_UNSCHEDULABLE],
  };
}

function taintToleration(pod: Pod, info: NodeInfo): FilterStatus | undefined {
  const taint = (info.node.spec?.taints ?? []).find(
    (t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerated(pod, t),
  );
  if (!taint) return undefined;
  return {
    plugin: 'TaintToleration',
    code: 'UnschedulableAndUnresolvable',
    reasons: [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`],
  };
}

function nodeAffinity(pod: Pod, info: NodeInfo): FilterStatus | undefined {
  if (nodeMatchesPodAffinity(pod, info.node)) return undefined;
  return { plugin: 'NodeAffinity', code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_AFFINITY] };
}

interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

/** The host ports of a pod's containers and sidecars (they hold their ports for the pod's life). */
function hostPorts(pod: Pod): HostPort[] {
  const containers = [
    ...(pod.spec?.containers ?? []),
    ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
  const out: HostPort[] = [];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol ?? 'TCP', port: p.hostPort });
    }
  }
  return out;
}

function portsConflict(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false;
  return a.ip === b.ip || a.ip === '0.0.0.0' || b.ip === '0.0.0.0';
}

function nodePorts(pod: Pod, info: NodeInfo): FilterStatus | undefined {
  const wanted = hostPorts(pod);
  if (wanted.length === 0) return undefined;
  const used = info.pods.flatMap(hostPorts);
  if (!wanted.some((w) => used.some((u) => portsConflict(w, u)))) return undefined;
  return { plugin: 'NodePorts', code: 'Unschedulable', reasons: [ERR_REASON_PORTS] };
}

/** What the node's pods request in all (NodeInfo.Requested). */
export function nodeRequested(info: NodeInfo): ResourceAmounts {
  return info.requested ?? info.pods.reduce((sum, p) => addAmounts(sum, podRequests(p)), emptyAmounts());
}

/** NodeResourcesFit's fitsRequest: the pod count first, then cpu, memory, ephemeral-storage and the rest. */
export function insufficientResources(pod: Pod, info: NodeInfo): string[] {
  const allocatable = (info.node.status?.allocatable ?? {}) as Record<string, string>;
  const alloc = amountsOf(allocatable);
  const allowedPods = Number(allocatable.pods ?? 0);
  const requested = nodeRequested(info);
  const want = podRequests(pod);
  const reasons: string[] = [];
  if (info.pods.length + 1 > allowedPods) reasons.push('Too many pods');
  const scalars = Object.entries(want.scalar).filter(([, v]) => v > 0);
  if (want.milliCPU === 0 && want.memory === 0 && want.ephemeralStorage === 0 && scalars.length === 0)
    return reasons;
  if (want.milliCPU > 0 && want.milliCPU > alloc.milliCPU - requested.milliCPU)
    reasons.push('Insufficient cpu');
  if (want.memory > 0 && want.memory > alloc.memory - requested.memory) reasons.push('Insufficient memory');
  if (
    want.ephemeralStorage > 0 &&
    want.ephemeralStorage > alloc.ephemeralStorage - requested.ephemeralStorage
  )
    reasons.push('Insufficient ephemeral-storage');
  for (const [name, v] of scalars) {
    if (v > (alloc.scalar[name] ?? 0) - (requested.scalar[name] ?? 0)) reasons.push(`Insufficient ${name}`);
  }
  return reasons;
}

function nodeResourcesFit(pod: Pod, info: NodeInfo): FilterStatus | undefined {
  const reasons = insufficientResources(pod, info);
  return reasons.length === 0 ? undefined : { plugin: 'NodeResourcesFit', code: 'Unschedulable', reasons };
}

const FILTERS = [nodeUnschedulable, taintToleration, nodeAffinity, nodePorts, nodeResourcesFit];

/** RunFilterPlugins: the first plugin's rejection, or undefined when the pod fits the node. */
export function filterNode(pod: Pod, info: NodeInfo): FilterStatus | undefined {
  for (const f of FILTERS) {
    const status = f(pod, info);
    if (status) return status;
  }
  return undefined;
}
