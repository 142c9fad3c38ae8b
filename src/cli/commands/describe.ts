// `podrun describe`: kubectl describe against the `podrun serve` of --state-dir, with kubectl's describers
// ported in src/cli/describe (pods, services, deployments, replicasets, nodes, configmaps, secrets and the RBAC
// kinds). As kubectl, a name that matches no object
// describes the objects whose names start with it; several objects are separated by a blank line.
import { Command } from '@commander-js/extra-typings';
import type { ResourceInfo } from '../../api/resources.js';
import { resourceForKind } from '../../api/resources.js';
import type { Event, KubeObject } from '../../api/types.js';
import { KubeApiError, type KubeClient } from '../client/kube.js';
import { describerFor } from '../describe/index.js';
import {
  clusterOptions,
  connect,
  examples,
  kubectlErrorText,
  kubectlFail,
  namespaceOption,
  stateDirOption,
} from '../kubectl/common.js';
import { parseResourceArgs, type ResourceRequest, UsageError } from '../kubectl/resources.js';

const EVENT = resourceForKind('v1', 'Event')!;

/** searchEvents: the events whose involvedObject is this object (name, namespace, uid). */
async function eventsOf(client: KubeClient, object: KubeObject): Promise<Event[]> {
  const meta = object.metadata ?? {};
  const selector = [
    `involvedObject.name=${meta.name}`,
    ...(meta.namespace ? [`involvedObject.namespace=${meta.namespace}`] : []),
    ...(meta.uid ? [`involvedObject.uid=${meta.uid}`] : []),
  ].join(',');
  const list = await client.list(EVENT, meta.namespace ?? undefined, { fieldSelector: selector });
  return list.items as unknown as Event[];
}

async function objectsFor(
  client: KubeClient,
  { resource, names }: ResourceRequest,
  ns: string | undefined,
  selector: string | undefined,
  errors: unknown[],
): Promise<KubeObject[]> {
  if (names.length === 0)
    return (await client.list(resource, ns, selector ? { labelSelector: selector } : {})).items;
  const out: KubeObject[] = [];
  for (const name of names) {
    try {
      out.push(await client.get(resource, ns ?? client.namespace, name));
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 404)) throw err;
      errors.push(err);
    }
  }
  return out;
}

/** describeMatchingResources: for `TYPE PREFIX` naming nothing, the objects whose names begin with PREFIX. */
async function prefixed(client: KubeClient, resource: ResourceInfo, ns: string | undefined, prefix: string) {
  return (await client.list(resource, ns)).items.filter((o) => o.metadata?.name?.startsWith(prefix));
}

export function describeCommand() {
  return new Command('describe')
    .description('Show the details of resources and their events, as kubectl describe prints them')
    .argument('<resources...>', 'TYPE [NAME_PREFIX…] or TYPE/NAME…')
    .addOption(namespaceOption())
    .option('-A, --all-namespaces', 'objects of every namespace')
    .option('-l, --selector <selector>', 'objects whose labels match')
    .option(
      '--show-events [bool]',
      'the events about each object (true, false)',
      (v: string) => v !== 'false',
      true,
    )
    .addOption(stateDirOption())
    .addOption(clusterOptions()[0])
    .addOption(clusterOptions()[1])
    .addHelpText(
      'after',
      examples([
        [
          'Describe pod web: containers, their states, conditions, volumes, events',
          'podrun describe pod web',
        ],
        ['Every pod whose name starts with web-', 'podrun describe pods web-'],
        ['A deployment and a service', 'podrun describe deploy/web svc/web'],
        ['The node', 'podrun describe node'],
      ]),
    )
    .action(async (args, opts) => {
      let requests: ResourceRequest[];
      try {
        requests = parseResourceArgs(args);
        for (const r of requests) {
          if (!describerFor(r.resource.kind)) {
            throw new UsageError(
              `podrun has no describer for ${kindName(r.resource)} yet (it describes ${describedKinds()})`,
            );
          }
        }
      } catch (err) {
        kubectlFail(err);
      }
      const client = await connect(opts);
      const ns = opts.allNamespaces ? undefined : (opts.namespace ?? client.namespace);
      const errors: unknown[] = [];
      let first = true;
      const print = async (object: KubeObject, describe: NonNullable<ReturnType<typeof describerFor>>) => {
        const events = opts.showEvents ? await eventsOf(client, object).catch(kubectlFail) : undefined;
        return describe(object, { client, events, now: Date.now() });
      };
      for (const request of requests) {
        const scope = request.resource.namespaced ? ns : undefined;
        const objects = await objectsFor(client, request, scope, opts.selector, errors).catch(kubectlFail);
        const describe = describerFor(request.resource.kind)!;
        for (const object of objects) {
          const text = await print(object, describe);
          process.stdout.write(first ? text : `\n\n${text}`);
          first = false;
        }
      }
      // kubectl: `describe TYPE PREFIX` that names no object describes those whose names begin with it, each
      // followed by a newline, and is an error only when none does.
      const only = requests[0];
      if (
        args.length === 2 &&
        !args[0]!.includes('/') &&
        requests.length === 1 &&
        errors.length === 1 &&
        only
      ) {
        const scope = only.resource.namespaced ? (ns ?? client.namespace) : undefined;
        const matches = await prefixed(client, only.resource, scope, only.names[0]!).catch(kubectlFail);
        if (matches.length > 0) {
          for (const object of matches)
            process.stdout.write(`${await print(object, describerFor(only.resource.kind)!)}\n`);
          return;
        }
      }
      if (first && errors.length === 0) {
        process.stderr.write(
          ns !== undefined ? `No resources found in ${ns} namespace.\n` : 'No resources found\n',
        );
      }
      for (const err of errors) process.stderr.write(`${kubectlErrorText(err)}\n`);
      if (errors.length > 0) process.exit(1);
    });
}

function kindName(r: ResourceInfo): string {
  return r.group === '' ? r.resource : `${r.resource}.${r.group}`;
}

function describedKinds(): string {
  return [
    'Pod',
    'Service',
    'Deployment',
    'ReplicaSet',
    'Node',
    'ConfigMap',
    'Secret',
    'Role',
    'ClusterRole',
    'RoleBinding',
    'ClusterRoleBinding',
  ]
    .filter((k) => describerFor(k))
    .join(', ');
}
