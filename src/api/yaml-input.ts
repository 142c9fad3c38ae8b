// Rules for YAML from users, shared by the API server's bodies and `podrun validate/up -f`.
//
// A YAML mapping key that is itself a mapping or a sequence (`{a: 1}: x`, `? [a]`). JSON has no such keys:
// go-yaml refuses them ("invalid map key") before sigs.k8s.io/yaml converts YAML to JSON, and the yaml
// library would turn them into strings and print a process warning for each, a way to flood the log.
import { type Document, isAlias, isCollection, isPair, isScalar, type Node } from 'yaml';

/**
 * How many alias expansions a document may make: the yaml library's default, which the API server's YAML
 * decoding has always used; an alias bomb (billion laughs) stops here with "Excessive alias count".
 */
export const MAX_YAML_ALIASES = 100;

/**
 * A key that is a collection, an alias of one, or a scalar whose value is an object (`!!binary` makes bytes,
 * `!!timestamp` a Date): none of them is a JSON key.
 */
function notAStringKey(doc: Document, key: unknown): boolean {
  const k = isAlias(key) ? key.resolve(doc) : key;
  if (isCollection(k)) return true;
  return isScalar(k) && typeof k.value === 'object' && k.value !== null;
}

/** The first key in `doc` that is a collection, found without recursion; undefined when there is none. */
export function collectionKey(doc: Document): Node | undefined {
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isPair(node)) {
      if (notAStringKey(doc, node.key)) return node.key as Node;
      stack.push(node.value);
    } else if (isCollection(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return undefined;
}

export function collectionKeyMessage(line: number): string {
  return `invalid map key at line ${line}: a key must be a string, a number or a boolean, not a mapping, a sequence or binary data`;
}
