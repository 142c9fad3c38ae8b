// Large YAML bodies are parsed on one worker thread, so that the seconds the `yaml` library takes for a few
// megabytes (3 s for a valid 3 MiB body, 6 s for a broken one) stop no other request, watch or pod start, and
// so that a body that makes the parser run out of memory costs the worker, not the server. The worker starts
// with the first large body, is referenced only while it has work, and is started again after it dies; a
// worker that cannot start at all leaves parsing on this thread, as before.
import { Worker } from 'node:worker_threads';
import { ApiError, badRequest } from '../errors.js';
import { parseYamlBodyText } from './yaml-body.js';
import type { YamlAnswer, YamlRequest } from './yaml-body-worker.js';

/** Below this many characters a body is parsed inline: a worker's round trip costs more than the parse. */
export const INLINE_YAML_MAX = 64 * 1024;

/** The worker's heap: room for the worst 3 MiB body (1.3 GB measured), not for more. */
const WORKER_HEAP_MB = 2048;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (e: unknown) => void;
}

/** From the compiled package the .js beside this file; from a checkout through tsx, registered first. */
function startWorker(): Worker {
  const here = import.meta.url;
  const resourceLimits = { maxOldGenerationSizeMb: WORKER_HEAP_MB };
  if (here.endsWith('.js')) return new Worker(new URL('./yaml-body-worker.js', here), { resourceLimits });
  const entry = new URL('./yaml-body-worker.ts', here).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const script = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  // execArgv: [] so that a parent's `--import tsx` is not applied twice.
  return new Worker(script, { eval: true, execArgv: [], resourceLimits });
}

class YamlWorker {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #answered = false;
  #broken = false;

  parse(text: string): Promise<unknown> {
    const w = this.#get();
    if (!w) return Promise.resolve().then(() => parseYamlBodyText(text));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) w.ref();
      w.postMessage({ id, text } satisfies YamlRequest);
    });
  }

  #get(): Worker | undefined {
    if (this.#broken) return undefined;
    if (this.#worker) return this.#worker;
    let w: Worker;
    try {
      w = startWorker();
    } catch {
      this.#broken = true;
      return undefined;
    }
    w.on('message', (answer: YamlAnswer) => this.#onAnswer(w, answer));
    w.on('error', (err) => this.#lost(w, err));
    w.on('exit', (code) => this.#lost(w, new Error(`the YAML worker exited with code ${code}`)));
    w.unref();
    this.#worker = w;
    return w;
  }

  #onAnswer(w: Worker, answer: YamlAnswer): void {
    this.#answered = true;
    const p = this.#pending.get(answer.id);
    if (!p) return;
    this.#pending.delete(answer.id);
    if (this.#pending.size === 0) w.unref();
    if ('error' in answer)
      p.reject(new ApiError(answer.error.code, answer.error.reason, answer.error.message));
    else p.resolve(answer.value);
  }

  #lost(w: Worker, err: Error): void {
    if (this.#worker !== w) return;
    this.#worker = undefined;
    // One that never answered most likely cannot load here: parse on this thread from now on.
    if (!this.#answered) this.#broken = true;
    const outOfMemory = (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
    const failure = outOfMemory
      ? badRequest(
          `the request body is not valid YAML: parsing it needed more than ${WORKER_HEAP_MB} MB; send it as JSON`,
        )
      : badRequest(`the request body could not be parsed: ${err.message}`);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(failure);
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
