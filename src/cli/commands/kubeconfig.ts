// `podrun kubeconfig`: the path of the kubeconfig that `podrun serve` writes, for KUBECONFIG=$(podrun kubeconfig).
import { existsSync } from 'node:fs';
import { Command } from '@commander-js/extra-typings';
import { defaultStateDir, stateLayout } from '../../server/state-dir.js';
import { examples } from '../kubectl/common.js';

export function kubeconfigCommand(): Command {
  return new Command('kubeconfig')
    .description('Print the path of the kubeconfig for the server of a state dir')
    .option('--state-dir <dir>', 'state directory of the server', defaultStateDir())
    .addHelpText(
      'after',
      examples([
        [
          'Point kubectl at the podrun of the default state directory',
          'export KUBECONFIG=$(podrun kubeconfig)',
        ],
        ['The kubeconfig of another state directory', 'podrun kubeconfig --state-dir /tmp/ci-podrun'],
      ]),
    )
    .action((opts) => {
      const path = stateLayout(opts.stateDir).kubeconfig;
      if (!existsSync(path)) {
        process.stderr.write(
          `podrun: no kubeconfig at ${path}: no server has started with --state-dir ${opts.stateDir}; run \`podrun serve --state-dir ${opts.stateDir}\` first\n`,
        );
        process.exitCode = 1;
      }
      process.stdout.write(`${path}\n`);
    });
}
