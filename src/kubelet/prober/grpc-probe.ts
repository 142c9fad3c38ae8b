// pkg/probe/grpc: the standard health check (grpc.health.v1.Health/Check) over plaintext HTTP/2, written
// against node:http2 so podrun needs no gRPC library. The request and response messages have one field each,
// so the protobuf encoding is done by hand.
import http2 from 'node:http2';
import type { Clock } from '../../util/clock.js';
import { goDuration, joinHostPort } from '../../util/go-format.js';
import { KUBE_VERSION, type NetProbeOutcome, raceDeadline } from './net-probes.js';

const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
const GRPC_CODES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/** HealthCheckRequest{service} framed as one uncompressed gRPC message. */
export function encodeHealthCheckRequest(service: string): Buffer {
  const s = Buffer.from(service, 'utf8');
  const msg = s.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, ...varint(s.length)]), s]);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

/** Reads HealthCheckResponse.status (field 1, varint) from a framed message; 0 (UNKNOWN) when absent. */
export function decodeHealthCheckStatus(frame: Buffer): number {
  if (frame.length < 5) return 0;
  const len = frame.readUInt32BE(1);
  const msg = frame.subarray(5, 5 + len);
  let i = 0;
  while (i < msg.length) {
    const key = msg[i++]!;
    const field = key >>> 3;
    const wire = key & 7;
    let value = 0;
    let shift = 0;
    if (wire === 0) {
      for (;;) {
        const b = msg[i++] ?? 0;
        value |= (b & 0x7f) << shift;
        shift += 7;
        if ((b & 0x80) === 0 || i >= msg.length) break;
      }
      if (field === 1) return value;
    } else if (wire === 2) {
      let l = 0;
      for (;;) {
        const b = msg[i++] ?? 0;
        l |= (b & 0x7f) << shift;
        shift += 7;
        if ((b & 0x80) === 0 || i >= msg.length) break;
      }
      i += l;
    } else {
      break;
    }
  }
  return 0;
}

/** grpc-message is percent-encoded; a malformed escape is kept as written. */
function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export async function doGrpcHealthCheck(
  host: string,
  port: number,
  service: string,
  timeoutMs: number,
  clock: Clock,
  signal?: AbortSignal,
): Promise<NetProbeOutcome & { aborted?: boolean }> {
  const addr = joinHostPort(host, port);
  let connected = false;
  const raced = await raceDeadline(clock, timeoutMs, signal, (cancel) => {
    return new Promise<NetProbeOutcome>((resolve) => {
      // Like Go's dialer, an empty host means the local system.
      const session = http2.connect(`http://${joinHostPort(host || 'localhost', port)}`);
      const finish = (o: NetProbeOutcome) => {
        session.destroy();
        resolve(o);
      };
      cancel.addEventListener('abort', () => session.destroy(), { once: true });
      // grpc.DialContext with WithBlock retries a refused connection until the deadline and then reports it
      // as a timeout; podrun reports the same text without waiting the deadline out.
      const connectFailed = () =>
        finish({
          result: 'failure',
          output: `timeout: failed to connect service ${JSON.stringify(addr)} within ${goDuration(timeoutMs)}: context deadline exceeded`,
        });
      session.on('error', connectFailed);
      session.on('connect', () => {
        connected = true;
      });
      const req = session.request({
        ':method': 'POST',
        ':path': '/grpc.health.v1.Health/Check',
        'content-type': 'application/grpc',
        te: 'trailers',
        'user-agent': `kube-probe/${KUBE_VERSION}`,
      });
      const chunks: Buffer[] = [];
      let grpcStatus: string | undefined;
      let grpcMessage = '';
      let gotResponse = false;
      const takeStatus = (h: http2.IncomingHttpHeaders) => {
        if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
        if (h['grpc-message'] !== undefined) grpcMessage = percentDecode(String(h['grpc-message']));
      };
      req.on('response', (h) => {
        gotResponse = true;
        takeStatus(h);
      });
      req.on('trailers', takeStatus);
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', () => {});
      req.on('close', () => {
        if (!gotResponse) {
          if (!connected) connectFailed();
          else
            finish({
              result: 'failure',
              output:
                'error: health rpc probe failed: rpc error: code = Unavailable desc = connection closed',
            });
          return;
        }
        const code = Number(grpcStatus ?? '2');
        if (code !== 0) {
          const name = GRPC_CODES[code] ?? `Code(${code})`;
          if (code === 12) {
            finish({
              result: 'failure',
              output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${grpcMessage}`,
            });
          } else {
            finish({
              result: 'failure',
              output: `error: health rpc probe failed: rpc error: code = ${name} desc = ${grpcMessage}`,
            });
          }
          return;
        }
        const status = decodeHealthCheckStatus(Buffer.concat(chunks));
        if (status !== 1) {
          finish({
            result: 'failure',
            output: `service unhealthy (responded with ${JSON.stringify(SERVING_STATUS[status] ?? String(status))})`,
          });
          return;
        }
        finish({ result: 'success', output: 'service healthy' });
      });
      req.end(encodeHealthCheckRequest(service));
    });
  });
  if (raced.kind === 'aborted')
    return { result: 'failure', output: 'error: health rpc probe failed: context canceled', aborted: true };
  if (raced.kind === 'timeout') {
    return {
      result: 'failure',
      output: connected
        ? `timeout: health rpc did not complete within ${goDuration(timeoutMs)}`
        : `timeout: failed to connect service ${JSON.stringify(addr)} within ${goDuration(timeoutMs)}: context deadline exceeded`,
    };
  }
  return raced.value;
}
