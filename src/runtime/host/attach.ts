// Attach (`kubectl attach`, `kubectl run -i`): every container's shim listens on a unix socket in the
// records directory (podrun-shim.pl, attach_open) and fans the container's output out to whoever connects;
// a container made with `stdin: true` also takes input there, and one with `tty: true` runs on a
// pseudo-terminal the shim holds, so resizes go there too. The socket outlives podrun with the shim.
//
// Frames both ways are a type byte, a big-endian u32 length and the bytes: 1 stdout and 2 stderr from the
// shim; 0 stdin, 3 stdin closed and 4 resize ("<rows> <cols>") to it.

import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { type ContainerStream, RuntimeError, type StreamOptions, type TerminalSize } from '../types.js';
import type { ContainerRecord } from './records.js';
import type { SpecEntry } from './spec.js';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STDIN_CLOSED = 3;
const RESIZE = 4;

/**
 * The socket's path: short, as a unix socket path must fit in 108 bytes (the records directory is a few
 * dozen; a container id is 64 characters, 32 of which are unique enough).
 */
export function attachSocketPath(records: string, id: string): string {
  return join(records, 'attach', id.slice(0, 32));
}

/** The `start` request's entries for the container's stdin, terminal and attach socket. */
export function attachEntries(records: string, rec: ContainerRecord): SpecEntry[] {
  const path = attachSocketPath(records, rec.id);
  const entries: SpecEntry[] = [
    ['mkdir', join(records, 'attach')],
    ['attach', path],
  ];
  if (rec.config.stdin) entries.push(['stdin', '1']);
  if (rec.config.stdinOnce) entries.push(['stdinonce', '1']);
  if (rec.config.tty) entries.push(['tty', '1']);
  return entries;
}

function frame(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(type, 0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Connects to the running container's attach socket (its shim's, under the records directory). */
export function attachContainer(
  rec: ContainerRecord,
  records: string,
  options: StreamOptions,
): Promise<ContainerStream> {
  const path = attachSocketPath(records, rec.id);
  const tty = rec.config.tty === true;
  return new Promise<ContainerStream>((resolve, reject) => {
    const socket: Socket = connect(path);
    socket.once('error', (e) =>
      // Its shim does not listen: it ended just now, or an older podrun started it (no attach socket).
      reject(new RuntimeError('Unsupported', `cannot attach to container ${rec.id}: ${e.message}`)),
    );
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      socket.on('error', () => {});
      resolve(wrap(socket, rec, options, tty));
    });
  });
}

function wrap(socket: Socket, rec: ContainerRecord, options: StreamOptions, tty: boolean): ContainerStream {
  const stdout = options.stdout ? new PassThrough() : null;
  // Under a terminal the container has one output; without one, stderr goes where the client asked.
  const stderr = options.stderr && !tty ? new PassThrough() : null;
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 5) {
      const len = pending.readUInt32BE(1);
      if (pending.length < 5 + len) break;
      const type = pending[0];
      const body = pending.subarray(5, 5 + len);
      pending = pending.subarray(5 + len);
      const out = type === STDOUT ? stdout : type === STDERR ? stderr : null;
      // A slow client slows the socket; the shim drops it if it falls far behind.
      if (out && !out.write(body)) {
        socket.pause();
        out.once('drain', () => socket.resume());
      }
    }
  });
  const done = new Promise<number | undefined>((resolve) => {
    socket.on('close', () => {
      stdout?.end();
      stderr?.end();
      resolve(undefined);
    });
  });
  const stdin =
    options.stdin && rec.config.stdin
      ? new Writable({
          write(chunk: Buffer, _enc, cb) {
            if (socket.destroyed) return cb();
            socket.write(frame(STDIN, chunk), () => cb());
          },
          final(cb) {
            if (!socket.destroyed) socket.write(frame(STDIN_CLOSED, Buffer.alloc(0)));
            cb();
          },
        })
      : null;
  const resize = (size: TerminalSize) => {
    if (!tty || size.width < 1 || size.height < 1 || socket.destroyed) return;
    socket.write(frame(RESIZE, Buffer.from(`${Math.floor(size.height)} ${Math.floor(size.width)}`)));
  };
  if (options.size) resize(options.size);
  return {
    stdin,
    stdout,
    stderr,
    resize,
    done,
    close() {
      socket.destroy();
    },
  };
}
