// The remote-command channel protocol (k8s.io/apimachinery pkg/util/remotecommand, client-go
// tools/remotecommand/websocket.go): every WebSocket message is binary, its first byte the channel. The
// error channel carries one metav1.Status at the end, in the kubelet's shapes (pkg/kubelet/cri/streaming/
// remotecommand/exec.go), which is how `kubectl exec` learns the command's exit code.

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;
/** v5 only: `[255, channel]` says the client closed that channel (kubectl sends `[255, 0]` at stdin's end). */
export const CLOSE = 255;

/** What the API server offers for exec and attach, best first; the base64 and pre-v4 protocols are not served. */
export const REMOTE_COMMAND_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export type RemoteCommandProtocol = (typeof REMOTE_COMMAND_PROTOCOLS)[number];

/** The protocol to answer with, from a Sec-WebSocket-Protocol header, or undefined when none is served. */
export function chooseProtocol(header: string | undefined): RemoteCommandProtocol | undefined {
  const offered = new Set((header ?? '').split(',').map((p) => p.trim()));
  return REMOTE_COMMAND_PROTOCOLS.find((p) => offered.has(p));
}

export function encodeFrame(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = channel;
  body.copy(out, 1);
  return out;
}

export type ClientFrame =
  | { kind: 'stdin'; data: Buffer }
  | { kind: 'resize'; width: number; height: number }
  | { kind: 'close'; channel: number }
  | { kind: 'ignored'; why: string };

/** One message from the client. Bad resize records and unknown channels are ignored, as the kubelet does. */
export function decodeClientFrame(message: Buffer, protocol: RemoteCommandProtocol): ClientFrame {
  if (message.length === 0) return { kind: 'ignored', why: 'empty message' };
  const channel = message[0]!;
  const body = message.subarray(1);
  if (channel === STDIN) return { kind: 'stdin', data: body };
  if (channel === RESIZE) {
    const size = parseResize(body.toString('utf8'));
    return size
      ? { kind: 'resize', ...size }
      : { kind: 'ignored', why: `bad resize record ${JSON.stringify(body.toString('utf8'))}` };
  }
  if (channel === CLOSE && protocol === 'v5.channel.k8s.io' && body.length === 1) {
    return { kind: 'close', channel: body[0]! };
  }
  return { kind: 'ignored', why: `unknown channel ${channel}` };
}

/**
 * The last complete size in resize records as Go's json.Encoder writes them (`{"Width":100,"Height":40}\n`, one
 * or more), or undefined when there is none.
 */
export function parseResize(text: string): { width: number; height: number } | undefined {
  const last = text.trim().split('\n').pop() ?? '';
  try {
    const size = JSON.parse(last) as { Width?: unknown; Height?: unknown };
    const width = Number(size.Width);
    const height = Number(size.Height);
    if (Number.isInteger(width) && Number.isInteger(height)) return { width, height };
  } catch {
    // not a record
  }
  return undefined;
}

/** The Status bodies of the error channel. */
export interface StreamStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes: { reason?: string; message: string }[] };
}

export function successStatus(): StreamStatus {
  return { metadata: {}, status: 'Success' };
}

/** A non-zero exit: kubectl exits with the code in the cause (which must fit in a byte). */
export function exitCodeStatus(code: number): StreamStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: command terminated with exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** apierrors.NewInternalError: kubectl prints `error: Internal error occurred: <why>` and exits 1. */
export function internalErrorStatus(why: string): StreamStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${why}`,
    reason: 'InternalError',
    code: 500,
    details: { causes: [{ message: why }] },
  };
}

/** The status an exec ends with: success for 0, else the exit code (clamped to a byte, as a wait status is). */
export function execEndStatus(code: number): StreamStatus {
  return code === 0 ? successStatus() : exitCodeStatus(code & 0xff || 1);
}
