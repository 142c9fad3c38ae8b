// The fake runtime's container instances and sandboxes, and the store that indexes them.

import { PodRecords } from '../pod-records.js';
import type { ContainerConfig, ContainerStatus, PodSandboxConfig, PodSandboxStatus } from '../types.js';
import type { FakeImage } from './fake-images.js';
import { FakeAttachHub } from './fake-streams.js';
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

/** A container just created: its instance, in state `created`. */
export function newInstance(o: {
  id: string;
  podSandboxId: string;
  config: ContainerConfig;
  sandbox: PodSandboxConfig;
  process: FakeProcess;
  /** The image it was made from (rootfs `image`), or the one found for its name (rootfs `host`). */
  image: FakeImage | undefined;
  behaviour: FakeBehaviour;
  now: number;
}): Instance {
  const { config, image } = o;
  let markExited = () => {};
  const exited = new Promise<void>((resolve) => {
    markExited = resolve;
  });
  const fromImage = config.rootfs === 'image' && image !== undefined;
  return {
    config: structuredClone(config),
    process: o.process,
    imageId: fromImage ? image?.id : undefined,
    behaviour: o.behaviour,
    exited,
    markExited,
    attach: new FakeAttachHub(config.stdin === true, config.tty === true),
    timers: new AbortController(),
    status: {
      id: o.id,
      podSandboxId: o.podSandboxId,
      metadata: { ...config.metadata },
      state: 'created',
      createdAt: o.now,
      startedAt: 0,
      finishedAt: 0,
      exitCode: 0,
      reason: '',
      message: '',
      // As containerd reports a container made from an image: its first tag, and its repo digest or id.
      image: fromImage ? (image?.repoTags[0] ?? config.image) : config.image,
      imageRef: fromImage ? (image?.repoDigests[0] ?? image?.id ?? '') : (image?.id ?? ''),
      labels: { ...config.labels },
      annotations: { ...config.annotations },
      logPath: `${o.sandbox.logDirectory}/${config.logPath}`,
    },
  };
}
