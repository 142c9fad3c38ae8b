// `podrun completion bash|zsh|fish`: the shell completion script for the whole command tree.
import { Argument, Command } from '@commander-js/extra-typings';
import { bashScript, fishScript, zshScript } from '../completion.js';
import { examples } from '../kubectl/common.js';

export function completionCommand() {
  return new Command('completion')
    .description('Print a shell completion script for podrun’s commands, options and resource types')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish'] as const))
    .addHelpText(
      'after',
      examples([
        ['Complete podrun in this bash session', 'source <(podrun completion bash)'],
        ['In every bash session', 'podrun completion bash > /etc/bash_completion.d/podrun'],
        ['zsh', 'source <(podrun completion zsh)'],
        ['fish', 'podrun completion fish | source'],
      ]),
    )
    .action((shell, _opts, cmd) => {
      // The root command: completion covers every command registered on it.
      let root = cmd;
      while (root.parent) root = root.parent as typeof cmd;
      const tree = root as unknown as Parameters<typeof bashScript>[0];
      process.stdout.write(
        shell === 'bash' ? bashScript(tree) : shell === 'zsh' ? zshScript(tree) : fishScript(tree),
      );
    });
}
