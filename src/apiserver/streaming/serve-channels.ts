// One exec or attach over an upgraded WebSocket: client frames to the process (stdin, resize, close), its
// output to the client, and at the end the Status on the error channel followed by a normal close (code
// 1000: client-go reports any other close, even after a Success, as an error).

import type { Readable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ContainerStream, StreamOptions, TerminalSize } from '../../runtime/types.js';
import {
  decodeClientFrame,
  ERROR,
  encodeFrame,
  execEndStatus,
  internalErrorStatus,
  type RemoteCommandProtocol,
  STDERR,
  STDIN,
  STDOUT,
  type StreamStatus,
  successStatus,
} from './channels.js';

/** How a stream ended, for tests and logs. */
export interface StreamEnd {
  status: StreamStatus;
}

export interface ChannelOptions extends StreamOptions {
  /**
   * Attach only: the client's stdin closing ends the attachment (containerd does so unless the container has
   * stdinOnce and no terminal, where the container's stdin closes instead and output goes on to its end).
   */
  detachOnStdinEnd?: boolean;
}

/** How long a terminal command waits for the client's first window size. */
const FIRST_SIZE_WAIT_MS = 1000;

/** Past this much unsent output, the process's output waits for the client. */
const HIGH_WATER = 4 * 1024 * 1024;

function ended(stream: Readable | null): Promise<void> {
  if (!stream || stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
  });
}

export async function serveChannels(
  ws: WebSocket,
  protocol: RemoteCommandProtocol,
  options: ChannelOptions,
  start: (size?: TerminalSize) => Promise<ContainerStream>,
  kind: 'exec' | 'attach',
): Promise<StreamEnd> {
  let stream: ContainerStream | undefined;
  let clientGone = false;
  let paused = false;
  let detach: (() => void) | undefined;
  const early: Buffer[] = [];
  let sized: ((size: TerminalSize | undefined) => void) | undefined;
  // A terminal command starts at the client's size (kubectl sends it first), so that what it prints at once
  // (a prompt, `stty size`) fits; a client that sends none gets the default after a short wait.
  const firstSize = () =>
    new Promise<TerminalSize | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), FIRST_SIZE_WAIT_MS);
      sized = (size) => {
        clearTimeout(timer);
        sized = undefined;
        resolve(size);
      };
      const i = early.findIndex((m) => decodeClientFrame(m, protocol).kind === 'resize');
      if (i >= 0) {
        const f = decodeClientFrame(early.splice(i, 1)[0]!, protocol);
        if (f.kind === 'resize') sized({ width: f.width, height: f.height });
      }
    });
  const onFrame = (message: Buffer) => {
    if (!stream) {
      const f = sized ? decodeClientFrame(message, protocol) : undefined;
      if (sized && f?.kind === 'resize') sized({ width: f.width, height: f.height });
      else early.push(message);
      return;
    }
    const frame = decodeClientFrame(message, protocol);
    if (frame.kind === 'stdin') {
      if (stream.stdin && !stream.stdin.writableEnded && !stream.stdin.write(frame.data) && !paused) {
        // Messages already received still arrive while paused: one wait for 'drain' covers them.
        paused = true;
        ws.pause();
        stream.stdin.once('drain', () => {
          paused = false;
          ws.resume();
        });
      }
    } else if (frame.kind === 'resize') {
      stream.resize({ width: frame.width, height: frame.height });
    } else if (frame.kind === 'close' && frame.channel === STDIN) {
      stream.stdin?.end();
      if (options.detachOnStdinEnd) detach?.();
    }
  };
  // Text messages count too, as in the kubelet's wsstream: the Python client sends stdin given as str in them.
  ws.on('message', (data) => {
    onFrame(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer));
  });
  ws.on('close', () => {
    clientGone = true;
    stream?.close();
  });
  ws.on('error', () => {});

  const finish = (status: StreamStatus): StreamEnd => {
    if (ws.readyState === ws.OPEN) {
      ws.send(encodeFrame(ERROR, JSON.stringify(status)));
      ws.close(1000);
    }
    return { status };
  };

  try {
    stream = await start(options.tty ? await firstSize() : undefined);
  } catch (e) {
    return finish(internalErrorStatus((e as Error).message));
  }
  if (clientGone) {
    stream.close();
    return { status: successStatus() };
  }
  const s = stream;
  const forward = (source: Readable | null, channel: number) => {
    source?.on('data', (chunk: Buffer) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(encodeFrame(channel, chunk));
      if (ws.bufferedAmount > HIGH_WATER) {
        source.pause();
        const wait = () => {
          if (ws.readyState !== ws.OPEN || ws.bufferedAmount <= HIGH_WATER / 2) source.resume();
          else setTimeout(wait, 10);
        };
        setTimeout(wait, 10);
      }
    });
  };
  forward(options.stdout ? s.stdout : null, STDOUT);
  forward(options.stderr ? s.stderr : null, STDERR);
  // Streams nobody reads are drained, so the process never blocks on them.
  if (!options.stdout) s.stdout?.resume();
  if (!options.stderr) s.stderr?.resume();
  s.stdin?.on('error', () => {});
  const detached = new Promise<void>((resolve) => {
    detach = resolve;
  });
  for (const m of early.splice(0)) onFrame(m);

  const code = await Promise.race([
    Promise.all([s.done, ended(s.stdout), ended(s.stderr)]).then(([c]) => c),
    detached.then(() => undefined),
  ]);
  if (kind === 'attach') {
    s.close();
    return finish(successStatus());
  }
  return finish(execEndStatus(code ?? 0));
}
