// kubectl describe role|clusterrole|rolebinding|clusterrolebinding (RoleDescriber, ClusterRoleDescriber,
// RoleBindingDescriber, ClusterRoleBindingDescriber in k8s.io/kubectl/pkg/describe/describe.go, v1.32): the
// rules broken down, compacted and sorted as kubectl does, or the role and subjects of a binding.
import type { PolicyRule, Role, RoleBinding } from '../../api/types.js';
import { breakdownRule, compactRules } from '../../apiserver/rbac/rules.js';
import { PrefixWriter, printAnnotationsMultiline, printLabelsMultiline } from './writer.js';

/** Go's %v of a []string: `[a b]`. */
const goList = (list: readonly string[] | undefined) => `[${(list ?? []).join(' ')}]`;

/** The protobuf String() of a PolicyRule, which kubectl's SortableRuleSlice compares. */
function ruleString(r: PolicyRule): string {
  return `&PolicyRule{Verbs:${goList(r.verbs)},APIGroups:${goList(r.apiGroups)},Resources:${goList(r.resources)},ResourceNames:${goList(r.resourceNames)},NonResourceURLs:${goList(r.nonResourceURLs)},}`;
}

/** CombineResourceGroup: `deployments.apps/scale`, `pods`. */
function combineResourceGroup(
  resources: readonly string[] | undefined,
  groups: readonly string[] | undefined,
): string {
  const first = resources?.[0];
  if (first === undefined) return '';
  const slash = first.indexOf('/');
  let out = slash < 0 ? first : first.slice(0, slash);
  if (groups?.[0]) out += `.${groups[0]}`;
  if (slash >= 0) out += first.slice(slash);
  return out;
}

export function describeRole(role: Role): string {
  const rules = compactRules((role.rules ?? []).flatMap(breakdownRule));
  const keyed = rules.map((r) => [ruleString(r), r] as const);
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const w = new PrefixWriter();
  w.write(0, `Name:\t${role.metadata?.name ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', role.metadata?.labels);
  printAnnotationsMultiline(w, 'Annotations', role.metadata?.annotations);
  w.write(0, 'PolicyRule:\n');
  w.write(1, 'Resources\tNon-Resource URLs\tResource Names\tVerbs\n');
  w.write(1, '---------\t-----------------\t--------------\t-----\n');
  for (const [, r] of keyed) {
    w.write(
      1,
      `${combineResourceGroup(r.resources, r.apiGroups)}\t${goList(r.nonResourceURLs)}\t${goList(r.resourceNames)}\t${goList(r.verbs)}\n`,
    );
  }
  return w.text();
}

export function describeRoleBinding(b: RoleBinding): string {
  const w = new PrefixWriter();
  w.write(0, `Name:\t${b.metadata?.name ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', b.metadata?.labels);
  printAnnotationsMultiline(w, 'Annotations', b.metadata?.annotations);
  w.write(0, 'Role:\n');
  w.write(1, `Kind:\t${b.roleRef?.kind ?? ''}\n`);
  w.write(1, `Name:\t${b.roleRef?.name ?? ''}\n`);
  w.write(0, 'Subjects:\n');
  w.write(1, 'Kind\tName\tNamespace\n');
  w.write(1, '----\t----\t---------\n');
  for (const s of b.subjects ?? []) w.write(1, `${s.kind}\t${s.name}\t${s.namespace ?? ''}\n`);
  return w.text();
}
