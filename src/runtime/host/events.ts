// The runtime's events (RuntimeService.onEvent): what it noticed by itself, to its listeners.

import type { RuntimeEvent } from '../types.js';

export class EventHub {
  readonly #listeners = new Set<(e: RuntimeEvent) => void>();

  on(listener: (event: RuntimeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(type: RuntimeEvent['type'], podSandboxId: string, podUid: string, containerId?: string): void {
    const event: RuntimeEvent = containerId
      ? { type, podSandboxId, podUid, containerId }
      : { type, podSandboxId, podUid };
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
