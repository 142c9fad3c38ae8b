// The REST handlers for resources: list/watch/get/create/update/patch/delete and the status and log
// subresources, mapping HTTP (query parameters, bodies, Accept) onto Registry calls.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiVersionOf, type ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import type { ContainerLogSource } from '../../kubelet/types.js';
import { requestDeleteOptions } from '../delete-options.js';
import { badRequest, methodNotSupported, successStatus } from '../errors.js';
import { evictPod } from '../eviction.js';
import { isPlainObject } from '../object-util.js';
import type { DeleteOptions, PatchOptions, Registry } from '../registry.js';
import { readObjectBody, readOptionalJson, readPatchBody } from './body.js';
import { serveEphemeralContainers } from './ephemeral.js';
import { waitUntilFresh } from './fresh.js';
import { serveLogs } from './logs.js';
import { negotiateObject, type Representation } from './negotiate.js';
import type { ResourcePath } from './paths.js';
import { checkListLimit, checkListQuery, queryBool } from './query.js';
import { send } from './respond.js';
import { parseIncludeObject, partialObjectMetadata, toTable } from './table.js';
import { serveWatch } from './watch.js';
import { dryRun, patchOptions, writeOptions } from './write-options.js';

export interface RestContext {
  registry: Registry;
  logs: ContainerLogSource;
  now: () => number;
  streams: Set<ServerResponse>;
  bookmarkIntervalMs: number;
}

/** A DELETE's options, from its body and query, decoded and validated as upstream's handler does. */
export async function deleteOptions(req: IncomingMessage, query: URLSearchParams): Promise<DeleteOptions> {
  return requestDeleteOptions(await readOptionalJson(req), query);
}

function requireVerb(r: ResourceInfo, verb: string): void {
  if (!r.verbs.includes(verb)) throw methodNotSupported(r, verb);
}

/** An object in the representation asked for (Table for one object is a one-row table). */
export function sendObject(
  ctx: RestContext,
  res: ServerResponse,
  r: ResourceInfo,
  code: number,
  obj: KubeObject,
  rep: Representation,
  query: URLSearchParams,
  warnings: string[],
): void {
  if (rep.kind === 'table') {
    const table = toTable(r, [obj], {
      version: rep.version,
      include: parseIncludeObject(query.get('includeObject')),
      resourceVersion: obj.metadata.resourceVersion ?? '',
      now: ctx.now(),
    });
    send(res, code, table, { warnings });
  } else if (rep.kind === 'metadata') {
    send(res, code, partialObjectMetadata(obj, rep.version), { warnings });
  } else {
    send(res, code, obj, { warnings, yaml: rep.kind === 'yaml' });
  }
}

export function sendList(
  ctx: RestContext,
  res: ServerResponse,
  r: ResourceInfo,
  items: KubeObject[],
  resourceVersion: string,
  rep: Representation,
  query: URLSearchParams,
): void {
  if (rep.kind === 'table') {
    const table = toTable(r, items, {
      version: rep.version,
      include: parseIncludeObject(query.get('includeObject')),
      resourceVersion,
      now: ctx.now(),
    });
    send(res, 200, table);
  } else if (rep.kind === 'metadata') {
    send(res, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: `meta.k8s.io/${rep.version}`,
      metadata: { resourceVersion },
      items: items.map((o) => partialObjectMetadata(o, rep.version)),
    });
  } else {
    send(
      res,
      200,
      { kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata: { resourceVersion }, items },
      { yaml: rep.kind === 'yaml' },
    );
  }
}

export async function handleResource(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: ResourcePath,
  query: URLSearchParams,
): Promise<void> {
  const { registry } = ctx;
  const { r, namespace, name, subresource } = path;
  const method = req.method ?? 'GET';
  const rep = negotiateObject(req.headers.accept);
  const warnings: string[] = [];

  if (subresource === 'log') {
    if (method !== 'GET') throw methodNotSupported(r, method.toLowerCase());
    await serveLogs(registry, ctx.logs, namespace ?? '', name!, query, res);
    return;
  }
  if (subresource === 'portforward') {
    // Served only as an Upgrade (streaming/portforward/upgrade.ts); a plain request gets the kubelet's answer.
    throw badRequest('Upgrade request required');
  }
  if (subresource === 'ephemeralcontainers') {
    return serveEphemeralContainers(ctx, req, res, namespace ?? '', name!, query, warnings);
  }
  if (subresource === 'eviction') {
    if (method !== 'POST')
      throw methodNotSupported({ group: '', resource: 'pods/eviction' }, method.toLowerCase());
    const result = await evictPod(registry, namespace ?? '', name!, await readObjectBody(req), dryRun(query));
    return send(res, result.code, result.status);
  }
  if (subresource === 'binding') {
    if (method !== 'POST')
      throw methodNotSupported({ group: '', resource: 'pods/binding' }, method.toLowerCase());
    const body = await readObjectBody(req);
    const target = isPlainObject(body) && isPlainObject(body.target) ? body.target : undefined;
    if (!target || typeof target.name !== 'string' || target.name === '') {
      throw badRequest('target.name: Required value: a Binding needs the node to bind to');
    }
    const meta = isPlainObject(body) && isPlainObject(body.metadata) ? body.metadata : {};
    const uid = typeof meta.uid === 'string' && meta.uid !== '' ? meta.uid : undefined;
    const pod = await registry.bind(namespace ?? '', name!, uid, target.name);
    return send(res, 201, { ...successStatus(r, name!, pod.metadata.uid), code: 201 });
  }
  if (subresource === 'scale') {
    const sendScale = (code: number, obj: KubeObject) =>
      send(res, code, obj, { warnings, yaml: rep.kind === 'yaml' });
    switch (method) {
      case 'GET':
        return sendScale(200, await registry.getScale(r, namespace, name!));
      case 'PUT':
        return sendScale(
          200,
          await registry.updateScale(
            r,
            namespace,
            name!,
            await readObjectBody(req),
            writeOptions(req, query, warnings),
          ),
        );
      case 'PATCH': {
        const { type, patch } = await readPatchBody(req);
        return sendScale(
          200,
          await registry.patchScale(r, namespace, name!, type, patch, writeOptions(req, query, warnings)),
        );
      }
      default:
        throw methodNotSupported(r, method.toLowerCase());
    }
  }
  if (subresource === 'status') {
    switch (method) {
      case 'GET':
        return sendObject(ctx, res, r, 200, await registry.get(r, namespace, name!), rep, query, warnings);
      case 'PUT': {
        const body = await readObjectBody(req);
        const obj = await registry.updateStatus(
          r,
          namespace,
          name!,
          body,
          writeOptions(req, query, warnings),
        );
        return sendObject(ctx, res, r, 200, obj, rep, query, warnings);
      }
      case 'PATCH': {
        const { type, patch } = await readPatchBody(req);
        const opts: PatchOptions = { ...patchOptions(req, query, warnings, type), subresource: 'status' };
        const { object } = await registry.patch(r, namespace, name!, type, patch, opts);
        return sendObject(ctx, res, r, 200, object, rep, query, warnings);
      }
      default:
        throw methodNotSupported(r, method.toLowerCase());
    }
  }

  if (name === undefined) {
    switch (method) {
      case 'GET': {
        if (queryBool(query, 'watch')) {
          requireVerb(r, 'watch');
          checkListLimit(query);
          await serveWatch(
            {
              registry,
              r,
              namespace,
              query,
              representation: rep.kind === 'yaml' ? { kind: 'json' } : rep,
              include: parseIncludeObject(query.get('includeObject')),
              now: ctx.now,
              streams: ctx.streams,
              bookmarkIntervalMs: ctx.bookmarkIntervalMs,
            },
            res,
          );
          return;
        }
        requireVerb(r, 'list');
        checkListQuery(query);
        await waitUntilFresh(registry, query.get('resourceVersion'));
        const list = await registry.list(r, namespace, {
          labelSelector: query.get('labelSelector') ?? undefined,
          fieldSelector: query.get('fieldSelector') ?? undefined,
        });
        return sendList(ctx, res, r, list.items, list.resourceVersion, rep, query);
      }
      case 'POST': {
        requireVerb(r, 'create');
        if (r.namespaced && namespace === undefined) throw methodNotSupported(r, 'create');
        const body = await readObjectBody(req);
        const obj = await registry.create(r, namespace, body, writeOptions(req, query, warnings));
        return sendObject(ctx, res, r, 201, obj, rep, query, warnings);
      }
      case 'DELETE': {
        requireVerb(r, 'deletecollection');
        // Upstream serves only list and watch across namespaces: a careless `DELETE /api/v1/pods` (or one
        // whose namespace segment was `..`) must not empty every namespace.
        if (r.namespaced && namespace === undefined) throw methodNotSupported(r, 'deletecollection');
        // Its ListOptions are decoded and checked as a list's.
        checkListQuery(query);
        const opts = await deleteOptions(req, query);
        const list = await registry.deleteCollection(
          r,
          namespace,
          {
            labelSelector: query.get('labelSelector') ?? undefined,
            fieldSelector: query.get('fieldSelector') ?? undefined,
          },
          opts,
        );
        return sendList(ctx, res, r, list.items, list.resourceVersion, { kind: 'json' }, query);
      }
      default:
        throw methodNotSupported(r, method.toLowerCase());
    }
  }

  switch (method) {
    case 'GET': {
      requireVerb(r, 'get');
      if (queryBool(query, 'watch')) {
        // The deprecated watch-one form: /pods/{name}?watch=true.
        await serveWatch(
          {
            registry,
            r,
            namespace,
            query: withNameSelector(query, name),
            representation: rep.kind === 'yaml' ? { kind: 'json' } : rep,
            include: parseIncludeObject(query.get('includeObject')),
            now: ctx.now,
            streams: ctx.streams,
            bookmarkIntervalMs: ctx.bookmarkIntervalMs,
          },
          res,
        );
        return;
      }
      await waitUntilFresh(registry, query.get('resourceVersion'));
      return sendObject(ctx, res, r, 200, await registry.get(r, namespace, name), rep, query, warnings);
    }
    case 'PUT': {
      requireVerb(r, 'update');
      const body = await readObjectBody(req);
      const obj = await registry.update(r, namespace, name, body, writeOptions(req, query, warnings));
      return sendObject(ctx, res, r, 200, obj, rep, query, warnings);
    }
    case 'PATCH': {
      requireVerb(r, 'patch');
      const { type, patch } = await readPatchBody(req);
      const opts = patchOptions(req, query, warnings, type);
      const { object, created } = await registry.patch(r, namespace, name, type, patch, opts);
      return sendObject(ctx, res, r, created ? 201 : 200, object, rep, query, warnings);
    }
    case 'DELETE': {
      requireVerb(r, 'delete');
      const opts = await deleteOptions(req, query);
      const result = await registry.delete(r, namespace, name, opts);
      if (result.removed && !result.returnsObject) {
        return send(res, 200, successStatus(r, name, result.object.metadata.uid));
      }
      return sendObject(
        ctx,
        res,
        r,
        200,
        result.object,
        rep.kind === 'table' ? { kind: 'json' } : rep,
        query,
        warnings,
      );
    }
    default:
      throw methodNotSupported(r, method.toLowerCase());
  }
}

function withNameSelector(query: URLSearchParams, name: string): URLSearchParams {
  const q = new URLSearchParams(query);
  const existing = q.get('fieldSelector');
  q.set('fieldSelector', existing ? `${existing},metadata.name=${name}` : `metadata.name=${name}`);
  return q;
}
