// Puts the bootstrap policy in place at every start (the RBAC post-start hook of kube-apiserver,
// pkg/registry/rbac/rest/storage_rbac.go): a missing role or binding is created; an existing one annotated
// `rbac.authorization.kubernetes.io/autoupdate: "true"` gets back what the policy gives it (missing rules,
// subjects, labels and the aggregationRule), and keeps what was added to it. One annotated "false" is left
// alone, as upstream leaves it.
import { jsonEqual } from '../../api/json-equal.js';
import type { ClusterRole, ClusterRoleBinding, KubeObject } from '../../api/types.js';
import type { Registry } from '../registry.js';
import { BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES } from './bootstrap-policy.js';

const AUTOUPDATE = 'rbac.authorization.kubernetes.io/autoupdate';

function union<T>(have: readonly T[] | undefined, want: readonly T[] | undefined): T[] {
  const out = [...(have ?? [])];
  for (const w of want ?? []) if (!out.some((h) => jsonEqual(h, w))) out.push(w);
  return out;
}

function reconciled(existing: KubeObject, wanted: ClusterRole | ClusterRoleBinding): KubeObject | undefined {
  if (existing.metadata.annotations?.[AUTOUPDATE] === 'false') return undefined;
  const next: KubeObject = {
    ...existing,
    metadata: {
      ...existing.metadata,
      labels: { ...existing.metadata.labels, ...wanted.metadata?.labels },
      annotations: { ...existing.metadata.annotations, ...wanted.metadata?.annotations },
    },
  };
  if (wanted.kind === 'ClusterRole') {
    const role = wanted as ClusterRole;
    if (role.aggregationRule) next.aggregationRule = role.aggregationRule;
    // An aggregated role's rules are the aggregation controller's.
    else next.rules = union(existing.rules as ClusterRole['rules'], role.rules);
  } else {
    next.subjects = union(
      existing.subjects as ClusterRoleBinding['subjects'],
      (wanted as ClusterRoleBinding).subjects,
    );
  }
  return jsonEqual(next, existing) ? undefined : next;
}

export async function ensureBootstrapPolicy(
  registry: Registry,
  log: (message: string) => void,
): Promise<void> {
  const items: Array<[string, ClusterRole | ClusterRoleBinding]> = [
    ...BOOTSTRAP_CLUSTER_ROLES.map((r): [string, ClusterRole] => [
      'clusterroles.rbac.authorization.k8s.io',
      r,
    ]),
    ...BOOTSTRAP_CLUSTER_ROLE_BINDINGS.map((b): [string, ClusterRoleBinding] => [
      'clusterrolebindings.rbac.authorization.k8s.io',
      b,
    ]),
  ];
  for (const [resource, wanted] of items) {
    const name = wanted.metadata?.name ?? '';
    const existing = await registry.find(resource, undefined, name);
    if (!existing) {
      await registry.create(resource, undefined, structuredClone(wanted));
      continue;
    }
    const next = reconciled(existing, wanted);
    if (next) {
      log(`rbac: reconciled ${wanted.kind} ${name} with the bootstrap policy`);
      await registry.update(resource, undefined, name, next);
    }
  }
}
