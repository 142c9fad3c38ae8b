// Ephemeral containers (pkg/apis/core/validation/validation.go validateEphemeralContainers and
// ValidatePodEphemeralContainersUpdate): the fields a debug container may have, its name unique among all of
// the pod's containers, its target an existing regular or init container; and, through pods/ephemeralcontainers,
// containers may be added but never changed or removed.
import type { Container, EphemeralContainer, PodSpec } from 'kubernetes-types/core/v1.js';
import { duplicate, type FieldError, forbidden, notFound } from './field-error.js';
import { child, index, type Path } from './path.js';

const CANNOT_SET = 'cannot be set for an Ephemeral Container';

/**
 * Fields of EphemeralContainerCommon outside upstream's allowedEphemeralContainerFields: lifecycle, probes,
 * resources and ports are refused, so that nothing fundamental to the pod comes to rely on a debug container.
 */
const FORBIDDEN_FIELDS = [
  'ports',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'lifecycle',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
] as const;

/** Go's zero value: a field counts as set only when it holds something (`resources: {}` is unset). */
function isSet(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).some(isSet);
  return true;
}

export function validateEphemeralContainers(
  spec: PodSpec,
  /** Names of the regular and init containers, seen so far; ephemeral names are added. */
  allNames: Set<string>,
  path: Path,
  validateCommon: (c: Container, p: Path) => FieldError[],
): FieldError[] {
  const errs: FieldError[] = [];
  const targets = new Set([...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => c.name));
  (spec.ephemeralContainers ?? []).forEach((ec, i) => {
    const p = index(child(path, 'ephemeralContainers'), i);
    errs.push(...validateCommon(ec as Container, p));
    if (allNames.has(ec.name)) errs.push(duplicate(child(p, 'name'), ec.name));
    else if (ec.name) allNames.add(ec.name);
    if (ec.targetContainerName && !targets.has(ec.targetContainerName)) {
      errs.push(notFound(child(p, 'targetContainerName'), ec.targetContainerName));
    }
    const fields = ec as unknown as Record<string, unknown>;
    for (const f of FORBIDDEN_FIELDS) if (isSet(fields[f])) errs.push(forbidden(child(p, f), CANNOT_SET));
    (ec.volumeMounts ?? []).forEach((vm, j) => {
      const vp = index(child(p, 'volumeMounts'), j);
      if (vm.subPath) errs.push(forbidden(child(vp, 'subPath'), CANNOT_SET));
      if (vm.subPathExpr) errs.push(forbidden(child(vp, 'subPathExpr'), CANNOT_SET));
    });
  });
  return errs;
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(
          Object.entries(val as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : val,
  );
}

/** The second half of ValidatePodEphemeralContainersUpdate: existing ones stay as they were. */
export function validateEphemeralContainersUpdate(
  next: EphemeralContainer[],
  old: EphemeralContainer[],
): FieldError[] {
  const errs: FieldError[] = [];
  const byName = new Map(next.map((c) => [c.name, c]));
  const path = 'spec.ephemeralContainers';
  for (const o of old) {
    const n = byName.get(o.name);
    if (!n)
      errs.push(
        forbidden(path, `existing ephemeral containers ${JSON.stringify(o.name)} may not be removed\n`),
      );
    else if (canonical(n) !== canonical(o)) {
      errs.push(
        forbidden(
          path,
          `existing ephemeral containers ${JSON.stringify(o.name)} may not be changed\n- ${canonical(o)}\n+ ${canonical(n)}`,
        ),
      );
    }
  }
  return errs;
}
