// `podrun up` against an API server (a `podrun serve`, or a cluster of a kubeconfig): what UpClient needs, on
// the kubectl-style client (kube.ts) and so through the kubeconfig's transport. Pods are followed by a
// reflector (list, then watch with bookmarks, resumed after a drop), as on any cluster.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { apiVersionOf, resourceForKind } from '../../api/resources.js';
import type { PullProgress } from '../../runtime/types.js';
import { KubeApiError } from './errors.js';
import type { KubeClient } from './kube.js';
import { reflect } from './reflector.js';
import { readBody, type Transport } from './transport.js';
import { type UpClient, warningLines } from './types.js';

/** The server, CA and token of a kubeconfig `podrun serve` wrote (for podrun's own image endpoints). */
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

const POD = resourceForKind('v1', 'Pod')!;
const EVENT = resourceForKind('v1', 'Event')!;

export interface HttpClientOptions {
  /** Field manager of the server-side applies. */
  fieldManager?: string;
  /** Whether the server is a podrun (its /podrun/v1/pulls exists); a cluster's is not asked. */
  podrunServer?: boolean;
}

export function httpClient(
  transport: Transport,
  kube: KubeClient,
  options: HttpClientOptions = {},
): UpClient {
  const fieldManager = options.fieldManager ?? 'podrun';
  const notFound = (err: unknown) => err instanceof KubeApiError && err.code === 404;
  return {
    description: transport.description,
    apply: (r, obj) =>
      kube.apply(
        r,
        r.namespaced ? (obj.metadata.namespace ?? transport.namespace) : undefined,
        obj.metadata.name ?? '',
        { ...obj, apiVersion: apiVersionOf(r), kind: r.kind },
        fieldManager,
      ),
    async get(r, ns, name) {
      try {
        return await kube.get(r, r.namespaced ? ns : undefined, name);
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
    },
    async delete(r, ns, name) {
      try {
        await kube.delete(r, r.namespaced ? ns : undefined, name, { propagationPolicy: 'Background' });
      } catch (err) {
        if (!notFound(err)) throw err;
      }
    },
    async watchPods(ns, onEvent, onError) {
      const reflector = reflect(kube, POD, ns, { onNote: (m) => onError(new Error(m)) }, onEvent);
      await reflector.synced;
      return () => reflector.stop();
    },
    async warnings(ns, name) {
      const list = await kube.list(EVENT, ns, { fieldSelector: `involvedObject.name=${name},type=Warning` });
      return warningLines(list.items);
    },
    async events(ns, name) {
      return (await kube.list(EVENT, ns, { fieldSelector: `involvedObject.name=${name}` })).items;
    },
    async logTail(ns, pod, container, tailLines, previous = false) {
      const res = await transport.send(
        'GET',
        `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod)}/log?container=${encodeURIComponent(container)}&tailLines=${tailLines}${previous ? '&previous=true' : ''}`,
        { accept: '*/*' },
      );
      const text = await readBody(res);
      return (res.statusCode ?? 0) < 400 ? text : '';
    },
    async pullsInProgress() {
      // A cluster's kubelets report pulls only as events (Pulling, Pulled): there is no progress to poll.
      if (options.podrunServer === false) return [];
      return (await kube.getJson<{ pulls: PullProgress[] }>('/podrun/v1/pulls')).pulls;
    },
    async close() {},
  };
}
