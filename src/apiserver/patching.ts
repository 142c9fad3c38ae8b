// PATCH: maps a request's Content-Type to a patch type and applies it with the shared patch algorithms.

import { applyConfigurationOf } from '../api/patch/apply.js';
import { PatchError } from '../api/patch/errors.js';
import { jsonMergePatch } from '../api/patch/json-merge-patch.js';
import { jsonPatch } from '../api/patch/json-patch.js';
import { strategicMergePatch } from '../api/patch/strategic-merge-patch.js';
import type { KubeObject } from '../api/types.js';
import { badRequest, entityTooLarge, isApiError, unprocessable } from './errors.js';

export type PatchType = 'strategic' | 'merge' | 'json' | 'apply';

export const PATCH_CONTENT_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

/**
 * Applies `patch` to `original`. For an apply patch the answer is the apply configuration only (the
 * registry merges it with ownership, see managed-fields.ts). Errors from the patch algorithms become 422
 * (a patch that cannot apply) or 400 (a malformed patch), as upstream.
 */
export function applyPatch(
  type: PatchType,
  original: KubeObject | undefined,
  patch: unknown,
  kind: string,
): unknown {
  try {
    switch (type) {
      case 'strategic':
        return strategicMergePatch(original ?? {}, asObject(patch), kind);
      case 'merge':
        return jsonMergePatch(original ?? {}, patch);
      case 'json':
        return jsonPatch(original ?? {}, patch);
      case 'apply':
        return applyConfigurationOf(asObject(patch));
    }
  } catch (e) {
    if (isApiError(e)) throw e;
    if (e instanceof PatchError) {
      if (e.reason === 'tooLarge') throw entityTooLarge(e.message);
      throw e.reason === 'invalid' ? unprocessable(e.message) : badRequest(e.message);
    }
    throw e;
  }
}

function asObject(patch: unknown): object {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw badRequest('the patch must be a JSON object');
  }
  return patch;
}
