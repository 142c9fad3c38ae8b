// Wait loops in containers' shell scripts: `until CHECK; do …; done` and `while ! CHECK; do …; done` (and
// `while true` loops that `break` when something answers). A loop has a bound when something ends it even if
// the check never succeeds: an attempt counter or a clock read inside it, or a `timeout N sh -c '…'` around
// the script. A `timeout` on each check (`until timeout 1 nc -z db 5432`) bounds one attempt, not the wait.
import type { Container } from '../../api/types.js';

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'mksh']);

function base(word: string): string {
  return word.slice(word.lastIndexOf('/') + 1);
}

export interface Script {
  text: string;
  /** Field of the container holding it: `command[2]`, `args[0]`. */
  field: string;
  /** A `timeout` runs the shell (`timeout 60 sh -c …`): every loop in it is bounded. */
  underTimeout: boolean;
}

/** The script a container hands to a shell with `-c`, if any. */
export function shellScript(container: Container): Script | undefined {
  const argv = [
    ...(container.command ?? []).map((w, i) => ({ w, field: `command[${i}]` })),
    ...(container.args ?? []).map((w, i) => ({ w, field: `args[${i}]` })),
  ];
  const shellAt = argv.findIndex(({ w }) => SHELLS.has(base(w)));
  if (shellAt < 0) return undefined;
  // `-c`, or a cluster of flags with c in it (`-ec`, `-xc`).
  const flagAt = argv.findIndex((a, i) => i > shellAt && /^-[a-z]*c[a-z]*$/.test(a.w));
  const script = flagAt >= 0 ? argv[flagAt + 1] : undefined;
  if (!script) return undefined;
  const underTimeout = argv.slice(0, shellAt).some(({ w }) => base(w) === 'timeout');
  return { text: script.w, field: script.field, underTimeout };
}

export interface WaitLoop {
  /** `until` or `while`. */
  keyword: string;
  /** 1-based line of the keyword in the script. */
  line: number;
  /** The loop's text, keyword to `done`. */
  text: string;
}

/** The text from a loop keyword at `start` to its matching `done` (or the end of the script). */
function loopText(script: string, start: number): string {
  const re = /\b(do|done)\b/g;
  re.lastIndex = start;
  let depth = 0;
  for (let m = re.exec(script); m; m = re.exec(script)) {
    if (m[1] === 'do') depth++;
    else if (--depth <= 0) return script.slice(start, m.index + 4);
  }
  return script.slice(start);
}

// Something that counts or reads the clock: `i=$((i+1))`, `let n++`, `expr`, `$SECONDS`, `date +%s`.
const BOUND = /\$\(\(|\(\(|\blet\b|\bexpr\b|\+\+|\+=|\bSECONDS\b|date\s+\+%s/;
// `timeout 60 sh -c '…` (or bash) before the loop: the inner script as a whole is bounded.
const WRAPPING_TIMEOUT = /\btimeout\b[^;\n|&]*\b(?:sh|bash|ash|dash|zsh)\s+-[a-z]*c\b/;

/** The unbounded wait loops of a script (loops nested in one that is reported are not reported again). */
export function unboundedWaitLoops(script: Script): WaitLoop[] {
  if (script.underTimeout) return [];
  const out: WaitLoop[] = [];
  const text = script.text;
  const kw = /(^|[\s;&|({])(until|while)\s+(!\s*)?/g;
  let skipUntil = 0;
  for (let m = kw.exec(text); m; m = kw.exec(text)) {
    const start = m.index + m[1]!.length;
    if (start < skipUntil) continue;
    const keyword = m[2]!;
    const loop = loopText(text, start);
    // The word in a message (`echo "waiting until ready"`), not a loop.
    if (!/\bdo\b[\s\S]*\bdone$/.test(loop)) continue;
    const condition = loop.slice(0, Math.max(0, loop.search(/\bdo\b/)));
    const negated = m[3] !== undefined;
    const forever = /^while\s+(?:true|:)\s*(?:;|\n|$)/.test(loop);
    // `while [ ! -f x ]`, `while test ! -f x`, `while [ "$(…)" != ok ]`, `while [ "$code" -ne 200 ]`: a
    // condition waited away. A loop counting to its end (`while [ $i -ne 10 ]`) has a bound, below.
    const awaited = /\[\s*!|\btest\s+!|!=|\s-ne\s/.test(condition);
    const waits = keyword === 'until' || negated || awaited || (forever && /\bbreak\b/.test(loop));
    if (!waits) continue;
    skipUntil = start + loop.length;
    if (BOUND.test(loop)) continue;
    if (WRAPPING_TIMEOUT.test(text.slice(0, start))) continue;
    out.push({ keyword, line: text.slice(0, start).split('\n').length, text: loop });
  }
  return out;
}

// Commands that are no work of their own: output, waiting, shell bookkeeping and tests.
const TRIVIAL = new Set(
  'echo printf sleep true false : set cd exit export trap wait date cat ls pwd test [ [[ break continue return shift unset local read env exec'.split(
    ' ',
  ),
);
// Shell words that open or close a compound command; what follows them on the same line is a command.
const COMPOUND = /^(?:if|then|else|elif|fi|do|done|while|until|for|case|esac|\{|\}|!)\s+/;

/**
 * The work a container does, as its simple commands with their arguments (whitespace normalised): those of
 * its shell script split at `;`, `&&`, `||` and newlines (a pipeline stays whole), or its command and args as one. Commands that
 * do no work of their own (echo, sleep, tests, assignments) are left out. Rough: quotes are not parsed, which
 * splits both sides of a comparison alike.
 */
export function workCommands(container: Container): { commands: string[]; field: string } {
  const script = shellScript(container);
  if (!script) {
    const argv = [...(container.command ?? []), ...(container.args ?? [])];
    const field = container.command?.length ? 'command' : 'args';
    return { commands: argv.length > 0 ? [argv.join(' ')] : [], field };
  }
  const commands: string[] = [];
  for (const part of script.text.split(/;|&&|\|\||\n/)) {
    let cmd = part.trim().replace(/\s+/g, ' ');
    for (let m = COMPOUND.exec(cmd); m; m = COMPOUND.exec(cmd)) cmd = cmd.slice(m[0].length);
    cmd = cmd.replace(/^exec /, '');
    const first = cmd.split(' ')[0] ?? '';
    // A pipeline is work as a whole (`printf … | nc site 80 | grep -q ok`), whatever its first command.
    const single = !cmd.includes('|');
    if (
      !cmd ||
      (single && (TRIVIAL.has(first) || first.includes('='))) ||
      /^(?:done|fi|esac|\}|\))$/.test(cmd)
    )
      continue;
    commands.push(cmd);
  }
  return { commands, field: script.field };
}
