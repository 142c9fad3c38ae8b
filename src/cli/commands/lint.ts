// `podrun lint -f FILE|DIR|- [-f …]`: what validation accepts but a startup gets wrong (lint/checks.ts), each
// finding at file:line:col with why and what to do; exit 1 when any is an error (lint/findings.ts says which).
import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { loadManifests } from '../../api/manifests.js';
import { examples } from '../kubectl/common.js';
import { lint } from '../lint/checks.js';
import { findingsJson, formatFinding, RULES, SEVERITY, summary } from '../lint/findings.js';
import { collect } from '../options.js';

function parseFormat(text: string): 'text' | 'json' {
  if (text === 'text' || text === 'json') return text;
  throw new InvalidArgumentError(`expected text or json, got "${text}"`);
}

export function lintCommand() {
  return new Command('lint')
    .description(
      'Check manifests for startup problems validation lets through: unbounded wait loops, references to objects or keys the files do not define, unmounted volumes, unpinned images, init containers without requests, repeated work, migrations run by every replica',
    )
    .option(
      '-f, --filename <path>',
      'a manifest file, a directory of them, or - for stdin (repeatable)',
      collect,
    )
    .option('-R, --recursive', 'descend into subdirectories of a directory given with -f')
    .addOption(
      new Option('--format <format>', 'text (file:line:col: severity: …) or json')
        .argParser(parseFormat)
        .default('text' as const),
    )
    .addHelpText(
      'after',
      `\nRules (error: exit 1; warning: reported only):\n${RULES.map((r) => `  ${r.padEnd(24)}${SEVERITY[r]}`).join('\n')}\n\nTurn a rule off for one object (and its pods) with the annotation podrun.dev/lint-ignore: RULE[,RULE].\n${examples(
        [
          ['Every manifest of a directory', 'podrun lint -f examples'],
          [
            'Several files read as one set (a reference may be defined in another)',
            'podrun lint -f app.yaml -f secrets.yaml',
          ],
          ['For a script or CI annotations', 'podrun lint -f k8s/ -R --format json'],
        ],
      )}`,
    )
    .action(async (opts, cmd) => {
      const sources = opts.filename ?? [];
      if (sources.length === 0) cmd.error("error: required option '-f, --filename <path>' not specified");
      const load = await loadManifests(sources, { recursive: opts.recursive === true });
      const findings = lint(load.documents, load.errors);
      const files = [...new Set([...load.files, ...load.errors.map((e) => e.file)])];
      if (opts.format === 'json') {
        process.stdout.write(findingsJson(findings, files));
      } else {
        for (const f of findings) process.stdout.write(formatFinding(f));
        process.stdout.write(summary(findings, files));
      }
      if (findings.some((f) => f.severity === 'error')) process.exitCode = 1;
    });
}
