// Whether a node satisfies a pod's spec.nodeSelector and required node affinity (component-helpers
// nodeaffinity.GetRequiredNodeAffinity): the selector's labels all match, and at least one required term
// matches, a term being the AND of its label expressions and metadata.name field expressions.
import type { Node, Pod } from '../../api/types.js';

interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

interface Term {
  matchExpressions?: Requirement[];
  matchFields?: Requirement[];
}

/** A NodeSelectorRequirement against a label (or field) set: In, NotIn, Exists, DoesNotExist, Gt, Lt. */
export function requirementMatches(r: Requirement, values: Record<string, string>): boolean {
  const has = Object.hasOwn(values, r.key);
  const v = values[r.key];
  switch (r.operator) {
    case 'In':
      return has && (r.values ?? []).includes(v!);
    case 'NotIn':
      return !has || !(r.values ?? []).includes(v!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      // Both sides must be integers; anything else does not match (labels.Requirement.Matches).
      if (!has || (r.values ?? []).length !== 1) return false;
      const a = /^-?\d+$/.test(v!) ? Number(v) : Number.NaN;
      const b = /^-?\d+$/.test(r.values![0]!) ? Number(r.values![0]) : Number.NaN;
      if (Number.isNaN(a) || Number.isNaN(b)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** An empty term matches nothing; otherwise every expression and field must match. */
function termMatches(term: Term, labels: Record<string, string>, fields: Record<string, string>): boolean {
  const exprs = term.matchExpressions ?? [];
  const fieldReqs = term.matchFields ?? [];
  if (exprs.length === 0 && fieldReqs.length === 0) return false;
  return (
    exprs.every((r) => requirementMatches(r, labels)) && fieldReqs.every((r) => requirementMatches(r, fields))
  );
}

export function nodeMatchesPodAffinity(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  const fields = { 'metadata.name': node.metadata?.name ?? '' };
  return (required.nodeSelectorTerms ?? []).some((t) => termMatches(t as Term, labels, fields));
}
