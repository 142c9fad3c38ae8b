// podrun's own image endpoints under /podrun/v1/ (not a Kubernetes resource; `podrun image …` and
// `podrun up` use them), over the runtime's CRI-shaped ImageManager:
//   GET    images          every image              {images: ImageStatus[]}
//   GET    images/<ref>    one image                ImageStatus, 404 when absent
//   POST   images/pull     {image, auth?}           {id, status}
//   DELETE images/<ref>    remove (untag) it        {image, id}; 404 absent, 409 ImageInUse
//   POST   images/load     body: an archive         {images: ImageStatus[]}; 501 without loadImage
//   GET    pulls           pulls under way          {pulls: PullProgress[]}
// Errors are Status bodies whose reason is the RuntimeError's (ErrImagePull, ImageInUse, …), so the CLI can
// print `reason: message` as the runtime said it.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  type AuthConfig,
  type ImageManager,
  type ImageStatus,
  RuntimeError,
  type RuntimeErrorReason,
} from '../../runtime/types.js';
import { ApiError, badRequest, pathNotFound } from '../errors.js';
import { readBody } from './body.js';
import { send } from './respond.js';

export const PODRUN_API_PREFIX = '/podrun/v1/';

export interface ImageEndpointsOptions {
  images: ImageManager;
  /** Where uploaded archives are kept while they load (the state dir's tmp/); created when needed. */
  tmpDir: string;
}

const UPLOAD_PREFIX = 'image-load-';

/** HTTP codes for the runtime's reasons: the caller's fault is 4xx, a registry's 502, podrun's own 5xx. */
const REASON_CODES: Partial<Record<RuntimeErrorReason, number>> = {
  InvalidImageName: 400,
  NotFound: 404,
  ImageNotFound: 404,
  ImageInUse: 409,
  ErrImagePull: 502,
  Unsupported: 501,
};

export function runtimeApiError(err: unknown): unknown {
  if (!(err instanceof RuntimeError)) return err;
  return new ApiError(REASON_CODES[err.reason] ?? 500, err.reason, err.message);
}

/** Uploads an earlier server left behind when it stopped mid-load. */
export async function removeStaleUploads(tmpDir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(tmpDir);
  } catch {
    return;
  }
  await Promise.all(
    names.filter((n) => n.startsWith(UPLOAD_PREFIX)).map((n) => rm(join(tmpDir, n), { force: true })),
  );
}

/**
 * Answers a request whose path starts with PODRUN_API_PREFIX. `rawPath` is the URL's path as sent
 * (percent-encoded), so that a reference with slashes survives as one segment.
 */
export async function handleImageEndpoints(
  options: ImageEndpointsOptions,
  req: IncomingMessage,
  res: ServerResponse,
  rawPath: string,
): Promise<void> {
  const rest = rawPath.slice(PODRUN_API_PREFIX.length);
  const method = req.method ?? 'GET';
  try {
    if (rest === 'pulls') {
      allow(method, ['GET']);
      return send(res, 200, { pulls: options.images.pullsInProgress() });
    }
    if (rest === 'images') {
      allow(method, ['GET']);
      return send(res, 200, { images: await options.images.listImages() });
    }
    if (rest === 'images/pull' && method === 'POST') return await pull(options.images, req, res);
    if (rest === 'images/load' && method === 'POST') return await load(options, req, res);
    if (rest.startsWith('images/')) {
      allow(method, ['GET', 'DELETE']);
      const ref = decodeRef(rest.slice('images/'.length));
      const status = await options.images.imageStatus({ image: ref });
      if (!status) throw new ApiError(404, 'NotFound', `no such image "${ref}"`);
      if (method === 'GET') return send(res, 200, status);
      await options.images.removeImage({ image: ref });
      return send(res, 200, { image: ref, id: status.id });
    }
    throw pathNotFound();
  } catch (err) {
    throw runtimeApiError(err);
  }
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) {
    throw new ApiError(405, 'MethodNotAllowed', `${method} is not allowed here; use ${methods.join(' or ')}`);
  }
}

function decodeRef(encoded: string): string {
  let ref: string;
  try {
    ref = decodeURIComponent(encoded);
  } catch {
    throw badRequest(`"${encoded}" is not a valid percent-encoded image reference`);
  }
  if (ref === '') throw badRequest('no image named: the path is /podrun/v1/images/<reference or id>');
  return ref;
}

const AUTH_FIELDS = new Set([
  'username',
  'password',
  'auth',
  'serverAddress',
  'identityToken',
  'registryToken',
]);

function authConfig(value: unknown, where: string): AuthConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest(`${where}: want an object with username/password, auth, identityToken or registryToken`);
  for (const [k, v] of Object.entries(value)) {
    if (!AUTH_FIELDS.has(k))
      throw badRequest(`${where}.${k}: unknown field; known: ${[...AUTH_FIELDS].join(', ')}`);
    if (typeof v !== 'string') throw badRequest(`${where}.${k}: want a string`);
  }
  return value as AuthConfig;
}

async function pull(images: ImageManager, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse((await readBody(req)).toString('utf8'));
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest(`the body is not JSON (${(err as Error).message}); want {"image": "<reference>"}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('want {"image": "<reference>", "auth": {...}}');
  const { image, auth, ...unknown } = body as { image?: unknown; auth?: unknown };
  const extra = Object.keys(unknown);
  if (extra.length > 0) throw badRequest(`${extra[0]}: unknown field; known: image, auth`);
  if (typeof image !== 'string' || image.trim() === '')
    throw badRequest('image: want the reference to pull, such as "busybox:1.36"');
  const auths =
    auth === undefined
      ? undefined
      : Array.isArray(auth)
        ? auth.map((a, i) => authConfig(a, `auth[${i}]`))
        : [authConfig(auth, 'auth')];
  // The client hanging up (Ctrl-C on `podrun image pull`) cancels the pull, as a cancelled CRI call does.
  const abort = new AbortController();
  const onClose = () => {
    if (!res.writableEnded) abort.abort(new Error('the client went away'));
  };
  res.on('close', onClose);
  try {
    const id = await images.pullImage({ image }, { signal: abort.signal, ...(auths ? { auth: auths } : {}) });
    const status = (await images.imageStatus({ image })) ?? (await images.imageStatus({ image: id }));
    send(res, 200, { id, status });
  } finally {
    res.off('close', onClose);
  }
}

async function load(
  options: ImageEndpointsOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const loadImage = options.images.loadImage?.bind(options.images);
  if (!loadImage) {
    // Answer at once; the rest of the upload is read and dropped so the client sees this reply, not a reset.
    req.resume();
    throw new ApiError(
      501,
      'Unsupported',
      'this runtime keeps no images of its own, so it cannot load an archive; run `podrun serve` with the host runtime',
    );
  }
  const source = new URL(req.url ?? '/', 'https://localhost').searchParams.get('source') || 'the upload';
  await mkdir(options.tmpDir, { recursive: true, mode: 0o700 });
  const file = join(options.tmpDir, `${UPLOAD_PREFIX}${randomBytes(8).toString('hex')}.tar`);
  let loaded: ImageStatus[];
  try {
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    // Streamed to disk, so an archive of any size costs no memory; the disk is the limit.
    await pipeline(req, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    if (bytes === 0)
      throw badRequest(`${source} is empty; send a docker save tarball or an OCI archive as the body`);
    try {
      loaded = await loadImage(file);
    } catch (err) {
      throw loadError(err, file, source);
    }
  } finally {
    // Gone before the reply, so a client that sees the reply sees no leftover.
    await rm(file, { force: true });
  }
  send(res, 200, { images: loaded });
}

/**
 * A load's failure, worded for the client: the temporary file's name is replaced by what the client called
 * it. An archive the runtime cannot read is the client's fault (400); a system error (a full disk) is not.
 */
function loadError(err: unknown, file: string, source: string): unknown {
  if (!(err instanceof Error)) return err;
  const message = err.message.replaceAll(file, source);
  if (err instanceof RuntimeError) return new RuntimeError(err.reason, message, { cause: err });
  if ((err as NodeJS.ErrnoException).code !== undefined) return err;
  return new ApiError(400, 'InvalidArchive', message);
}
