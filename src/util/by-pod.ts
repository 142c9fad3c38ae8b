// Facts kept per pod and key, so that forgetting a pod touches its own entries only: a scan of every pod's
// keys at each teardown made deleting 1,000 pods quadratic.

export class ByPod<V> {
  readonly #pods = new Map<string, Map<string, V>>();

  get(podUid: string, key: string): V | undefined {
    return this.#pods.get(podUid)?.get(key);
  }

  set(podUid: string, key: string, value: V): void {
    let entries = this.#pods.get(podUid);
    if (!entries) {
      entries = new Map();
      this.#pods.set(podUid, entries);
    }
    entries.set(key, value);
  }

  delete(podUid: string, key: string): void {
    const entries = this.#pods.get(podUid);
    entries?.delete(key);
    if (entries?.size === 0) this.#pods.delete(podUid);
  }

  forget(podUid: string): void {
    this.#pods.delete(podUid);
  }
}
