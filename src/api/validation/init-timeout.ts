// The init-timeout annotations (api/init-timeout.ts) on a pod or a pod template: a positive duration, and a
// per-container key that names one of the spec's regular init containers, so that a typo is not silently a
// pod without a timeout.
import { INIT_TIMEOUT_ANNOTATION, INIT_TIMEOUT_PREFIX, parseTimeout } from '../init-timeout.js';
import type { PodSpec } from '../types.js';
import { type FieldError, invalid } from './field-error.js';
import { key, type Path } from './path.js';

export function validateInitTimeoutAnnotations(
  annotations: Record<string, string> | undefined,
  spec: PodSpec | undefined,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, value] of Object.entries(annotations ?? {})) {
    if (k !== INIT_TIMEOUT_ANNOTATION && !k.startsWith(INIT_TIMEOUT_PREFIX)) continue;
    const p = key(path, k);
    if (parseTimeout(value) === undefined) {
      errs.push(invalid(p, value, 'must be a positive duration such as 30s, 2m or 1m30s'));
      continue;
    }
    if (k === INIT_TIMEOUT_ANNOTATION) continue;
    const name = k.slice(INIT_TIMEOUT_PREFIX.length);
    const inits = spec?.initContainers ?? [];
    const target = inits.find((c) => c.name === name);
    if (!target) {
      const regular = inits.filter((c) => c.restartPolicy !== 'Always').map((c) => c.name);
      errs.push(
        invalid(
          p,
          value,
          regular.length > 0
            ? `names no init container of this pod; its init containers are ${regular.join(', ')}`
            : 'names no init container: this pod has no regular init containers',
        ),
      );
    } else if (target.restartPolicy === 'Always') {
      errs.push(
        invalid(
          p,
          value,
          `${name} is a sidecar (restartPolicy: Always), which runs for the pod's life; only regular init containers take a timeout`,
        ),
      );
    }
  }
  return errs;
}
