// One port-forward connection as the kubelet serves it (pkg/kubelet/cri/streaming/portforward/httpstream.go):
// for every local connection kubectl opens an `error` stream and a `data` stream with the same `requestid` and
// `port`; once both are there the pod's port is dialed and bytes are copied both ways. A failed dial writes its
// message on the error stream and closes both (kubectl then drops the connection and exits "lost connection to
// pod"). Connections are independent: several at once, each with its own socket.
import type { Duplex } from 'node:stream';
import type { Pod } from '../../../api/types.js';
import type { PodPortDialer } from '../../../kubelet/port-forward.js';
import type { PortForwardReader } from '../../../runtime/types.js';
import type { SpdyConnection, SpdyStream } from '../spdy/connection.js';
import { RST_PROTOCOL_ERROR } from '../spdy/frames.js';
import { FramePool } from '../spdy/sink.js';

/**
 * The frames the pods' bytes are read into, for every port-forward: 256 KiB per read keeps the frames large
 * (fewer messages for the client to take apart); a few buffers go round while a transfer runs.
 */
const READS = new FramePool(256 * 1024);

/** The kubelet's streamCreationTimeout: a pair whose second stream never comes is dropped after this. */
const PAIR_TIMEOUT_MS = 30_000;

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
  timer: NodeJS.Timeout;
}

export function servePortForward(conn: SpdyConnection, pod: Pod, dialer: PodPortDialer): void {
  const pairs = new Map<string, Pair>();
  const sockets = new Set<Duplex>();
  const waitingForDrain = new Set<Duplex>();

  conn.on('drain', () => {
    for (const s of waitingForDrain) s.resume();
    waitingForDrain.clear();
  });
  conn.on('close', () => {
    for (const p of pairs.values()) clearTimeout(p.timer);
    pairs.clear();
    for (const s of sockets) s.destroy();
    sockets.clear();
  });

  conn.on('stream', (stream: SpdyStream) => {
    const type = stream.header('streamtype');
    const port = Number(stream.header('port'));
    if ((type !== 'error' && type !== 'data') || !Number.isInteger(port) || port < 1 || port > 65535) {
      stream.reset(RST_PROTOCOL_ERROR);
      return;
    }
    // Clients before requestid paired the error stream (id n) with the data stream (id n+2).
    const requestId = stream.header('requestid') ?? String(type === 'error' ? stream.id : stream.id - 2);
    let pair = pairs.get(requestId);
    if (!pair) {
      const timer = setTimeout(() => {
        pairs.delete(requestId);
        pair?.error?.reset();
        pair?.data?.reset();
      }, PAIR_TIMEOUT_MS);
      timer.unref();
      pair = { timer };
      pairs.set(requestId, pair);
    }
    if (pair[type]) {
      stream.reset(RST_PROTOCOL_ERROR);
      return;
    }
    pair[type] = stream;
    if (pair.error && pair.data) {
      clearTimeout(pair.timer);
      pairs.delete(requestId);
      void forward(pair.error, pair.data, port);
    }
  });

  async function forward(errorStream: SpdyStream, data: SpdyStream, port: number): Promise<void> {
    // What the client sends while the pod's port is being dialed waits here (the request often comes
    // with the streams).
    const early: Buffer[] = [];
    let clientEnded = false;
    let clientReset = false;
    let socket: Duplex | undefined;
    let holding = false;
    data.on('data', (b: Buffer) => {
      if (!socket) {
        early.push(b);
        return;
      }
      if (!socket.write(b) && !holding) {
        // The pod reads slower than the client sends: the connection reads no more until this socket drains
        // (or goes, which must not leave the connection held).
        holding = true;
        conn.hold();
        const release = () => {
          if (!holding) return;
          holding = false;
          conn.release();
        };
        socket.once('drain', release);
        socket.once('close', release);
      }
    });
    data.on('end', () => {
      clientEnded = true;
      socket?.end();
    });
    data.on('reset', () => {
      clientReset = true;
      socket?.destroy();
    });
    // What the pod sends is read straight into the frames for the client (a runtime that reads into memory of
    // its own has it copied); a full connection pauses the socket until 'drain'.
    let dialed: Duplex | undefined;
    let pausedEarly = false;
    const fromPod: PortForwardReader = (chunk: Buffer): boolean => {
      if (data.writeRead(chunk, READS)) return true;
      if (dialed) waitingForDrain.add(dialed);
      else pausedEarly = true;
      return false;
    };
    fromPod.buffer = () => data.readBuffer(READS);
    try {
      dialed = await dialer.dial(pod, port, fromPod);
    } catch (e) {
      errorStream.write(Buffer.from((e as Error).message));
      errorStream.end();
      data.end();
      return;
    }
    if (conn.closed || clientReset) {
      dialed.destroy();
      return;
    }
    if (pausedEarly) waitingForDrain.add(dialed);
    socket = dialed;
    sockets.add(dialed);
    for (const b of early.splice(0)) dialed.write(b);
    if (clientEnded) dialed.end();
    let socketEnded = false;
    const target = dialed;
    target.on('end', () => {
      socketEnded = true;
      data.end();
    });
    target.on('close', () => {
      sockets.delete(target);
      waitingForDrain.delete(target);
      errorStream.end();
      data.end();
    });
    target.on('error', (e: Error) => {
      // As the kubelet: the copy's error goes to the client on the error stream.
      if (!socketEnded) errorStream.write(Buffer.from(`error forwarding port ${port}: ${e.message}`));
    });
  }
}
