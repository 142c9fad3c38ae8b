// The kubelet's node status setters (pkg/kubelet/nodestatus/setters.go, v1.32) as pure functions of the
// machine's readings, the pressure signals, the previous status and the time: addresses, capacity and
// allocatable, nodeInfo, daemon endpoints, and the MemoryPressure, DiskPressure, PIDPressure and Ready
// conditions with upstream's reasons, messages, transition times and NodeHas… events.
import { jsonEqual } from '../../api/json-equal.js';
import type { NodeCondition, NodeStatus } from '../../api/types.js';
import { toTime } from '../pod-util.js';
import { formatBinarySI, formatMilliCPU } from './quantities.js';
import type { NodeConfig, NodeReadings, PressureSignals } from './types.js';

/** Labels the kubelet puts on its node (kubelet_node_status.go initialNode / updateDefaultLabels). */
export function defaultNodeLabels(config: NodeConfig, readings: NodeReadings): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': readings.architecture,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': readings.architecture,
    'kubernetes.io/hostname': config.nodeName,
    'kubernetes.io/os': 'linux',
    // kubeadm's labels, as minikube and kind carry them on their one node: it runs the control plane too.
    'node-role.kubernetes.io/control-plane': '',
    'node.kubernetes.io/exclude-from-external-load-balancers': '',
  };
}

/** Annotations of a kubeadm-made node that describe podrun's too. */
export function defaultNodeAnnotations(): Record<string, string> {
  return {
    'node.alpha.kubernetes.io/ttl': '0',
    'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
  };
}

/** status.capacity: cpu, ephemeral-storage, hugepages-<size>, memory and pods (keys sorted, as Go encodes maps). */
export function nodeCapacity(readings: NodeReadings, config: NodeConfig): Record<string, string> {
  const out: Record<string, string> = {
    cpu: formatMilliCPU(readings.cpus * 1000),
    'ephemeral-storage': formatBinarySI(readings.nodefs.capacityBytes),
  };
  for (const [size, count] of Object.entries(readings.hugePages)) {
    out[`hugepages-${formatBinarySI(Number(size))}`] = formatBinarySI(Number(size) * count);
  }
  out.memory = formatBinarySI(readings.memoryCapacityBytes);
  out.pods = String(config.maxPods);
  return sortKeys(out);
}

/**
 * status.allocatable: capacity less the hard eviction thresholds (no system or kube reserved), and memory less
 * the huge pages, never below 0 (GetNodeAllocatableReservation and the MachineInfo setter).
 */
export function nodeAllocatable(readings: NodeReadings, config: NodeConfig): Record<string, string> {
  const capacity = nodeCapacity(readings, config);
  const hugeBytes = Object.entries(readings.hugePages).reduce((sum, [size, n]) => sum + Number(size) * n, 0);
  const memory = readings.memoryCapacityBytes - config.thresholds.memoryAvailableBytes - hugeBytes;
  // The percentage threshold is taken of the capacity and truncated, as resource.NewQuantity(int64(float)).
  const storageReserve = Math.trunc(readings.nodefs.capacityBytes * config.thresholds.nodefsAvailable);
  return {
    ...capacity,
    'ephemeral-storage': formatBinarySI(Math.max(0, readings.nodefs.capacityBytes - storageReserve)),
    memory: formatBinarySI(Math.max(0, memory)),
  };
}

/** The eviction signals past their thresholds in one reading (the eviction manager's synchronize). */
export function pressureSignals(readings: NodeReadings, config: NodeConfig): PressureSignals {
  const t = config.thresholds;
  const fs = readings.nodefs;
  const pidsAvailable = readings.pids.max - readings.pids.running;
  return {
    memory: readings.memoryAvailableBytes < t.memoryAvailableBytes,
    disk:
      fs.availableBytes < fs.capacityBytes * t.nodefsAvailable ||
      (fs.inodes > 0 && fs.inodesFree < fs.inodes * t.nodefsInodesFree),
    pid: readings.pids.max > 0 && pidsAvailable < readings.pids.max * t.pidAvailable,
  };
}

interface PressureTexts {
  type: string;
  onReason: string;
  onMessage: string;
  onEvent: string;
  offReason: string;
  offMessage: string;
  offEvent: string;
}

const MEMORY: PressureTexts = {
  type: 'MemoryPressure',
  onReason: 'KubeletHasInsufficientMemory',
  onMessage: 'kubelet has insufficient memory available',
  onEvent: 'NodeHasInsufficientMemory',
  offReason: 'KubeletHasSufficientMemory',
  offMessage: 'kubelet has sufficient memory available',
  offEvent: 'NodeHasSufficientMemory',
};

const DISK: PressureTexts = {
  type: 'DiskPressure',
  onReason: 'KubeletHasDiskPressure',
  onMessage: 'kubelet has disk pressure',
  onEvent: 'NodeHasDiskPressure',
  offReason: 'KubeletHasNoDiskPressure',
  offMessage: 'kubelet has no disk pressure',
  offEvent: 'NodeHasNoDiskPressure',
};

const PID: PressureTexts = {
  type: 'PIDPressure',
  onReason: 'KubeletHasInsufficientPID',
  onMessage: 'kubelet has insufficient PID available',
  onEvent: 'NodeHasInsufficientPID',
  offReason: 'KubeletHasSufficientPID',
  offMessage: 'kubelet has sufficient PID available',
  offEvent: 'NodeHasSufficientPID',
};

/**
 * MemoryPressureCondition / DiskPressureCondition / PIDPressureCondition: the heartbeat moves every time; status,
 * reason, message and transition time only when the pressure flips (a new condition starts as Unknown, so it
 * always gets one), with the NodeHas… event of the new state.
 */
function pressureCondition(
  previous: NodeCondition | undefined,
  texts: PressureTexts,
  pressure: boolean,
  now: string,
  events: string[],
): NodeCondition {
  const c: NodeCondition = previous ? { ...previous } : { type: texts.type, status: 'Unknown' };
  c.lastHeartbeatTime = now;
  const want = pressure ? 'True' : 'False';
  if (c.status !== want) {
    c.status = want;
    c.reason = pressure ? texts.onReason : texts.offReason;
    c.message = pressure ? texts.onMessage : texts.offMessage;
    c.lastTransitionTime = now;
    events.push(pressure ? texts.onEvent : texts.offEvent);
  }
  return orderConditionFields(c);
}

/**
 * ReadyCondition: True (KubeletReady) unless something the kubelet needs failed — then False (KubeletNotReady)
 * with the errors as errors.NewAggregate prints them. The transition time stays while the status does.
 */
function readyCondition(
  previous: NodeCondition | undefined,
  errors: readonly string[],
  now: string,
  events: string[],
): NodeCondition {
  const ready = errors.length === 0;
  const next: NodeCondition = ready
    ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
    : {
        type: 'Ready',
        status: 'False',
        reason: 'KubeletNotReady',
        message: errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`,
      };
  next.lastHeartbeatTime = now;
  if (previous && previous.status === next.status) {
    next.lastTransitionTime = previous.lastTransitionTime ?? now;
  } else {
    next.lastTransitionTime = now;
    events.push(ready ? 'NodeReady' : 'NodeNotReady');
  }
  return orderConditionFields(next);
}

/** Field order of a NodeCondition as the API server encodes it, so stored and printed objects read the same. */
function orderConditionFields(c: NodeCondition): NodeCondition {
  return {
    type: c.type,
    status: c.status,
    ...(c.lastHeartbeatTime ? { lastHeartbeatTime: c.lastHeartbeatTime } : {}),
    ...(c.lastTransitionTime ? { lastTransitionTime: c.lastTransitionTime } : {}),
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  };
}

export interface NodeStatusInput {
  readings: NodeReadings;
  config: NodeConfig;
  /** The status last written, whose conditions carry their transition times forward. */
  previous: NodeStatus | undefined;
  /** Pressure as the eviction manager reports it (past the threshold, or within the transition period). */
  pressure: PressureSignals;
  /** What keeps the node from being Ready (the runtime does not answer); empty when it is. */
  readyErrors: readonly string[];
  now: number;
}

export interface NodeStatusResult {
  status: NodeStatus;
  /** Reasons of the node events to record (`NodeHasSufficientMemory`, `NodeReady`, …), in setter order. */
  events: string[];
}

/** The whole status the kubelet posts for its node. */
export function buildNodeStatus(input: NodeStatusInput): NodeStatusResult {
  const { readings, config, previous, pressure, readyErrors } = input;
  const now = toTime(input.now);
  const events: string[] = [];
  const find = (type: string) => previous?.conditions?.find((c) => c.type === type);
  const conditions: NodeCondition[] = [
    pressureCondition(find('MemoryPressure'), MEMORY, pressure.memory, now, events),
    pressureCondition(find('DiskPressure'), DISK, pressure.disk, now, events),
    pressureCondition(find('PIDPressure'), PID, pressure.pid, now, events),
    readyCondition(find('Ready'), readyErrors, now, events),
  ];
  // Conditions others added (a node problem detector) stay, after the kubelet's own.
  for (const c of previous?.conditions ?? []) {
    if (!conditions.some((k) => k.type === c.type)) conditions.push(c);
  }
  const addresses = [
    ...(readings.internalIP ? [{ type: 'InternalIP', address: readings.internalIP }] : []),
    { type: 'Hostname', address: config.nodeName },
  ];
  const status: NodeStatus = {
    capacity: nodeCapacity(readings, config),
    allocatable: nodeAllocatable(readings, config),
    conditions,
    addresses,
    daemonEndpoints: { kubeletEndpoint: { Port: config.kubeletPort } },
    nodeInfo: {
      machineID: readings.machineID,
      systemUUID: readings.systemUUID,
      bootID: readings.bootID,
      kernelVersion: readings.kernelVersion,
      osImage: readings.osImage,
      containerRuntimeVersion: config.containerRuntimeVersion,
      kubeletVersion: config.kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: readings.architecture,
    },
  };
  return { status, events };
}

/**
 * nodeStatusHasChanged: whether a status differs from the last one written other than in the conditions'
 * heartbeat times. An unchanged status is only re-posted every nodeStatusReportFrequency.
 */
export function nodeStatusChanged(previous: NodeStatus | undefined, next: NodeStatus): boolean {
  if (!previous) return true;
  const strip = (s: NodeStatus) => ({
    ...s,
    conditions: (s.conditions ?? []).map(({ lastHeartbeatTime: _, ...rest }) => rest),
  });
  return !jsonEqual(strip(previous), strip(next));
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
