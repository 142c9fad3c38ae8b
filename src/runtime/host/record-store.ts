// The host runtime's records in memory, indexed the ways the kubelet asks for them: one sandbox's containers
// and one pod's sandboxes and containers (by its uid label) at every sync, so no scan of all.

import { IdIndex } from '../id-index.js';
import { type ContainerFilter, LABEL_POD_UID } from '../types.js';
import type { ContainerRecord, SandboxRecord } from './records.js';

export class RecordStore {
  readonly sandboxes = new Map<string, SandboxRecord>();
  readonly containers = new Map<string, ContainerRecord>();
  /** Container ids by sandbox id. */
  readonly #bySandbox = new IdIndex();
  /** Sandbox ids and container ids by pod uid. */
  readonly #sandboxesByPod = new IdIndex();
  readonly #containersByPod = new IdIndex();

  putSandbox(rec: SandboxRecord): void {
    this.sandboxes.set(rec.id, rec);
    this.#sandboxesByPod.add(rec.config.labels[LABEL_POD_UID], rec.id);
  }

  dropSandbox(id: string): void {
    const rec = this.sandboxes.get(id);
    this.sandboxes.delete(id);
    if (rec) this.#sandboxesByPod.delete(rec.config.labels[LABEL_POD_UID], id);
  }

  putContainer(rec: ContainerRecord): void {
    this.containers.set(rec.id, rec);
    this.#containersByPod.add(rec.config.labels[LABEL_POD_UID], rec.id);
    this.#bySandbox.add(rec.sandboxId, rec.id);
  }

  dropContainer(id: string): void {
    const rec = this.containers.get(id);
    this.containers.delete(id);
    if (!rec) return;
    this.#containersByPod.delete(rec.config.labels[LABEL_POD_UID], id);
    this.#bySandbox.delete(rec.sandboxId, id);
  }

  containersOf(sandboxId: string): ContainerRecord[] {
    return [...this.#bySandbox.get(sandboxId)]
      .map((id) => this.containers.get(id))
      .filter((c): c is ContainerRecord => c !== undefined);
  }

  /** The container of a sandbox with this name and attempt, if any (a name is taken until removed). */
  containerNamed(sandboxId: string, m: { name: string; attempt: number }): ContainerRecord | undefined {
    return this.containersOf(sandboxId).find(
      (c) => c.config.metadata.name === m.name && c.config.metadata.attempt === m.attempt,
    );
  }

  /** The sandboxes of one pod (by its uid), or all. */
  sandboxCandidates(uid: string | undefined): SandboxRecord[] {
    if (uid === undefined) return [...this.sandboxes.values()];
    return [...this.#sandboxesByPod.get(uid)].flatMap((id) => this.sandboxes.get(id) ?? []);
  }

  /** The container records a filter can match: one sandbox's, one pod's (by its uid label), or all. */
  containerCandidates(filter: ContainerFilter | undefined): Iterable<ContainerRecord> {
    if (filter?.podSandboxId) return this.containersOf(filter.podSandboxId);
    const uid = filter?.labelSelector?.[LABEL_POD_UID];
    if (uid === undefined) return this.containers.values();
    return [...this.#containersByPod.get(uid)].flatMap((id) => this.containers.get(id) ?? []);
  }
}
