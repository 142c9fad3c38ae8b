// The options of a write request, read from its query and headers as upstream's handlers read them:
// fieldValidation, dryRun, the field manager (the fieldManager parameter or the User-Agent's prefix) and
// a PATCH's force.
import type { IncomingMessage } from 'node:http';
import { badRequest } from '../errors.js';
import { prefixFromUserAgent } from '../managed-fields.js';
import type { FieldValidation, PatchOptions, WriteOptions } from '../registry.js';
import { queryBool } from './query.js';

export function fieldValidation(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(
    `fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Strict", "Warn"`,
  );
}

export function dryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

/** The write's options; the field manager is the fieldManager parameter or the User-Agent's prefix. */
export function writeOptions(req: IncomingMessage, query: URLSearchParams, warnings: string[]): WriteOptions {
  const fieldManager = query.get('fieldManager') || prefixFromUserAgent(req.headers['user-agent']);
  return {
    fieldValidation: fieldValidation(query),
    dryRun: dryRun(query),
    warnings,
    ...(fieldManager ? { fieldManager } : {}),
  };
}

/** A PATCH's options: `force` only for apply, and an apply names its field manager. */
export function patchOptions(
  req: IncomingMessage,
  query: URLSearchParams,
  warnings: string[],
  type: string,
): PatchOptions {
  const force = queryBool(query, 'force');
  if (force !== undefined && type !== 'apply') {
    throw badRequest('force: Forbidden: may not be specified for non-apply patch');
  }
  if (type === 'apply' && !query.get('fieldManager')) {
    throw badRequest('fieldManager: Required value: is required for apply patch');
  }
  return { ...writeOptions(req, query, warnings), ...(force ? { force } : {}) };
}
