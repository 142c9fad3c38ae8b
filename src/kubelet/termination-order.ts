// terminationOrdering (pkg/kubelet/kuberuntime/kuberuntime_termination_order.go): during a pod kill, a sidecar
// waits for every app container and for every sidecar declared after it, so sidecars stop in reverse order
// after the app containers. Containers that are not running are never waited on.
import type { Pod } from '../api/types.js';
import type { Clock } from '../util/clock.js';
import { appContainers, initContainers, isSidecar } from './pod-util.js';

interface Gate {
  done: Promise<void>;
  open: () => void;
}

function gate(): Gate {
  let open = () => {};
  const done = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { done, open };
}

export class TerminationOrdering {
  readonly #terminated = new Map<string, Gate>();
  readonly #prereqs = new Map<string, Promise<void>[]>();
  readonly #clock: Clock;

  constructor(pod: Pod, runningNames: readonly string[], clock: Clock) {
    this.#clock = clock;
    const running = new Set(runningNames);
    const track = (name: string): Gate => {
      const g = gate();
      this.#terminated.set(name, g);
      if (!running.has(name)) g.open();
      return g;
    };
    const mains = appContainers(pod).map((c) => track(c.name).done);
    let laterSidecar: string | undefined;
    for (const c of [...initContainers(pod)].reverse()) {
      track(c.name);
      if (!isSidecar(c)) continue;
      const prereqs = [...mains];
      if (laterSidecar !== undefined) prereqs.push(this.#terminated.get(laterSidecar)!.done);
      this.#prereqs.set(c.name, prereqs);
      laterSidecar = c.name;
    }
  }

  /** waitForTurn: waits for the container's prerequisites, at most `graceSeconds`; returns the seconds waited. */
  async waitForTurn(name: string, graceSeconds: number): Promise<number> {
    if (graceSeconds <= 0) return 0;
    const start = this.#clock.now();
    const prereqs = this.#prereqs.get(name) ?? [];
    if (prereqs.length > 0) {
      const timeout = new AbortController();
      await Promise.race([
        Promise.all(prereqs),
        this.#clock.sleep(graceSeconds * 1000, timeout.signal).catch(() => {}),
      ]);
      timeout.abort();
    }
    return (this.#clock.now() - start) / 1000;
  }

  /** containerTerminated: lets the containers waiting on this one proceed. */
  containerTerminated(name: string): void {
    this.#terminated.get(name)?.open();
  }
}
