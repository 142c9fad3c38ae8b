// Label and field selectors, as the API server evaluates `labelSelector=` / `fieldSelector=` and as
// controllers evaluate a Deployment's or ReplicaSet's `spec.selector`. Parsing and error wording follow
// apimachinery: pkg/labels/selector.go, pkg/fields/selector.go, pkg/util/validation/validation.go, and the
// per-kind field label conversions in pkg/apis/*/v1/conversion.go.

import { isQualifiedName, isValidLabelValue } from './validation/names.js';

/** A selector that failed to parse; `message` is upstream's wording. */
export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  /** True when nothing can match (a nil LabelSelector object). */
  readonly matchesNothing: boolean;
  /** Matches a label set, or an object by its metadata.labels. */
  matches(
    labelsOrObject: Record<string, string> | { metadata?: { labels?: Record<string, string> } },
  ): boolean;
  /** The canonical string form, as `kubectl get -o wide` prints selectors. */
  toString(): string;
}

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  matches(object: unknown): boolean;
}

// ---------------------------------------------------------------- label selectors: lexer

type Tok = 'id' | 'in' | 'notin' | '!' | '!=' | '=' | '==' | '>' | '<' | '(' | ')' | ',' | 'end' | 'error';

const SYMBOL_TOKENS: Record<string, Tok> = {
  '!': '!',
  '!=': '!=',
  '=': '=',
  '==': '==',
  '>': '>',
  '<': '<',
  '(': '(',
  ')': ')',
  ',': ',',
};

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

function isSpecialSymbol(ch: string): boolean {
  return ch === '=' || ch === '!' || ch === '(' || ch === ')' || ch === ',' || ch === '>' || ch === '<';
}

interface Scanned {
  tok: Tok;
  lit: string;
}

function lex(input: string): Scanned[] {
  const out: Scanned[] = [];
  let i = 0;
  for (;;) {
    while (i < input.length && isWhitespace(input[i]!)) i++;
    if (i >= input.length) {
      out.push({ tok: 'end', lit: '' });
      return out;
    }
    const ch = input[i]!;
    if (isSpecialSymbol(ch)) {
      // Longest run of symbols that still forms a token, like upstream's scanSpecialSymbol.
      let buffer = '';
      let last: Scanned | undefined;
      while (i < input.length && isSpecialSymbol(input[i]!)) {
        buffer += input[i];
        const tok = SYMBOL_TOKENS[buffer];
        if (tok) {
          last = { tok, lit: buffer };
        } else if (last) {
          break;
        }
        i++;
      }
      out.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buffer}'` });
      if (!last) {
        out.push({ tok: 'end', lit: '' });
        return out;
      }
      continue;
    }
    const start = i;
    while (i < input.length && !isSpecialSymbol(input[i]!) && !isWhitespace(input[i]!)) i++;
    const word = input.slice(start, i);
    out.push({ tok: word === 'in' ? 'in' : word === 'notin' ? 'notin' : 'id', lit: word });
  }
}

// ---------------------------------------------------------------- label selectors: parser

type Context = 'keyAndOperator' | 'values';

class LabelParser {
  #items: Scanned[];
  #pos = 0;

  constructor(input: string) {
    this.#items = lex(input);
  }

  #lookahead(ctx: Context): Scanned {
    const item = this.#items[Math.min(this.#pos, this.#items.length - 1)]!;
    if (ctx === 'values' && (item.tok === 'in' || item.tok === 'notin')) return { tok: 'id', lit: item.lit };
    return item;
  }

  #consume(ctx: Context): Scanned {
    const item = this.#lookahead(ctx);
    if (this.#pos < this.#items.length - 1) this.#pos++;
    return item;
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.#lookahead('values');
      if (tok === 'id' || tok === '!') {
        let r: LabelRequirement;
        try {
          r = this.#parseRequirement();
        } catch (err) {
          throw new SelectorError(`unable to parse requirement: ${(err as Error).message}`);
        }
        requirements.push(r);
        const next = this.#consume('values');
        if (next.tok === 'end') return requirements;
        if (next.tok === ',') {
          const after = this.#lookahead('values');
          if (after.tok !== 'id' && after.tok !== '!') {
            throw new SelectorError(`found '${after.lit}', expected: identifier after ','`);
          }
          continue;
        }
        throw new SelectorError(`found '${next.lit}', expected: ',' or 'end of string'`);
      }
      if (tok === 'end') return requirements;
      throw new SelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
    }
  }

  #parseRequirement(): LabelRequirement {
    let operator: LabelOperator | undefined;
    let { tok, lit } = this.#consume('values');
    if (tok === '!') {
      operator = '!';
      ({ tok, lit } = this.#consume('values'));
    }
    if (tok !== 'id') throw new Error(`found '${lit}', expected: identifier`);
    const key = lit;
    const keyError = validateLabelKey(key, 'key');
    if (keyError) throw new Error(keyError);
    // `!key` is complete by itself; whatever follows it is the caller's to reject (`!a=b` fails at '=').
    if (operator === '!') return newRequirement(key, '!', []);
    const next = this.#lookahead('values').tok;
    if (next === 'end' || next === ',') return newRequirement(key, 'exists', []);
    operator = this.#parseOperator();
    const values = operator === 'in' || operator === 'notin' ? this.#parseValues() : this.#parseExactValue();
    return newRequirement(key, operator, [...values].sort());
  }

  #parseOperator(): LabelOperator {
    const { tok, lit } = this.#consume('keyAndOperator');
    switch (tok) {
      case 'in':
        return 'in';
      case 'notin':
        return 'notin';
      case '=':
        return '=';
      case '==':
        return '==';
      case '!=':
        return '!=';
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        throw new Error(`found '${lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  #parseValues(): Set<string> {
    const open = this.#consume('values');
    if (open.tok !== '(') throw new Error(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.#lookahead('values');
    if (tok === 'id' || tok === ',') {
      const values = this.#parseIdentifiersList();
      if (this.#consume('values').tok !== ')') throw new Error(`found '${lit}', expected: ')'`);
      return values;
    }
    if (tok === ')') {
      this.#consume('values');
      return new Set(['']);
    }
    throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
  }

  #parseIdentifiersList(): Set<string> {
    const values = new Set<string>();
    for (;;) {
      const { tok, lit } = this.#consume('values');
      if (tok === 'id') {
        values.add(lit);
        const next = this.#lookahead('values');
        if (next.tok === ',') continue;
        if (next.tok === ')') return values;
        throw new Error(`found '${next.lit}', expected: ',' or ')'`);
      }
      if (tok === ',') {
        if (values.size === 0) values.add('');
        const next = this.#lookahead('values');
        if (next.tok === ')') {
          values.add('');
          return values;
        }
        if (next.tok === ',') {
          this.#consume('values');
          values.add('');
        }
        continue;
      }
      throw new Error(`found '${lit}', expected: ',', or identifier`);
    }
  }

  #parseExactValue(): Set<string> {
    const next = this.#lookahead('values');
    if (next.tok === 'end' || next.tok === ',') return new Set(['']);
    const { tok, lit } = this.#consume('values');
    if (tok === 'id') return new Set([lit]);
    throw new Error(`found '${lit}', expected: identifier`);
  }
}

// ---------------------------------------------------------------- validation (apimachinery wording)

/** field.Invalid(...).Error(): `<path>: Invalid value: "<v>": <detail>`. */
function invalid(path: string, value: unknown, detail: string): string {
  const shown = typeof value === 'string' ? JSON.stringify(value) : goSliceLiteral(value);
  return `${path}: Invalid value: ${shown}: ${detail}`;
}

function goSliceLiteral(value: unknown): string {
  if (Array.isArray(value)) return `[]string{${value.map((v) => JSON.stringify(v)).join(', ')}}`;
  return String(value);
}

function validateLabelKey(key: string, path: string): string | undefined {
  const errs = isQualifiedName(key);
  return errs.length ? invalid(path, key, errs.join('; ')) : undefined;
}

/** labels.NewRequirement: validates and builds one requirement; throws with the aggregated message. */
function newRequirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const errs: string[] = [];
  const keyError = validateLabelKey(key, 'key');
  if (keyError) errs.push(keyError);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0)
        errs.push(invalid('values', values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1)
        errs.push(invalid('values', values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0)
        errs.push(invalid('values', values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1)
        errs.push(invalid('values', values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (!/^[+-]?\d+$/.test(v))
          errs.push(invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  values.forEach((v, i) => {
    const valueErrs = isValidLabelValue(v);
    if (valueErrs.length) errs.push(invalid(`values[${i}]`, v, valueErrs.join('; ')));
  });
  if (errs.length === 1) throw new Error(errs[0]);
  if (errs.length > 1) throw new Error(`[${errs.join(', ')}]`);
  return { key, operator, values };
}

// ---------------------------------------------------------------- label selectors: matching

function requirementMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value!);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(value!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^[+-]?\d+$/.test(value!)) return false;
      const left = Number(value);
      const right = Number(r.values[0]);
      return r.operator === 'gt' ? left > right : left < right;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.operator}${r.values[0]}`;
  }
}

function labelsOf(
  input: Record<string, string> | { metadata?: { labels?: Record<string, string> } },
): Record<string, string> {
  const metadata = (input as { metadata?: unknown }).metadata;
  if (metadata !== null && typeof metadata === 'object') {
    return ((metadata as { labels?: Record<string, string> }).labels ?? {}) as Record<string, string>;
  }
  return input as Record<string, string>;
}

function makeLabelSelector(requirements: LabelRequirement[], matchesNothing = false): LabelSelector {
  // Sorted by key, like upstream's internalSelector, so toString() is canonical.
  const sorted = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    requirements: sorted,
    matchesNothing,
    matches(input) {
      if (matchesNothing) return false;
      const labels = labelsOf(input);
      for (const r of sorted) if (!requirementMatches(r, labels)) return false;
      return true;
    },
    toString() {
      return sorted.map(requirementString).join(',');
    },
  };
}

/**
 * Parses the string form: `a=b,c!=d,e in (x,y),f notin (z),g,!h,n>1`. An empty string selects everything.
 * Throws SelectorError with apimachinery's message for bad input.
 */
export function parseLabelSelector(s: string): LabelSelector {
  return makeLabelSelector(new LabelParser(s).parse());
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: { key: string; operator: string; values?: string[] | null }[] | null;
}

/**
 * metav1.LabelSelectorAsSelector: `undefined`/`null` selects nothing, `{}` selects everything.
 * Throws SelectorError for an unknown operator or invalid keys/values.
 */
export function labelSelectorFromObject(sel: LabelSelectorObject | null | undefined): LabelSelector {
  if (sel === null || sel === undefined) return makeLabelSelector([], true);
  const requirements: LabelRequirement[] = [];
  try {
    for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
      requirements.push(newRequirement(key, '=', [value]));
    }
    for (const expr of sel.matchExpressions ?? []) {
      const op = EXPRESSION_OPERATORS[expr.operator];
      if (!op) throw new Error(`"${expr.operator}" is not a valid label selector operator`);
      requirements.push(newRequirement(expr.key, op, [...(expr.values ?? [])]));
    }
  } catch (err) {
    throw new SelectorError((err as Error).message);
  }
  return makeLabelSelector(requirements);
}

const EXPRESSION_OPERATORS: Record<string, LabelOperator | undefined> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

// ---------------------------------------------------------------- field selectors

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
