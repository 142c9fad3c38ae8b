// A runtime's sandboxes and containers in memory, indexed the ways the kubelet asks for them: one sandbox's
// containers and one pod's sandboxes and containers (by its uid label) at every sync, so no scan of all (with
// 1,000 pods a scan per lookup made every sync's cost grow with the pod count). The host runtime and the
// fake keep their own record types; this holds both.

import { IdIndex } from './id-index.js';
import { type ContainerFilter, LABEL_POD_UID } from './types.js';

/** Where a runtime's records keep their ids and their pod-UID label. */
export interface RecordKeys<S, C> {
  sandboxId(s: S): string;
  sandboxLabels(s: S): Record<string, string>;
  containerId(c: C): string;
  containerSandboxId(c: C): string;
  containerLabels(c: C): Record<string, string>;
}

export class PodRecords<S, C> {
  readonly sandboxes = new Map<string, S>();
  /** By id, in creation order. */
  readonly containers = new Map<string, C>();
  readonly #keys: RecordKeys<S, C>;
  /** Container ids by sandbox id. */
  readonly #bySandbox = new IdIndex();
  /** Sandbox ids and container ids by pod uid. */
  readonly #sandboxesByPod = new IdIndex();
  readonly #containersByPod = new IdIndex();

  constructor(keys: RecordKeys<S, C>) {
    this.#keys = keys;
  }

  putSandbox(rec: S): void {
    const id = this.#keys.sandboxId(rec);
    this.sandboxes.set(id, rec);
    this.#sandboxesByPod.add(this.#keys.sandboxLabels(rec)[LABEL_POD_UID], id);
  }

  dropSandbox(id: string): void {
    const rec = this.sandboxes.get(id);
    this.sandboxes.delete(id);
    if (rec) this.#sandboxesByPod.delete(this.#keys.sandboxLabels(rec)[LABEL_POD_UID], id);
  }

  putContainer(rec: C): void {
    const id = this.#keys.containerId(rec);
    this.containers.set(id, rec);
    this.#containersByPod.add(this.#keys.containerLabels(rec)[LABEL_POD_UID], id);
    this.#bySandbox.add(this.#keys.containerSandboxId(rec), id);
  }

  dropContainer(id: string): void {
    const rec = this.containers.get(id);
    this.containers.delete(id);
    if (!rec) return;
    this.#containersByPod.delete(this.#keys.containerLabels(rec)[LABEL_POD_UID], id);
    this.#bySandbox.delete(this.#keys.containerSandboxId(rec), id);
  }

  /** The sandbox's containers, in creation order. */
  containersOf(sandboxId: string): C[] {
    return [...this.#bySandbox.get(sandboxId)].flatMap((id) => this.containers.get(id) ?? []);
  }

  /** The sandboxes of one pod (by its uid), or all. */
  sandboxCandidates(uid: string | undefined): S[] {
    if (uid === undefined) return [...this.sandboxes.values()];
    return [...this.#sandboxesByPod.get(uid)].flatMap((id) => this.sandboxes.get(id) ?? []);
  }

  /** The containers a filter can match: one sandbox's, one pod's (by its uid label), or all. */
  containerCandidates(filter: ContainerFilter | undefined): Iterable<C> {
    if (filter?.podSandboxId) return this.containersOf(filter.podSandboxId);
    const uid = filter?.labelSelector?.[LABEL_POD_UID];
    if (uid === undefined) return this.containers.values();
    return [...this.#containersByPod.get(uid)].flatMap((id) => this.containers.get(id) ?? []);
  }
}
