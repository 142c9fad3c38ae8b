// Where a stream's time goes, measured by the server itself: with PODRUN_STREAM_TIMINGS=1 in its environment,
// `podrun serve` writes one line to stderr per exec or attach once its end is written, with the milliseconds
// from the upgrade request's arrival (the HTTP server's 'upgrade' event: the request read and parsed) to each
// step. The exec benchmark (bench/exec.ts) reads these lines for the server's share of `kubectl exec`;
// docs/debugging.md shows how to read them. Off (the default), every call is a no-op.

import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';

export const STREAM_TIMINGS_ENV = 'PODRUN_STREAM_TIMINGS';
/** What starts each line; the rest is JSON (StreamTimingsLine). */
export const STREAM_TIMINGS_PREFIX = 'podrun stream-timings ';

/** The steps, in the order they happen; a step a stream never reaches is absent from its line. */
export type StreamStep =
  /** authenticated and authorized */
  | 'admitted'
  /** the pod read and the request checked */
  | 'checked'
  /** the 101 written (WebSocket), or the SPDY streams the request needs all opened */
  | 'upgraded'
  /** the runtime says the command runs (exec) or the attachment is made */
  | 'started'
  /** the runtime reported the command's exit code and its output ended */
  | 'exited'
  /** the Status and the end of the connection (WebSocket close frame, SPDY GOAWAY) handed to the socket */
  | 'closed';

export interface StreamTimingsLine {
  kind: string;
  /** namespace/name of the pod */
  pod: string;
  /** ms since the upgrade request arrived */
  ms: Partial<Record<StreamStep, number>>;
}

export interface StreamTimings {
  mark(step: StreamStep): void;
  /** Marks the last step and writes the line (once). */
  end(step: StreamStep): void;
}

const NONE: StreamTimings = { mark() {}, end() {} };

export function streamTimingsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[STREAM_TIMINGS_ENV];
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}

let write: ((line: string) => void) | undefined = streamTimingsEnabled() ? stderrLine : undefined;
const byRequest = new WeakMap<IncomingMessage, StreamTimings>();

/** Where the lines go from now on (tests); undefined turns the timings off. */
export function setStreamTimingsOutput(output: ((line: string) => void) | undefined): void {
  write = output;
}

/** Starts the clock of the upgrade request `req` (call at its arrival); later calls return the same one. */
export function requestTimings(req: IncomingMessage): StreamTimings {
  const out = write;
  if (!out) return NONE;
  const known = byRequest.get(req);
  if (known) return known;
  const t0 = performance.now();
  const line: StreamTimingsLine = { kind: '', pod: '', ms: {} };
  let written = false;
  const timings: StreamTimings = {
    mark(step) {
      line.ms[step] = Math.round((performance.now() - t0) * 1000) / 1000;
    },
    end(step) {
      timings.mark(step);
      if (written) return;
      written = true;
      // /api/v1/namespaces/{ns}/pods/{name}/{subresource}?…
      const s = (req.url ?? '').split('?')[0]!.split('/');
      line.kind = s[7] ?? '';
      line.pod = `${s[4] ?? ''}/${s[6] ?? ''}`;
      out(`${STREAM_TIMINGS_PREFIX}${JSON.stringify(line)}`);
    },
  };
  byRequest.set(req, timings);
  return timings;
}

function stderrLine(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The timings in a line of stderr, or undefined when the line is not one. */
export function parseStreamTimingsLine(line: string): StreamTimingsLine | undefined {
  const i = line.indexOf(STREAM_TIMINGS_PREFIX);
  if (i < 0) return undefined;
  try {
    return JSON.parse(line.slice(i + STREAM_TIMINGS_PREFIX.length)) as StreamTimingsLine;
  } catch {
    return undefined;
  }
}
