// The DaemonSet controller's decisions, pure (pkg/controller/daemon/daemon_controller.go podsShouldBeOnNode,
// update.go rollingUpdate, updateDaemonSetStatus, v1.32): which nodes should run a daemon pod, which pods to
// create and delete on each, how a rolling update replaces old pods within maxUnavailable or maxSurge, and the
// status counts. daemonset.ts does the I/O.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { DaemonSet, Node, Pod, Taint, Toleration } from '../api/types.js';
import type { FailedPodsBackoff } from './failed-pods-backoff.js';
import { scaledValue } from './intstr.js';
import { isPodAvailable, isPodReady } from './pods.js';
import { toleratesTaint } from './scheduler/filters.js';
import { nodeMatchesPodAffinity } from './scheduler/node-affinity.js';

/** The label with the hash of the revision a daemon pod was made from (apps.DefaultDaemonSetUniqueLabelKey). */
export const DAEMONSET_HASH_LABEL = 'controller-revision-hash';
export const POD_TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

/** AddOrUpdateDaemonPodTolerations: daemon pods stay through node problems and cordons. */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const t = (key: string, effect: string): Toleration => ({ key, operator: 'Exists', effect });
  return [
    t('node.kubernetes.io/not-ready', 'NoExecute'),
    t('node.kubernetes.io/unreachable', 'NoExecute'),
    t('node.kubernetes.io/disk-pressure', 'NoSchedule'),
    t('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    t('node.kubernetes.io/pid-pressure', 'NoSchedule'),
    t('node.kubernetes.io/unschedulable', 'NoSchedule'),
    ...(hostNetwork ? [t('node.kubernetes.io/network-unavailable', 'NoSchedule')] : []),
  ];
}

function withDaemonTolerations(tolerations: Toleration[] | undefined, hostNetwork: boolean): Toleration[] {
  const out = [...(tolerations ?? [])];
  for (const add of daemonTolerations(hostNetwork)) {
    const i = out.findIndex((x) => x.key === add.key && x.effect === add.effect);
    if (i < 0) out.push(add);
    else out[i] = add;
  }
  return out;
}

/**
 * The template a daemon pod is made from (CreatePodTemplate): the daemon tolerations, and labels for the
 * revision hash and the template generation.
 */
export function daemonPodTemplate(
  template: PodTemplateSpec | undefined,
  hash: string,
  templateGeneration: string | undefined,
): PodTemplateSpec {
  const t = structuredClone(template ?? {});
  t.spec ??= { containers: [] };
  t.spec.tolerations = withDaemonTolerations(t.spec.tolerations, t.spec.hostNetwork === true);
  t.metadata = {
    ...t.metadata,
    labels: {
      ...(t.metadata?.labels ?? {}),
      ...(templateGeneration ? { [POD_TEMPLATE_GENERATION_LABEL]: templateGeneration } : {}),
      [DAEMONSET_HASH_LABEL]: hash,
    },
  };
  return t;
}

/** ReplaceDaemonSetPodNodeNameNodeAffinity: the pod's required node affinity becomes `metadata.name In [node]`. */
export function pinToNode(template: PodTemplateSpec, nodeName: string): PodTemplateSpec {
  const t = structuredClone(template);
  t.spec ??= { containers: [] };
  const term = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] };
  t.spec.affinity ??= {};
  t.spec.affinity.nodeAffinity ??= {};
  t.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [term] };
  return t;
}

/** The node a daemon pod is for: its nodeName, or the node its pinned affinity names (GetTargetNodeName). */
export function targetNodeOf(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  for (const t of terms ?? []) {
    for (const f of t.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

function untolerated(taints: Taint[], tolerations: Toleration[], effects: string[]): boolean {
  return taints.some(
    (taint) => effects.includes(taint.effect) && !tolerations.some((t) => toleratesTaint(t, taint)),
  );
}

/**
 * NodeShouldRunDaemonPod: whether a daemon pod should be made on the node (node name, nodeSelector and node
 * affinity match; every NoSchedule and NoExecute taint tolerated), and whether one already there may stay
 * (only NoExecute taints evict).
 */
export function nodeShouldRunDaemonPod(
  node: Node,
  ds: DaemonSet,
): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const spec = ds.spec?.template?.spec;
  const name = node.metadata?.name ?? '';
  if (spec?.nodeName && spec.nodeName !== name) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = withDaemonTolerations(spec?.tolerations, spec?.hostNetwork === true);
  const pod = { spec: { ...(spec ?? { containers: [] }), nodeName: name, tolerations } } as Pod;
  if (!nodeMatchesPodAffinity(pod, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints ?? [];
  if (untolerated(taints, tolerations, ['NoSchedule', 'NoExecute'])) {
    return { shouldRun: false, shouldContinueRunning: !untolerated(taints, tolerations, ['NoExecute']) };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

function created(p: Pod): number {
  return Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
}

/** podByCreationTimestampAndPhase: scheduled pods first, then the oldest, then by name. */
function byAgeAndPhase(a: Pod, b: Pod): number {
  const sa = a.spec?.nodeName ? 0 : 1;
  const sb = b.spec?.nodeName ? 0 : 1;
  if (sa !== sb) return sa - sb;
  const d = created(a) - created(b);
  if (d !== 0) return d;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

export interface DaemonSetEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface DaemonSetPlan {
  /** Nodes that get a new daemon pod. */
  create: string[];
  /** Names of pods to delete. */
  delete: string[];
  events: DaemonSetEvent[];
  /** When to look again (a pod ready but not yet available for minReadySeconds). */
  requeueAfterMs?: number;
}

export interface PlanInput {
  ds: DaemonSet;
  nodes: Node[];
  /** The daemon set's pods, by target node. */
  podsByNode: Map<string, Pod[]>;
  /** The hash of the revision that matches the template now. */
  hash: string;
  now: number;
  /** Per-node backoff of deleting failed or succeeded daemon pods; kept by the controller across syncs. */
  backoff?: FailedPodsBackoff;
}

function isUpdated(pod: Pod, hash: string): boolean {
  return pod.metadata?.labels?.[DAEMONSET_HASH_LABEL] === hash;
}

function allowsSurge(ds: DaemonSet, desired: number): boolean {
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  return ds.spec?.updateStrategy?.type === 'RollingUpdate' && scaledValue(ru?.maxSurge, desired, true, 0) > 0;
}

/** manage(): per node, the pods podsShouldBeOnNode asks for or condemns. */
function manage(input: PlanInput, desired: number, plan: DaemonSetPlan): void {
  const { ds, hash, now } = input;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const surge = allowsSurge(ds, desired);
  const nodeNames = new Set(input.nodes.map((n) => n.metadata?.name ?? ''));
  for (const node of input.nodes) {
    const nodeName = node.metadata?.name ?? '';
    const pods = input.podsByNode.get(nodeName) ?? [];
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    if (shouldRun && pods.length === 0) {
      plan.create.push(nodeName);
      continue;
    }
    if (shouldContinueRunning) {
      const running: Pod[] = [];
      for (const pod of pods) {
        if (pod.metadata?.deletionTimestamp) continue;
        const ref = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
        const phase = pod.status?.phase;
        if ((phase === 'Failed' || phase === 'Succeeded') && input.backoff) {
          const key = `${ds.metadata?.namespace}/${ds.metadata?.name}/${nodeName}`;
          const wait = input.backoff.inBackoff(key, now);
          if (wait !== undefined) {
            plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? wait, wait);
            continue;
          }
          input.backoff.next(key, now);
        }
        if (phase === 'Failed') {
          plan.events.push({
            type: 'Warning',
            reason: 'FailedDaemonPod',
            message: `Found failed daemon pod ${ref} on node ${nodeName}, will try to kill it`,
          });
          plan.delete.push(pod.metadata?.name ?? '');
        } else if (phase === 'Succeeded') {
          plan.events.push({
            type: 'Normal',
            reason: 'SucceededDaemonPod',
            message: `Found succeeded daemon pod ${ref} on node ${nodeName}, will try to delete it`,
          });
          plan.delete.push(pod.metadata?.name ?? '');
        } else running.push(pod);
      }
      running.sort(byAgeAndPhase);
      if (!surge) {
        // One pod per node: the oldest stays.
        for (const p of running.slice(1)) plan.delete.push(p.metadata?.name ?? '');
        continue;
      }
      if (running.length <= 1) {
        if (running.length === 0 && shouldRun) plan.create.push(nodeName);
        continue;
      }
      // Surging: the oldest new pod and the oldest old pod may both stay until the new one is available.
      let oldestNew: Pod | undefined;
      let oldestOld: Pod | undefined;
      for (const p of running) {
        if (isUpdated(p, hash) && !oldestNew) oldestNew = p;
        else if (!isUpdated(p, hash) && !oldestOld) oldestOld = p;
        else plan.delete.push(p.metadata?.name ?? '');
      }
      if (oldestNew && oldestOld) {
        if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReady, now)) {
          plan.delete.push(oldestOld.metadata?.name ?? '');
        }
      }
      continue;
    }
    for (const p of pods) if (!p.metadata?.deletionTimestamp) plan.delete.push(p.metadata?.name ?? '');
  }
  // Pods for nodes that are gone go with them.
  for (const [nodeName, pods] of input.podsByNode) {
    if (nodeNames.has(nodeName)) continue;
    for (const p of pods) if (!p.metadata?.deletionTimestamp) plan.delete.push(p.metadata?.name ?? '');
  }
}

/** findUpdatedPodsOnNode: the node's new and old pod, or ok false when it has more than one of either. */
function updatedPodsOnNode(pods: Pod[], hash: string): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    if (isUpdated(p, hash)) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { newPod, oldPod, ok: true };
}

/** rollingUpdate(): old pods replaced within maxUnavailable (delete first) or maxSurge (create first). */
function rollingUpdate(input: PlanInput, desired: number, plan: DaemonSetPlan): void {
  const { ds, hash, now } = input;
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const available = (p: Pod) => isPodAvailable(p, minReady, now);
  let maxSurge = scaledValue(ru?.maxSurge, desired, true, 0);
  let maxUnavailable = scaledValue(ru?.maxUnavailable, desired, true, 1);
  if (desired > 0 && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  maxSurge = Math.max(0, maxSurge);
  const byName = new Map(input.nodes.map((n) => [n.metadata?.name ?? '', n]));
  if (maxSurge === 0) {
    let numUnavailable = 0;
    const allowed: string[] = [];
    const candidates: string[] = [];
    for (const [, pods] of input.podsByNode) {
      const { newPod, oldPod, ok } = updatedPodsOnNode(pods, hash);
      if (!ok || (!newPod && !oldPod) || (newPod && oldPod)) {
        numUnavailable++;
      } else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) allowed.push(oldPod.metadata?.name ?? '');
        else if (numUnavailable < maxUnavailable) candidates.push(oldPod.metadata?.name ?? '');
      }
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
    plan.delete.push(...allowed, ...candidates.slice(0, remaining));
    return;
  }
  let numSurge = 0;
  const allowedNodes: string[] = [];
  const candidateNodes: string[] = [];
  for (const [nodeName, pods] of input.podsByNode) {
    const { newPod, oldPod, ok } = updatedPodsOnNode(pods, hash);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        const node = byName.get(nodeName);
        if (!node || !nodeShouldRunDaemonPod(node, ds).shouldRun) {
          plan.delete.push(oldPod.metadata?.name ?? '');
          continue;
        }
        allowedNodes.push(nodeName);
      } else if (numSurge < maxSurge) {
        candidateNodes.push(nodeName);
      }
      continue;
    }
    if (!available(newPod)) {
      numSurge++;
      continue;
    }
    plan.delete.push(oldPod.metadata?.name ?? '');
  }
  const remaining = Math.min(Math.max(0, maxSurge - numSurge), candidateNodes.length);
  plan.create.push(...allowedNodes, ...candidateNodes.slice(0, remaining));
}

/** What one sync does: manage the nodes, then (RollingUpdate) replace old pods. */
export function planDaemonSet(input: PlanInput): DaemonSetPlan {
  const plan: DaemonSetPlan = { create: [], delete: [], events: [] };
  const desired = input.nodes.filter((n) => nodeShouldRunDaemonPod(n, input.ds).shouldRun).length;
  manage(input, desired, plan);
  // syncNodes handles create/delete from manage first; the rolling update runs on the same snapshot only when
  // manage had nothing to do, so that a node is never asked for two new pods in one pass.
  if (
    input.ds.spec?.updateStrategy?.type === 'RollingUpdate' &&
    plan.create.length === 0 &&
    plan.delete.length === 0
  ) {
    rollingUpdate(input, desired, plan);
  }
  plan.delete = [...new Set(plan.delete)];
  plan.create = [...new Set(plan.create)];
  const minReady = input.ds.spec?.minReadySeconds ?? 0;
  if (minReady > 0) {
    const waiting = [...input.podsByNode.values()]
      .flat()
      .filter((p) => isPodReady(p) && !isPodAvailable(p, minReady, input.now));
    if (waiting.length > 0) plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, minReady * 1000);
  }
  return plan;
}

export interface DaemonSetStatusCounts {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberMisscheduled: number;
  numberReady: number;
  updatedNumberScheduled: number;
  numberAvailable: number;
  numberUnavailable: number;
}

/** updateDaemonSetStatus's counts: per node that should run it, the oldest daemon pod there. */
export function daemonSetStatusCounts(input: PlanInput): DaemonSetStatusCounts {
  const c: DaemonSetStatusCounts = {
    desiredNumberScheduled: 0,
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    updatedNumberScheduled: 0,
    numberAvailable: 0,
    numberUnavailable: 0,
  };
  const minReady = input.ds.spec?.minReadySeconds ?? 0;
  for (const node of input.nodes) {
    const pods = [...(input.podsByNode.get(node.metadata?.name ?? '') ?? [])].sort(byAgeAndPhase);
    const { shouldRun } = nodeShouldRunDaemonPod(node, input.ds);
    if (!shouldRun) {
      if (pods.length > 0) c.numberMisscheduled++;
      continue;
    }
    c.desiredNumberScheduled++;
    const pod = pods[0];
    if (!pod) continue;
    c.currentNumberScheduled++;
    if (isPodReady(pod)) {
      c.numberReady++;
      if (isPodAvailable(pod, minReady, input.now)) c.numberAvailable++;
    }
    if (isUpdated(pod, input.hash)) c.updatedNumberScheduled++;
  }
  c.numberUnavailable = c.desiredNumberScheduled - c.numberAvailable;
  return c;
}
