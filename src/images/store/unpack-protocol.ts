// Messages between the layer store and its unpack worker (unpack-worker.ts). One worker runs many unpacks at
// once, told apart by `id`. A streamed layer's compressed bytes arrive as `chunk` messages; the worker hands
// back `credit` as it consumes them, so the sender never holds more than a window of bytes in flight.
import type { UnpackLimits, UnpackResult } from './unpack.js';

export type UnpackSource =
  /** The layer blob, read by the worker from the blob store. */
  | { kind: 'file'; path: string }
  /** The layer's bytes as they download, sent as `chunk` messages. */
  | { kind: 'stream' };

export type ToWorker =
  | {
      type: 'start';
      id: number;
      root: string;
      what: string;
      source: UnpackSource;
      limits: UnpackLimits;
      /** The layers below, topmost first, when already known; otherwise the worker asks with `lowers?`. */
      lowers?: string[];
    }
  | { type: 'chunk'; id: number; data: Uint8Array }
  | { type: 'end'; id: number }
  | { type: 'abort'; id: number; message: string }
  | { type: 'lowers'; id: number; dirs: string[] }
  | { type: 'lowers-failed'; id: number; message: string };

/** Where an unpack failed: opening or sniffing the compressed bytes, or reading and applying the tar. */
export type FailurePhase = 'decompress' | 'unpack';

export type FromWorker =
  | { type: 'credit'; id: number; bytes: number }
  | { type: 'lowers?'; id: number }
  | { type: 'done'; id: number; result: UnpackResult }
  | { type: 'failed'; id: number; phase: FailurePhase; name: string; message: string };
