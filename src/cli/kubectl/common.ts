// What the kubectl-style commands share: the flags that pick the server and namespace, connecting, and
// reporting failures in kubectl's words (`Error from server (NotFound): …`, `error: …`), exit 1.
import { Option } from '@commander-js/extra-typings';
import { defaultStateDir } from '../../server/state-dir.js';
import { connectKube, KubeApiError, type KubeClient } from '../client/kube.js';

export function stateDirOption() {
  return new Option('--state-dir <dir>', 'state directory of the `podrun serve` to talk to').default(
    defaultStateDir(),
  );
}

export function namespaceOption() {
  return new Option('-n, --namespace <namespace>', 'the namespace (kubectl: the context’s, here default)');
}

/** kubectl's line for an error: the server's Status as `Error from server (Reason): message`, else `error: …`. */
export function kubectlErrorText(err: unknown): string {
  if (err instanceof KubeApiError) return err.kubectlText;
  return `error: ${err instanceof Error ? err.message : String(err)}`;
}

export function kubectlFail(err: unknown): never {
  process.stderr.write(`${kubectlErrorText(err)}\n`);
  if (process.env.PODRUN_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}

export async function connect(stateDir: string): Promise<KubeClient> {
  return connectKube(stateDir).catch((err: unknown) => kubectlFail(err));
}

/** `Examples:` after the options in `--help`, kubectl's way: indented commands with a comment above each. */
export function examples(lines: [comment: string, command: string][]): string {
  return `\nExamples:\n${lines.map(([c, cmd]) => `  # ${c}\n  ${cmd}`).join('\n\n')}\n`;
}
