// Runs the actions containers declare: probe handlers (exec, httpGet, tcpSocket, grpc: pkg/kubelet/prober,
// pkg/probe/*) and lifecycle hooks (exec, httpGet, sleep: pkg/kubelet/lifecycle/handlers.go), with the
// kubelet's messages. Timeouts run on the injected clock.
import type { LifecycleHandler } from 'kubernetes-types/core/v1.js';
import type { Container, Pod, Probe } from '../api/types.js';
import type { RuntimeService } from '../runtime/types.js';
import type { Clock } from '../util/clock.js';
import { goQuote, goSlice } from '../util/go-format.js';
import { formatPod, podRef } from './pod-util.js';
import { doGrpcHealthCheck } from './prober/grpc-probe.js';
import {
  doHttpGet,
  doTcpDial,
  httpTargetFor,
  MAX_OUTPUT_BYTES,
  raceDeadline,
  resolveContainerPort,
} from './prober/net-probes.js';
import type { EventRecorder } from './types.js';

export type { LifecycleHandler } from 'kubernetes-types/core/v1.js';
/** The action half of a Probe (v1.ProbeHandler). */
export type ProbeHandler = Pick<Probe, 'exec' | 'httpGet' | 'tcpSocket' | 'grpc'>;

export interface HandlerContext {
  runtime: RuntimeService;
  /** The runtime's container id; a `<runtime>://<id>` containerID is accepted too. */
  containerId: string;
  /** Default host for httpGet/tcpSocket/grpc. */
  podIP: string;
  /** Probe: the probe's timeoutSeconds. Hook: an upper bound (the kubelet gives exec hooks none: pass 0). */
  timeoutSeconds: number;
  clock: Clock;
  signal?: AbortSignal;
  /** Resolves named ports (`port: http`) and names the container in hook messages. */
  container?: Container;
  /** Names the pod in hook messages (`web_default(uid)`) and receives the LifecycleHTTPFallback event. */
  pod?: Pod;
  /**
   * `lifecycle` (default): hook semantics: an httpGet succeeds on any response, failures carry the kubelet's
   * hook message. `probe`: probe semantics: 200 ≤ code < 400, the message is the probe output.
   */
  purpose?: 'lifecycle' | 'probe';
  /** Where a lifecycle HTTPS→HTTP fallback is reported. */
  events?: EventRecorder;
}

export interface HandlerOutcome {
  ok: boolean;
  /**
   * Probe: the output the kubelet puts after `Liveness probe failed: ` (exec output, `HTTP probe failed with
   * statuscode: 500`, `dial tcp …: connect: connection refused`). Hook: '' on success, else the kubelet's
   * FailedPostStartHook/FailedPreStopHook text (`Exec lifecycle hook ([sh -c exit 1]) for Container "app" in
   * Pod "web_default(uid)" failed - error: command 'sh -c exit 1' exited with 1: , message: ""`).
   */
  message: string;
}

/** probe.Result plus the error text of a probe that could not run (the kubelet's "errored" case). */
export interface ProbeOutcome {
  result: 'success' | 'warning' | 'failure' | 'unknown';
  output: string;
  /** Set when result is `unknown`: why the probe could not run (bad port, runtime error). */
  error?: string;
}

/** Runs a probe handler or lifecycle hook once and reports whether it passed. */
export async function runHandler(
  handler: LifecycleHandler | ProbeHandler,
  ctx: HandlerContext,
): Promise<HandlerOutcome> {
  if (ctx.purpose === 'probe') {
    const r = await runProbeHandler(handler as ProbeHandler, ctx);
    return {
      ok: r.result === 'success' || r.result === 'warning',
      message: r.result === 'unknown' ? (r.error ?? '') : r.output,
    };
  }
  let err: string | null;
  try {
    err = await runLifecycleHook(handler as LifecycleHandler, ctx);
  } catch (e) {
    err = `Cannot run handler: ${(e as Error)?.message ?? String(e)}`;
  }
  return { ok: err === null, message: err ?? '' };
}

function runtimeId(containerId: string): string {
  const i = containerId.indexOf('://');
  return i >= 0 ? containerId.slice(i + 3) : containerId;
}

function truncate(s: string): string {
  const b = Buffer.from(s, 'utf8');
  return b.length <= MAX_OUTPUT_BYTES ? s : b.subarray(0, MAX_OUTPUT_BYTES).toString('utf8');
}

interface ExecOutcome {
  output: string;
  /** null on exit 0; Go's error text otherwise. */
  error: string | null;
  timedOut: boolean;
  /** The runtime could not run the command at all (not a non-zero exit). */
  runtimeError: boolean;
}

/**
 * RunInContainer over the CRI ExecSync: stdout then stderr (the kubelet does not interleave them), and the
 * remote runtime's error texts (`command 'x' exited with 1: <stderr>`, `command "x" timed out`).
 */
async function execInContainer(cmd: string[], ctx: HandlerContext): Promise<ExecOutcome> {
  const joined = cmd.join(' ');
  const timedOutText = `command ${JSON.stringify(joined)} timed out`;
  const raced = await raceDeadline(ctx.clock, ctx.timeoutSeconds * 1000, ctx.signal, () =>
    ctx.runtime.execSync(runtimeId(ctx.containerId), cmd, ctx.timeoutSeconds),
  ).catch((err: unknown) => ({ kind: 'error' as const, err }));
  if (raced.kind === 'error') {
    return {
      output: '',
      error: (raced.err as Error)?.message ?? String(raced.err),
      timedOut: false,
      runtimeError: true,
    };
  }
  if (raced.kind === 'timeout')
    return { output: '', error: timedOutText, timedOut: true, runtimeError: false };
  if (raced.kind === 'aborted')
    return { output: '', error: 'context canceled', timedOut: false, runtimeError: true };
  const r = raced.value;
  if (r.timedOut) return { output: '', error: timedOutText, timedOut: true, runtimeError: false };
  const output = r.stdout + r.stderr;
  if (r.exitCode === 0) return { output, error: null, timedOut: false, runtimeError: false };
  return {
    output,
    error: `command '${joined}' exited with ${r.exitCode}: ${r.stderr}`,
    timedOut: false,
    runtimeError: false,
  };
}

/** prober.runProbe: one attempt, without retries or events (the prober manager adds those). Never rejects. */
export async function runProbeHandler(handler: ProbeHandler, ctx: HandlerContext): Promise<ProbeOutcome> {
  try {
    return await probeOnce(handler, ctx);
  } catch (err) {
    // Anything unexpected (a malformed address, a runtime bug) is a probe that could not run.
    return { result: 'unknown', output: '', error: (err as Error)?.message ?? String(err) };
  }
}

async function probeOnce(handler: ProbeHandler, ctx: HandlerContext): Promise<ProbeOutcome> {
  const timeoutMs = ctx.timeoutSeconds * 1000;
  if (handler.exec) {
    const r = await execInContainer(handler.exec.command ?? [], ctx);
    // With ExecProbeTimeout (GA) a timeout is a failure whose output is the timeout text.
    if (r.timedOut) return { result: 'failure', output: r.error ?? '' };
    if (r.runtimeError) return { result: 'unknown', output: '', error: r.error ?? '' };
    return { result: r.error === null ? 'success' : 'failure', output: truncate(r.output) };
  }
  if (handler.httpGet) {
    let target: ReturnType<typeof httpTargetFor>;
    try {
      target = httpTargetFor(handler.httpGet, ctx.container, ctx.podIP, 'probe');
    } catch (err) {
      return { result: 'unknown', output: '', error: (err as Error).message };
    }
    const r = await doHttpGet(target, timeoutMs, ctx.clock, ctx.signal);
    return r.outcome;
  }
  if (handler.tcpSocket) {
    let port: number;
    try {
      port = resolveContainerPort(handler.tcpSocket.port, ctx.container);
    } catch (err) {
      return { result: 'unknown', output: '', error: (err as Error).message };
    }
    const r = await doTcpDial(handler.tcpSocket.host || ctx.podIP, port, timeoutMs, ctx.clock, ctx.signal);
    return { result: r.result, output: r.output };
  }
  if (handler.grpc) {
    const port = handler.grpc.port;
    if (!(port > 0 && port < 65536))
      return { result: 'unknown', output: '', error: `invalid port number: ${port}` };
    const r = await doGrpcHealthCheck(
      ctx.podIP,
      port,
      handler.grpc.service ?? '',
      timeoutMs,
      ctx.clock,
      ctx.signal,
    );
    return { result: r.result, output: r.output };
  }
  const pod = formatPod(ctx.pod);
  return {
    result: 'unknown',
    output: '',
    error: `missing probe handler for ${pod}:${ctx.container?.name ?? ''}`,
  };
}

/**
 * handlerRunner.Run: returns null when the hook succeeded, else the message the kubelet records with the
 * FailedPostStartHook / FailedPreStopHook event.
 */
async function runLifecycleHook(handler: LifecycleHandler, ctx: HandlerContext): Promise<string | null> {
  const who = `for Container ${JSON.stringify(ctx.container?.name ?? '')} in Pod ${JSON.stringify(formatPod(ctx.pod))}`;
  if (handler.exec) {
    const cmd = handler.exec.command ?? [];
    const r = await execInContainer(cmd, ctx);
    if (r.error === null) return null;
    return `Exec lifecycle hook (${goSlice(cmd)}) ${who} failed - error: ${r.error}, message: ${goQuote(r.output)}`;
  }
  if (handler.httpGet) {
    const err = await runHttpHook(handler, ctx);
    if (err === null) return null;
    return `HTTP lifecycle hook (${handler.httpGet.path ?? ''}) ${who} failed - error: ${err}`;
  }
  if (handler.sleep) {
    const seconds = handler.sleep.seconds;
    try {
      await ctx.clock.sleep(seconds * 1000, ctx.signal);
      return null;
    } catch {
      return `Sleep lifecycle hook (${seconds}) ${who} failed - error: container terminated before sleep hook finished`;
    }
  }
  // tcpSocket is accepted by the API for compatibility but no kubelet runs it as a hook.
  const kinds = Object.keys(handler).join(', ') || 'none';
  return `Cannot run handler: invalid handler: no exec, httpGet or sleep action (found: ${kinds})`;
}

/**
 * runHTTPHandler: any response counts as success (the kubelet does not look at the status code of a hook);
 * only transport errors fail. An HTTPS hook answered by plain HTTP is retried over HTTP, as upstream does.
 */
async function runHttpHook(handler: LifecycleHandler, ctx: HandlerContext): Promise<string | null> {
  const action = handler.httpGet!;
  let target: ReturnType<typeof httpTargetFor>;
  try {
    target = httpTargetFor(action, ctx.container, ctx.podIP, 'lifecycle');
  } catch (err) {
    return (err as Error).message;
  }
  const timeoutMs = ctx.timeoutSeconds * 1000;
  const first = await doHttpGet(target, timeoutMs, ctx.clock, ctx.signal);
  if (first.status !== undefined) return null;
  if (
    target.scheme === 'https' &&
    first.outcome.output.endsWith('http: server gave HTTP response to HTTPS client')
  ) {
    const plain = {
      ...target,
      scheme: 'http' as const,
      headers: target.headers.filter(([n]) => n.toLowerCase() !== 'authorization'),
    };
    const second = await doHttpGet(plain, timeoutMs, ctx.clock, ctx.signal);
    if (second.status !== undefined) {
      if (ctx.pod && ctx.events) {
        ctx.events.event(
          podRef(ctx.pod),
          'Warning',
          'LifecycleHTTPFallback',
          `request to HTTPS lifecycle hook ${target.host}:${target.port} got HTTP response, retry with HTTP succeeded`,
        );
      }
      return null;
    }
  }
  return first.outcome.output;
}
