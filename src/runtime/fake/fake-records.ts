// The fake runtime's container instances and sandboxes, and the store that indexes them.

import { PodRecords } from '../pod-records.js';
import type { ContainerConfig, ContainerStatus, PodSandboxStatus } from '../types.js';
import type { FakeAttachHub } from './fake-streams.js';
import type { FakeBehaviour, FakeProcess } from './fake-types.js';

export interface Instance {
  status: ContainerStatus;
  config: ContainerConfig;
  process: FakeProcess;
  /** The image a rootfs `image` container runs on: removeImage refuses it while the container exists. */
  imageId: string | undefined;
  behaviour: FakeBehaviour;
  exited: Promise<void>;
  markExited: () => void;
  attach: FakeAttachHub;
  timers: AbortController;
}

export interface Sandbox {
  status: PodSandboxStatus;
}

/** The fake's containers and sandboxes, indexed as the host runtime's (../pod-records.ts). */
export function fakeRecords(): PodRecords<Sandbox, Instance> {
  return new PodRecords<Sandbox, Instance>({
    sandboxId: (s) => s.status.id,
    sandboxLabels: (s) => s.status.labels,
    containerId: (c) => c.status.id,
    containerSandboxId: (c) => c.status.podSandboxId,
    containerLabels: (c) => c.status.labels,
  });
}
