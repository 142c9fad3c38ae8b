// metrics.k8s.io/v1beta1 as metrics-server serves it (pkg/api/pod.go, node.go, table.go): list and get of
// PodMetrics and NodeMetrics, selected by the pods' and nodes' own labels and fields, a pod or node without
// readings yet left out of lists and NotFound on get, and `as=Table` with metrics-server's columns.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { METRICS_RESOURCES } from '../../api/metrics-resources.js';
import type { KubeObject } from '../../api/types.js';
import type { MetricsSource } from '../../metrics/collector.js';
import {
  formatBytes,
  formatNanoCores,
  METRICS_API_VERSION,
  nodeMetricsObject,
  podMetricsObject,
} from '../../metrics/usage.js';
import { goDuration } from '../../util/go-format.js';
import { methodNotSupported, notFound, pathNotFound } from '../errors.js';
import type { Registry } from '../registry.js';
import { negotiateObject } from './negotiate.js';
import { send } from './respond.js';

const NODES = METRICS_RESOURCES.find((r) => r.resource === 'nodes')!;
const PODS = METRICS_RESOURCES.find((r) => r.resource === 'pods')!;

export const METRICS_PREFIX = ['apis', 'metrics.k8s.io', 'v1beta1'];

/** Whether the path segments are under /apis/metrics.k8s.io/v1beta1/ (the group's discovery excepted). */
export function isMetricsPath(segments: string[]): boolean {
  return segments.length > 3 && METRICS_PREFIX.every((s, i) => segments[i] === s);
}

interface MetricsObject {
  metadata: { name: string; namespace?: string };
  window: string;
  windowMs: number;
  cpuNanoCores: number;
  memoryBytes: number;
  body: Record<string, unknown>;
}

export async function serveMetrics(
  source: MetricsSource | undefined,
  registry: Registry,
  req: IncomingMessage,
  res: ServerResponse,
  segments: string[],
  query: URLSearchParams,
  now: number,
): Promise<void> {
  const rest = segments.slice(3);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest.splice(0, 2);
  }
  const r = rest[0] === 'pods' ? PODS : rest[0] === 'nodes' && namespace === undefined ? NODES : undefined;
  if (!r || rest.length > 2) throw pathNotFound();
  const name = rest[1];
  if ((req.method ?? 'GET') !== 'GET') throw methodNotSupported(r, (req.method ?? '').toLowerCase());
  const selection = {
    labelSelector: query.get('labelSelector') ?? undefined,
    fieldSelector: query.get('fieldSelector') ?? undefined,
  };
  const objects =
    r === PODS
      ? await podObjects(source, registry, namespace, name, selection, now)
      : await nodeObjects(source, registry, name, selection, now);
  if (name !== undefined) {
    const found = objects[0];
    if (!found) throw notFound(r, r === PODS ? `${namespace ?? ''}/${name}` : name);
    return answer(res, req, [found], false);
  }
  return answer(res, req, objects, true, r.kind);
}

async function podObjects(
  source: MetricsSource | undefined,
  registry: Registry,
  namespace: string | undefined,
  name: string | undefined,
  selection: { labelSelector?: string; fieldSelector?: string },
  now: number,
): Promise<MetricsObject[]> {
  // The pods first: an absent pod is the pods' NotFound, as metrics-server answers from its pod lister.
  let pods: KubeObject[];
  if (name !== undefined) pods = [await registry.get('pods', namespace, name)];
  else pods = (await registry.list('pods', namespace, selection)).items;
  const byUid = new Map(pods.map((p) => [p.metadata.uid ?? '', p]));
  const out: MetricsObject[] = [];
  for (const u of source?.podUsage() ?? []) {
    const pod = byUid.get(u.uid);
    if (!pod || pod.metadata.name !== u.name || pod.metadata.namespace !== u.namespace) continue;
    const body = podMetricsObject(u, pod.metadata.labels, now);
    out.push({
      metadata: { name: u.name, namespace: u.namespace },
      window: goDuration(u.windowMs),
      windowMs: u.windowMs,
      cpuNanoCores: u.containers.reduce((s, c) => s + c.usage.cpuNanoCores, 0),
      memoryBytes: u.containers.reduce((s, c) => s + c.usage.workingSetBytes, 0),
      body,
    });
  }
  return out;
}

async function nodeObjects(
  source: MetricsSource | undefined,
  registry: Registry,
  name: string | undefined,
  selection: { labelSelector?: string; fieldSelector?: string },
  now: number,
): Promise<MetricsObject[]> {
  let nodes: KubeObject[];
  if (name !== undefined) nodes = [await registry.get('nodes', undefined, name)];
  else nodes = (await registry.list('nodes', undefined, selection)).items;
  const usage = source?.nodeUsage();
  // One node: the readings are this machine's, and podrun's one Node is this machine.
  if (!usage || nodes.length === 0 || registry.nodeName === undefined) return [];
  const node = nodes.find((n) => n.metadata.name === registry.nodeName);
  if (!node) return [];
  return [
    {
      metadata: { name: node.metadata.name! },
      window: goDuration(usage.windowMs),
      windowMs: usage.windowMs,
      cpuNanoCores: usage.cpuNanoCores,
      memoryBytes: usage.workingSetBytes,
      body: nodeMetricsObject(node.metadata.name!, usage, node.metadata.labels, now),
    },
  ];
}

function answer(
  res: ServerResponse,
  req: IncomingMessage,
  objects: MetricsObject[],
  list: boolean,
  kind = '',
): void {
  const rep = negotiateObject(req.headers.accept);
  if (rep.kind === 'table') {
    send(res, 200, {
      kind: 'Table',
      apiVersion: `meta.k8s.io/${rep.version}`,
      metadata: {},
      // metrics-server's columns (pkg/api/table.go): the name, each resource summed over containers, the window.
      columnDefinitions:
        objects.length === 0
          ? []
          : [
              {
                name: 'Name',
                type: 'string',
                format: 'name',
                description: 'Name of the resource',
                priority: 0,
              },
              { name: 'cpu', type: 'string', format: 'quantity', description: '', priority: 0 },
              { name: 'memory', type: 'string', format: 'quantity', description: '', priority: 0 },
              { name: 'Window', type: 'string', format: 'duration', description: '', priority: 0 },
            ],
      rows: objects.map((o) => ({
        cells: [o.metadata.name, formatNanoCores(o.cpuNanoCores), formatBytes(o.memoryBytes), o.window],
        object: o.body,
      })),
    });
    return;
  }
  if (!list) {
    send(res, 200, objects[0]!.body, { yaml: rep.kind === 'yaml' });
    return;
  }
  send(
    res,
    200,
    { kind: `${kind}List`, apiVersion: METRICS_API_VERSION, metadata: {}, items: objects.map((o) => o.body) },
    { yaml: rep.kind === 'yaml' },
  );
}
