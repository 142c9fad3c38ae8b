// Readings and a node config for the node status tests.
import {
  DEFAULT_EVICTION_THRESHOLDS,
  type NodeConfig,
  type NodeReadings,
} from '../../../src/kubelet/node-status/types.js';

export const GiB = 1024 ** 3;
export const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);

export function readings(over: Partial<NodeReadings> = {}): NodeReadings {
  return {
    cpus: 2,
    memoryCapacityBytes: 8_145_568 * 1024,
    memoryAvailableBytes: 4 * GiB,
    nodefs: { capacityBytes: 100 * GiB, availableBytes: 60 * GiB, inodes: 1_000_000, inodesFree: 900_000 },
    pids: { running: 300, max: 4_194_304 },
    hugePages: { '2097152': 0, '1073741824': 0 },
    kernelVersion: '6.1.0-18-amd64',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    architecture: 'amd64',
    machineID: 'm-id',
    systemUUID: 'S-UUID',
    bootID: 'b-id',
    internalIP: '10.0.0.5',
    ...over,
  };
}

export const CONFIG: NodeConfig = {
  nodeName: 'podrun',
  maxPods: 110,
  thresholds: DEFAULT_EVICTION_THRESHOLDS,
  kubeletVersion: 'v1.32.0-podrun',
  containerRuntimeVersion: 'host://0.1.0',
  kubeletPort: 10250,
};
