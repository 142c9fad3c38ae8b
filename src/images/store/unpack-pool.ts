// Runs layer unpacks on one worker thread (unpack-worker.ts), started with the first store and shared by every
// unpack in the process. The worker is referenced only while it has work, so an idle one does not keep a
// process alive. If the worker dies, the unpacks in flight fail (a streamed one is then redone from its blob,
// on a new worker); if it cannot start at all, unpacks run on the calling thread as before.
import type { Readable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../util/module-worker.js';
import { decompressStream, openDecompressed } from './decompress.js';
import { StoreError } from './digest.js';
import { type LowerLayers, type UnpackLimits, type UnpackResult, unpackLayer } from './unpack.js';
import type { FromWorker, ToWorker } from './unpack-protocol.js';

/** Compressed bytes sent to the worker and not yet consumed there, per unpack. */
const windowBytes = 4 * 1024 * 1024;

export type UnpackInput = { kind: 'file'; path: string } | { kind: 'stream'; stream: Readable };

export interface UnpackRequest {
  root: string;
  /** Names the layer in errors: `layer 2 (blob sha256:…)`. */
  what: string;
  input: UnpackInput;
  lowers: LowerLayers;
  limits: UnpackLimits;
}

/** An unpack that failed: `phase` says whether its bytes could not be decompressed or the tar not applied. */
export class UnpackFailure extends Error {
  constructor(
    readonly phase: 'decompress' | 'unpack',
    readonly causeName: string,
    message: string,
  ) {
    super(message);
    this.name = causeName;
  }
}

interface Pending {
  lowers: LowerLayers;
  resolve: (r: UnpackResult) => void;
  reject: (err: Error) => void;
  /** Wakes the sender waiting for credit. */
  credit: (bytes: number) => void;
}

/**
 * The process's one unpack worker, shared by every store: started once (a worker costs tens of milliseconds
 * and some megabytes to start, more from a checkout that compiles TypeScript), then kept, unreferenced while
 * idle.
 */
class SharedWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextID = 1;
  /** Whether any worker ever answered: one that fails before it does most likely cannot load at all. */
  private answered = false;
  /** Set when a worker could not start: unpacks run on the calling thread from then on. */
  broken = false;

  get(): Worker | undefined {
    if (this.broken) return undefined;
    if (this.worker !== undefined) return this.worker;
    const w = startModuleWorker(import.meta.url, 'unpack-worker');
    w.on('message', (msg: FromWorker) => this.onMessage(w, msg));
    w.on('error', (err) => this.lost(w, err, true));
    w.on('exit', (code) => this.lost(w, new Error(`the unpack worker exited with code ${code}`), false));
    // After the listeners: a 'message' listener added to an unreferenced worker references its port again
    // (Node 20), and an idle worker then kept any process that had warmed a store from exiting.
    w.unref();
    this.worker = w;
    return w;
  }

  async unpack(worker: Worker, req: UnpackRequest): Promise<UnpackResult> {
    const id = this.nextID++;
    let waitCredit: (() => void) | undefined;
    let inFlight = 0;
    const done = new Promise<UnpackResult>((resolve, reject) => {
      this.pending.set(id, {
        lowers: req.lowers,
        resolve,
        reject,
        credit: (bytes) => {
          inFlight -= bytes;
          if (inFlight < windowBytes) waitCredit?.();
        },
      });
    });
    if (this.pending.size === 1) worker.ref();
    const post = (msg: ToWorker) => worker.postMessage(msg);
    post({
      type: 'start',
      id,
      root: req.root,
      what: req.what,
      source: req.input.kind === 'file' ? req.input : { kind: 'stream' },
      limits: req.limits,
      ...(Array.isArray(req.lowers) ? { lowers: [...req.lowers] } : {}),
    });
    if (req.input.kind === 'stream') {
      const stream = req.input.stream;
      let finished = false;
      const stop = () => {
        finished = true;
        waitCredit?.();
      };
      done.then(stop, stop);
      (async () => {
        try {
          for await (const chunk of stream) {
            if (finished) break;
            const buf = chunk as Buffer;
            inFlight += buf.length;
            // Copied by the structured clone: the chunk's memory is shared with the blob writer.
            post({ type: 'chunk', id, data: buf });
            if (inFlight >= windowBytes && !finished) {
              await new Promise<void>((r) => {
                waitCredit = r;
              });
              waitCredit = undefined;
            }
          }
          if (!finished) post({ type: 'end', id });
        } catch (err) {
          post({ type: 'abort', id, message: (err as Error).message });
        }
      })();
    }
    return done;
  }

  async terminate(): Promise<void> {
    await this.worker?.terminate();
  }

  private onMessage(w: Worker, msg: FromWorker): void {
    this.answered = true;
    const p = this.pending.get(msg.id);
    if (p === undefined) return;
    switch (msg.type) {
      case 'credit':
        p.credit(msg.bytes);
        return;
      case 'lowers?': {
        const ask = p.lowers;
        const dirs = typeof ask === 'function' ? ask() : Promise.resolve(ask);
        dirs.then(
          (d) => w.postMessage({ type: 'lowers', id: msg.id, dirs: [...d] } satisfies ToWorker),
          (err: Error) =>
            w.postMessage({ type: 'lowers-failed', id: msg.id, message: err.message } satisfies ToWorker),
        );
        return;
      }
      case 'done':
        this.settle(w, msg.id);
        p.resolve(msg.result);
        return;
      case 'failed':
        this.settle(w, msg.id);
        p.reject(new UnpackFailure(msg.phase, msg.name, msg.message));
        return;
    }
  }

  private settle(w: Worker, id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) w.unref();
  }

  private lost(w: Worker, err: Error, failedToRun: boolean): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    if (failedToRun && !this.answered) this.broken = true;
    for (const p of this.pending.values()) {
      p.reject(new UnpackFailure('unpack', 'StoreError', `the unpack worker stopped: ${err.message}`));
    }
    this.pending.clear();
  }
}

const shared = new SharedWorker();

/** Stops the shared worker as a crash would (tests of what its unpacks in flight do). */
export async function terminateUnpackWorker(): Promise<void> {
  await shared.terminate();
}

/** A store's way to unpack: on the shared worker, or on the calling thread when asked or when it cannot run. */
export class UnpackPool {
  constructor(private readonly opts: { worker: boolean }) {}

  /** Starts the worker now, so that its start overlaps whatever comes before the first unpack. */
  warm(): void {
    if (this.opts.worker) shared.get();
  }

  unpack(req: UnpackRequest): Promise<UnpackResult> {
    const worker = this.opts.worker ? shared.get() : undefined;
    return worker === undefined ? unpackInline(req) : shared.unpack(worker, req);
  }
}

async function unpackInline(req: UnpackRequest): Promise<UnpackResult> {
  let stream: Readable;
  try {
    stream =
      req.input.kind === 'file'
        ? (await openDecompressed(req.input.path, req.what)).stream
        : (await decompressStream(req.input.stream, req.what)).stream;
  } catch (err) {
    const e = err as Error;
    throw new UnpackFailure('decompress', e instanceof StoreError ? 'StoreError' : e.name, e.message);
  }
  try {
    return await unpackLayer(stream, req.root, req.lowers, req.limits);
  } catch (err) {
    const e = err as Error;
    throw new UnpackFailure('unpack', e.name, e.message);
  } finally {
    stream.destroy();
  }
}
