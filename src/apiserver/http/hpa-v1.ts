// autoscaling/v1 HorizontalPodAutoscalers: the same objects as autoscaling/v2 (stored as v2), converted on the way
// in and out (src/api/hpa.ts). `kubectl autoscale` of kubectl 1.32 creates through this version. Tables are
// printed from the stored objects, as the API server prints the internal version whatever the request's.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hpaV1ToV2, hpaV2ToV1 } from '../../api/hpa.js';
import { resourceByName } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { methodNotSupported, successStatus } from '../errors.js';
import { applyPatch } from '../patching.js';
import { readObjectBody, readPatchBody } from './body.js';
import { negotiateObject } from './negotiate.js';
import type { ResourcePath } from './paths.js';
import { queryBool } from './query.js';
import { send } from './respond.js';
import { deleteOptions, type RestContext, sendList, sendObject } from './rest.js';
import { writeOptions } from './write-options.js';

const STORED = resourceByName('autoscaling', 'horizontalpodautoscalers')!;

export async function handleHpaV1(
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
  const out = (code: number, obj: KubeObject) =>
    sendObject(
      ctx,
      res,
      rep.kind === 'table' ? STORED : r,
      code,
      rep.kind === 'table' ? obj : hpaV2ToV1(obj),
      rep,
      query,
      warnings,
    );

  if (name === undefined) {
    if (method === 'GET') {
      if (queryBool(query, 'watch')) throw methodNotSupported(r, 'watch');
      const list = await registry.list(STORED, namespace, {
        labelSelector: query.get('labelSelector') ?? undefined,
        fieldSelector: query.get('fieldSelector') ?? undefined,
      });
      const items = rep.kind === 'table' ? list.items : list.items.map(hpaV2ToV1);
      return sendList(ctx, res, rep.kind === 'table' ? STORED : r, items, list.resourceVersion, rep, query);
    }
    if (method === 'POST') {
      if (namespace === undefined) throw methodNotSupported(r, 'create');
      const body = hpaV1ToV2(await readObjectBody(req));
      return out(201, await registry.create(STORED, namespace, body, writeOptions(req, query, warnings)));
    }
    throw methodNotSupported(r, method.toLowerCase());
  }
  const status = subresource === 'status';
  switch (method) {
    case 'GET':
      return out(200, await registry.get(STORED, namespace, name));
    case 'PUT': {
      const body = hpaV1ToV2(await readObjectBody(req));
      const opts = writeOptions(req, query, warnings);
      return out(
        200,
        status
          ? await registry.updateStatus(STORED, namespace, name, body, opts)
          : await registry.update(STORED, namespace, name, body, opts),
      );
    }
    case 'PATCH': {
      // The patch applies to the v1 form; the result goes back as v2, as a whole-object update.
      const { type, patch } = await readPatchBody(req);
      const current = await registry.get(STORED, namespace, name);
      const patched = applyPatch(type, hpaV2ToV1(current), patch, 'HorizontalPodAutoscaler');
      const body = hpaV1ToV2(patched);
      const opts = writeOptions(req, query, warnings);
      return out(
        200,
        status
          ? await registry.updateStatus(STORED, namespace, name, body, opts)
          : await registry.update(STORED, namespace, name, body, opts),
      );
    }
    case 'DELETE': {
      if (status) throw methodNotSupported(r, 'delete');
      const result = await registry.delete(STORED, namespace, name, await deleteOptions(req, query));
      if (result.removed && !result.returnsObject) {
        send(res, 200, successStatus(r, name, result.object.metadata.uid));
        return;
      }
      return out(200, result.object);
    }
    default:
      throw methodNotSupported(r, method.toLowerCase());
  }
}
