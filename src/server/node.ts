// The machine as a Node: the kubelet's node status manager (src/kubelet/node-status) over the registry, reading
// this machine, with the runtime's version in nodeInfo and the runtime's health in the Ready condition.
import type { KubeObject, Lease, Node } from '../api/types.js';
import { KUBERNETES_GIT_VERSION } from '../api/version.js';
import type { Registry } from '../apiserver/registry.js';
import { type NodeApi, NodeStatusManager, type NodeStatusTiming } from '../kubelet/node-status/manager.js';
import { readNodeReadings } from '../kubelet/node-status/readings.js';
import { DEFAULT_EVICTION_THRESHOLDS, type EvictionThresholds } from '../kubelet/node-status/types.js';
import type { EventRecorder } from '../kubelet/types.js';
import type { RuntimeService } from '../runtime/types.js';
import type { Clock } from '../util/clock.js';

/** The kubelet's default maxPods. */
export const DEFAULT_MAX_PODS = 110;
/** The kubelet's default port, reported in status.daemonEndpoints. */
export const KUBELET_PORT = 10250;

export function registryNodeApi(registry: Registry): NodeApi {
  const asNode = (o: KubeObject) => o as unknown as Node;
  const asLease = (o: KubeObject) => o as unknown as Lease;
  return {
    getNode: async (name) => {
      const o = await registry.find('nodes', undefined, name);
      return o ? asNode(o) : undefined;
    },
    createNode: async (node) =>
      asNode(await registry.create('nodes', undefined, node, { fieldValidation: 'Strict' })),
    updateNode: async (node) =>
      asNode(
        await registry.update('nodes', undefined, node.metadata?.name ?? '', node, {
          fieldValidation: 'Strict',
        }),
      ),
    updateNodeStatus: async (node) =>
      asNode(
        await registry.updateStatus('nodes', undefined, node.metadata?.name ?? '', node, {
          fieldValidation: 'Strict',
        }),
      ),
    getLease: async (ns, name) => {
      const o = await registry.find('leases.coordination.k8s.io', ns, name);
      return o ? asLease(o) : undefined;
    },
    createLease: async (lease) =>
      asLease(
        await registry.create('leases.coordination.k8s.io', lease.metadata?.namespace, lease, {
          fieldValidation: 'Strict',
        }),
      ),
    updateLease: async (lease) =>
      asLease(
        await registry.update(
          'leases.coordination.k8s.io',
          lease.metadata?.namespace,
          lease.metadata?.name ?? '',
          lease,
          {
            fieldValidation: 'Strict',
          },
        ),
      ),
  };
}

export interface NodeOptions {
  registry: Registry;
  runtime: RuntimeService;
  clock: Clock;
  nodeName: string;
  /** The kubelet's root directory: its filesystem is the node's ephemeral storage (nodefs). */
  rootDir: string;
  events: EventRecorder;
  log(line: string): void;
  maxPods?: number;
  thresholds?: Partial<EvictionThresholds>;
  timing?: Partial<NodeStatusTiming>;
}

/** Registers this machine's Node and keeps its status and Lease fresh until the returned manager stops. */
export async function startNode(options: NodeOptions): Promise<NodeStatusManager> {
  const { runtime } = options;
  const version = await runtime.version();
  const manager = new NodeStatusManager({
    api: registryNodeApi(options.registry),
    clock: options.clock,
    events: options.events,
    log: options.log,
    config: {
      nodeName: options.nodeName,
      maxPods: options.maxPods ?? DEFAULT_MAX_PODS,
      thresholds: { ...DEFAULT_EVICTION_THRESHOLDS, ...(options.thresholds ?? {}) },
      kubeletVersion: KUBERNETES_GIT_VERSION,
      // Upstream prints the CRI runtime's type, the same name its containerIDs carry (`containerd://…`).
      containerRuntimeVersion: `${runtime.name}://${version.runtimeVersion}`,
      kubeletPort: KUBELET_PORT,
    },
    read: () => readNodeReadings({ rootDir: options.rootDir }),
    readyErrors: async () => {
      try {
        await runtime.version();
        return [];
      } catch {
        return ['container runtime is down'];
      }
    },
    ...(options.timing ? { timing: options.timing } : {}),
  });
  await manager.start();
  return manager;
}
