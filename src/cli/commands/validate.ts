// `podrun validate -f FILE|DIR|- [-f …]`: checks manifests the way the API server would (strict decoding,
// defaulting, validation) without running anything. Errors go to stderr as file:line:col: message; exit 1 on any.

import { Command } from '@commander-js/extra-typings';
import { formatManifestError, loadManifests } from '../../api/manifests.js';
import { examples } from '../kubectl/common.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function validateCommand(): Command<[], { filename: string[]; recursive?: true | undefined }> {
  return new Command('validate')
    .description('Check manifests against the Kubernetes API rules podrun enforces, without running them.')
    .option(
      '-f, --filename <path>',
      'a manifest file, a directory of them, or - for stdin (repeatable)',
      collect,
      [],
    )
    .option('-R, --recursive', 'descend into subdirectories of a directory given with -f')
    .addHelpText(
      'after',
      examples([
        ['Check every manifest of a directory, as the API server would', 'podrun validate -f examples'],
        ['Check what another tool renders', 'helm template chart | podrun validate -f -'],
      ]),
    )
    .action(async (opts, cmd) => {
      if (opts.filename.length === 0)
        cmd.error("error: required option '-f, --filename <path>' not specified");
      const load = await loadManifests(opts.filename, { recursive: opts.recursive === true });
      for (const e of load.errors) process.stderr.write(`${formatManifestError(e)}\n`);
      if (load.errors.length > 0) {
        const files = new Set(load.errors.map((e) => e.file));
        // An "and N more errors" line stands for N errors.
        const count = load.errors.reduce((n, e) => n + (e.omitted ?? 1), 0);
        process.stderr.write(
          `${plural(count, 'error')} in ${plural(files.size, 'file')}; nothing is valid until all are fixed\n`,
        );
        process.exitCode = 1;
        return;
      }
      for (const file of load.files) {
        const n = load.documents.filter((d) => d.file === file).length;
        process.stdout.write(`${file}: ${plural(n, 'object')} valid\n`);
      }
    });
}
