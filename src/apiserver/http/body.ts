// Reading request bodies: a size limit (the API server's 3 MiB), then JSON or YAML by Content-Type, with
// parse errors turned into a 400 that says where the body is broken.
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { type ApiError, badRequest, requestEntityTooLarge, unsupportedMediaType } from '../errors.js';
import { PATCH_CONTENT_TYPES, type PatchType } from '../patching.js';
import { decodeKubernetesProtobuf, ProtobufError } from '../protobuf/decode.js';
import { parseMediaType } from './negotiate.js';

/** The API server's maxRequestBodyBytes. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) throw requestEntityTooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw requestEntityTooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * How deep a body may nest. Go's decoder stops at 10,000 levels ("exceeded max depth"); podrun's recursive
 * code (decoding, cloning, patching) runs out of stack before 5,000, so it stops at 1,000, far beyond any
 * Kubernetes object, with a 400 rather than a stack overflow's 500.
 */
export const MAX_NESTING_DEPTH = 1000;

function tooDeep(where: string): ApiError {
  return badRequest(
    `the request body nests objects and lists deeper than ${MAX_NESTING_DEPTH} levels (${where}); no Kubernetes object needs that`,
  );
}

/** The offset where JSON text first opens a level past `max`, or -1. Strings are skipped. */
export function jsonNestingPastLimit(text: string, max = MAX_NESTING_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}

/** Whether a parsed value (YAML) nests past `max`; measured without recursion. */
export function valueNestsPastLimit(value: unknown, max = MAX_NESTING_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

function parseJson(text: string): unknown {
  const past = jsonNestingPastLimit(text);
  if (past >= 0) throw tooDeep(`at byte ${past}`);
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw badRequest(`the request body is not valid JSON: ${msg}`);
  }
}

function parseYamlBody(text: string): unknown {
  let value: unknown;
  try {
    value = parseYaml(text, { version: '1.1', uniqueKeys: true });
  } catch (e) {
    if (e instanceof RangeError) throw tooDeep('the YAML parser ran out of stack');
    const msg = e instanceof Error ? e.message : String(e);
    throw badRequest(`the request body is not valid YAML: ${msg}`);
  }
  if (valueNestsPastLimit(value)) throw tooDeep('in YAML');
  return value;
}

const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const OBJECT_TYPES = ['application/json', 'application/yaml', PROTOBUF];

function parseProtobuf(body: Buffer): unknown {
  try {
    return decodeKubernetesProtobuf(body);
  } catch (e) {
    if (e instanceof ProtobufError)
      throw badRequest(`the request body is not a valid Kubernetes protobuf object: ${e.message}`);
    throw e;
  }
}

/** A POST/PUT body: JSON (also when no Content-Type is given), YAML, or Kubernetes protobuf (typed clients). */
export async function readObjectBody(req: IncomingMessage): Promise<unknown> {
  const type = parseMediaType(req.headers['content-type'] ?? 'application/json').type || 'application/json';
  if (!OBJECT_TYPES.includes(type)) throw unsupportedMediaType(OBJECT_TYPES);
  const body = await readBody(req);
  if (type === PROTOBUF) return parseProtobuf(body);
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty; send the object as JSON or YAML');
  return type === 'application/yaml' ? parseYamlBody(text) : parseJson(text);
}

/** A PATCH body and its type; apply patches are YAML (JSON is YAML too). */
export async function readPatchBody(req: IncomingMessage): Promise<{ type: PatchType; patch: unknown }> {
  const mediaType = parseMediaType(req.headers['content-type'] ?? '').type;
  const type = PATCH_CONTENT_TYPES[mediaType];
  if (!type || mediaType === 'application/apply-patch+cbor') {
    throw unsupportedMediaType(Object.keys(PATCH_CONTENT_TYPES).filter((t) => !t.endsWith('cbor')));
  }
  const text = (await readBody(req)).toString('utf8');
  if (text.trim() === '') throw badRequest('the patch is empty');
  return { type, patch: type === 'apply' ? parseYamlBody(text) : parseJson(text) };
}

/** An optional body (DELETE's DeleteOptions). */
export async function readOptionalJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  const type = parseMediaType(req.headers['content-type'] ?? 'application/json').type || 'application/json';
  if (type === PROTOBUF && body.length > 0) return parseProtobuf(body);
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  return type === 'application/yaml' ? parseYamlBody(text) : parseJson(text);
}
