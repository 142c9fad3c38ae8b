// pkg/kubelet/prober/results: the latest result per (container instance, probe kind). Setting a value that
// differs from the stored one is a change, and changes are what wake the pod worker.
import type { ProbeKind, ProbeResult } from '../types.js';

export class ProbeResultStore {
  #byContainer = new Map<string, Map<ProbeKind, ProbeResult>>();

  get(containerId: string, kind: ProbeKind): ProbeResult | undefined {
    return this.#byContainer.get(containerId)?.get(kind);
  }

  /** Returns true when the stored value changed. */
  set(containerId: string, kind: ProbeKind, result: ProbeResult): boolean {
    let m = this.#byContainer.get(containerId);
    if (!m) {
      m = new Map();
      this.#byContainer.set(containerId, m);
    }
    if (m.get(kind) === result) return false;
    m.set(kind, result);
    return true;
  }

  /** Returns true when a value was removed. */
  remove(containerId: string, kind: ProbeKind): boolean {
    const m = this.#byContainer.get(containerId);
    if (!m?.has(kind)) return false;
    m.delete(kind);
    if (m.size === 0) this.#byContainer.delete(containerId);
    return true;
  }
}
