// What the node status setters read: the machine's numbers as the kubelet gets them from cAdvisor, statfs and
// /proc (readings.ts gathers them), and the kubelet's configuration of its node.

/** One look at the machine. Sizes in bytes. */
export interface NodeReadings {
  /** Logical CPUs (cAdvisor's NumCores). */
  cpus: number;
  /** MemTotal. */
  memoryCapacityBytes: number;
  /** MemAvailable: the eviction manager's memory.available on a machine without a kubepods cgroup. */
  memoryAvailableBytes: number;
  /** The filesystem of the kubelet's root directory (nodefs). */
  nodefs: { capacityBytes: number; availableBytes: number; inodes: number; inodesFree: number };
  /** Processes running now and kernel.pid_max. */
  pids: { running: number; max: number };
  /** Preallocated huge pages by page size in bytes (`2097152` → count), from /sys/kernel/mm/hugepages. */
  hugePages: Record<string, number>;
  kernelVersion: string;
  /** /etc/os-release PRETTY_NAME. */
  osImage: string;
  /** Go's GOARCH: amd64, arm64, … */
  architecture: string;
  machineID: string;
  systemUUID: string;
  bootID: string;
  /** The machine's address on its default route (the kubelet's node IP when --node-ip is not given). */
  internalIP: string | undefined;
}

/** Eviction thresholds the pressure conditions compare against (the kubelet's evictionHard). */
export interface EvictionThresholds {
  /** memory.available below this many bytes. @default 100Mi */
  memoryAvailableBytes: number;
  /** nodefs.available below this fraction of its capacity. @default 0.10 */
  nodefsAvailable: number;
  /** nodefs.inodesFree below this fraction. @default 0.05 */
  nodefsInodesFree: number;
  /** pid.available below this fraction of pid_max. Upstream sets none by default; podrun's is 0.05. */
  pidAvailable: number;
}

export const DEFAULT_EVICTION_THRESHOLDS: EvictionThresholds = {
  memoryAvailableBytes: 100 * 1024 * 1024,
  nodefsAvailable: 0.1,
  nodefsInodesFree: 0.05,
  pidAvailable: 0.05,
};

export interface NodeConfig {
  nodeName: string;
  /** Pods the node admits (the kubelet's maxPods). @default 110 */
  maxPods: number;
  thresholds: EvictionThresholds;
  /** `v1.32.0-podrun`: what /version reports. */
  kubeletVersion: string;
  /** `<runtime>://<version>`. */
  containerRuntimeVersion: string;
  /** The kubelet's port in status.daemonEndpoints. */
  kubeletPort: number;
  /** The pods' network (spec.podCIDR, which node IPAM sets on a cluster); undefined where pods share the host's. */
  podCIDR?: string;
}

/** Which eviction signals are past their threshold now. */
export interface PressureSignals {
  memory: boolean;
  disk: boolean;
  pid: boolean;
}
