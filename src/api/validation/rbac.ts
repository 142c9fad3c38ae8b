// Role, ClusterRole, RoleBinding and ClusterRoleBinding validation (pkg/apis/rbac/validation/validation.go,
// Kubernetes v1.32), with upstream's field paths and words.
import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  RoleRef,
  Subject,
} from 'kubernetes-types/rbac/v1.js';
import { jsonEqual } from '../json-equal.js';
import { type FieldError, GoValue, invalid, notSupported, required } from './field-error.js';
import { validateLabelSelector } from './meta.js';
import { isDNS1123Subdomain } from './names.js';
import { child, index } from './path.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/**
 * path.IsValidPathSegmentName, upstream's minimalNameRequirements for RBAC objects: names like
 * `system:basic-user` are allowed, only what would break a URL path is not.
 */
export function isValidPathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errs: string[] = [];
  if (name.includes('/')) errs.push(`may not contain '/'`);
  if (name.includes('%')) errs.push(`may not contain '%'`);
  return errs;
}

export function validatePolicyRule(rule: PolicyRule, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if ((rule.verbs ?? []).length === 0) {
    errs.push(required(child(path, 'verbs'), 'verbs must contain at least one value'));
  }
  const urls = rule.nonResourceURLs ?? [];
  if (urls.length > 0) {
    if (namespaced) {
      errs.push(
        invalid(child(path, 'nonResourceURLs'), urls, 'namespaced rules cannot apply to non-resource URLs'),
      );
    }
    if (
      (rule.apiGroups ?? []).length > 0 ||
      (rule.resources ?? []).length > 0 ||
      (rule.resourceNames ?? []).length > 0
    ) {
      errs.push(
        invalid(
          child(path, 'nonResourceURLs'),
          urls,
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    }
    return errs;
  }
  if ((rule.apiGroups ?? []).length === 0) {
    errs.push(required(child(path, 'apiGroups'), 'resource rules must supply at least one api group'));
  }
  if ((rule.resources ?? []).length === 0) {
    errs.push(required(child(path, 'resources'), 'resource rules must supply at least one resource'));
  }
  return errs;
}

function rulesErrors(rules: PolicyRule[] | undefined, namespaced: boolean): FieldError[] {
  return (rules ?? []).flatMap((r, i) => validatePolicyRule(r, namespaced, index('rules', i)));
}

export function validateRole(role: Role): FieldError[] {
  return rulesErrors(role.rules, true);
}

export function validateClusterRole(role: ClusterRole): FieldError[] {
  const errs = rulesErrors(role.rules, false);
  const agg = role.aggregationRule;
  if (agg) {
    const selectors = agg.clusterRoleSelectors ?? [];
    if (selectors.length === 0) {
      errs.push(
        required(
          'aggregationRule.clusterRoleSelectors',
          'at least one clusterRoleSelector required if aggregationRule is non-nil',
        ),
      );
    }
    selectors.forEach((s, i) => {
      errs.push(...validateLabelSelector(s, index('aggregationRule.clusterRoleSelectors', i)));
    });
  }
  return errs;
}

function validateSubject(subject: Subject, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!subject.name) errs.push(required(child(path, 'name')));
  const apiGroup = subject.apiGroup ?? '';
  switch (subject.kind) {
    case 'ServiceAccount':
      if (subject.name) {
        for (const msg of isDNS1123Subdomain(subject.name))
          errs.push(invalid(child(path, 'name'), subject.name, msg));
      }
      if (apiGroup !== '') errs.push(notSupported(child(path, 'apiGroup'), apiGroup, ['']));
      if (!namespaced && !subject.namespace) errs.push(required(child(path, 'namespace')));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP) errs.push(notSupported(child(path, 'apiGroup'), apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(child(path, 'kind'), subject.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function roleRefErrors(ref: RoleRef | undefined, kinds: string[]): FieldError[] {
  const errs: FieldError[] = [];
  const apiGroup = ref?.apiGroup ?? '';
  if (apiGroup !== RBAC_GROUP) errs.push(notSupported('roleRef.apiGroup', apiGroup, [RBAC_GROUP]));
  if (!kinds.includes(ref?.kind ?? '')) errs.push(notSupported('roleRef.kind', ref?.kind ?? '', kinds));
  if (!ref?.name) errs.push(required('roleRef.name'));
  else for (const msg of isValidPathSegmentName(ref.name)) errs.push(invalid('roleRef.name', ref.name, msg));
  return errs;
}

export function validateRoleBinding(b: RoleBinding): FieldError[] {
  return [
    ...roleRefErrors(b.roleRef, ['Role', 'ClusterRole']),
    ...(b.subjects ?? []).flatMap((s, i) => validateSubject(s, true, index('subjects', i))),
  ];
}

export function validateClusterRoleBinding(b: ClusterRoleBinding): FieldError[] {
  return [
    ...roleRefErrors(b.roleRef, ['ClusterRole']),
    ...(b.subjects ?? []).flatMap((s, i) => validateSubject(s, false, index('subjects', i))),
  ];
}

/** ValidateRoleBindingUpdate / ValidateClusterRoleBindingUpdate: the roleRef is fixed at creation. */
export function validateBindingUpdate(
  b: RoleBinding | ClusterRoleBinding,
  old: RoleBinding | ClusterRoleBinding,
): FieldError[] {
  if (jsonEqual(b.roleRef, old.roleRef)) return [];
  const r = b.roleRef;
  const text = `rbac.RoleRef{APIGroup:${JSON.stringify(r?.apiGroup ?? '')}, Kind:${JSON.stringify(r?.kind ?? '')}, Name:${JSON.stringify(r?.name ?? '')}}`;
  return [invalid('roleRef', new GoValue(r, text), 'cannot change roleRef')];
}
