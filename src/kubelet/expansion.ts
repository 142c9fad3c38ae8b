// Kubernetes' `$(VAR)` expansion (third_party/forked/golang/expansion), used for env values, command, args
// and subPathExpr. It is deliberately not shell syntax: `$VAR` and `${VAR}` pass through, `$$` escapes the
// operator, and a reference that names no known variable is left as written.
import type { Container } from '../api/types.js';
import type { KeyValue } from '../runtime/types.js';

const OPERATOR = '$';
const OPENER = '(';
const CLOSER = ')';

/**
 * Replaces `$(NAME)` references in `input` with `mapping(NAME)`. When `mapping` returns `undefined`, the
 * reference is kept as `$(NAME)` (upstream's MappingFuncFor). `$$` becomes `$`; an unterminated `$(` is kept.
 */
export function expand(input: string, mapping: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== OPERATOR || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const { read, isVar, advance } = tryReadVariableName(input.slice(cursor + 1));
    if (isVar) {
      out += mapping(read) ?? `${OPERATOR}${OPENER}${read}${CLOSER}`;
    } else {
      out += read;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/**
 * Reads what follows an operator. For `$(NAME)`, `read` is the name; otherwise it is the text to emit: `$` for
 * the escape `$$`, `$(` for an unterminated reference, `$x` for an operator followed by any other character.
 */
function tryReadVariableName(rest: string): { read: string; isVar: boolean; advance: number } {
  const first = rest[0] as string;
  if (first === OPERATOR) return { read: OPERATOR, isVar: false, advance: 1 };
  if (first === OPENER) {
    const close = rest.indexOf(CLOSER, 1);
    if (close !== -1) return { read: rest.slice(1, close), isVar: true, advance: close + 1 };
    // Incomplete reference: emit `$(` and go on scanning after the opener.
    return { read: OPERATOR + OPENER, isVar: false, advance: 1 };
  }
  return { read: OPERATOR + first, isVar: false, advance: 1 };
}

/** A mapping over `envs` where later entries win, as upstream's envVarsToMap. */
export function envMapping(envs: readonly KeyValue[]): (name: string) => string | undefined {
  const map = new Map<string, string>();
  for (const e of envs) map.set(e.name, e.value);
  return (name) => map.get(name);
}

/** Expands `$(VAR)` in the container's command and args against its resolved environment. */
export function expandContainerCommandAndArgs(
  container: Container,
  envs: KeyValue[],
): { command: string[]; args: string[] } {
  const mapping = envMapping(envs);
  return {
    command: (container.command ?? []).map((c) => expand(c, mapping)),
    args: (container.args ?? []).map((a) => expand(a, mapping)),
  };
}
