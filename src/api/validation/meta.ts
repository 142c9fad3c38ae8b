// ObjectMeta, labels, annotations and label selectors (apimachinery api/validation/objectmeta.go,
// apimachinery/pkg/apis/meta/v1/validation, pkg/apis/core/validation ValidateObjectMeta).

import type { LabelSelector, ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { type FieldError, forbidden, invalid, notSupported, required, tooLong } from './field-error.js';
import { isDNS1123Label, isQualifiedName, isValidLabelValue, maskTrailingDash } from './names.js';
import { child, index, type Path } from './path.js';

export type NameFn = (name: string) => string[];

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export function validateLabels(labels: Record<string, string> | undefined, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(invalid(path, k, msg));
    for (const msg of isValidLabelValue(v)) errs.push(invalid(path, v, msg));
  }
  return errs;
}

export function validateAnnotations(
  annotations: Record<string, string> | undefined,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    // Annotation keys are qualified names except that case does not matter.
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, msg));
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(path, '', TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

export interface MetaOptions {
  namespaced: boolean;
  nameFn: NameFn;
}

export function validateObjectMeta(meta: ObjectMeta, opts: MetaOptions, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const gen = meta.generateName ?? '';
  if (gen !== '') {
    for (const msg of opts.nameFn(maskTrailingDash(gen)))
      errs.push(invalid(child(path, 'generateName'), gen, msg));
  }
  const name = meta.name ?? '';
  if (name === '') {
    // The API server fills name from generateName before validating, so only a missing pair is an error.
    if (gen === '') errs.push(required(child(path, 'name'), 'name or generateName is required'));
  } else {
    for (const msg of opts.nameFn(name)) errs.push(invalid(child(path, 'name'), name, msg));
  }
  const ns = meta.namespace ?? '';
  if (opts.namespaced) {
    // An empty namespace is filled in by kubectl or the API server (the request's namespace).
    for (const msg of isDNS1123Label(ns === '' ? 'default' : ns))
      errs.push(invalid(child(path, 'namespace'), ns, msg));
  } else if (ns !== '') {
    errs.push(forbidden(child(path, 'namespace'), 'not allowed on this type'));
  }
  if (meta.generation !== undefined && meta.generation < 0) {
    errs.push(invalid(child(path, 'generation'), meta.generation, 'must be greater than or equal to 0'));
  }
  errs.push(...validateLabels(meta.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(path, 'annotations')));
  const refsPath = child(path, 'ownerReferences');
  let controllers = 0;
  for (const ref of meta.ownerReferences ?? []) {
    const slash = ref.apiVersion.lastIndexOf('/');
    if ((slash < 0 ? ref.apiVersion : ref.apiVersion.slice(slash + 1)) === '') {
      errs.push(invalid(child(refsPath, 'apiVersion'), ref.apiVersion, 'version must not be empty'));
    }
    if (!ref.kind) errs.push(invalid(child(refsPath, 'kind'), ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) errs.push(invalid(child(refsPath, 'name'), ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) errs.push(invalid(child(refsPath, 'uid'), ref.uid ?? '', 'uid must not be empty'));
    if (ref.controller) controllers++;
  }
  if (controllers > 1) {
    errs.push(invalid(refsPath, meta.ownerReferences, 'Only one reference can have Controller set to true'));
  }
  const finPath = child(path, 'finalizers');
  for (const f of meta.finalizers ?? []) errs.push(...validateFinalizerName(f, finPath));
  errs.push(...validateManagedFields(meta.managedFields, child(path, 'managedFields')));
  return errs;
}

const MAX_SUBRESOURCE_NAME_LENGTH = 256;

/**
 * ValidateManagedFields: entries a client sends (or an older server wrote) have an Apply or Update operation,
 * FieldsV1, a manager as the fieldManager option's (at most 128 printable bytes), and a short subresource.
 */
function validateManagedFields(entries: ObjectMeta['managedFields'], path: Path): FieldError[] {
  const errs: FieldError[] = [];
  (entries ?? []).forEach((e, i) => {
    const p = index(path, i);
    if (e.operation !== 'Apply' && e.operation !== 'Update') {
      errs.push(invalid(child(p, 'operation'), e.operation ?? '', 'must be `Apply` or `Update`'));
    }
    if (e.fieldsType && e.fieldsType !== 'FieldsV1') {
      errs.push(invalid(child(p, 'fieldsType'), e.fieldsType, 'must be `FieldsV1`'));
    }
    errs.push(...validateFieldManager(e.manager ?? '', child(p, 'manager')));
    const sub = e.subresource ?? '';
    if (Buffer.byteLength(sub) > MAX_SUBRESOURCE_NAME_LENGTH) {
      errs.push(tooLong(child(p, 'subresource'), sub, MAX_SUBRESOURCE_NAME_LENGTH));
    }
  });
  return errs;
}

export function validateFinalizerName(f: string, path: Path): FieldError[] {
  const errs = isQualifiedName(f).map((msg) => invalid(path, f, msg));
  if (errs.length === 0 && !f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
    errs.push(invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified'));
  }
  return errs;
}

const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export function validateLabelSelector(sel: LabelSelector | undefined, path: Path): FieldError[] {
  if (!sel) return [];
  const errs: FieldError[] = [];
  (sel.matchExpressions ?? []).forEach((req, i) => {
    const p = index(child(path, 'matchExpressions'), i);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          errs.push(required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          errs.push(
            forbidden(
              child(p, 'values'),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      default:
        errs.push(notSupported(child(p, 'operator'), req.operator, SELECTOR_OPERATORS));
    }
    for (const msg of isQualifiedName(req.key)) errs.push(invalid(child(p, 'key'), req.key, msg));
    values.forEach((v, j) => {
      for (const msg of isValidLabelValue(v)) errs.push(invalid(index(child(p, 'values'), j), v, msg));
    });
  });
  errs.push(...validateLabels(sel.matchLabels, child(path, 'matchLabels')));
  return errs;
}

/** Whether `labels` satisfy `sel` (metav1.LabelSelectorAsSelector + Matches). An empty selector matches all. */
export function selectorMatches(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const req of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(l, req.key);
    const vals = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || !vals.includes(l[req.key]!)) return false;
        break;
      case 'NotIn':
        if (has && vals.includes(l[req.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

export function isEmptySelector(sel: LabelSelector): boolean {
  return Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0;
}

const FIELD_MANAGER_MAX_LENGTH = 128;

/**
 * ValidateFieldManager (apimachinery's meta/v1 validation): at most 128 bytes, every character printable
 * (unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space). Positions are byte
 * offsets, as Go's range over a string gives them.
 */
export function validateFieldManager(fieldManager: string, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (Buffer.byteLength(fieldManager) > FIELD_MANAGER_MAX_LENGTH) {
    errs.push(tooLong(path, fieldManager, FIELD_MANAGER_MAX_LENGTH));
  }
  let at = 0;
  for (const ch of fieldManager) {
    if (ch !== ' ' && !PRINTABLE.test(ch)) {
      const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      errs.push(invalid(path, fieldManager, `invalid character U+${code} (at position ${at})`));
    }
    at += Buffer.byteLength(ch);
  }
  return errs;
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
