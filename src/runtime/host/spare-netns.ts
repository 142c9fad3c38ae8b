// Spare network namespaces with the Service rules already in them. nft is the slowest part of making a
// sandbox once there are rules (~10 ms of CPU for 100 Services, several times the rest of the sandbox), so a
// few namespaces are made ahead of time, between pods (the shim's `netns` request: unshare, then nft -f); a
// new sandbox's holder joins one instead of making its own, and podrun then kills the spare's process (the
// holder keeps the namespace). A change of the rules discards the spares and makes new ones. A spare's
// process dies with the shim server, so none outlives podrun.

import type { SpecEntry } from './spec.js';

export interface Spare {
  pid: number;
  start: string;
  /** The rules version it was made with. */
  version: number;
}

export interface SparePoolOptions {
  /** Spares kept ready. */
  size: number;
  /** How long no sandbox must have been made before spares are made. */
  idleMs: number;
  /** Sends the `netns` request; resolves with its report (`ok <pid> <start time>` or `err <why>`). */
  make: (entries: SpecEntry[]) => Promise<string>;
  /** Ends a spare's process, if it is still that process. */
  kill: (spare: Spare) => void;
  alive: (spare: Spare) => boolean;
  log: (message: string) => void;
}

export class SparePool {
  readonly #o: SparePoolOptions;
  #ready: Spare[] = [];
  #making = 0;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: SparePoolOptions) {
    this.#o = options;
  }

  /** A live spare made with `version`, taken out of the pool; undefined when there is none. */
  take(version: number): Spare | undefined {
    while (this.#ready.length > 0) {
      const spare = this.#ready.shift()!;
      if (spare.version === version && this.#o.alive(spare)) return spare;
      this.#o.kill(spare);
    }
    return undefined;
  }

  /**
   * Makes spares with the current rules (`entries` for the shim) until `size` are ready or on the way, once no
   * sandbox has been made for `idleMs`: made while a pod starts, a spare's nft takes the CPU from that pod
   * (measured: +30 % on a pod's start-up, as much as running nft in the holder), so spares are made between
   * pods. In a burst, holders past the spares run nft themselves.
   */
  refill(version: number, entries: SpecEntry[], current: () => number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#fill(version, entries, current);
    }, this.#o.idleMs);
    this.#timer.unref();
  }

  #fill(version: number, entries: SpecEntry[], current: () => number): void {
    if (version !== current()) return;
    while (!this.#closed && this.#ready.length + this.#making < this.#o.size) {
      this.#making++;
      void this.#o.make(entries).then((report) => {
        this.#making--;
        const m = /^ok (\d+) (\d+)$/.exec(report);
        if (!m) {
          // Not tried again until the next sandbox or change: a failing nft must not spin.
          if (!this.#closed)
            this.#o.log(
              `a spare network namespace for pods could not be made: ${report.replace(/^err /, '')}`,
            );
          return;
        }
        const spare = { pid: Number(m[1]), start: m[2] ?? '', version };
        if (this.#closed || version !== current()) this.#o.kill(spare);
        else this.#ready.push(spare);
      });
    }
  }

  /** Ends a spare taken out of the pool (its namespace has been joined, or is not needed). */
  release(spare: Spare): void {
    this.#o.kill(spare);
  }

  /** Discards every ready spare (the rules changed). Those on the way are discarded when they report. */
  drop(): void {
    for (const spare of this.#ready.splice(0)) this.#o.kill(spare);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.drop();
  }
}
