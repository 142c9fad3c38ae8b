// The kubelet's node: registration (registerWithAPIServer), the status loop (syncNodeStatus every
// nodeStatusUpdateFrequency, posting only a changed status or, unchanged, every nodeStatusReportFrequency) and
// the heartbeat Lease in kube-node-lease (renewed every leaseDuration/4 = 10 s), as kubelet_node_status.go
// and component-helpers' lease controller do.
import type { Lease, Node, NodeStatus } from '../../api/types.js';
import type { Clock } from '../../util/clock.js';
import type { EventRecorder } from '../types.js';
import {
  DEFAULT_PRESSURE_TRANSITION_PERIOD_MS,
  observePressure,
  type PressureObservations,
} from './pressure.js';
import {
  buildNodeStatus,
  defaultNodeAnnotations,
  defaultNodeLabels,
  nodeStatusChanged,
  pressureSignals,
} from './setters.js';
import type { NodeConfig, NodeReadings } from './types.js';

/** The API the node's kubelet writes through. Writes reject with the API server's errors. */
export interface NodeApi {
  getNode(name: string): Promise<Node | undefined>;
  createNode(node: Node): Promise<Node>;
  /** PUT nodes/{name}: metadata and spec (the labels the kubelet keeps). */
  updateNode(node: Node): Promise<Node>;
  /** PUT nodes/{name}/status, with the resourceVersion of `node` as the precondition. */
  updateNodeStatus(node: Node): Promise<Node>;
  getLease(namespace: string, name: string): Promise<Lease | undefined>;
  createLease(lease: Lease): Promise<Lease>;
  updateLease(lease: Lease): Promise<Lease>;
}

export interface NodeStatusTiming {
  /** nodeStatusUpdateFrequency. @default 10 s */
  updateFrequencyMs: number;
  /** nodeStatusReportFrequency: how often an unchanged status is posted anyway. @default 5 min */
  reportFrequencyMs: number;
  /** The Lease's spec.leaseDurationSeconds; it is renewed every quarter of it. @default 40 */
  leaseDurationSeconds: number;
  /** evictionPressureTransitionPeriod. @default 5 min */
  pressureTransitionPeriodMs: number;
}

export const DEFAULT_NODE_STATUS_TIMING: NodeStatusTiming = {
  updateFrequencyMs: 10_000,
  reportFrequencyMs: 5 * 60_000,
  leaseDurationSeconds: 40,
  pressureTransitionPeriodMs: DEFAULT_PRESSURE_TRANSITION_PERIOD_MS,
};

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** Labels the kubelet re-applies on every start (updateDefaultLabels); the role labels are set once, at creation. */
const KUBELET_MANAGED_LABELS = [
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'kubernetes.io/arch',
  'kubernetes.io/hostname',
  'kubernetes.io/os',
];

export interface NodeStatusManagerDeps {
  api: NodeApi;
  clock: Clock;
  config: NodeConfig;
  events: EventRecorder;
  read(): Promise<NodeReadings>;
  /** What keeps the node from being Ready now (e.g. `container runtime is down`); [] when nothing. */
  readyErrors(): Promise<string[]>;
  timing?: Partial<NodeStatusTiming>;
  log(line: string): void;
}

export class NodeStatusManager {
  readonly #deps: NodeStatusManagerDeps;
  readonly timing: NodeStatusTiming;
  #observations: PressureObservations = {};
  #lastReport = Number.NEGATIVE_INFINITY;
  #nodeUid = '';
  /** spec.unschedulable as last seen, for NodeSchedulable / NodeNotSchedulable (kubelet starts from false). */
  #lastUnschedulable = false;
  #stop: AbortController | undefined;
  #loops: Promise<void>[] = [];

  constructor(deps: NodeStatusManagerDeps) {
    this.#deps = deps;
    this.timing = { ...DEFAULT_NODE_STATUS_TIMING, ...(deps.timing ?? {}) };
  }

  get #nodeRef() {
    const name = this.#deps.config.nodeName;
    // The kubelet's node events use the node's name as its uid (kubectl describe node searches both).
    return { kind: 'Node', name, uid: name, namespace: '' };
  }

  /** Registers the node, posts its first status, takes the Lease, then keeps both fresh until stop(). */
  async start(): Promise<void> {
    if (this.#stop) return;
    this.#deps.events.event(this.#nodeRef, 'Normal', 'Starting', 'Starting kubelet.');
    await this.register();
    await this.syncStatus();
    await this.renewLease();
    const stop = new AbortController();
    this.#stop = stop;
    this.#loops = [
      this.#every(this.timing.updateFrequencyMs, stop.signal, () => this.syncStatus()),
      this.#every((this.timing.leaseDurationSeconds * 1000) / 4, stop.signal, () => this.renewLease()),
    ];
  }

  async stop(): Promise<void> {
    this.#stop?.abort();
    await Promise.all(this.#loops);
    this.#loops = [];
    this.#stop = undefined;
  }

  async #every(ms: number, signal: AbortSignal, fn: () => Promise<void>): Promise<void> {
    for (;;) {
      try {
        await this.#deps.clock.sleep(ms, signal);
      } catch {
        return;
      }
      try {
        await fn();
      } catch (e) {
        this.#deps.log(`kubelet: node ${this.#deps.config.nodeName}: ${(e as Error).message}`);
      }
    }
  }

  /** Creates the Node, or on a restart puts back the labels the kubelet owns. */
  async register(): Promise<Node> {
    const { api, config } = this.#deps;
    const readings = await this.#deps.read();
    const labels = defaultNodeLabels(config, readings);
    const existing = await api.getNode(config.nodeName);
    if (!existing) {
      const created = await api.createNode({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: config.nodeName, labels, annotations: defaultNodeAnnotations() },
        spec: config.podCIDR ? { podCIDR: config.podCIDR, podCIDRs: [config.podCIDR] } : {},
      });
      this.#nodeUid = created.metadata?.uid ?? '';
      return created;
    }
    this.#nodeUid = existing.metadata?.uid ?? '';
    const current = existing.metadata?.labels ?? {};
    const missing = KUBELET_MANAGED_LABELS.filter((k) => current[k] !== labels[k]);
    // A podCIDR, once set, may not change; a node without one gets it.
    const addCIDR = !!config.podCIDR && !existing.spec?.podCIDR;
    if (missing.length === 0 && !addCIDR) return existing;
    const next: Node = {
      ...existing,
      metadata: {
        ...existing.metadata,
        labels: { ...current, ...Object.fromEntries(missing.map((k) => [k, labels[k]!])) },
      },
      spec: addCIDR
        ? { ...existing.spec, podCIDR: config.podCIDR, podCIDRs: [config.podCIDR!] }
        : existing.spec,
    };
    return api.updateNode(next);
  }

  /**
   * One syncNodeStatus: reads the machine, computes the status, and posts it when it changed or the report
   * frequency has passed. The node events of condition changes are recorded once the status is written.
   */
  async syncStatus(): Promise<void> {
    const { api, config, clock } = this.#deps;
    const readings = await this.#deps.read();
    const readyErrors = await this.#deps.readyErrors();
    const now = clock.now();
    const { observations, reported } = observePressure(
      this.#observations,
      pressureSignals(readings, config),
      now,
      this.timing.pressureTransitionPeriodMs,
    );
    this.#observations = observations;
    // updateNodeStatus retries a conflicting write (nodeStatusUpdateRetry = 5) on a fresh read.
    for (let attempt = 0; ; attempt++) {
      const node = await api.getNode(config.nodeName);
      if (!node) {
        await this.register();
        continue;
      }
      this.#recordSchedulable(!!node.spec?.unschedulable);
      const previous = node.status as NodeStatus | undefined;
      const { status, events } = buildNodeStatus({
        readings,
        config,
        previous: hasConditions(previous) ? previous : undefined,
        pressure: reported,
        readyErrors,
        now,
      });
      const due = now - this.#lastReport >= this.timing.reportFrequencyMs;
      if (!due && !nodeStatusChanged(previous, status)) return;
      try {
        await api.updateNodeStatus({ ...node, status });
      } catch (e) {
        if (attempt < 4 && (e as { reason?: string }).reason === 'Conflict') continue;
        throw e;
      }
      this.#lastReport = now;
      for (const reason of events) {
        this.#deps.events.event(
          this.#nodeRef,
          'Normal',
          reason,
          `Node ${config.nodeName} status is now: ${reason}`,
        );
      }
      return;
    }
  }

  /** recordNodeSchedulableEvent: a cordon or uncordon seen by the kubelet. */
  #recordSchedulable(unschedulable: boolean): void {
    if (unschedulable === this.#lastUnschedulable) return;
    this.#lastUnschedulable = unschedulable;
    const reason = unschedulable ? 'NodeNotSchedulable' : 'NodeSchedulable';
    const name = this.#deps.config.nodeName;
    this.#deps.events.event(this.#nodeRef, 'Normal', reason, `Node ${name} status is now: ${reason}`);
  }

  /** Renews (or creates) kube-node-lease/<node>: holder, duration, renewTime, owned by the Node. */
  async renewLease(): Promise<void> {
    const { api, config, clock } = this.#deps;
    const renewTime = microTime(clock.now());
    const lease = await api.getLease(NODE_LEASE_NAMESPACE, config.nodeName);
    const ownerReferences = this.#nodeUid
      ? [{ apiVersion: 'v1', kind: 'Node', name: config.nodeName, uid: this.#nodeUid }]
      : undefined;
    if (!lease) {
      await api.createLease({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: config.nodeName,
          namespace: NODE_LEASE_NAMESPACE,
          ...(ownerReferences ? { ownerReferences } : {}),
        },
        spec: {
          holderIdentity: config.nodeName,
          leaseDurationSeconds: this.timing.leaseDurationSeconds,
          renewTime,
        },
      });
      return;
    }
    await api.updateLease({
      ...lease,
      metadata: {
        ...lease.metadata,
        ...(ownerReferences && !lease.metadata?.ownerReferences?.length ? { ownerReferences } : {}),
      },
      spec: {
        ...lease.spec,
        holderIdentity: config.nodeName,
        leaseDurationSeconds: this.timing.leaseDurationSeconds,
        renewTime,
      },
    });
  }
}

function hasConditions(s: NodeStatus | undefined): s is NodeStatus {
  return !!s && Array.isArray(s.conditions) && s.conditions.length > 0;
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
