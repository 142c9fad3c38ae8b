// POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token: the TokenRequest subresource. Only create is
// served, as upstream (discovery lists `create` alone).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { methodNotSupported } from '../errors.js';
import type { ServiceAccountTokens } from '../serviceaccount/tokens.js';
import { readObjectBody } from './body.js';
import { send } from './respond.js';

const SUBRESOURCE = { group: '', resource: 'serviceaccounts/token' };

export async function handleTokenRequest(
  tokens: ServiceAccountTokens,
  req: IncomingMessage,
  res: ServerResponse,
  namespace: string,
  name: string,
): Promise<void> {
  const method = req.method ?? 'GET';
  if (method !== 'POST') throw methodNotSupported(SUBRESOURCE, method.toLowerCase());
  const body = await readObjectBody(req);
  send(res, 201, await tokens.createToken(namespace, name, body));
}
