// The WebSocket channel protocol as a ClientChannels: every message binary, its first byte the channel; the
// end is the Status on the error channel followed by a normal close (code 1000: client-go reports any other
// close, even after a Success, as an error).
import type { WebSocket } from 'ws';
import { decodeClientFrame, ERROR, encodeFrame, type RemoteCommandProtocol } from './channels.js';
import type { ClientChannels } from './serve-channels.js';

/** Past this much unsent output, the process's output waits for the client. */
const HIGH_WATER = 4 * 1024 * 1024;

export function webSocketChannels(ws: WebSocket, protocol: RemoteCommandProtocol): ClientChannels {
  return {
    listen(onFrame, onGone) {
      // Text messages count too, as in the kubelet's wsstream: the Python client sends stdin given as str in
      // them.
      ws.on('message', (data) => {
        const message = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        const frame = decodeClientFrame(message, protocol);
        if (frame.kind !== 'ignored') onFrame(frame);
      });
      ws.on('close', onGone);
      ws.on('error', () => {});
    },
    get open() {
      return ws.readyState === ws.OPEN;
    },
    send(channel, data) {
      ws.send(encodeFrame(channel, data));
      return ws.bufferedAmount <= HIGH_WATER;
    },
    whenCaughtUp(resume) {
      const wait = () => {
        if (ws.readyState !== ws.OPEN || ws.bufferedAmount <= HIGH_WATER / 2) resume();
        else setTimeout(wait, 10);
      };
      setTimeout(wait, 10);
    },
    pauseInput: () => ws.pause(),
    resumeInput: () => ws.resume(),
    finish(status) {
      // The close goes out once the Status has been written, never in the same write: the two sent in one
      // tick behind output still being written were flushed together (one writev), and Node's TLS layer makes
      // one TLS record of a writev. The Python client (kubernetes' ws_client, 22.x) polls the raw socket before
      // each frame it reads, so a close frame left in OpenSSL's buffer behind the Status was never read: its
      // exec waited for ws's 30 s close timeout and reported returncode None.
      ws.send(encodeFrame(ERROR, JSON.stringify(status)), () => ws.close(1000));
    },
  };
}
