// Field-level validation errors, shaped and worded like apimachinery's field.Error
// (staging/src/k8s.io/apimachinery/pkg/util/validation/field/errors.go). Validators build these as data with a
// field path; only the edges (API Status causes, the CLI) render them with formatFieldError.
import { goQuote } from '../../util/go-format.js';

export { goQuote };

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueNotSupported'
  | 'FieldValueTypeInvalid'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueNotFound';

export interface FieldError {
  type: FieldErrorType;
  /** `spec.containers[0].image`, as field.Path.String() prints it. */
  field: string;
  badValue?: unknown;
  detail: string;
}

/** A bad value that prints itself, like a Go value implementing fmt.Stringer (e.g. a LabelSelector). */
export class GoValue {
  constructor(
    readonly value: unknown,
    private readonly text: string,
  ) {}
  toString(): string {
    return this.text;
  }
}

/** Marks a bad value that the message omits (field.omitValue), e.g. TooMany without a count. */
export const OMIT_VALUE: unique symbol = Symbol('omitValue');

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueTypeInvalid: 'Invalid value',
};

/** The type's canonical text: `Required value`, `Unsupported value`, … */
export function fieldErrorTypeText(type: FieldErrorType): string {
  return TYPE_TEXT[type];
}

/** Go's %#v for the bad values validators report (label maps, string lists); JSON for anything else. */
export function goSyntax(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof GoValue) return value.toString();
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return `[]string{${value.map(goQuote).join(', ')}}`;
    return JSON.stringify(value);
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.every(([, v]) => typeof v === 'string')) {
      // Go prints maps with sorted keys.
      const body = entries
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => `${goQuote(k)}:${goQuote(v as string)}`)
        .join(', ');
      return `map[string]string{${body}}`;
    }
    return JSON.stringify(value);
  }
  return String(value);
}

/** The message without the field: field.Error.ErrorBody(). */
export function fieldErrorBody(e: FieldError): string {
  const typeText = TYPE_TEXT[e.type];
  let s: string;
  switch (e.type) {
    case 'FieldValueRequired':
    case 'FieldValueForbidden':
    case 'FieldValueTooLong':
      s = typeText;
      break;
    default:
      if (e.badValue === OMIT_VALUE) s = typeText;
      else s = `${typeText}: ${goSyntax(e.badValue)}`;
  }
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

/** `spec.initContainers[0].name: Duplicate value: "app"`: field.Error.Error(). */
export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

// Constructors, named like field.Required, field.Invalid, … They take a rendered path (see path.ts).

export function required(field: string, detail = ''): FieldError {
  return { type: 'FieldValueRequired', field, badValue: '', detail };
}

export function invalid(field: string, badValue: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, badValue, detail };
}

export function typeInvalid(field: string, badValue: unknown, detail: string): FieldError {
  return { type: 'FieldValueTypeInvalid', field, badValue, detail };
}

export function duplicate(field: string, badValue: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field, badValue, detail: '' };
}

export function notFound(field: string, badValue: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, badValue, detail: '' };
}

export function forbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, badValue: '', detail };
}

export function notSupported(field: string, badValue: unknown, validValues: readonly string[]): FieldError {
  const detail = validValues.length > 0 ? `supported values: ${validValues.map(goQuote).join(', ')}` : '';
  return { type: 'FieldValueNotSupported', field, badValue, detail };
}

export function tooLong(field: string, badValue: unknown, maxLength: number): FieldError {
  return { type: 'FieldValueTooLong', field, badValue, detail: `must have at most ${maxLength} bytes` };
}

export function tooMany(field: string, actual: number, max: number): FieldError {
  return {
    type: 'FieldValueTooMany',
    field,
    badValue: actual >= 0 ? actual : OMIT_VALUE,
    detail: max >= 0 ? `must have at most ${max} items` : 'has too many items',
  };
}
