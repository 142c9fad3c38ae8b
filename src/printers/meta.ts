// Pieces every printer shares: column descriptions (the upstream swagger docs the API server sends),
// label and selector formatting (apimachinery labels.FormatLabels, metav1.FormatLabelSelector), and
// the container cells of workload templates.

import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Container } from '../api/types.js';
import type { TableColumnDefinition } from './types.js';

/** metav1.ObjectMeta{}.SwaggerDoc() (k8s.io/apimachinery v0.32). */
export const OBJECT_META_DOC = {
  name: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  creationTimestamp:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
} as const;

export function column(
  name: string,
  type: TableColumnDefinition['type'],
  description: string,
  priority = 0,
  format = '',
): TableColumnDefinition {
  return { name, type, format, description, priority };
}

export const NAME_COLUMN = column('Name', 'string', OBJECT_META_DOC.name, 0, 'name');
export const AGE_COLUMN = column('Age', 'string', OBJECT_META_DOC.creationTimestamp);
export const CONTAINERS_COLUMN = column(
  'Containers',
  'string',
  'Names of each container in the template.',
  1,
);
export const IMAGES_COLUMN = column(
  'Images',
  'string',
  'Images referenced by each container in the template.',
  1,
);

/** labels.FormatLabels: `k=v` pairs sorted as whole strings, comma-joined; `<none>` when there are none. */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const pairs = Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`);
  pairs.sort(compareGoStrings);
  return pairs.length === 0 ? '<none>' : pairs.join(',');
}

/**
 * metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key, `k=v`, `k in (a,b)`,
 * `k notin (a,b)`, `k`, `!k`. Empty for a nil or empty selector; undefined for an invalid operator
 * (upstream's error case).
 */
export function labelSelectorString(selector: LabelSelector | undefined | null): string | undefined {
  if (!selector) return '';
  const reqs: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    reqs.push({ key, text: `${key}=${value}` });
  for (const expr of selector.matchExpressions ?? []) {
    const values = [...(expr.values ?? [])].sort(compareGoStrings);
    const list = values.length === 1 ? values[0] : values.join(',');
    switch (expr.operator) {
      case 'In':
        reqs.push({ key: expr.key, text: `${expr.key} in (${list})` });
        break;
      case 'NotIn':
        reqs.push({ key: expr.key, text: `${expr.key} notin (${list})` });
        break;
      case 'Exists':
        reqs.push({ key: expr.key, text: expr.key });
        break;
      case 'DoesNotExist':
        reqs.push({ key: expr.key, text: `!${expr.key}` });
        break;
      default:
        return undefined;
    }
  }
  reqs.sort((a, b) => compareGoStrings(a.key, b.key));
  return reqs.map((r) => r.text).join(',');
}

/** metav1.FormatLabelSelector: the selector string, `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(selector: LabelSelector | undefined | null): string {
  const s = labelSelectorString(selector);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}

/** layoutContainerCells: container names and images, each comma-joined in spec order. */
export function layoutContainerCells(containers: Container[] | undefined): [names: string, images: string] {
  const list = containers ?? [];
  return [list.map((c) => c.name).join(','), list.map((c) => c.image ?? '').join(',')];
}

/** Go orders strings by their UTF-8 bytes; JS's `<` uses UTF-16 code units, which differ past U+FFFF. */
export function compareGoStrings(a: string, b: string): number {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return Buffer.compare(ab, bb);
}
