// `podrun up` against a running `podrun serve`: the Kubernetes API over HTTPS, with the CA and token from
// the kubeconfig the server wrote.
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { parse as parseYaml } from 'yaml';
import { apiVersionOf, type ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import type { PullProgress } from '../../runtime/types.js';
import { type PodEvent, type UpClient, warningLines } from './types.js';
import { onWatchLines, resourcePath } from './wire.js';

export interface Endpoint {
  server: string;
  ca: string;
  token: string;
}

export async function readKubeconfig(path: string): Promise<Endpoint> {
  const doc = parseYaml(await readFile(path, 'utf8')) as {
    clusters?: { cluster?: { server?: string; 'certificate-authority-data'?: string } }[];
    users?: { user?: { token?: string } }[];
  };
  const cluster = doc.clusters?.[0]?.cluster;
  const token = doc.users?.[0]?.user?.token;
  if (!cluster?.server || !cluster['certificate-authority-data'] || !token) {
    throw new Error(`${path} is not a kubeconfig written by podrun serve (no server, CA or token)`);
  }
  return {
    server: cluster.server,
    ca: Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8'),
    token,
  };
}

export class HttpStatusError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpStatusError';
  }
}

function collectionPath(r: ResourceInfo, namespace: string | undefined): string {
  return resourcePath(r, namespace ?? 'default');
}

export function httpClient(ep: Endpoint): UpClient {
  const call = (
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const url = new URL(path, ep.server);
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = httpsRequest(
        url,
        {
          method,
          ca: ep.ca,
          headers: {
            authorization: `Bearer ${ep.token}`,
            accept: 'application/json',
            // Node frames no body of a DELETE by itself (no chunked encoding for it): say its length.
            ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const json = async (
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<KubeObject> => {
    const { status, text } = await call(method, path, body, contentType);
    if (status >= 400) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // Not a Status: keep the body as it is.
      }
      throw new HttpStatusError(status, message);
    }
    return JSON.parse(text) as KubeObject;
  };

  return {
    description: `podrun serve at ${ep.server}`,
    apply: (r, obj) =>
      json(
        'PATCH',
        `${collectionPath(r, obj.metadata.namespace)}/${obj.metadata.name}?fieldManager=podrun&force=true&fieldValidation=Strict`,
        { ...obj, apiVersion: apiVersionOf(r), kind: r.kind },
        'application/apply-patch+yaml',
      ),
    async get(r, ns, name) {
      try {
        return await json('GET', `${collectionPath(r, ns)}/${name}`);
      } catch (err) {
        if (err instanceof HttpStatusError && err.code === 404) return undefined;
        throw err;
      }
    },
    async delete(r, ns, name) {
      try {
        await json('DELETE', `${collectionPath(r, ns)}/${name}`, { propagationPolicy: 'Background' });
      } catch (err) {
        if (!(err instanceof HttpStatusError && err.code === 404)) throw err;
      }
    },
    watchPods(ns, onEvent, onError) {
      return new Promise((resolve, reject) => {
        const url = new URL(`/api/v1/namespaces/${ns}/pods?watch=true&resourceVersion=0`, ep.server);
        const req = httpsRequest(
          url,
          { ca: ep.ca, headers: { authorization: `Bearer ${ep.token}` } },
          (res) => {
            if ((res.statusCode ?? 0) >= 400) {
              reject(new HttpStatusError(res.statusCode ?? 0, `watch of pods in ${ns} failed`));
              return;
            }
            onWatchLines<{ type: string; object: KubeObject }>(res, (ev) => {
              if (ev.type === 'ERROR')
                onError(new Error((ev.object as { message?: string }).message ?? 'watch error'));
              else if (ev.type !== 'BOOKMARK') onEvent(ev as PodEvent);
            });
            res.on('end', () => onError(new Error('the server closed the watch')));
            resolve(() => req.destroy());
          },
        );
        req.on('error', (err) => reject(err));
        req.end();
      });
    },
    async warnings(ns, name) {
      const selector = encodeURIComponent(`involvedObject.name=${name},type=Warning`);
      const list = (await json(
        'GET',
        `/api/v1/namespaces/${ns}/events?fieldSelector=${selector}`,
      )) as unknown as {
        items?: KubeObject[];
      };
      return warningLines(list.items ?? []);
    },
    async events(ns, name) {
      const selector = encodeURIComponent(`involvedObject.name=${name}`);
      const list = (await json(
        'GET',
        `/api/v1/namespaces/${ns}/events?fieldSelector=${selector}`,
      )) as unknown as {
        items?: KubeObject[];
      };
      return list.items ?? [];
    },
    async logTail(ns, pod, container, tailLines) {
      const { status, text } = await call(
        'GET',
        `/api/v1/namespaces/${ns}/pods/${pod}/log?container=${encodeURIComponent(container)}&tailLines=${tailLines}`,
      );
      return status < 400 ? text : '';
    },
    async pullsInProgress() {
      return ((await json('GET', '/podrun/v1/pulls')) as unknown as { pulls: PullProgress[] }).pulls;
    },
    async close() {},
  };
}
