// Field selectors (`fieldSelector=`), as the API server evaluates them: the terms of pkg/fields/selector.go
// (escaping, `=`, `==`, `!=`) over the fields each kind allows, with upstream's per-kind field label
// conversions (pkg/apis/*/v1/conversion.go).

import { SelectorError } from './selectors.js';

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  matches(object: unknown): boolean;
}

type FieldGetter = (object: Record<string, unknown>) => string;

function path(...keys: string[]): FieldGetter {
  return (object) => {
    let v: unknown = object;
    for (const k of keys) {
      if (v === null || typeof v !== 'object') return '';
      v = (v as Record<string, unknown>)[k];
    }
    if (v === undefined || v === null) return '';
    return String(v);
  };
}

const META_FIELDS: Record<string, FieldGetter> = {
  'metadata.name': path('metadata', 'name'),
  'metadata.namespace': path('metadata', 'namespace'),
};

const intField =
  (...keys: string[]): FieldGetter =>
  (object) =>
    path(...keys)(object) || '0';

/**
 * Selectable fields per kind (the registries' ToSelectableFields). Kinds absent here support only
 * metadata.name and metadata.namespace, with the generic error message.
 */
const KIND_FIELDS: Record<string, Record<string, FieldGetter>> = {
  Pod: {
    ...META_FIELDS,
    'spec.nodeName': path('spec', 'nodeName'),
    'spec.restartPolicy': path('spec', 'restartPolicy'),
    'spec.schedulerName': path('spec', 'schedulerName'),
    'spec.serviceAccountName': path('spec', 'serviceAccountName'),
    'spec.hostNetwork': (o) => (path('spec', 'hostNetwork')(o) === 'true' ? 'true' : 'false'),
    'status.phase': path('status', 'phase'),
    'status.podIP': (o) => {
      const ips = (o.status as { podIPs?: { ip?: string }[] } | undefined)?.podIPs;
      return ips?.[0]?.ip ?? path('status', 'podIP')(o);
    },
    'status.nominatedNodeName': path('status', 'nominatedNodeName'),
  },
  Event: {
    ...META_FIELDS,
    'involvedObject.kind': path('involvedObject', 'kind'),
    'involvedObject.namespace': path('involvedObject', 'namespace'),
    'involvedObject.name': path('involvedObject', 'name'),
    'involvedObject.uid': path('involvedObject', 'uid'),
    'involvedObject.apiVersion': path('involvedObject', 'apiVersion'),
    'involvedObject.resourceVersion': path('involvedObject', 'resourceVersion'),
    'involvedObject.fieldPath': path('involvedObject', 'fieldPath'),
    reason: path('reason'),
    reportingComponent: path('reportingComponent'),
    source: (o) => path('source', 'component')(o) || path('reportingComponent')(o),
    type: path('type'),
  },
  Secret: { ...META_FIELDS, type: path('type') },
  // Cluster-scoped: upstream accepts no metadata.namespace here.
  Namespace: { 'metadata.name': path('metadata', 'name'), 'status.phase': path('status', 'phase') },
  Service: { ...META_FIELDS, 'spec.clusterIP': path('spec', 'clusterIP'), 'spec.type': path('spec', 'type') },
  Job: { ...META_FIELDS, 'status.successful': intField('status', 'succeeded') },
  ReplicaSet: { ...META_FIELDS, 'status.replicas': intField('status', 'replicas') },
  // Cluster-scoped (NodeToSelectableFields); spec.unschedulable prints as Go's strconv.FormatBool.
  Node: {
    'metadata.name': path('metadata', 'name'),
    'spec.unschedulable': (o) => (path('spec', 'unschedulable')(o) === 'true' ? 'true' : 'false'),
  },
};

/** Old clients send `spec.host`; upstream converts it to `spec.nodeName`. */
const FIELD_ALIASES: Record<string, Record<string, string>> = { Pod: { 'spec.host': 'spec.nodeName' } };

function fieldGetter(kind: string, field: string): FieldGetter {
  const known = KIND_FIELDS[kind];
  if (!known) {
    const getter = META_FIELDS[field];
    if (!getter)
      throw new SelectorError(
        `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
      );
    return getter;
  }
  const getter = known[field];
  if (!getter) throw new SelectorError(`field label not supported: ${field}`);
  return getter;
}

function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && i + 1 < s.length) {
      current += ch + s[i + 1];
      i++;
    } else if (ch === ',') {
      terms.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  terms.push(current);
  return terms;
}

function splitTerm(term: string): [string, '=' | '!=' | '==', string] | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term[i] === '\\') {
      i++;
      continue;
    }
    for (const op of ['!=', '==', '='] as const) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

function unescapeValue(s: string): string {
  let out = '';
  let inSlash = false;
  for (const ch of s) {
    if (inSlash) {
      if (ch !== '\\' && ch !== ',' && ch !== '=') {
        throw new SelectorError(`invalid field selector: invalid escape sequence: \\${ch}`);
      }
      out += ch;
      inSlash = false;
      continue;
    }
    if (ch === '\\') inSlash = true;
    // Upstream formats the rune with %v, which prints its code point.
    else if (ch === ',' || ch === '=') {
      throw new SelectorError(`invalid field selector: unescaped character in value: ${ch.codePointAt(0)}`);
    } else out += ch;
  }
  if (inSlash) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/**
 * Parses `a=b,c!=d` / `a==b` for objects of `kind` (e.g. `Pod`) and checks each field is selectable for it.
 * An empty string selects everything.
 */
export function parseFieldSelector(s: string, kind: string): FieldSelector {
  const requirements: FieldRequirement[] = [];
  const getters: FieldGetter[] = [];
  for (const part of splitTerms(s).sort()) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (!split) throw new SelectorError(`invalid selector: '${s}'; can't understand '${part}'`);
    const [rawField, op, rhs] = split;
    const value = unescapeValue(rhs);
    const field = FIELD_ALIASES[kind]?.[rawField] ?? rawField;
    getters.push(fieldGetter(kind, field));
    requirements.push({ field, operator: op === '!=' ? '!=' : '=', value });
  }
  return {
    requirements,
    matches(object) {
      if (object === null || typeof object !== 'object') return false;
      for (let i = 0; i < requirements.length; i++) {
        const actual = getters[i]!(object as Record<string, unknown>);
        const r = requirements[i]!;
        if ((actual === r.value) !== (r.operator === '=')) return false;
      }
      return true;
    },
  };
}
