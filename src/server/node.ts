// The machine as a Node: the kubelet's node status manager (src/kubelet/node-status) over the registry, reading
// this machine, with the runtime's version in nodeInfo and the runtime's health in the Ready condition.
import type { KubeObject, Lease, Node } from '../api/types.js';
import { KUBERNETES_GIT_VERSION } from '../api/version.js';
import { ApiError } from '../apiserver/errors.js';
import type { Registry } from '../apiserver/registry.js';
import { noScheduleTaints } from '../controllers/node-lifecycle.js';
import { type NodeApi, NodeStatusManager, type NodeStatusTiming } from '../kubelet/node-status/manager.js';
import { readNodeReadings } from '../kubelet/node-status/readings.js';
import { DEFAULT_EVICTION_THRESHOLDS, type EvictionThresholds } from '../kubelet/node-status/types.js';
import { toTime } from '../kubelet/pod-util.js';
import type { EventRecorder } from '../kubelet/types.js';
import type { RuntimeService } from '../runtime/types.js';
import type { Clock } from '../util/clock.js';

// The kubelet's writes of its Node, under the manager name upstream's kubelet gets from its User-Agent.
const KUBELET_WRITE = { fieldValidation: 'Strict', fieldManager: 'kubelet' } as const;

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
    createNode: async (node) => asNode(await registry.create('nodes', undefined, node, KUBELET_WRITE)),
    updateNode: async (node) =>
      asNode(await registry.update('nodes', undefined, node.metadata?.name ?? '', node, KUBELET_WRITE)),
    updateNodeStatus: async (node) =>
      asNode(await registry.updateStatus('nodes', undefined, node.metadata?.name ?? '', node, KUBELET_WRITE)),
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
  /** Hears the node's InternalIP at each reading of its status (the kubelet's pods' hostIP follows it). */
  onInternalIP?: (ip: string) => void;
}

export interface RunningNode {
  manager: NodeStatusManager;
  stop(): Promise<void>;
}

/**
 * Registers this machine's Node and keeps its status and Lease fresh, and runs the node lifecycle
 * controller's NoSchedule tainting on it, until stopped.
 */
export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const { runtime } = options;
  const version = await runtime.version();
  const podCIDR = runtime.podNetwork?.()?.podCidr;
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
      ...(podCIDR ? { podCIDR } : {}),
    },
    read: async () => {
      const readings = await readNodeReadings({ rootDir: options.rootDir });
      if (readings.internalIP) options.onInternalIP?.(readings.internalIP);
      return readings;
    },
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
  let watch: { stop(): void } | undefined;
  try {
    watch = await startNodeTainting(options.registry, options.clock, options.log);
  } catch (e) {
    await manager.stop();
    throw e;
  }
  return {
    manager,
    async stop() {
      watch?.stop();
      await manager.stop();
    },
  };
}

/** Keeps each node's condition and cordon taints in line with it (node-lifecycle.ts). */
async function startNodeTainting(registry: Registry, clock: Clock, log: (line: string) => void) {
  return registry.watch('nodes', undefined, { resourceVersion: '0' }, (ev) => {
    if (ev.type === 'DELETED') return;
    const node = ev.object as unknown as Node;
    const taints = noScheduleTaints(node, toTime(clock.now()));
    if (!taints) return;
    const next = { ...node, spec: { ...node.spec, taints } };
    // A conflict means a newer version is on its way through this watch, which retries.
    registry.update('nodes', undefined, node.metadata?.name ?? '', next).catch((e: unknown) => {
      if (!(e instanceof ApiError && (e.code === 409 || e.code === 404)))
        log(`node-lifecycle-controller: ${(e as Error).message}`);
    });
  });
}
