// `podrun down`: stops the `podrun serve` of the state directory (the one `podrun up --detach` left running,
// or one started by hand) and with it every pod it runs, gracefully, and waits until all is gone.
import { Command, Option } from '@commander-js/extra-typings';
import { runningServer } from '../../server/podrun.js';
import { defaultStateDir, stateLayout } from '../../server/state-dir.js';
import { kubeClient } from '../client/kube.js';
import { type KubeconfigChoice, kubeconfigTransport } from '../client/transport.js';
import { clusterOptions, examples, wantsCluster } from '../kubectl/common.js';
import { parseDuration } from '../options.js';
import { fail } from '../report.js';
import { stopServe } from '../up/detach.js';
import { deleteOrder, findApplied, PROJECT_LABEL, projectName } from '../up/project.js';

export function downCommand(): Command {
  return new Command('down')
    .description(
      'Stop the podrun serve of the state directory (as left by `podrun up --detach`) and its pods',
    )
    .option('--state-dir <dir>', 'state directory of the server to stop', defaultStateDir())
    .addOption(
      new Option('--timeout <duration>', 'how long to wait for the pods and the server to stop')
        .argParser(parseDuration)
        .default(120_000, '2m'),
    )
    .addHelpText(
      'after',
      examples([
        ['Start pods in the background and return once they are up', 'podrun up --detach --wait -f app.yaml'],
        ['Stop them and the server', 'podrun down'],
      ]),
    )
    .addOption(clusterOptions()[0])
    .addOption(clusterOptions()[1])
    .option(
      '--project <name>',
      'with --kubeconfig/--context: delete the objects `podrun up` applied under this project name',
    )
    .option(
      '-f, --filename <path>',
      'with --kubeconfig/--context: the project is the one `podrun up -f <path>` used',
    )
    .option(
      '-n, --namespace <namespace>',
      'with --kubeconfig/--context: only this namespace (default: every one)',
    )
    .action(async (opts) => {
      if (wantsCluster(opts)) {
        await downOnCluster(opts).catch((err: unknown) => fail(err, 'podrun down did not finish'));
        return;
      }
      const running = await runningServer(stateLayout(opts.stateDir).serveInfo);
      if (running)
        process.stderr.write(
          `podrun: stopping podrun serve (pid ${running.pid}) of ${opts.stateDir} and its pods…\n`,
        );
      const pid = await stopServe(opts.stateDir, opts.timeout).catch((err: unknown) =>
        fail(err, 'podrun down did not finish'),
      );
      process.stderr.write(
        pid === undefined
          ? `podrun: no podrun serve runs on state directory ${opts.stateDir}: nothing to stop\n`
          : `podrun: stopped podrun serve (pid ${pid}) and its pods\n`,
      );
    });
}

/**
 * `podrun down --context C --project P`: deletes what `podrun up` applied to that cluster under P (labelled
 * and managed by podrun's server-side apply), never anything else; Namespaces are kept, since deleting one
 * deletes everything in it.
 */
async function downOnCluster(
  opts: KubeconfigChoice & { project?: string; filename?: string; namespace?: string; timeout: number },
): Promise<void> {
  if (opts.project === undefined && opts.filename === undefined)
    throw new Error(
      'on a cluster, podrun down deletes one project: give --project NAME or -f PATH (as given to podrun up)',
    );
  const project = projectName(opts.project, opts.filename ? [opts.filename] : []);
  const transport = await kubeconfigTransport({
    ...(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}),
    ...(opts.context !== undefined ? { context: opts.context } : {}),
  });
  const client = kubeClient(transport);
  const { found, skipped } = await findApplied(client, project, opts.namespace);
  for (const s of skipped) process.stderr.write(`podrun: not looked at: ${s}\n`);
  if (found.length === 0) {
    process.stderr.write(
      `podrun: nothing labelled ${PROJECT_LABEL}=${project} and applied by podrun on ${transport.description}: nothing to delete\n`,
    );
    return;
  }
  const deleted: { path: string; ns: string | undefined; name: string; uid: string }[] = [];
  for (const { resource, object } of deleteOrder(found)) {
    const name = object.metadata.name ?? '';
    const ns = resource.namespaced ? object.metadata.namespace : undefined;
    const what = `${resource.singular}/${name}${ns ? ` -n ${ns}` : ''}`;
    if (resource.kind === 'Namespace') {
      process.stderr.write(
        `podrun: namespace/${name} kept: deleting it would delete whatever else is in it (kubectl delete namespace ${name})\n`,
      );
      continue;
    }
    // Preconditions: the object podrun found, not one made again under the same name since.
    await client.delete(resource, ns, name, {
      propagationPolicy: 'Background',
      preconditions: { uid: object.metadata.uid },
    });
    process.stdout.write(`${what} deleted\n`);
    deleted.push({ path: resource.resource, ns, name, uid: object.metadata.uid ?? '' });
  }
  // Wait until they are gone (pods end gracefully), as podrun down does locally.
  const deadline = Date.now() + opts.timeout;
  for (const { resource, object } of found) {
    if (resource.kind === 'Namespace') continue;
    const ns = resource.namespaced ? object.metadata.namespace : undefined;
    for (;;) {
      const now = await client.get(resource, ns, object.metadata.name ?? '').catch(() => undefined);
      if (!now || now.metadata.uid !== object.metadata.uid) break;
      if (Date.now() > deadline)
        throw new Error(
          `${resource.singular}/${object.metadata.name} is still there after ${opts.timeout / 1000}s (finalizers?); see kubectl describe`,
        );
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  process.stderr.write(
    `podrun: deleted ${deleted.length} object(s) of project ${project} on ${transport.description}\n`,
  );
}
