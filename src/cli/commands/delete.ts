// `podrun delete`: kubectl delete against the `podrun serve` of --state-dir. Names, TYPE/NAME, -l, --all or
// -f FILE; prints `pod "web" deleted` as each deletion is accepted, and then (--wait, the default) waits
// until every object is gone, as kubectl does: a pod is gone once the kubelet has stopped it.
import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { formatManifestError, loadManifests } from '../../api/manifests.js';
import { type ResourceInfo, resourceForKind } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { KubeApiError, type KubeClient } from '../client/kube.js';
import {
  clusterOptions,
  connect,
  examples,
  kubectlErrorText,
  kubectlFail,
  namespaceOption,
  stateDirOption,
} from '../kubectl/common.js';
import { kindPrefix, parseResourceArgs, UsageError } from '../kubectl/resources.js';
import { parseDuration } from '../options.js';

interface Target {
  resource: ResourceInfo;
  namespace: string | undefined;
  name: string;
}

const IMMEDIATE_WARNING =
  'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n';

function parseGrace(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < -1)
    throw new InvalidArgumentError(`expected whole seconds (-1: the object's own), got "${text}"`);
  return n;
}

async function targetsFromFiles(files: string[], namespace: string | undefined): Promise<Target[]> {
  const load = await loadManifests(files, {});
  if (load.errors.length > 0) {
    throw new UsageError(load.errors.map(formatManifestError).join('\n'));
  }
  return load.documents.map(({ object }) => {
    const resource = resourceForKind(object.apiVersion ?? '', object.kind ?? '');
    if (!resource) throw new UsageError(`the server doesn't have a resource type "${object.kind}"`);
    return {
      resource,
      namespace: resource.namespaced ? (object.metadata?.namespace ?? namespace ?? 'default') : undefined,
      name: object.metadata?.name ?? '',
    };
  });
}

async function targetsFromArgs(
  client: KubeClient,
  args: string[],
  namespace: string,
  opts: { selector?: string; all?: boolean },
): Promise<Target[]> {
  const out: Target[] = [];
  for (const { resource, names } of parseResourceArgs(args)) {
    const ns = resource.namespaced ? namespace : undefined;
    if (names.length > 0) {
      if (opts.selector || opts.all)
        throw new UsageError('name cannot be provided when a selector is specified');
      for (const name of names) out.push({ resource, namespace: ns, name });
      continue;
    }
    if (!opts.selector && !opts.all) {
      throw new UsageError('resource(s) were provided, but no name was specified');
    }
    const list = await client.list(resource, ns, opts.selector ? { labelSelector: opts.selector } : {});
    for (const item of list.items) out.push({ resource, namespace: ns, name: item.metadata?.name ?? '' });
  }
  return out;
}

/** Until the object is gone or replaced by another of the same name (its uid changed). */
async function waitGone(client: KubeClient, t: Target, uid: string | undefined, deadline: number) {
  for (;;) {
    try {
      const now = await client.get(t.resource, t.namespace, t.name);
      if (uid && now.metadata?.uid !== uid) return;
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return;
      throw err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for the condition on ${t.resource.resource}/${t.name}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function deleteCommand() {
  return new Command('delete')
    .description(
      'Delete resources by name, label selector, --all or manifest file, and wait until they are gone',
    )
    .argument('[resources...]', 'TYPE NAME…, TYPE/NAME…, or TYPE with -l / --all')
    .addOption(namespaceOption())
    .option(
      '-f, --filename <path>',
      'the objects of these manifests (file, directory, or -)',
      (v: string, p: string[] | undefined) => [...(p ?? []), v],
    )
    .option('-l, --selector <selector>', 'every object of the types given whose labels match')
    .option('--all', 'every object of the types given in the namespace')
    .option('--ignore-not-found', 'an object already gone is not an error')
    .option('--grace-period <seconds>', 'seconds the pods get to stop (-1: their own)', parseGrace, -1)
    .option('--now', 'stop pods at once (grace period 1)')
    .option('--force', 'with --grace-period 0: remove at once, without waiting for the kubelet')
    .addOption(
      new Option('--cascade <policy>', 'what happens to dependents: background, foreground or orphan')
        .choices(['background', 'foreground', 'orphan'] as const)
        .default('background' as const),
    )
    .option(
      '--wait [bool]',
      'wait until the objects are gone (true, false)',
      (v: string) => v !== 'false',
      true,
    )
    .option('--timeout <duration>', 'give up waiting after this long (0s: no limit)', parseDuration, 0)
    .addOption(stateDirOption())
    .addOption(clusterOptions()[0])
    .addOption(clusterOptions()[1])
    .addHelpText(
      'after',
      examples([
        ['Delete pod web and wait until it has stopped', 'podrun delete pod web'],
        ['Delete what a manifest made', 'podrun delete -f examples/ordered-startup.yaml'],
        ['Delete the pods of a label', 'podrun delete pods -l app=web'],
        ['Delete a deployment, leaving its pods', 'podrun delete deploy/web --cascade=orphan'],
        [
          'Remove a pod at once, not waiting for the kubelet',
          'podrun delete pod web --grace-period=0 --force',
        ],
      ]),
    )
    .action(async (args, opts) => {
      let grace = opts.gracePeriod;
      if (opts.now) {
        if (grace >= 0) kubectlFail(new UsageError('--now and --grace-period cannot be specified together'));
        grace = 1;
      }
      if (opts.force && grace < 0) grace = 0;
      if (grace === 0 && !opts.force) {
        // kubectl: a zero grace period without --force means the smallest one.
        grace = 1;
      }
      if ((opts.filename?.length ?? 0) > 0 && args.length > 0)
        kubectlFail(new UsageError('cannot specify both a filename and resource arguments'));
      if (!opts.filename && args.length === 0)
        kubectlFail(new UsageError('You must provide one or more resources by argument or filename.'));
      const client = await connect(opts);
      const ns = opts.namespace ?? client.namespace;
      const targets = await (opts.filename
        ? targetsFromFiles(opts.filename, ns)
        : targetsFromArgs(client, args, ns, opts)
      ).catch(kubectlFail);
      if (opts.force && grace === 0) process.stderr.write(IMMEDIATE_WARNING);
      if (targets.length === 0) {
        process.stderr.write('No resources found\n');
        return;
      }
      const body = {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        propagationPolicy: opts.cascade[0]!.toUpperCase() + opts.cascade.slice(1),
        ...(grace >= 0 ? { gracePeriodSeconds: grace } : {}),
      };
      let failed = false;
      const deleted: { target: Target; uid: string | undefined }[] = [];
      for (const t of targets) {
        try {
          const answer: KubeObject = await client.delete(t.resource, t.namespace, t.name, body);
          // The answer is the object (still there while it terminates) or a Success Status naming its uid.
          const uid =
            answer.kind === 'Status'
              ? (answer as { details?: { uid?: string } }).details?.uid
              : answer.metadata?.uid;
          const how = opts.force && grace === 0 ? 'force deleted' : 'deleted';
          process.stdout.write(`${kindPrefix(t.resource)} "${t.name}" ${how}\n`);
          deleted.push({ target: t, uid });
        } catch (err) {
          if (opts.ignoreNotFound && err instanceof KubeApiError && err.code === 404) continue;
          failed = true;
          process.stderr.write(`${kubectlErrorText(err)}\n`);
        }
      }
      if (opts.wait && !(opts.force && grace === 0)) {
        const deadline = opts.timeout > 0 ? Date.now() + opts.timeout : Number.POSITIVE_INFINITY;
        for (const { target, uid } of deleted) {
          await waitGone(client, target, uid, deadline).catch(kubectlFail);
        }
      }
      if (failed) process.exit(1);
    });
}
