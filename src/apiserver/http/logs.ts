// GET pods/{name}/log: the API server's half of `kubectl logs` (pkg/registry/core/pod/rest/log.go): parse
// and validate PodLogOptions, pick the container (strategy.go LogLocation), then stream what the kubelet's
// log source writes. Errors before the first byte are a 400 Status with the kubelet's message.

import type { ServerResponse } from 'node:http';
import { CONTAINER_ID_HEADER } from '../../api/log-headers.js';
import type { Pod } from '../../api/types.js';
import { type ContainerLogSource, LogError, type LogOptions } from '../../kubelet/types.js';
import { ApiError, badRequest, type InvalidCause, invalid } from '../errors.js';
import { resolvePodContainer } from '../pod-container.js';
import type { Registry } from '../registry.js';
import { queryBool, queryInt } from './query.js';
import { sendError } from './respond.js';

const POD_LOG_OPTIONS = { group: '', kind: 'PodLogOptions' };

function cause(field: string, value: string, detail: string): InvalidCause {
  return {
    reason: 'FieldValueInvalid',
    field,
    body: `Invalid value: ${value}: ${detail}`,
    full: `${field}: Invalid value: ${value}: ${detail}`,
  };
}

/** PodLogOptions from the query, checked as ValidatePodLogOptions does. */
export function parseLogOptions(
  query: URLSearchParams,
  podName: string,
): Omit<LogOptions, 'container'> & { container?: string } {
  const tailLines = queryInt(query, 'tailLines');
  const limitBytes = queryInt(query, 'limitBytes');
  const sinceSeconds = queryInt(query, 'sinceSeconds');
  const sinceTimeText = query.get('sinceTime');
  const causes: InvalidCause[] = [];
  if (tailLines !== undefined && tailLines < 0) {
    causes.push(cause('tailLines', String(tailLines), 'must be greater than or equal to 0'));
  }
  if (limitBytes !== undefined && limitBytes < 1) {
    causes.push(cause('limitBytes', String(limitBytes), 'must be greater than 0'));
  }
  if (sinceSeconds !== undefined && sinceTimeText) {
    causes.push({
      reason: 'FieldValueForbidden',
      field: '',
      body: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
      full: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
    });
  }
  if (sinceSeconds !== undefined && sinceSeconds < 1) {
    causes.push(cause('sinceSeconds', String(sinceSeconds), 'must be greater than 0'));
  }
  let sinceTime: number | undefined;
  if (sinceTimeText) {
    sinceTime = Date.parse(sinceTimeText);
    if (Number.isNaN(sinceTime)) throw badRequest(`sinceTime: invalid RFC3339 time "${sinceTimeText}"`);
  }
  const stream = query.get('stream') ?? undefined;
  if (stream !== undefined && !['All', 'Stdout', 'Stderr'].includes(stream)) {
    causes.push({
      reason: 'FieldValueNotSupported',
      field: 'stream',
      body: `Unsupported value: "${stream}": supported values: "All", "Stderr", "Stdout"`,
      full: `stream: Unsupported value: "${stream}": supported values: "All", "Stderr", "Stdout"`,
    });
  }
  if (causes.length > 0) throw invalid(POD_LOG_OPTIONS, podName, causes);
  const out: Omit<LogOptions, 'container'> & { container?: string } = {};
  const container = query.get('container');
  if (container) out.container = container;
  const follow = queryBool(query, 'follow');
  if (follow !== undefined) out.follow = follow;
  const previous = queryBool(query, 'previous');
  if (previous !== undefined) out.previous = previous;
  const timestamps = queryBool(query, 'timestamps');
  if (timestamps !== undefined) out.timestamps = timestamps;
  if (tailLines !== undefined) out.tailLines = tailLines;
  if (limitBytes !== undefined) out.limitBytes = limitBytes;
  if (sinceSeconds !== undefined) out.sinceSeconds = sinceSeconds;
  if (sinceTime !== undefined) out.sinceTime = sinceTime;
  if (stream !== undefined) out.stream = stream as LogOptions['stream'];
  return out;
}

/** Settles when `res` can take more ('drain') or is gone ('close'). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export async function serveLogs(
  registry: Registry,
  logs: ContainerLogSource,
  namespace: string,
  name: string,
  query: URLSearchParams,
  res: ServerResponse,
): Promise<void> {
  const options = parseLogOptions(query, name);
  const pod = (await registry.get('pods', namespace, name)) as unknown as Pod;
  const container = resolvePodContainer(pod, options.container);
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  let started = false;
  let containerID: string | undefined;
  const start = () => {
    if (started) return;
    started = true;
    res.writeHead(200, {
      'Content-Type': 'text/plain',
      'Cache-Control': 'no-cache, private',
      ...(options.follow ? { 'Transfer-Encoding': 'chunked' } : {}),
      ...(containerID ? { [CONTAINER_ID_HEADER]: containerID } : {}),
    });
  };
  try {
    await logs.containerLogs(
      pod,
      { ...options, container },
      (chunk) => {
        if (controller.signal.aborted) return;
        start();
        if (res.write(chunk)) return;
        // The socket is full (a client reading slowly, or not at all): the reader waits here instead of
        // piling the log into memory; 'close' (the client left) wakes it to stop.
        return drained(res);
      },
      controller.signal,
      (id) => {
        containerID = id;
        // A follower's client learns which run it reads before that run writes anything (it may be silent
        // for long): `podrun logs -f` reads an older run first when the server has moved on.
        if (options.follow) {
          start();
          res.flushHeaders();
        }
      },
    );
  } catch (e) {
    if (controller.signal.aborted) return;
    if (!started) {
      sendError(res, e instanceof LogError ? badRequest(e.message) : e instanceof ApiError ? e : e);
      return;
    }
    // Once bytes have gone out there is no status to change; the stream just ends.
  }
  start();
  if (!res.writableEnded) res.end();
}
