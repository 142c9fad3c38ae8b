// printRole, printClusterRole, printRoleBinding, printClusterRoleBinding (pkg/printers/internalversion/
// printers.go, v1.32). Roles print NAME and CREATED AT; bindings print the role and, wide, their subjects
// split as rbac.SubjectsStrings splits them.
import type { ClusterRoleBinding, KubeObject, RoleBinding, Subject } from '../api/types.js';
import { formatRFC3339 } from './default.js';
import { translateTimestampSince } from './duration.js';
import { AGE_COLUMN, column, NAME_COLUMN, OBJECT_META_DOC } from './meta.js';
import type { PrintedTable, TableCell, TableColumnDefinition } from './types.js';

const roleColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column('Created At', 'date', OBJECT_META_DOC.creationTimestamp),
];

function bindingColumns(roleRefDoc: string): TableColumnDefinition[] {
  return [
    NAME_COLUMN,
    column('Role', 'string', roleRefDoc),
    AGE_COLUMN,
    column('Users', 'string', 'Users in the roleBinding', 1),
    column('Groups', 'string', 'Groups in the roleBinding', 1),
    column('ServiceAccounts', 'string', 'ServiceAccounts in the roleBinding', 1),
  ];
}

const roleBindingColumnDefinitions = bindingColumns(
  'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.',
);
const clusterRoleBindingColumnDefinitions = bindingColumns(
  'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.',
);

/** rbac.SubjectsStrings: users, groups, `namespace/name` of service accounts, and the rest. */
export function subjectsStrings(subjects: readonly Subject[] | undefined): {
  users: string[];
  groups: string[];
  serviceAccounts: string[];
  others: string[];
} {
  const out = {
    users: [] as string[],
    groups: [] as string[],
    serviceAccounts: [] as string[],
    others: [] as string[],
  };
  for (const s of subjects ?? []) {
    if (s.kind === 'ServiceAccount') out.serviceAccounts.push(`${s.namespace ?? ''}/${s.name}`);
    else if (s.kind === 'User') out.users.push(s.name);
    else if (s.kind === 'Group') out.groups.push(s.name);
    else out.others.push(`${s.kind}/${s.namespace ?? ''}/${s.name}`);
  }
  return out;
}

function bindingRow(b: RoleBinding | ClusterRoleBinding, now: number): TableCell[] {
  const s = subjectsStrings(b.subjects);
  return [
    b.metadata?.name ?? '',
    `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`,
    translateTimestampSince(b.metadata?.creationTimestamp, now),
    s.users.join(', '),
    s.groups.join(', '),
    s.serviceAccounts.join(', '),
  ];
}

function printer(
  columnDefinitions: TableColumnDefinition[],
  row: (obj: KubeObject, now: number) => TableCell[],
) {
  return (objects: KubeObject[], now: number): PrintedTable => ({
    columnDefinitions,
    rows: objects.map((object) => ({ cells: row(object, now), object })),
  });
}

const roleRow = (o: KubeObject): TableCell[] => [
  o.metadata.name ?? '',
  formatRFC3339(o.metadata.creationTimestamp),
];

export const printRoles = printer(roleColumnDefinitions, roleRow);
export const printClusterRoles = printer(roleColumnDefinitions, roleRow);
export const printRoleBindings = printer(roleBindingColumnDefinitions, (o, now) =>
  bindingRow(o as unknown as RoleBinding, now),
);
export const printClusterRoleBindings = printer(clusterRoleBindingColumnDefinitions, (o, now) =>
  bindingRow(o as unknown as ClusterRoleBinding, now),
);
