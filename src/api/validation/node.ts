// Node and Lease validation (pkg/apis/core/validation ValidateNode's taints, pkg/apis/coordination/validation
// ValidateLeaseSpec, v1.32): what `kubectl taint` or an applied manifest can get wrong.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import {
  duplicate,
  type FieldError,
  GoValue,
  goQuote,
  invalid,
  notSupported,
  required,
} from './field-error.js';
import { isQualifiedName, isValidLabelValue } from './names.js';
import { child, index } from './path.js';

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** A Taint as Go's %#v prints the internal type in a Duplicate error. */
function goTaint(t: Taint): GoValue {
  const added = t.timeAdded ? `time.Date(${goQuote(t.timeAdded)})` : '<nil>';
  return new GoValue(
    t,
    `core.Taint{Key:${goQuote(t.key ?? '')}, Value:${goQuote(t.value ?? '')}, Effect:${goQuote(t.effect ?? '')}, TimeAdded:${added}}`,
  );
}

/** validateNodeTaints: a qualified key, a label value, a known effect, unique by key and effect. */
export function validateNodeTaints(taints: Taint[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (taints ?? []).forEach((t, i) => {
    const p = index(path, i);
    for (const m of isQualifiedName(t.key ?? '')) errs.push(invalid(child(p, 'key'), t.key ?? '', m));
    const valueErrs = isValidLabelValue(t.value ?? '');
    if (valueErrs.length > 0) errs.push(invalid(child(p, 'value'), t.value ?? '', valueErrs.join(';')));
    if (!t.effect) errs.push(required(child(p, 'effect'), ''));
    else if (!TAINT_EFFECTS.includes(t.effect))
      errs.push(notSupported(child(p, 'effect'), t.effect, TAINT_EFFECTS));
    const id = `${t.effect ?? ''}\u0000${t.key ?? ''}`;
    if (seen.has(id)) {
      errs.push({ ...duplicate(p, goTaint(t)), detail: 'taints must be unique by key and effect pair' });
      return;
    }
    seen.add(id);
  });
  return errs;
}

export function validateNode(node: Node): FieldError[] {
  return validateNodeTaints(node.spec?.taints, 'spec.taints');
}

export function validateLease(lease: Lease): FieldError[] {
  const errs: FieldError[] = [];
  const spec = lease.spec ?? {};
  if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds <= 0)
    errs.push(invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
  if (spec.leaseTransitions !== undefined && spec.leaseTransitions < 0)
    errs.push(invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'));
  return errs;
}
