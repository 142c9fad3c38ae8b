// `-o json|yaml|name` as kubectl prints them: objects as unstructured maps (keys sorted, as Go marshals a
// map), JSON indented four spaces, YAML as sigs.k8s.io/yaml writes it (sequences not indented under their
// key), several objects wrapped in a `List`.
import { stringify as yamlStringify } from 'yaml';
import { apiVersionOf, type ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { kindPrefix } from './resources.js';

export const OUTPUT_FORMATS = ['wide', 'json', 'yaml', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** The object with its apiVersion and kind, which list items come without. */
/**
 * The object as kubectl prints it: with its apiVersion and kind, and without metadata.managedFields unless
 * asked (kubectl's --show-managed-fields, off by default).
 */
export function typed(r: ResourceInfo, object: KubeObject, showManagedFields = false): KubeObject {
  const out = { ...object, apiVersion: apiVersionOf(r), kind: r.kind };
  if (!showManagedFields && out.metadata?.managedFields !== undefined) {
    const { managedFields: _hidden, ...metadata } = out.metadata;
    out.metadata = metadata;
  }
  return out;
}

/** One object as itself, several (or a list request) as a `List`. */
export function listOrObject(objects: KubeObject[], single: boolean): unknown {
  if (single && objects.length === 1) return objects[0];
  return { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } };
}

export function formatJson(value: unknown): string {
  // Go's encoding/json escapes HTML characters and the JavaScript line separators.
  const text = JSON.stringify(sortKeys(value), null, 4).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${text}\n`;
}

export function formatYaml(value: unknown): string {
  // YAML 1.1, as go-yaml writes it: strings that would read back as timestamps or booleans are quoted.
  // Long strings stay on one line (go-yaml folds them past column 80, at other places than this library).
  return yamlStringify(sortKeys(value), {
    version: '1.1',
    lineWidth: 0,
    indentSeq: false,
    aliasDuplicateObjects: false,
  });
}

/** `pod/web`, `deployment.apps/web`. */
export function formatName(r: ResourceInfo, object: KubeObject): string {
  return `${kindPrefix(r)}/${object.metadata?.name ?? ''}\n`;
}
