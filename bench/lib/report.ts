// Benchmark results: what each benchmark returns, the console summary, and the results section of
// docs/benchmarks.md (one block per benchmark between markers, so running one benchmark keeps the others').
import { readFile, writeFile } from 'node:fs/promises';
import { describeMachine, type Machine, machine } from './machine.js';

export type Verdict = 'pass' | 'FAIL' | 'not checked';

export interface Metric {
  name: string;
  value: string;
  /** The target as written in the issue, e.g. "< 300 ms". */
  target?: string;
  verdict?: Verdict;
  note?: string;
}

export interface BenchResult {
  id: string;
  title: string;
  /** The issue the targets come from. */
  issue: string;
  available: boolean;
  /** Why it did not run, when unavailable or when it failed part way. */
  problem?: string;
  /** What was measured: `podrun serve` or the stand-in, and the parameters. */
  setup: string[];
  metrics: Metric[];
  notes: string[];
  machine: Machine;
  durationMs: number;
}

/** A result with nothing measured yet, on this machine. */
export function newResult(id: string, title: string, issue: string): BenchResult {
  return {
    id,
    title,
    issue,
    available: true,
    setup: [],
    metrics: [],
    notes: [],
    machine: machine(),
    durationMs: 0,
  };
}

export function check(ok: boolean, full: boolean): Verdict {
  if (!full) return 'not checked';
  return ok ? 'pass' : 'FAIL';
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderMarkdown(r: BenchResult): string {
  const lines: string[] = [];
  lines.push(`### ${r.title}`, '');
  lines.push(`Issue: ${r.issue}. Measured on ${describeMachine(r.machine)}.`, '');
  if (!r.available) {
    lines.push(`**Not measured:** ${r.problem ?? 'not available'}`, '');
  } else if (r.problem) {
    lines.push(`**Incomplete:** ${r.problem}`, '');
  }
  for (const s of r.setup) lines.push(`- ${s}`);
  if (r.setup.length > 0) lines.push('');
  if (r.metrics.length > 0) {
    lines.push('| Measurement | Result | Target | Verdict |', '|---|---|---|---|');
    for (const m of r.metrics) {
      const name = m.note ? `${m.name} (${m.note})` : m.name;
      lines.push(`| ${cell(name)} | ${cell(m.value)} | ${cell(m.target ?? '')} | ${m.verdict ?? ''} |`);
    }
    lines.push('');
  }
  for (const n of r.notes) lines.push(`- ${n}`);
  if (r.notes.length > 0) lines.push('');
  lines.push(`Run time of this benchmark: ${(r.durationMs / 1000).toFixed(0)} s.`);
  return lines.join('\n');
}

export function renderConsole(r: BenchResult): string {
  const lines = [`== ${r.title} ==`];
  if (!r.available) lines.push(`  not measured: ${r.problem ?? 'not available'}`);
  else if (r.problem) lines.push(`  incomplete: ${r.problem}`);
  const width = Math.max(10, ...r.metrics.map((m) => m.name.length));
  for (const m of r.metrics) {
    const target = m.target ? `  target ${m.target}: ${m.verdict ?? ''}` : '';
    lines.push(`  ${m.name.padEnd(width)}  ${m.value}${target}`);
  }
  for (const n of r.notes) lines.push(`  - ${n}`);
  return lines.join('\n');
}

const RESULTS_HEADING = '## Results';

/** Replaces (or adds) each result's block in the results section of the document at `path`. */
export async function updateResultsDoc(path: string, results: readonly BenchResult[]): Promise<void> {
  let doc: string;
  try {
    doc = await readFile(path, 'utf8');
  } catch {
    doc = `# Benchmarks\n\n${RESULTS_HEADING}\n`;
  }
  if (!doc.includes(RESULTS_HEADING)) doc = `${doc.trimEnd()}\n\n${RESULTS_HEADING}\n`;
  for (const r of results) {
    const begin = `<!-- bench:${r.id}:begin -->`;
    const end = `<!-- bench:${r.id}:end -->`;
    const block = `${begin}\n${renderMarkdown(r)}\n${end}`;
    const i = doc.indexOf(begin);
    const j = doc.indexOf(end);
    if (i >= 0 && j > i) doc = doc.slice(0, i) + block + doc.slice(j + end.length);
    else doc = `${doc.trimEnd()}\n\n${block}\n`;
  }
  await writeFile(path, doc.endsWith('\n') ? doc : `${doc}\n`);
}
