// Container resource requirements (ValidateResourceRequirements in pkg/apis/core/validation, v1.30): standard
// resource names, non-negative quantities, requests not above limits, hugepages requests equal to limits.

import type { ResourceRequirements } from 'kubernetes-types/core/v1.js';
import { quantityValue } from '../quantity.js';
import { type FieldError, invalid, required } from './field-error.js';
import { isQualifiedName } from './names.js';
import { child, key, type Path } from './path.js';

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}

function overcommitAllowed(name: string): boolean {
  // Native resources (no domain, or kubernetes.io/) except hugepages can be overcommitted.
  const native = !name.includes('/') || name.includes('kubernetes.io/');
  return native && !isHugePages(name);
}

function validateResourceName(name: string, path: Path): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (errs.length > 0) return errs;
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) {
      errs.push(invalid(path, name, 'must be a standard resource for containers'));
    }
  } else if (!name.includes('kubernetes.io/') && name.startsWith('requests.')) {
    errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

function validateQuantity(name: string, q: string, path: Path): FieldError[] {
  const v = quantityValue(q);
  if (v < 0) return [invalid(path, q, 'must be greater than or equal to 0')];
  if (!overcommitAllowed(name) && !isHugePages(name) && !Number.isInteger(v)) {
    return [invalid(path, q, 'must be an integer')];
  }
  return [];
}

export function validateResourceRequirements(
  res: ResourceRequirements | undefined,
  path: Path,
): FieldError[] {
  if (!res) return [];
  const errs: FieldError[] = [];
  const limPath = child(path, 'limits');
  const reqPath = child(path, 'requests');
  const limits = (res.limits ?? {}) as Record<string, string>;
  const requests = (res.requests ?? {}) as Record<string, string>;
  for (const [name, q] of Object.entries(limits)) {
    errs.push(...validateResourceName(name, key(limPath, name)));
    errs.push(...validateQuantity(name, q, key(limPath, name)));
  }
  for (const [name, q] of Object.entries(requests)) {
    errs.push(...validateResourceName(name, key(reqPath, name)));
    errs.push(...validateQuantity(name, q, key(reqPath, name)));
    const limit = limits[name];
    if (limit !== undefined) {
      const cmp = quantityValue(q) - quantityValue(limit);
      if (cmp !== 0 && !overcommitAllowed(name)) {
        errs.push(invalid(reqPath, q, `must be equal to ${name} limit of ${limit}`));
      } else if (cmp > 0) {
        errs.push(invalid(reqPath, q, `must be less than or equal to ${name} limit of ${limit}`));
      }
    } else if (!overcommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}
