// Large YAML bodies are parsed on one worker thread, so that the seconds the `yaml` library takes for a few
// megabytes (3 s for a valid 3 MiB body, 6 s for a broken one) stop no other request, watch or pod start, and
// so that a body that makes the parser run out of memory costs the worker, not the server. The worker starts
// with the first large body, is referenced only while it has work, and is started again after it dies; a
// worker that cannot start at all leaves parsing on this thread, as before.
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../util/module-worker.js';
import { ApiError, badRequest } from '../errors.js';
import { parseYamlBodyText } from './yaml-body.js';
import type { YamlAnswer, YamlRequest } from './yaml-body-worker.js';

/** Below this many characters a body is parsed inline: a worker's round trip costs more than the parse. */
export const INLINE_YAML_MAX = 64 * 1024;

/** The worker's heap: room for the worst 3 MiB body (1.3 GB measured), not for more. */
const WORKER_HEAP_MB = 2048;

interface Pending {
  text: string;
  resolve: (value: unknown) => void;
  reject: (e: unknown) => void;
}

/** On this thread, as a promise (a refusal rejects it rather than throwing at the caller). */
function inline(text: string): Promise<unknown> {
  return Promise.resolve().then(() => parseYamlBodyText(text));
}

class YamlWorker {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  /** Whether any worker ever came up: one that cannot, most likely never will here. */
  #online = false;
  #broken = false;

  parse(text: string): Promise<unknown> {
    const w = this.#get();
    if (!w) return inline(text);
    return new Promise((resolve, reject) => this.#send(w, { text, resolve, reject }));
  }

  #send(w: Worker, p: Pending): void {
    const id = this.#nextId++;
    this.#pending.set(id, p);
    if (this.#pending.size === 1) w.ref();
    w.postMessage({ id, text: p.text } satisfies YamlRequest);
  }

  #get(): Worker | undefined {
    if (this.#broken) return undefined;
    if (this.#worker) return this.#worker;
    let w: Worker;
    try {
      w = startModuleWorker(import.meta.url, 'yaml-body-worker', {
        resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      });
    } catch {
      this.#broken = true;
      return undefined;
    }
    w.on('online', () => {
      this.#online = true;
    });
    w.on('message', (answer: YamlAnswer) => this.#onAnswer(w, answer));
    w.on('error', (err) => this.#lost(w, err));
    w.on('exit', (code) => this.#lost(w, new Error(`the YAML worker exited with code ${code}`)));
    w.unref();
    this.#worker = w;
    return w;
  }

  #onAnswer(w: Worker, answer: YamlAnswer): void {
    const p = this.#pending.get(answer.id);
    if (!p) return;
    this.#pending.delete(answer.id);
    if (this.#pending.size === 0) w.unref();
    if ('error' in answer)
      p.reject(new ApiError(answer.error.code, answer.error.reason, answer.error.message));
    else p.resolve(answer.value);
  }

  /**
   * The worker died. It parses one body at a time, in the order they were sent, so the oldest pending body is
   * the one it died on: that one is refused, and the bodies queued behind it go to a new worker. (Failing them
   * all let one client who sends a body that exhausts the parser refuse everyone's large YAML.) Only a worker
   * that never came up leaves parsing on this thread for good; one that ran out of memory is replaced.
   */
  #lost(w: Worker, err: Error): void {
    if (this.#worker !== w) return;
    this.#worker = undefined;
    if (!this.#online) this.#broken = true;
    const outOfMemory = (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
    const failure = outOfMemory
      ? badRequest(
          `the request body is not valid YAML: parsing it needed more than ${WORKER_HEAP_MB} MB; send it as JSON`,
        )
      : badRequest(`the request body could not be parsed: ${err.message}`);
    const [culprit, ...queued] = [...this.#pending.values()];
    this.#pending.clear();
    culprit?.reject(failure);
    for (const p of queued) {
      const next = this.#get();
      if (next) this.#send(next, p);
      else
        Promise.resolve()
          .then(() => parseYamlBodyText(p.text))
          .then(p.resolve, p.reject);
    }
  }

  /** Whether large bodies are parsed on this thread for good (no worker could start here). */
  get inline(): boolean {
    return this.#broken;
  }

  async terminate(): Promise<void> {
    await this.#worker?.terminate();
  }
}

const shared = new YamlWorker();

/** A YAML body's value: inline when small, on the YAML worker when large. */
export function parseYamlBody(text: string): unknown | Promise<unknown> {
  return text.length < INLINE_YAML_MAX ? parseYamlBodyText(text) : shared.parse(text);
}

/** For tests and shutdown: the worker goes (a later large body starts another). */
export function terminateYamlWorker(): Promise<void> {
  return shared.terminate();
}

/** Whether large bodies are parsed on this thread for good: no worker could start here. */
export function yamlParsedInline(): boolean {
  return shared.inline;
}
