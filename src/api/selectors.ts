// Label selectors, as the API server evaluates `labelSelector=` (field selectors: field-selectors.ts) and as
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
