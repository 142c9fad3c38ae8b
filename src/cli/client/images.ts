// `podrun image …` against the `podrun serve` of a state directory: podrun's own image endpoints
// (/podrun/v1/…) over the same HTTPS and bearer token as kubectl, read from the kubeconfig the server wrote.
import { existsSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import type { AuthConfig, ImageStatus, PullProgress } from '../../runtime/types.js';
import { runningServer } from '../../server/podrun.js';
import { stateLayout } from '../../server/state-dir.js';
import { type Endpoint, readKubeconfig } from './http.js';

/** A refusal of the server: the runtime's reason (`ImageInUse`, `ErrImagePull`, …) and its message. */
export class ImageApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    readonly detail: string,
  ) {
    super(reason ? `${reason}: ${detail}` : detail);
    this.name = 'ImageApiError';
  }
}

import { NoServerError } from './errors.js';

export { NoServerError };

export interface ImageClient {
  readonly url: string;
  list(): Promise<ImageStatus[]>;
  pull(image: string, auth?: AuthConfig): Promise<{ id: string; status: ImageStatus | null }>;
  remove(image: string): Promise<{ image: string; id: string }>;
  /** Sends an archive (`length` when known, else chunked); `source` names it in the server's errors. */
  load(body: Readable, source: string, length?: number): Promise<ImageStatus[]>;
  pulls(): Promise<PullProgress[]>;
}

/** The client of the server serving `stateDir`; NoServerError (saying how to start one) when none does. */
export async function connectImageClient(stateDir: string): Promise<ImageClient> {
  const layout = stateLayout(stateDir);
  const running = await runningServer(layout.serveInfo);
  if (!running || !existsSync(layout.kubeconfig)) {
    throw new NoServerError(
      `no podrun serve runs on state directory ${stateDir}; image commands talk to one: start it with \`podrun serve --state-dir ${stateDir}\` (or give the --state-dir it uses)`,
    );
  }
  return imageClient(await readKubeconfig(layout.kubeconfig));
}

interface Reply {
  status: number;
  text: string;
}

export function imageClient(ep: Endpoint): ImageClient {
  const call = (
    method: string,
    path: string,
    body?: { json: unknown } | { stream: Readable; length?: number },
  ): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const payload = body && 'json' in body ? Buffer.from(JSON.stringify(body.json)) : undefined;
      const stream = body && 'stream' in body ? body : undefined;
      const headers: Record<string, string | number> = {
        authorization: `Bearer ${ep.token}`,
        accept: 'application/json',
      };
      if (payload) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = payload.length;
      } else if (stream) {
        headers['content-type'] = 'application/octet-stream';
        if (stream.length !== undefined) headers['content-length'] = stream.length;
      }
      const req = httpsRequest(new URL(path, ep.server), { method, ca: ep.ca, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          // A refusal may come before the upload is done (a runtime that cannot load): stop sending.
          if (stream && !req.writableFinished) {
            stream.stream.unpipe(req);
            stream.stream.destroy();
            req.destroy();
          }
          resolve({ status: res.statusCode ?? 0, text });
        });
        res.on('error', reject);
      });
      req.on('error', (err) =>
        reject(new Error(`could not reach podrun serve at ${ep.server}: ${err.message}`, { cause: err })),
      );
      if (stream) {
        stream.stream.on('error', (err) => {
          req.destroy();
          reject(err);
        });
        stream.stream.pipe(req);
      } else {
        req.end(payload);
      }
    });

  const json = async <T>(method: string, path: string, body?: Parameters<typeof call>[2]): Promise<T> => {
    const { status, text } = await call(method, path, body);
    if (status >= 400) {
      let reason = '';
      let message = text.trim() || `HTTP ${status}`;
      try {
        const s = JSON.parse(text) as { reason?: string; message?: string };
        reason = s.reason ?? '';
        message = s.message ?? message;
      } catch {
        // Not a Status: the body as it is.
      }
      throw new ImageApiError(status, reason, message);
    }
    return JSON.parse(text) as T;
  };

  return {
    url: ep.server,
    list: async () => (await json<{ images: ImageStatus[] }>('GET', '/podrun/v1/images')).images,
    pull: (image, auth) =>
      json('POST', '/podrun/v1/images/pull', { json: { image, ...(auth ? { auth } : {}) } }),
    remove: (image) => json('DELETE', `/podrun/v1/images/${encodeURIComponent(image)}`),
    load: async (stream, source, length) =>
      (
        await json<{ images: ImageStatus[] }>(
          'POST',
          `/podrun/v1/images/load?source=${encodeURIComponent(source)}`,
          { stream, ...(length !== undefined ? { length } : {}) },
        )
      ).images,
    pulls: async () => (await json<{ pulls: PullProgress[] }>('GET', '/podrun/v1/pulls')).pulls,
  };
}
