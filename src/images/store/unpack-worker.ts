// The unpack worker: decompresses and unpacks layers off the main thread, so that a pull's downloads, digest
// checks and blob writes (and, in the server, the API and the kubelet) go on while gunzip, the tar reader, the
// diff ID hash and some thousand file syscalls per layer run here. Started by unpack-pool.ts; see
// unpack-protocol.ts for the messages.
import { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { decompressStream, openDecompressed } from './decompress.js';
import { unpackLayer } from './unpack.js';
import type { FailurePhase, FromWorker, ToWorker } from './unpack-protocol.js';

const port = parentPort;
if (port === null) throw new Error('unpack-worker.ts runs as a worker thread only');

function send(msg: FromWorker): void {
  port!.postMessage(msg);
}

interface Job {
  /** The streamed bytes, for a `stream` source. */
  input?: Readable;
  /** Bytes received whose credit is held back until the stream is read again. */
  owed: number;
  lowers?: { resolve: (dirs: string[]) => void; reject: (err: Error) => void };
}

const jobs = new Map<number, Job>();

function streamInput(id: number, job: Job): Readable {
  return new Readable({
    highWaterMark: 1024 * 1024,
    read() {
      // Asked for more: whatever was held back may now come.
      if (job.owed > 0) {
        send({ type: 'credit', id, bytes: job.owed });
        job.owed = 0;
      }
    },
  });
}

async function run(msg: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const job: Job = { owed: 0 };
  jobs.set(msg.id, job);
  let phase: FailurePhase = 'decompress';
  try {
    let src: Readable;
    if (msg.source.kind === 'stream') {
      job.input = streamInput(msg.id, job);
      src = (await decompressStream(job.input, msg.what)).stream;
    } else {
      src = (await openDecompressed(msg.source.path, msg.what)).stream;
    }
    phase = 'unpack';
    const lowers =
      msg.lowers ??
      (() =>
        new Promise<string[]>((resolve, reject) => {
          job.lowers = { resolve, reject };
          send({ type: 'lowers?', id: msg.id });
        }));
    try {
      const result = await unpackLayer(src, msg.root, lowers, msg.limits);
      send({ type: 'done', id: msg.id, result });
    } finally {
      src.destroy();
    }
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    send({ type: 'failed', id: msg.id, phase, name: e.name, message: e.message });
  } finally {
    job.input?.destroy();
    jobs.delete(msg.id);
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'start') {
    void run(msg);
    return;
  }
  const job = jobs.get(msg.id);
  if (job === undefined) return; // finished already: late bytes or answers are dropped
  switch (msg.type) {
    case 'chunk': {
      const data = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength);
      if (job.input?.push(data)) send({ type: 'credit', id: msg.id, bytes: data.length });
      else job.owed += data.length;
      break;
    }
    case 'end':
      job.input?.push(null);
      break;
    case 'abort':
      job.input?.destroy(new Error(msg.message));
      break;
    case 'lowers':
      job.lowers?.resolve(msg.dirs);
      break;
    case 'lowers-failed':
      job.lowers?.reject(new Error(msg.message));
      break;
  }
});
