// How deep a manifest or a request body may nest objects and lists, measured before anything recursive
// touches it. Upstream's decoders stop at 10,000 levels (encoding/json's maxNestingDepth, go-yaml's
// max_flow_level and max_indents, apimachinery's util/json maxDepth), a guard for Go's growable stacks.
// Node's stack is fixed (about 1 MB): the yaml library's composer takes about 1.25 KB of it per level and
// overflows near 780 flow levels, and a stack overflow inside it can abort the whole process (V8 compiling a
// regular expression at the stack limit fails with "RegExpCompiler Allocation failed - process out of
// memory"). So podrun stops at 100 levels, eight times below that and beyond any Kubernetes object (the
// deepest paths of the built-in kinds are under 20 levels), with an error instead of a crash.
import { type CST, Parser } from 'yaml';

export const MAX_NESTING_DEPTH = 100;

export function nestingMessage(what: string, where: string): string {
  return `${what} nests objects and lists deeper than ${MAX_NESTING_DEPTH} levels (${where}); no Kubernetes object needs that`;
}

/** The offset where JSON text first opens a level past `max`, or -1. Strings are skipped. */
export function jsonNestingPastLimit(text: string, max = MAX_NESTING_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}

/**
 * The offset of the first YAML collection nested past `max`, or -1. Reads the concrete syntax tree, which
 * the library's parser builds without recursion, and walks it with a stack of its own, so that no input
 * reaches the recursive composer deeper than `max`. Covers flow (`[`, `{`) and block (indentation, `- - -`)
 * collections alike, and keys that are collections. Aliases add no depth here; their expansion is bounded
 * by the alias count limit.
 */
export function yamlNestingPastLimit(text: string, max = MAX_NESTING_DEPTH): number {
  const stack: Array<[CST.Token, number]> = [];
  for (const token of new Parser().parse(text)) stack.push([token, 0]);
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    switch (token.type) {
      case 'document':
        if (token.value) stack.push([token.value, depth]);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        if (depth + 1 > max) return token.offset;
        for (const item of token.items) {
          if ('key' in item && item.key) stack.push([item.key, depth + 1]);
          if (item.value) stack.push([item.value, depth + 1]);
        }
        break;
      }
      default:
        break;
    }
  }
  return -1;
}

/** Whether a parsed value nests past `max`; measured without recursion. */
export function valueNestsPastLimit(value: unknown, max = MAX_NESTING_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
