// The HTTP side of pods/ephemeralcontainers: GET, PUT and PATCH, each answering the pod.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resourceByName } from '../../api/resources.js';
import { updateEphemeralContainers } from '../ephemeral-containers.js';
import { methodNotSupported } from '../errors.js';
import { readObjectBody, readPatchBody } from './body.js';
import { send } from './respond.js';
import type { RestContext } from './rest.js';
import { writeOptions } from './write-options.js';

const EPHEMERAL = { group: '', resource: 'pods/ephemeralcontainers' };

export async function serveEphemeralContainers(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  namespace: string,
  name: string,
  query: URLSearchParams,
  warnings: string[],
): Promise<void> {
  const { dryRun, fieldManager } = writeOptions(req, query, warnings);
  const options = { dryRun: dryRun === true, ...(fieldManager ? { fieldManager } : {}) };
  const pods = resourceByName('', 'pods')!;
  switch (req.method ?? 'GET') {
    case 'GET':
      return send(res, 200, await ctx.registry.get(pods, namespace, name), { warnings });
    case 'PUT': {
      const body = await readObjectBody(req);
      const pod = await updateEphemeralContainers(ctx.registry, namespace, name, { put: body }, options);
      return send(res, 200, pod, { warnings });
    }
    case 'PATCH': {
      const { type, patch } = await readPatchBody(req);
      const pod = await updateEphemeralContainers(ctx.registry, namespace, name, { patch, type }, options);
      return send(res, 200, pod, { warnings });
    }
    default:
      throw methodNotSupported(EPHEMERAL, (req.method ?? '').toLowerCase());
  }
}
