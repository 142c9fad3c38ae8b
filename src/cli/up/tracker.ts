// Which pods belong to what `podrun up` applied, as the watch shows them.
import { resourceForKind } from '../../api/resources.js';
import type { KubeObject, Pod } from '../../api/types.js';
import type { UpClient } from '../client/types.js';

export const WORKLOAD_KINDS = new Set(['Pod', 'Deployment', 'ReplicaSet', 'Job']);

/** Which pods belong to what was applied, through owner references (Deployment → ReplicaSet → Pod). */
export class Tracker {
  readonly pods = new Map<string, Pod>();
  readonly #client: UpClient;
  #workloads: KubeObject[];
  readonly #uids: Set<string>;
  readonly #rsOwner = new Map<string, string | undefined>();

  constructor(client: UpClient, applied: KubeObject[]) {
    this.#client = client;
    this.#workloads = applied.filter((o) => WORKLOAD_KINDS.has(o.kind));
    this.#uids = new Set(this.#workloads.map((o) => o.metadata.uid ?? ''));
  }

  async owns(pod: Pod): Promise<boolean> {
    if (this.#uids.has(pod.metadata?.uid ?? '')) return true;
    const ref = pod.metadata?.ownerReferences?.find((r) => r.controller);
    if (!ref) return false;
    if (this.#uids.has(ref.uid)) return true;
    if (ref.kind !== 'ReplicaSet') return false;
    if (!this.#rsOwner.has(ref.uid)) {
      const rs = await this.#client.get(
        resourceForKind('apps/v1', 'ReplicaSet')!,
        pod.metadata?.namespace ?? '',
        ref.name,
      );
      this.#rsOwner.set(ref.uid, rs?.metadata.ownerReferences?.find((r) => r.controller)?.uid);
    }
    return this.#uids.has(this.#rsOwner.get(ref.uid) ?? '');
  }

  podsOf(w: KubeObject): Pod[] {
    const uid = w.metadata.uid;
    return [...this.pods.values()].filter((p) => {
      if (p.metadata?.uid === uid) return true;
      const owner = p.metadata?.ownerReferences?.find((r) => r.controller)?.uid ?? '';
      return owner === uid || this.#rsOwner.get(owner) === uid;
    });
  }

  async refreshWorkloads(): Promise<KubeObject[]> {
    this.#workloads = await Promise.all(
      this.#workloads.map(async (w) => {
        const r = resourceForKind(w.apiVersion, w.kind)!;
        return (await this.#client.get(r, w.metadata.namespace ?? '', w.metadata.name ?? '')) ?? w;
      }),
    );
    return this.#workloads;
  }
}
