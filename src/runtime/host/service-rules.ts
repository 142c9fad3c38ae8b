// The Service rules (kube-proxy's, as nftables) in every pod's network namespace. Each change is rendered
// once into a file on the records tmpfs; the pods' holders apply it with `nft -f`, through the shim server:
// a new sandbox's holder while it sets the sandbox up (before runPodSandbox resolves), a running sandbox's by
// a child of the server that enters the holder's network namespace (the `nft` request). Nothing is ever
// applied in the host's network namespace.
//
// No lost update: the file only moves forward (written whole and renamed, in the order of the changes), and
// nft reads it when it runs, so an apply sent at version v installs v or newer. Each sandbox remembers the
// version it is known to have; applies to one sandbox run one after another, and another follows while the
// sandbox is behind. A failed apply is logged and tried again after a delay that doubles up to a cap (and at
// the next change); it holds up no other pod. Waiting for a change alone could leave a pod without its
// Service rules for good: after a restart of podrun the change that moved the API's port may be the last one.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { renderNftRuleset } from '../../network/proxy/nft.js';
import type { ServiceRules } from '../../network/types.js';
import { writeFileAtomic } from './files.js';
import { isSameProcess, killIfSame } from './proc.js';
import type { SandboxRecord } from './records.js';
import { type Spare, SparePool } from './spare-netns.js';
import type { SpecEntry } from './spec.js';

/** The table the rules live in, in each pod's network namespace. */
export const POD_NFT_TABLE = 'podrun';
/** Sandboxes updated at once after a change (each update is one nft run, ~10 ms of CPU for 100 Services). */
const UPDATE_CONCURRENCY = 2;
/** Network namespaces with the rules made ahead of time (spare-netns.ts), by default. */
export const SPARE_NETNS = 2;
/** Spares are made once no sandbox has been made for this long (spare-netns.ts). */
const SPARE_IDLE_MS = 250;

export function findNft(): string | undefined {
  return ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft', '/bin/nft'].find((p) => existsSync(p));
}

interface SandboxRules {
  /** The version this sandbox is known to have (0: none, or unknown after a restart of podrun). */
  applied: number;
  /** The update under way, if any. */
  running: Promise<void> | undefined;
  /** Failed applies in a row (the retry delay doubles with each). */
  failures: number;
  /** The retry scheduled after a failure, if any. */
  retry: NodeJS.Timeout | undefined;
}

/** The first retry of a failed apply waits this long; each further failure doubles it, up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

export interface ServiceRulesOptions {
  /** Where the rules file goes (this state directory's records). */
  dir: string;
  /** The nft binary, or undefined when the machine has none. */
  nft: string | undefined;
  /** Sends the `nft` request for one sandbox; resolves with its report (`ok` or `err <why>`). */
  apply: (sandbox: SandboxRecord, entries: SpecEntry[]) => Promise<string>;
  /** Whether a sandbox still exists and is ready (updates go to those only). */
  live: (sandbox: SandboxRecord) => boolean;
  log: (message: string) => void;
  /** Renders the rules as one `nft -f` transaction replacing `table` (default: the proxy's renderNftRuleset). */
  render?: (rules: ServiceRules, table: string) => string;
  /** Spare network namespaces with the rules in them, for new sandboxes (none without). */
  spares?: SparePool;
  /** The delay before the first retry of a failed apply (default 1 s; doubled per failure, at most 30 s). */
  retryFirstMs?: number;
}

export class PodServiceRules {
  readonly #o: ServiceRulesOptions;
  readonly #file: string;
  readonly #sandboxes = new Map<string, SandboxRules>();
  #version = 0;
  #missingReported = false;
  #slots = UPDATE_CONCURRENCY;
  readonly #queue: (() => void)[] = [];

  constructor(options: ServiceRulesOptions) {
    this.#o = options;
    this.#file = join(options.dir, 'service-rules.nft');
  }

  get version(): number {
    return this.#version;
  }

  /**
   * Renders and writes the new rules, then brings every given sandbox up to them. Resolves once each has been
   * tried; failures are logged, not thrown.
   */
  async set(rules: ServiceRules, sandboxes: SandboxRecord[]): Promise<void> {
    if (!this.#o.nft) {
      if (!this.#missingReported) {
        this.#missingReported = true;
        this.#o.log(
          'nftables (the nft command) is not installed: Services are not reachable from pods (their cluster IPs do nothing); install nftables (apt-get install nftables) and restart podrun',
        );
      }
      return;
    }
    const text = this.#o.render
      ? this.#o.render(rules, POD_NFT_TABLE)
      : renderNftRuleset(rules, { table: POD_NFT_TABLE });
    writeFileAtomic(this.#file, text);
    this.#version++;
    this.#o.spares?.drop();
    this.#refill();
    await Promise.all(sandboxes.map((s) => this.#catchUp(s)));
  }

  /**
   * Spec entries that make a new sandbox's holder join a spare network namespace that has the current rules,
   * or else apply them itself; none before the first change. `spare` is to be given back to created().
   */
  sandboxEntries(): { entries: SpecEntry[]; version: number; spare: Spare | undefined } {
    const version = this.#version;
    if (version === 0 || !this.#o.nft) return { entries: [], version, spare: undefined };
    const spare = this.#o.spares?.take(version);
    this.#refill();
    const entries = this.#entries();
    if (spare) entries.push(['netns', String(spare.pid)], ['netnsstart', spare.start]);
    return { entries, version, spare };
  }

  /**
   * A new sandbox's holder reported: `version` and `spare` are what sandboxEntries gave its request, `failure`
   * what its nft said (undefined when it succeeded or did not run). Resolves once the sandbox has the newest
   * rules (or an update failed).
   */
  async created(
    sandbox: SandboxRecord,
    made: { version: number; spare: Spare | undefined },
    failure: string | undefined,
  ): Promise<void> {
    // The holder has joined the spare's namespace, or made its own: the spare's process is not needed.
    if (made.spare) this.#o.spares?.release(made.spare);
    const state = newState();
    this.#sandboxes.set(sandbox.id, state);
    if (failure === undefined) state.applied = made.version;
    else this.#failed(sandbox, state, failure);
    // Rules changed while the holder was being made: bring it up to date now.
    if (failure === undefined) await this.#catchUp(sandbox);
  }

  /** Ends the spares and the retries. */
  close(): void {
    this.#o.spares?.close();
    for (const s of this.#sandboxes.values()) clearTimeout(s.retry);
  }

  #refill(): void {
    if (this.#version === 0 || !this.#o.nft) return;
    this.#o.spares?.refill(this.#version, this.#entries(), () => this.#version);
  }

  /** The sandbox is stopped or gone: nothing more to apply there. */
  forget(id: string): void {
    clearTimeout(this.#sandboxes.get(id)?.retry);
    this.#sandboxes.delete(id);
  }

  #entries(): SpecEntry[] {
    return [
      ['nft', this.#o.nft ?? 'nft'],
      ['nftfile', this.#file],
    ];
  }

  /** Applies the newest rules to one sandbox until it has them; one update at a time per sandbox. */
  #catchUp(sandbox: SandboxRecord): Promise<void> {
    let state = this.#sandboxes.get(sandbox.id);
    if (!state) {
      // Found again after a restart of podrun: what it has is unknown.
      state = newState();
      this.#sandboxes.set(sandbox.id, state);
    }
    const s = state;
    // The update under way may have read an older file: look again once it is done.
    if (s.running) return s.running.then(() => this.#catchUp(sandbox));
    if (!this.#behind(sandbox, s)) return Promise.resolve();
    const running = this.#update(sandbox, s).finally(() => {
      if (s.running === running) s.running = undefined;
    });
    s.running = running;
    return running;
  }

  #behind(sandbox: SandboxRecord, s: SandboxRules): boolean {
    return s.applied < this.#version && this.#sandboxes.get(sandbox.id) === s && this.#o.live(sandbox);
  }

  async #update(sandbox: SandboxRecord, s: SandboxRules): Promise<void> {
    while (this.#behind(sandbox, s)) {
      const version = this.#version;
      const report = await this.#limited(() => this.#o.apply(sandbox, this.#entries())).catch(
        (e: Error) => `err ${e.message}`,
      );
      if (report !== 'ok') {
        // A sandbox that went away meanwhile needs no rules.
        if (this.#o.live(sandbox)) this.#failed(sandbox, s, report.replace(/^err /, ''));
        return;
      }
      s.applied = Math.max(s.applied, version);
      s.failures = 0;
      clearTimeout(s.retry);
      s.retry = undefined;
    }
  }

  /** Logs a failed apply and schedules the next try (a change before then tries at once as well). */
  #failed(sandbox: SandboxRecord, s: SandboxRules, why: string): void {
    const delay = Math.min((this.#o.retryFirstMs ?? RETRY_FIRST_MS) * 2 ** s.failures, RETRY_MAX_MS);
    s.failures++;
    const pod = `${sandbox.config.metadata.namespace}/${sandbox.config.metadata.name}`;
    this.#o.log(
      `the Service rules could not be applied in pod ${pod} (sandbox ${sandbox.id.slice(0, 12)}); tried again in ${delay / 1000} s or at the next change: ${why}`,
    );
    clearTimeout(s.retry);
    s.retry = setTimeout(() => {
      s.retry = undefined;
      // A failure already reported this one; a retry's own failure reports itself.
      void this.#catchUp(sandbox).catch(() => {});
    }, delay);
    // A pending retry must not keep podrun (or a test) alive.
    s.retry.unref();
  }

  async #limited<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#slots === 0) await new Promise<void>((resolve) => this.#queue.push(resolve));
    else this.#slots--;
    try {
      return await fn();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#slots++;
    }
  }
}

function newState(): SandboxRules {
  return { applied: 0, running: undefined, failures: 0, retry: undefined };
}

/** The host runtime's rules and spares, sending their work to the shim server through `request`. */
export function hostPodServiceRules(o: {
  records: string;
  stateDir: string;
  nftPath: string | undefined;
  request: (mode: 'nft' | 'netns', entries: SpecEntry[]) => Promise<string>;
  live: (sandbox: SandboxRecord) => boolean;
  log: (message: string) => void;
  render: ServiceRulesOptions['render'];
  /** Spare network namespaces kept ready (0: none, every holder runs nft itself). */
  spares: number;
}): PodServiceRules {
  return new PodServiceRules({
    dir: o.records,
    nft: (o.nftPath ?? findNft()) || undefined,
    apply: (sandbox, entries) =>
      o.request('nft', [
        ['holder', String(sandbox.holder.pid)],
        ['holderstart', sandbox.holder.start],
        ...entries,
      ]),
    live: o.live,
    log: o.log,
    render: o.render,
    spares:
      o.spares > 0
        ? new SparePool({
            size: o.spares,
            idleMs: SPARE_IDLE_MS,
            make: (entries) => o.request('netns', [['title', `podrun-netns ${o.stateDir}`], ...entries]),
            alive: (spare) => isSameProcess(spare.pid, spare.start),
            kill: (spare) => killIfSame(spare.pid, spare.start),
            log: o.log,
          })
        : undefined,
  });
}
