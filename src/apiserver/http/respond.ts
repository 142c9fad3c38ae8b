// Writing responses: JSON/YAML bodies, Status errors, and `Warning` headers in RFC 7234 form
// (`299 - "text"`), which kubectl prints as `Warning: text`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringify } from 'yaml';
import { ApiError, internalError, type StatusBody } from '../errors.js';

export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}

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
  if (options.warnings && options.warnings.length > 0) headers.Warning = options.warnings.map(warningHeader);
  res.writeHead(code, headers);
  res.end(options.yaml ? text : `${text}\n`);
}

export function sendStatus(res: ServerResponse, status: StatusBody, warnings?: string[]): void {
  send(res, status.code, status, { warnings });
}

export function sendError(res: ServerResponse, err: unknown, warnings?: string[]): void {
  const api = err instanceof ApiError ? err : internalError(err);
  sendStatus(res, api.status, warnings);
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

/** The query string as a map of first values. */
export function queryOf(req: IncomingMessage): URLSearchParams {
  const url = new URL(req.url ?? '/', 'http://localhost');
  return url.searchParams;
}
