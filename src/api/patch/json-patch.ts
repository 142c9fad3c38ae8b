// JSON patch (RFC 6902), `application/json-patch+json`: a list of add/remove/replace/move/copy/test
// operations addressed by JSON pointers (RFC 6901). Applied to a copy; all or nothing. Error wording follows
// evanphx/json-patch, which the API server uses.
import { cloneJson } from '../../store/json-clone.js';
import { PatchError } from './errors.js';
import { isObject, type JsonObject, type JsonValue, jsonEqual, setKey } from './json-value.js';

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

/**
 * The API server's limits (k8s.io/apiserver: maxJSONPatchOperations, and JSONPatchMaxCopyBytes armed as
 * evanphx/json-patch's AccumulatedCopySizeLimit). Without the copy limit, `copy` of a subtree into itself
 * doubles the document per operation: 25 operations in a 2 KB patch grow it past a gigabyte.
 */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;
export const ACCUMULATED_COPY_SIZE_LIMIT = 3 * 1024 * 1024;

export interface JsonPatchLimits {
  /** Bytes that all `copy` operations of one patch may add together (0: no limit). */
  accumulatedCopySizeLimit?: number;
}

export function jsonPatch<T>(target: T, operations: unknown, limits: JsonPatchLimits = {}): T {
  if (!Array.isArray(operations)) {
    throw new PatchError('malformed', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  if (operations.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(
      'tooLarge',
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${operations.length}`,
    );
  }
  const copies = { limit: limits.accumulatedCopySizeLimit ?? ACCUMULATED_COPY_SIZE_LIMIT, accumulated: 0 };
  let doc = cloneJson(target) as JsonValue;
  operations.forEach((raw, i) => {
    doc = applyOperation(doc, checkOperation(raw, i), copies);
  });
  return doc as T;
}

/**
 * The length of `value` as Go's json.Marshal writes it, which is what json-patch counts: compact JSON in
 * UTF-8, with `<`, `>`, `&` escaped as \u003c… (6 bytes, not 1) and U+2028/U+2029 as \u2028 (6, not 3).
 */
export function goJsonSize(value: JsonValue): number {
  const text = JSON.stringify(value);
  let extra = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3c || c === 0x3e || c === 0x26) extra += 5;
    else if (c === 0x2028 || c === 0x2029) extra += 3;
  }
  return Buffer.byteLength(text, 'utf8') + extra;
}

function checkOperation(raw: unknown, index: number): JsonPatchOperation {
  if (!isObject(raw)) throw new PatchError('malformed', `operation ${index}: must be an object`);
  const op = raw.op;
  if (typeof op !== 'string') throw new PatchError('malformed', `operation ${index}: missing "op"`);
  if (!['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(op)) {
    throw new PatchError('malformed', `Unexpected kind: ${op}`);
  }
  if (typeof raw.path !== 'string')
    throw new PatchError('malformed', `operation ${index} (${op}): missing "path"`);
  if ((op === 'move' || op === 'copy') && typeof raw.from !== 'string') {
    throw new PatchError('malformed', `operation ${index} (${op}): missing "from"`);
  }
  if ((op === 'add' || op === 'replace' || op === 'test') && !Object.hasOwn(raw, 'value')) {
    throw new PatchError('malformed', `operation ${index} (${op}): missing "value"`);
  }
  return raw as unknown as JsonPatchOperation;
}

/** RFC 6901: `/a/b~1c` → ['a', 'b/c']; '' is the whole document. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw new PatchError('malformed', `JSON pointer "${pointer}" must be empty or start with "/"`);
  }
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, allowEnd: boolean, pointer: string): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) {
    throw new PatchError(
      'invalid',
      `Unable to access invalid index: ${token} in ${pointer}: invalid index referenced`,
    );
  }
  const i = Number(token);
  if (i > length || (!allowEnd && i === length)) {
    throw new PatchError(
      'invalid',
      `Unable to access invalid index: ${i} in ${pointer}: invalid index referenced`,
    );
  }
  return i;
}

/** The container holding the pointer's last token, or undefined when a step on the way is missing. */
function parentOf(doc: JsonValue, tokens: string[]): JsonValue | undefined {
  let node: JsonValue | undefined = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token) || Number(token) >= node.length) return undefined;
      node = node[Number(token)];
    } else if (isObject(node)) {
      node = Object.hasOwn(node, token) ? node[token] : undefined;
    } else {
      return undefined;
    }
  }
  return node;
}

function get(doc: JsonValue, pointer: string): JsonValue | undefined {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens);
  const last = tokens.at(-1)!;
  if (Array.isArray(parent)) {
    if (!/^(0|[1-9][0-9]*)$/.test(last) || Number(last) >= parent.length) return undefined;
    return parent[Number(last)];
  }
  if (isObject(parent) && Object.hasOwn(parent, last)) return parent[last];
  return undefined;
}

function add(doc: JsonValue, pointer: string, value: JsonValue, op: string): JsonValue {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens);
  const last = tokens.at(-1)!;
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(last, parent.length, true, pointer), 0, value);
  } else if (isObject(parent)) {
    setKey(parent, last, value);
  } else {
    throw new PatchError(
      'invalid',
      `${op} operation does not apply: doc is missing path: "${pointer}": missing value`,
    );
  }
  return doc;
}

function remove(doc: JsonValue, pointer: string, op: string): { doc: JsonValue; removed: JsonValue } {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0)
    throw new PatchError('invalid', `${op} operation does not apply: cannot remove the whole document`);
  const parent = parentOf(doc, tokens);
  const last = tokens.at(-1)!;
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent.length, false, pointer);
    const [removed] = parent.splice(i, 1);
    return { doc, removed: removed! };
  }
  if (isObject(parent)) {
    if (!Object.hasOwn(parent, last)) {
      throw new PatchError(
        'invalid',
        `Unable to remove nonexistent key: ${last} in ${pointer}: missing value`,
      );
    }
    const removed = parent[last]!;
    delete (parent as JsonObject)[last];
    return { doc, removed };
  }
  throw new PatchError(
    'invalid',
    `${op} operation does not apply: doc is missing path: "${pointer}": missing value`,
  );
}

function applyOperation(
  doc: JsonValue,
  operation: JsonPatchOperation,
  copies: { limit: number; accumulated: number },
): JsonValue {
  const { op, path } = operation;
  switch (op) {
    case 'add':
      return add(doc, path, cloneJson(operation.value as JsonValue), op);
    case 'remove':
      return remove(doc, path, op).doc;
    case 'replace': {
      if (get(doc, path) === undefined) {
        throw new PatchError(
          'invalid',
          `replace operation does not apply: doc is missing key: ${path}: missing value`,
        );
      }
      if (parsePointer(path).length === 0) return cloneJson(operation.value as JsonValue);
      remove(doc, path, op);
      return add(doc, path, cloneJson(operation.value as JsonValue), op);
    }
    case 'move': {
      const from = operation.from!;
      if (path !== from && path.startsWith(`${from}/`)) {
        throw new PatchError('invalid', `move operation does not apply: "${path}" is inside "${from}"`);
      }
      if (get(doc, from) === undefined) {
        throw new PatchError(
          'invalid',
          `move operation does not apply: doc is missing from path: ${from}: missing value`,
        );
      }
      const { doc: after, removed } = remove(doc, from, op);
      return add(after, path, removed, op);
    }
    case 'copy': {
      const from = operation.from!;
      const value = get(doc, from);
      if (value === undefined) {
        throw new PatchError(
          'invalid',
          `copy operation does not apply: doc is missing from path: ${from}: missing value`,
        );
      }
      // Counted before the copy is made, so that a refused copy costs no more than measuring it.
      copies.accumulated += goJsonSize(value);
      if (copies.limit > 0 && copies.accumulated > copies.limit) {
        throw new PatchError(
          'invalid',
          `Unable to complete the copy, the accumulated size increase of copy is ${copies.accumulated}, exceeding the limit ${copies.limit}`,
        );
      }
      return add(doc, path, cloneJson(value), op);
    }
    case 'test': {
      const actual = get(doc, path);
      const expected = operation.value;
      const same = actual !== undefined && jsonEqual(actual, expected);
      if (!same) throw new PatchError('invalid', `testing value ${path} failed: test failed`);
      return doc;
    }
  }
}
