// One exec or attach, whatever carries it: the client's frames to the process (stdin, resize, stdin's close),
// its output to the client, and at the end the Status. The transports (ws-channels.ts for the WebSocket
// channel protocol, spdy-channels.ts for SPDY streams) only turn their own framing into ClientFrames and
// output calls; what an exec or attach means is here, once.

import type { Readable } from 'node:stream';
import type { ContainerStream, StreamOptions, TerminalSize } from '../../runtime/types.js';
import {
  type ClientFrame,
  execEndStatus,
  internalErrorStatus,
  STDERR,
  STDIN,
  STDOUT,
  type StreamStatus,
  successStatus,
} from './channels.js';
import type { StreamTimings } from './timings.js';

/** How a stream ended, for tests and logs. */
export interface StreamEnd {
  status: StreamStatus;
}

/** The client's side of one exec or attach, as the transport carries it. */
export interface ClientChannels {
  /** Registers the two handlers; called once, before anything else. */
  listen(onFrame: (frame: ClientFrame) => void, onGone: () => void): void;
  /** Whether output can still be sent. */
  readonly open: boolean;
  /** Sends output; false when the client is behind (then `whenCaughtUp` says when to go on). */
  send(channel: typeof STDOUT | typeof STDERR, data: Buffer): boolean;
  whenCaughtUp(resume: () => void): void;
  /** Stops reading the client's input until `resumeInput` (the process reads stdin slower than it comes). */
  pauseInput(): void;
  resumeInput(): void;
  /** Sends the Status, then ends the connection the way the transport's clients expect. */
  finish(status: StreamStatus): void;
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

function ended(stream: Readable | null): Promise<void> {
  if (!stream || stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
  });
}

export async function serveChannels(
  client: ClientChannels,
  options: ChannelOptions,
  start: (size?: TerminalSize) => Promise<ContainerStream>,
  kind: 'exec' | 'attach',
  timings?: StreamTimings,
): Promise<StreamEnd> {
  let stream: ContainerStream | undefined;
  let clientGone = false;
  let paused = false;
  let detach: (() => void) | undefined;
  const early: ClientFrame[] = [];
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
      const i = early.findIndex((f) => f.kind === 'resize');
      if (i >= 0) {
        const f = early.splice(i, 1)[0]!;
        if (f.kind === 'resize') sized({ width: f.width, height: f.height });
      }
    });
  const onFrame = (frame: ClientFrame) => {
    if (!stream) {
      if (sized && frame.kind === 'resize') sized({ width: frame.width, height: frame.height });
      else early.push(frame);
      return;
    }
    if (frame.kind === 'stdin') {
      if (stream.stdin && !stream.stdin.writableEnded && !stream.stdin.write(frame.data) && !paused) {
        // Frames already received still arrive while paused: one wait for 'drain' covers them.
        paused = true;
        client.pauseInput();
        stream.stdin.once('drain', () => {
          paused = false;
          client.resumeInput();
        });
      }
    } else if (frame.kind === 'resize') {
      stream.resize({ width: frame.width, height: frame.height });
    } else if (frame.kind === 'close' && frame.channel === STDIN) {
      stream.stdin?.end();
      if (options.detachOnStdinEnd) detach?.();
    }
  };
  client.listen(onFrame, () => {
    clientGone = true;
    stream?.close();
  });

  const finish = (status: StreamStatus): StreamEnd => {
    if (client.open) client.finish(status);
    timings?.end('closed');
    return { status };
  };

  try {
    stream = await start(options.tty ? await firstSize() : undefined);
  } catch (e) {
    return finish(internalErrorStatus((e as Error).message));
  }
  timings?.mark('started');
  if (clientGone) {
    stream.close();
    return { status: successStatus() };
  }
  const s = stream;
  const forward = (source: Readable | null, channel: typeof STDOUT | typeof STDERR) => {
    source?.on('data', (chunk: Buffer) => {
      if (!client.open) return;
      if (!client.send(channel, chunk)) {
        source.pause();
        client.whenCaughtUp(() => source.resume());
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
  for (const f of early.splice(0)) onFrame(f);

  const code = await Promise.race([
    Promise.all([s.done, ended(s.stdout), ended(s.stderr)]).then(([c]) => c),
    detached.then(() => undefined),
  ]);
  timings?.mark('exited');
  if (kind === 'attach') {
    s.close();
    return finish(successStatus());
  }
  return finish(execEndStatus(code ?? 0));
}
