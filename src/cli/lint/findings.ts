// What `podrun lint` reports: one finding per problem, located at file:line:col, with why it matters and
// what to do. Severity (docs/cli.md, "podrun lint"): an error is a startup that, run from these files, will
// not come up or will do harm (a reference to an object the files do not define, invalid manifests,
// migrations run at once by every replica); a warning is a startup that works but fails slowly, drifts or
// wastes (an unbounded wait, an unpinned image, an init container without requests, an unmounted volume,
// work done twice). Errors make the command exit 1.

export type Severity = 'error' | 'warning';

export type Rule =
  | 'invalid'
  | 'missing-reference'
  | 'unbounded-wait'
  | 'unpinned-image'
  | 'init-without-requests'
  | 'unmounted-volume'
  | 'repeated-init-work'
  | 'migration-per-replica';

export const SEVERITY: Readonly<Record<Rule, Severity>> = {
  invalid: 'error',
  'missing-reference': 'error',
  'migration-per-replica': 'error',
  'unbounded-wait': 'warning',
  'unpinned-image': 'warning',
  'init-without-requests': 'warning',
  'unmounted-volume': 'warning',
  'repeated-init-work': 'warning',
};

/** Every rule, in the order the docs list them. */
export const RULES = Object.keys(SEVERITY) as Rule[];

/**
 * An object's annotation that turns rules off for it (and for the pods of its template), comma-separated:
 * `podrun.dev/lint-ignore: unpinned-image,unbounded-wait`. For what the author has decided on purpose.
 */
export const LINT_IGNORE_ANNOTATION = 'podrun.dev/lint-ignore';

export interface Finding {
  file: string;
  line: number;
  col: number;
  severity: Severity;
  rule: Rule;
  /** What is wrong and why it matters. */
  message: string;
  /** What to do about it. */
  fix: string;
}

export function byPosition(a: Finding, b: Finding): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col;
}

/** `file:line:col: severity: message [rule]` and an indented `fix:` line. */
export function formatFinding(f: Finding): string {
  const where = f.line > 0 ? `${f.file}:${f.line}:${f.col}` : f.file;
  return `${where}: ${f.severity}: ${f.message} [${f.rule}]\n  fix: ${f.fix}\n`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The last line: how many of each, or that all is clean. */
export function summary(findings: readonly Finding[], files: readonly string[]): string {
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  if (findings.length === 0) return `${plural(files.length, 'file')} checked: no findings\n`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(files.length, 'file')}\n`;
}

/** `--format json`: the findings with the counts, one document. */
export function findingsJson(findings: readonly Finding[], files: readonly string[]): string {
  const errors = findings.filter((f) => f.severity === 'error').length;
  return `${JSON.stringify({ files, errors, warnings: findings.length - errors, findings }, null, 2)}\n`;
}
