// The options of a write request, read from its query and headers as upstream's handlers read them:
// fieldValidation, dryRun, the field manager (the fieldManager parameter or the User-Agent's prefix) and
// a PATCH's force.
import type { IncomingMessage } from 'node:http';
import { validateFieldManager } from '../../api/validation/meta.js';
import { badRequest, invalid } from '../errors.js';
import { prefixFromUserAgent } from '../managed-fields.js';
import { toCause } from '../registry/decoding.js';
import type { FieldValidation, PatchOptions, WriteOptions } from '../registry.js';
import { queryBool } from './query.js';

const OPTIONS_KINDS: Record<string, { group: string; kind: string }> = {
  POST: { group: 'meta.k8s.io', kind: 'CreateOptions' },
  PUT: { group: 'meta.k8s.io', kind: 'UpdateOptions' },
  PATCH: { group: 'meta.k8s.io', kind: 'PatchOptions' },
};

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
  const given = query.get('fieldManager');
  if (given) {
    // ValidateCreateOptions / ValidateUpdateOptions / ValidatePatchOptions: the name is stored in every
    // managedFields entry of the object, so a megabyte of it, or a newline, is refused before the write.
    const errs = validateFieldManager(given, 'fieldManager');
    if (errs.length > 0)
      throw invalid(OPTIONS_KINDS[req.method ?? ''] ?? OPTIONS_KINDS.POST!, '', errs.map(toCause));
  }
  const fieldManager = given || prefixFromUserAgent(req.headers['user-agent']);
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
