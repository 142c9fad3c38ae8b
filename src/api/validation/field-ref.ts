// A fieldRef (ObjectFieldSelector) as env vars and downwardAPI volumes name it: validateObjectFieldSelector, with
// the field paths each of them may select.
import { type FieldError, invalid, notSupported, required } from './field-error.js';
import { isQualifiedName } from './names.js';
import { child, type Path } from './path.js';

export function validateFieldRef(
  ref: { apiVersion?: string; fieldPath: string },
  allowed: readonly string[],
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  if (ref.apiVersion === '') errs.push(required(child(path, 'apiVersion')));
  else if (ref.apiVersion !== undefined && ref.apiVersion !== 'v1') {
    errs.push(invalid(child(path, 'apiVersion'), ref.apiVersion, 'unsupported version'));
  }
  const fp = ref.fieldPath ?? '';
  if (fp === '') {
    errs.push(required(child(path, 'fieldPath')));
    return errs;
  }
  // metadata.labels['key'] and metadata.annotations['key'] select one entry.
  const subscript = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(fp);
  if (subscript) {
    const k = subscript[2]!;
    const kerrs = subscript[1] === 'metadata.labels' ? isQualifiedName(k) : isQualifiedName(k.toLowerCase());
    for (const m of kerrs) errs.push(invalid(path, k, m));
  } else if (!allowed.includes(fp)) {
    errs.push(notSupported(child(path, 'fieldPath'), fp, allowed));
  }
  return errs;
}
