// `podrun up`'s view of image pulls: it polls the node's pulls under way and shows a status line per pull on
// a terminal, and a line when a pull starts (without a terminal) and when it ends (always, so the record
// stays once the status line is gone).
import type { UpClient } from '../client/types.js';
import { formatPull, formatPullEnd, PullTracker } from '../progress/images.js';
import type { LiveOutput } from '../progress/live.js';

const POLL_MS = 500;

export class PullFollower {
  readonly #client: UpClient;
  readonly #out: LiveOutput;
  readonly #elapsed: () => string;
  readonly #tracker = new PullTracker();
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  /** Polls run one at a time: the timer's and refresh()'s would otherwise report one end twice. */
  #chain: Promise<void> = Promise.resolve();

  constructor(client: UpClient, out: LiveOutput, elapsed: () => string) {
    this.#client = client;
    this.#out = out;
    this.#elapsed = elapsed;
    this.#timer = setTimeout(() => this.#tick(), 0);
  }

  /** Polls now when a pull is being followed, so that its end is told before what came after it. */
  refresh(): Promise<void> {
    if (this.#stopped || this.#tracker.current.length === 0) return this.#chain;
    return this.#poll();
  }

  /** The pulls under way at the last poll. */
  get current() {
    return this.#tracker.current;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#out.status([]);
  }

  #tick(): void {
    this.#poll().then(() => {
      if (!this.#stopped) this.#timer = setTimeout(() => this.#tick(), POLL_MS);
    });
  }

  #poll(): Promise<void> {
    this.#chain = this.#chain.then(async () => {
      let list: Awaited<ReturnType<UpClient['pullsInProgress']>>;
      try {
        list = await this.#client.pullsInProgress();
      } catch {
        // The next poll tries again; a server without the endpoint (an older podrun) just shows no pulls.
        return;
      }
      if (this.#stopped) return;
      const now = Date.now();
      const { started, ended } = this.#tracker.update(list);
      if (!this.#out.live) for (const p of started) this.#out.line(`${this.#elapsed()}  pulling ${p.image}`);
      for (const p of ended) this.#out.line(`${this.#elapsed()}  pull ended: ${formatPullEnd(p, now)}`);
      this.#out.status(this.#tracker.current.map((p) => `         pulling ${formatPull(p, now)}`));
    });
    return this.#chain;
  }
}
