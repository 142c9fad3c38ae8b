// Containers' cgroups made ahead, with a process already in them. On cgroup v1 every move of a process into a
// group waits for an RCU grace period (~10 ms on an idle machine, for each start of a container: an init
// container's whole run may take less). A zygote pays that wait before any container asks for it: a child of
// the shim server that has joined a fresh set of groups and waits for a start request. The container it
// starts is its child, so it is born in the groups, and nothing is moved on the start's path.
//
// The pool keeps `size` zygotes ready and makes another each time one is taken; a start that finds none
// (a burst) is served as before, its child joining the groups itself (in a burst the grace periods are shared,
// so those moves are cheap). Three zygotes in a row that cannot be made disable the pool, said once.

import { randomBytes } from 'node:crypto';
import {
  type CgroupLayout,
  type ContainerCgroups,
  createSpareCgroups,
  removeCgroups,
  removeCgroupsWaiting,
  SPARE_PREFIX,
} from './cgroups.js';
import type { Zygote } from './shim-server.js';

export interface CgroupSpare {
  cgroups: ContainerCgroups;
  zygote: Zygote;
}

export interface CgroupSpareOptions {
  layout: CgroupLayout;
  size: number;
  /** Asks the shim server for a zygote in these groups (ShimServer.zygote with the groups' entries). */
  make: (cgroups: ContainerCgroups, onExit: () => void) => Promise<{ report: string; zygote?: Zygote }>;
  log: (message: string) => void;
}

export class CgroupSparePool {
  readonly #o: CgroupSpareOptions;
  readonly #ready: CgroupSpare[] = [];
  #making = 0;
  #disabled = false;
  #closed = false;
  /** Zygotes in a row that could not be made (a server that died once is no reason to give up). */
  #failures = 0;
  /** Zygotes ended by discard, and the groups to remove once they have: by zygote id. */
  readonly #discarded = new Map<number, string[]>();

  constructor(options: CgroupSpareOptions) {
    this.#o = options;
    if (options.layout.version === 0 || options.size <= 0) this.#disabled = true;
  }

  /** A ready zygote and its groups, now the caller's; undefined when none is ready. Another is made. */
  take(): CgroupSpare | undefined {
    const spare = this.#ready.shift();
    this.refill();
    return spare;
  }

  /** Makes zygotes until `size` are ready or being made. */
  refill(): void {
    while (!this.#disabled && !this.#closed && this.#ready.length + this.#making < this.#o.size) this.#make();
  }

  /**
   * Ends a zygote that was taken but will serve no start (the start failed before its request); `dirs` are
   * its groups' names now. They are removed once it has ended.
   */
  discard(spare: CgroupSpare, dirs: string[]): void {
    this.#discarded.set(spare.zygote.id, dirs);
    try {
      // 0 or less would name a process group.
      if (spare.zygote.pid <= 0) throw new Error('no process');
      process.kill(spare.zygote.pid, 'SIGKILL');
    } catch {
      this.#discarded.delete(spare.zygote.id);
      removeCgroups(dirs);
    }
  }

  /**
   * Makes no more. The ready zygotes end with the shim server (the end of their pipe): call `removeGroups`
   * once it has exited.
   */
  close(): void {
    this.#closed = true;
  }

  /** Removes the groups of the zygotes that were ready, waiting up to `waitMs` for them to end. */
  removeGroups(waitMs = 1_000): Promise<void> {
    return removeCgroupsWaiting(
      this.#ready.splice(0).flatMap((s) => s.cgroups.dirs),
      waitMs,
    );
  }

  #make(): void {
    let cgroups: ContainerCgroups | undefined;
    try {
      cgroups = createSpareCgroups(this.#o.layout, `${SPARE_PREFIX}${randomBytes(6).toString('hex')}`);
    } catch (e) {
      this.#disable(`creating a container's groups ahead failed: ${(e as Error).message}`);
      return;
    }
    if (!cgroups) {
      this.#disabled = true;
      return;
    }
    const made = cgroups;
    this.#making++;
    let spare: CgroupSpare | undefined;
    const onExit = () => {
      const dirs = spare && this.#discarded.get(spare.zygote.id);
      if (spare && dirs) {
        this.#discarded.delete(spare.zygote.id);
        removeCgroups(dirs);
        return;
      }
      // Ended while waiting (killed from outside): its groups are empty now.
      const i = spare ? this.#ready.indexOf(spare) : -1;
      if (i >= 0) {
        this.#ready.splice(i, 1);
        removeCgroups(made.dirs);
        this.refill();
      }
    };
    void this.#o.make(made, onExit).then(({ report, zygote }) => {
      this.#making--;
      if (!zygote) {
        removeCgroups(made.dirs);
        if (++this.#failures >= 3 && !this.#closed)
          this.#disable(`zygotes could not be made: ${report.replace(/^err /, '')}`);
        return;
      }
      this.#failures = 0;
      spare = { cgroups: made, zygote };
      this.#ready.push(spare);
    });
  }

  #disable(why: string): void {
    if (this.#disabled) return;
    this.#disabled = true;
    this.#o.log(`${why}; containers join their cgroups as they start (slower on cgroup v1)`);
  }
}
