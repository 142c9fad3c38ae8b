// Builders for API objects used across the api tests: small valid objects that a test then breaks one way.

import { applyDefaults } from '../../src/api/defaults.js';
import type { KubeObject } from '../../src/api/types.js';
import { formatFieldError } from '../../src/api/validation/field-error.js';
import { validateObject } from '../../src/api/validation/index.js';

export function pod(spec: Record<string, unknown>, name = 'web'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec };
}

export function app(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'app', image: 'busybox:1.36', ...extra };
}

/** The messages validateObject gives for a defaulted copy of `obj`, as kubectl would print them. */
export function messages(obj: KubeObject): string[] {
  return validateObject(applyDefaults(obj)).map(formatFieldError);
}
