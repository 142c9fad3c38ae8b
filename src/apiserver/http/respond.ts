// Writing responses: JSON/YAML bodies, Status errors, and `Warning` headers (warnings.ts), which kubectl
// prints as `Warning: text`.

import type { ServerResponse } from 'node:http';
import { stringify } from 'yaml';
import { ObjectTooLargeError } from '../../store/types.js';
import { ApiError, internalError, type StatusBody } from '../errors.js';
import { warningHeaders } from './warnings.js';

export interface SendOptions {
  contentType?: string;
  warnings?: string[];
  yaml?: boolean;
  headers?: Record<string, string>;
}

export function send(res: ServerResponse, code: number, body: unknown, options: SendOptions = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = options.yaml ? stringify(body) : JSON.stringify(body);
  const contentType = options.contentType ?? (options.yaml ? 'application/yaml' : 'application/json');
  const headers: Record<string, string | string[]> = {
    'Content-Type': contentType,
    'Cache-Control': 'no-cache, private',
    ...(options.headers ?? {}),
  };
  const warnings = warningHeaders(options.warnings ?? []);
  if (warnings.length > 0) headers.Warning = warnings;
  res.writeHead(code, headers);
  res.end(options.yaml ? text : `${text}\n`);
}

export function sendStatus(res: ServerResponse, status: StatusBody, warnings?: string[]): void {
  // As upstream's error writer: a Status that suggests a retry delay says so in Retry-After too.
  const retry = status.details?.retryAfterSeconds ?? 0;
  send(res, status.code, status, {
    warnings,
    ...(retry > 0 ? { headers: { 'Retry-After': String(retry) } } : {}),
  });
}

/** The Status an error is answered with. */
export function errorStatus(err: unknown): StatusBody {
  if (err instanceof ApiError) return err.status;
  // What upstream's ErrorToAPIStatus makes of a storage error it does not know: a 500 with etcd's message
  // and no reason (kubectl prints `Error from server: etcdserver: request is too large`).
  if (err instanceof ObjectTooLargeError) {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: err.message,
      code: 500,
    };
  }
  return internalError(err).status;
}

/**
 * Answers with the error's Status. It never throws: when the Status itself cannot be built or written (a
 * message too long for a string, a broken socket), the answer is a fixed 500, or the connection is cut.
 */
export function sendError(res: ServerResponse, err: unknown, warnings?: string[]): void {
  try {
    sendStatus(res, errorStatus(err), warnings);
  } catch (failure) {
    sendFallbackError(res, failure);
  }
}

const FALLBACK_STATUS = JSON.stringify({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'Internal error occurred: the server could not write the error for this request',
  reason: 'InternalError',
  code: 500,
});

function sendFallbackError(res: ServerResponse, failure: unknown): void {
  try {
    const why = failure instanceof Error ? failure.name : 'unknown';
    console.error(`podrun apiserver: could not write an error reply (${why}); sent a plain 500 instead`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(500, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.end(`${FALLBACK_STATUS}\n`);
  } catch {
    res.destroy();
  }
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, private' });
  res.end(text);
}
