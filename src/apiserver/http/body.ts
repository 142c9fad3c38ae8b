// Reading request bodies: a size limit (the API server's 3 MiB), then JSON or YAML by Content-Type, with
// parse errors turned into a 400 that says where the body is broken.
import type { IncomingMessage } from 'node:http';
import { jsonNestingPastLimit, valueNestsPastLimit } from '../../api/nesting.js';
import { ApiError, badRequest, requestEntityTooLarge, unsupportedMediaType } from '../errors.js';
import { PATCH_CONTENT_TYPES, type PatchType } from '../patching.js';
import { decodeKubernetesProtobuf, ProtobufError } from '../protobuf/decode.js';
import { parseMediaType } from './negotiate.js';
import { tooDeep } from './yaml-body.js';
import { parseYamlBody } from './yaml-body-pool.js';

/** The API server's maxRequestBodyBytes. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * How long a request body may take to arrive: upstream's --request-timeout (60 s), which covers the whole
 * of a non-long-running request. A client that opens a request and sends its body slowly, or never finishes
 * it, would otherwise hold up to 3 MiB of this process for as long as its connection lasts.
 */
export const BODY_TIMEOUT_MS = 60_000;
/** After the timeout's answer, the connection of a client still sending goes. */
const CLOSE_AFTER_TIMEOUT_MS = 1_000;

export function readBody(
  req: IncomingMessage,
  limit = MAX_BODY_BYTES,
  timeoutMs = BODY_TIMEOUT_MS,
): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) return Promise.reject(requestEntityTooLarge(limit));
  // Already read to its end (by an earlier caller): nothing more will come.
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const fail = (e: unknown) => {
      done();
      req.pause();
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return fail(requestEntityTooLarge(limit));
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks));
    };
    const onError = (e: Error) => fail(e);
    const onClose = () => fail(new Error('the client closed the connection before its request body ended'));
    const timer = setTimeout(() => {
      fail(new ApiError(504, 'Timeout', 'Timeout: request did not complete within the allotted timeout'));
      chunks.length = 0;
      setTimeout(() => req.socket.destroy(), CLOSE_AFTER_TIMEOUT_MS).unref();
    }, timeoutMs);
    timer.unref();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
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

const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const OBJECT_TYPES = ['application/json', 'application/yaml', PROTOBUF];

function parseProtobuf(body: Buffer): unknown {
  let value: unknown;
  try {
    value = decodeKubernetesProtobuf(body);
  } catch (e) {
    if (e instanceof ProtobufError)
      throw badRequest(`the request body is not a valid Kubernetes protobuf object: ${e.message}`);
    throw e;
  }
  // Messages nest only as their schema does, but a RawExtension or FieldsV1 carries JSON of any depth.
  if (valueNestsPastLimit(value)) throw tooDeep('in protobuf');
  return value;
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
  return { type, patch: type === 'apply' ? await parseYamlBody(text) : parseJson(text) };
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
