// The fake runtime's containers and sandboxes, with the indexes that keep a pod's lookups to its own records
// (a kubelet sync lists its own pod's containers; scanning every pod's made 1,000 pods quadratic), as the
// host runtime's record store keeps its own.

import { IdIndex } from '../id-index.js';
import {
  type ContainerConfig,
  type ContainerFilter,
  type ContainerStatus,
  LABEL_POD_UID,
  type PodSandboxStatus,
  type SandboxFilter,
} from '../types.js';
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

export class FakeRecords {
  /** By id, in creation order. */
  readonly containers = new Map<string, Instance>();
  readonly sandboxes = new Map<string, Sandbox>();
  readonly #containersOfSandbox = new IdIndex();
  readonly #containersOfPod = new IdIndex();
  readonly #sandboxesOfPod = new IdIndex();

  putSandbox(sb: Sandbox): void {
    this.sandboxes.set(sb.status.id, sb);
    this.#sandboxesOfPod.add(sb.status.labels[LABEL_POD_UID], sb.status.id);
  }

  /** Forgets the sandbox; its containers must have been dropped first. */
  dropSandbox(sb: Sandbox): void {
    this.sandboxes.delete(sb.status.id);
    this.#sandboxesOfPod.delete(sb.status.labels[LABEL_POD_UID], sb.status.id);
    this.#containersOfSandbox.forget(sb.status.id);
  }

  putContainer(inst: Instance): void {
    const { id, podSandboxId, labels } = inst.status;
    this.containers.set(id, inst);
    this.#containersOfSandbox.add(podSandboxId, id);
    this.#containersOfPod.add(labels[LABEL_POD_UID], id);
  }

  dropContainer(inst: Instance): void {
    const { id, podSandboxId, labels } = inst.status;
    this.containers.delete(id);
    this.#containersOfSandbox.delete(podSandboxId, id);
    this.#containersOfPod.delete(labels[LABEL_POD_UID], id);
  }

  /** The sandbox's containers, in creation order. */
  ofSandbox(sandboxId: string): Instance[] {
    return [...this.#containersOfSandbox.get(sandboxId)].flatMap((id) => this.containers.get(id) ?? []);
  }

  /** The containers a filter may match, in creation order: its sandbox's, its pod's, or all. */
  containerCandidates(filter?: ContainerFilter): Iterable<Instance> {
    if (filter?.podSandboxId) return this.ofSandbox(filter.podSandboxId);
    const uid = filter?.labelSelector?.[LABEL_POD_UID];
    if (uid === undefined) return this.containers.values();
    return [...this.#containersOfPod.get(uid)].flatMap((id) => this.containers.get(id) ?? []);
  }

  /** The sandboxes a filter may match, in creation order: its pod's, or all. */
  sandboxCandidates(filter?: SandboxFilter): Iterable<Sandbox> {
    const uid = filter?.labelSelector?.[LABEL_POD_UID];
    if (uid === undefined) return this.sandboxes.values();
    return [...this.#sandboxesOfPod.get(uid)].flatMap((id) => this.sandboxes.get(id) ?? []);
  }
}
