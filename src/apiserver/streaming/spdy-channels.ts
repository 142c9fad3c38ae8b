// exec and attach over SPDY/3.1 as the kubelet serves them (pkg/kubelet/cri/streaming/remotecommand/
// httpstream.go): after the upgrade the client opens one stream per channel, named by its `streamType` header
// (error, stdin, stdout, stderr, resize), and the command starts once all it asked for are there. stdin's end
// is its stream's FIN; resize is a stream of Go json.Encoder records; the Status goes on the error stream as
// JSON (v4) or, before v4, as the bare message of a failure; then every stream is closed and the connection
// too. kubectl 1.32 offers v5 first, which the kubelet does not speak on SPDY: it gets v4.
import type { StreamOptions } from '../../runtime/types.js';
import { type ClientFrame, parseResize, STDERR, STDIN, type StreamStatus } from './channels.js';
import type { ClientChannels } from './serve-channels.js';
import type { SpdyConnection, SpdyStream } from './spdy/connection.js';

/** What the kubelet serves over SPDY, best first (k8s.io/apimachinery pkg/util/remotecommand constants.go). */
export const SPDY_REMOTE_COMMAND_PROTOCOLS = [
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
] as const;
export type SpdyRemoteCommandProtocol = (typeof SPDY_REMOTE_COMMAND_PROTOCOLS)[number];

/** The kubelet's default streamCreationTimeout. */
const STREAM_CREATION_TIMEOUT_MS = 30_000;

/** How long after the last frame a client that does not close its side is waited for. */
const CLOSE_GRACE_MS = 5_000;

type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

/**
 * Waits for the streams the request asked for (and an error stream), then gives the exec or attach its
 * ClientChannels; rejects, with the connection closed, when they do not all come in time.
 */
export function spdyChannels(
  conn: SpdyConnection,
  protocol: SpdyRemoteCommandProtocol,
  options: StreamOptions,
): Promise<ClientChannels> {
  const wanted = new Set<StreamType>(['error']);
  if (options.stdin) wanted.add('stdin');
  if (options.stdout) wanted.add('stdout');
  if (options.stderr) wanted.add('stderr');
  // v2 has no resize stream.
  if (options.tty && protocol !== 'v2.channel.k8s.io') wanted.add('resize');
  const streams = new Map<StreamType, SpdyStream>();
  // What the client sends before the command is listening (stdin, the first size) waits here.
  const pending: ClientFrame[] = [];
  let deliver: ((f: ClientFrame) => void) | undefined;
  let gone: (() => void) | undefined;
  let closed = false;
  const emit = (f: ClientFrame) => (deliver ? deliver(f) : pending.push(f));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error('timed out waiting for client to create streams'));
    }, STREAM_CREATION_TIMEOUT_MS);
    conn.on('close', () => {
      closed = true;
      clearTimeout(timer);
      if (streams.size < wanted.size) reject(new Error('the client left before creating its streams'));
      gone?.();
    });
    conn.on('stream', (stream: SpdyStream) => {
      const type = stream.header('streamtype') as StreamType | undefined;
      // Unknown or repeated types are ignored, as the kubelet's waitForStreams does (it logs them).
      if (!type || !wanted.has(type) || streams.has(type)) return;
      streams.set(type, stream);
      if (type === 'stdin') {
        stream.on('data', (data: Buffer) => emit({ kind: 'stdin', data }));
        const close = () => emit({ kind: 'close', channel: STDIN });
        stream.once('end', close);
        stream.once('reset', close);
      } else if (type === 'resize') {
        let text = '';
        stream.on('data', (b: Buffer) => {
          text += b.toString('utf8');
          const cut = text.lastIndexOf('\n');
          if (cut < 0) return;
          const size = parseResize(text.slice(0, cut));
          text = text.slice(cut + 1);
          if (size) emit({ kind: 'resize', ...size });
        });
      }
      if (streams.size < wanted.size) return;
      clearTimeout(timer);
      resolve(channels());
    });
  });

  function channels(): ClientChannels {
    const error = streams.get('error')!;
    const out = { 1: streams.get('stdout'), 2: streams.get('stderr') };
    return {
      listen(onFrame, onGone) {
        deliver = onFrame;
        gone = onGone;
        for (const f of pending.splice(0)) onFrame(f);
        if (closed) onGone();
      },
      get open() {
        return !closed;
      },
      send(channel, data) {
        return out[channel === STDERR ? 2 : 1]?.write(data) ?? true;
      },
      whenCaughtUp(resume) {
        if (closed) resume();
        else conn.once('drain', resume);
      },
      pauseInput: () => conn.hold(),
      resumeInput: () => conn.release(),
      finish(status: StreamStatus) {
        out[1]?.end();
        out[2]?.end();
        const body =
          protocol === 'v4.channel.k8s.io'
            ? JSON.stringify(status)
            : status.status === 'Failure'
              ? (status.message ?? '')
              : '';
        error.end(body ? Buffer.from(body) : undefined);
        conn.close();
        setTimeout(() => conn.destroy(), CLOSE_GRACE_MS).unref();
      },
    };
  }
}
