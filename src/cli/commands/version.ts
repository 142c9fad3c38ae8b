// `podrun version`: podrun's own version and, when a `podrun serve` runs on --state-dir, the Kubernetes
// version its API server reports (GET /version), as kubectl version prints client and server.
import { readFileSync } from 'node:fs';
import { Command, Option } from '@commander-js/extra-typings';
import { NoServerError } from '../client/images.js';
import { connectKube } from '../client/kube.js';
import { examples, stateDirOption } from '../kubectl/common.js';
import { formatYaml } from '../kubectl/output.js';

export function podrunVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

interface ServerVersion {
  major?: string;
  minor?: string;
  gitVersion?: string;
  platform?: string;
}

export function versionCommand() {
  return new Command('version')
    .description('Print podrun’s version and the Kubernetes version of the `podrun serve` of --state-dir')
    .option('--client', 'only podrun’s own version; ask no server')
    .addOption(new Option('-o, --output <format>', 'json or yaml').choices(['json', 'yaml'] as const))
    .addOption(stateDirOption())
    .addHelpText(
      'after',
      examples([
        ['podrun’s version and its server’s', 'podrun version'],
        ['For scripts', 'podrun version -o json'],
      ]),
    )
    .action(async (opts) => {
      const client = { podrunVersion: podrunVersion(), platform: `${process.platform}/${process.arch}` };
      let server: ServerVersion | undefined;
      let unreachable: string | undefined;
      if (!opts.client) {
        try {
          server = await (await connectKube(opts.stateDir)).getJson<ServerVersion>('/version');
        } catch (err) {
          // No server on the state directory is not a failure: there is no server version to print.
          if (!(err instanceof NoServerError)) unreachable = (err as Error).message;
        }
      }
      if (opts.output) {
        const value = { clientVersion: client, ...(server ? { serverVersion: server } : {}) };
        // kubectl version marshals with a two-space indent (get -o json, formatJson, uses four).
        process.stdout.write(
          opts.output === 'json' ? `${JSON.stringify(value, null, 2)}\n` : formatYaml(value),
        );
      } else {
        process.stdout.write(`Client Version: podrun ${client.podrunVersion}\n`);
        if (server) process.stdout.write(`Server Version: ${server.gitVersion ?? ''}\n`);
      }
      // As kubectl: the client's version is printed whatever happens, then why the server's is not (a
      // server that runs but does not answer).
      if (unreachable) {
        process.stderr.write(`podrun: no server version: ${unreachable}\n`);
        process.exitCode = 1;
      }
    });
}
