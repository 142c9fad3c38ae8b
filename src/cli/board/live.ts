// The live board of `podrun up` on a terminal: redrawn when a pod changes and once a second (elapsed times and
// retry countdowns move on their own), drawn anew at the new width when the terminal is resized, with log lines
// (`--logs`) scrolling above it, and left on the screen as the summary when `up` ends.
import type { Pod } from '../../api/types.js';
import type { PullProgress } from '../../runtime/types.js';
import { podSteps } from '../up/steps.js';
import { boardModel, failing, tailKey } from './model.js';
import { renderBoard } from './render.js';
import { Screen } from './screen.js';

export interface BoardSource {
  pods(): Pod[];
  pulls(): PullProgress[];
  /** The last lines of a container's log (its current run, or the last one while it waits to restart). */
  logTail(namespace: string, pod: string, container: string): Promise<string>;
}

interface Terminal extends NodeJS.EventEmitter {
  write(text: string): boolean;
  columns?: number;
  rows?: number;
}

const TICK_MS = 1000;

export class LiveBoard {
  readonly #stream: Terminal;
  readonly #source: BoardSource;
  readonly #screen: Screen;
  readonly #color: boolean;
  readonly #title: (now: number) => string;
  readonly #tails = new Map<string, string>();
  readonly #fetching = new Set<string>();
  #pending = false;
  #closed = false;
  readonly #timer: NodeJS.Timeout;
  readonly #onResize = () => {
    if (!this.#closed) this.#screen.redraw(this.#lines());
  };

  constructor(
    stream: Terminal,
    source: BoardSource,
    options: { color: boolean; title: (now: number) => string },
  ) {
    this.#stream = stream;
    this.#source = source;
    this.#color = options.color;
    this.#title = options.title;
    this.#screen = new Screen(stream);
    // A tty stream emits `resize` on SIGWINCH, after it has read the new size.
    stream.on('resize', this.#onResize);
    this.#timer = setInterval(() => this.update(), TICK_MS);
    this.update();
  }

  /** Redraws soon; changes that come together (a watch burst) make one frame. */
  update(): void {
    if (this.#pending || this.#closed) return;
    this.#pending = true;
    setImmediate(() => {
      this.#pending = false;
      if (!this.#closed) this.#screen.frame(this.#lines());
    });
  }

  /** Whole lines (each ending in a newline) to show above the board. */
  log(text: string): void {
    this.#screen.scroll(text);
  }

  /** Draws the last frame with `title` and stops; the frame stays on the terminal as the summary. */
  close(title?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#stream.off('resize', this.#onResize);
    this.#screen.close(this.#lines(title));
  }

  #lines(title?: string): string[] {
    const now = Date.now();
    const pods = this.#source.pods();
    this.#fetchTails(pods);
    return renderBoard(boardModel(pods, this.#source.pulls(), this.#tails, now), {
      // A terminal that reports no size (0 columns: `script` without one, some CI ptys) gets 80, as most tools do.
      columns: this.#stream.columns || 80,
      ...(this.#stream.rows ? { rows: this.#stream.rows } : {}),
      color: this.#color,
      title: title ?? this.#title(now),
    });
  }

  /** Fetches the log tail of each failing step once per failed run; the board shows it when it arrives. */
  #fetchTails(pods: Pod[]): void {
    for (const pod of pods) {
      for (const step of podSteps(pod)) {
        if (!failing(step.status)) continue;
        const key = tailKey(pod, step.name, step.status);
        if (this.#tails.has(key) || this.#fetching.has(key)) continue;
        this.#fetching.add(key);
        this.#source
          .logTail(pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '', step.name)
          .catch(() => '')
          .then((text) => {
            this.#fetching.delete(key);
            this.#tails.set(key, text);
            this.update();
          });
      }
    }
  }
}
