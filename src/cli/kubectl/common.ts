// What the kubectl-style commands share: the flags that pick the server and namespace, connecting, and
// reporting failures in kubectl's words (`Error from server (NotFound): …`, `error: …`), exit 1.
import { Option } from '@commander-js/extra-typings';
import { defaultStateDir } from '../../server/state-dir.js';
import { connectKube, KubeApiError, type KubeClient, kubeClient } from '../client/kube.js';
import { type KubeconfigChoice, kubeconfigTransport } from '../client/transport.js';

export function stateDirOption() {
  return new Option('--state-dir <dir>', 'state directory of the `podrun serve` to talk to').default(
    defaultStateDir(),
  );
}

export function namespaceOption() {
  return new Option(
    '-n, --namespace <namespace>',
    'the namespace (default: the kubeconfig context’s with --kubeconfig/--context, else default)',
  );
}

/** `--kubeconfig FILE` and `--context NAME`: talk to that cluster instead of the state directory's server. */
export function clusterOptions() {
  return [
    new Option(
      '--kubeconfig <file>',
      'talk to the API server of this kubeconfig (its current-context, or --context) instead of podrun serve',
    ),
    new Option(
      '--context <name>',
      'talk to the API server of this kubeconfig context (from --kubeconfig, else $KUBECONFIG, else ~/.kube/config)',
    ),
  ] as const;
}

/** Whether the options name a cluster (`--kubeconfig` or `--context`) rather than the state dir's server. */
export function wantsCluster(opts: KubeconfigChoice): boolean {
  return opts.kubeconfig !== undefined || opts.context !== undefined;
}

/** The client of the cluster the options name, else of the state directory's `podrun serve`. */
export async function connectTo(opts: KubeconfigChoice & { stateDir: string }): Promise<KubeClient> {
  if (wantsCluster(opts)) {
    const choice: KubeconfigChoice = {
      ...(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}),
      ...(opts.context !== undefined ? { context: opts.context } : {}),
    };
    return kubeClient(await kubeconfigTransport(choice));
  }
  return connectKube(opts.stateDir);
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

export async function connect(opts: KubeconfigChoice & { stateDir: string }): Promise<KubeClient> {
  return connectTo(opts).catch((err: unknown) => kubectlFail(err));
}

/** `Examples:` after the options in `--help`, kubectl's way: indented commands with a comment above each. */
export function examples(lines: [comment: string, command: string][]): string {
  return `\nExamples:\n${lines.map(([c, cmd]) => `  # ${c}\n  ${cmd}`).join('\n\n')}\n`;
}
