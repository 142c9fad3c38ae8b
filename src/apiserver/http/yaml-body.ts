// A YAML request body (application/yaml, application/apply-patch+yaml) as a value, or the 400 that says where
// it is broken. Pure and synchronous: body.ts runs it inline for small bodies and on the YAML worker
// (yaml-body-pool.ts) for large ones.
import { nestingMessage, valueNestsPastLimit, yamlNestingPastLimit } from '../../api/nesting.js';
import { collectionKey, collectionKeyMessage, MAX_YAML_ALIASES } from '../../api/yaml-input.js';
import { parseYamlDocument } from '../../api/yaml-parse.js';
import { type ApiError, badRequest } from '../errors.js';

export function tooDeep(where: string): ApiError {
  return badRequest(nestingMessage('the request body', where));
}

export function parseYamlBodyText(text: string): unknown {
  // Measured on the syntax tree first: the parser that builds values recurses, and must not be handed a
  // document that would take it to the end of the stack.
  const past = yamlNestingPastLimit(text);
  if (past >= 0) throw tooDeep(`at byte ${past}`);
  let value: unknown;
  try {
    // The first error only, and repeated keys found in linear time (yaml-parse.ts): a body of a million
    // broken lines is one 400, as go-yaml's first error is, not a million errors built before it.
    const { doc, lineCounter: lc } = parseYamlDocument(text, { version: '1.1' });
    const key = collectionKey(doc);
    if (key) throw new Error(collectionKeyMessage(lc.linePos(key.range?.[0] ?? 0).line));
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    if (e instanceof RangeError) throw tooDeep('the YAML parser ran out of stack');
    const msg = e instanceof Error ? e.message : String(e);
    throw badRequest(`the request body is not valid YAML: ${msg}`);
  }
  if (valueNestsPastLimit(value)) throw tooDeep('in YAML');
  return value;
}
