// `podrun get`: kubectl get against the `podrun serve` of --state-dir, its rows printed by the same printers
// the API server answers `as=Table` with (src/printers), laid out as kubectl lays them out.
import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { TableRenderer, tablePrinterFor } from '../../printers/index.js';
import { KubeApiError, type KubeClient, type WatchEvent } from '../client/kube.js';
import type { KubeconfigChoice } from '../client/transport.js';
import {
  clusterOptions,
  connect,
  examples,
  kubectlErrorText,
  kubectlFail,
  namespaceOption,
  stateDirOption,
} from '../kubectl/common.js';
import {
  formatJson,
  formatName,
  formatYaml,
  listOrObject,
  OUTPUT_FORMATS,
  type OutputFormat,
  typed,
} from '../kubectl/output.js';
import { parseResourceArgs, type ResourceRequest, UsageError } from '../kubectl/resources.js';

function parseOutput(text: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(text)) return text as OutputFormat;
  throw new InvalidArgumentError(
    `unable to match a printer suitable for the output format "${text}", allowed formats are: ${OUTPUT_FORMATS.join(',')}`,
  );
}

export interface GetOptions {
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  output?: OutputFormat;
  noHeaders?: boolean;
  showLabels?: boolean;
  labelColumns?: string[];
  watch?: boolean;
  watchOnly?: boolean;
  outputWatchEvents?: boolean;
  showManagedFields?: boolean;
}

interface Found {
  resource: ResourceInfo;
  object: KubeObject;
}

/** Lists or reads what the arguments name; the errors (NotFound of a name) come back, not thrown. */
async function fetchAll(
  client: KubeClient,
  requests: ResourceRequest[],
  ns: string | undefined,
  opts: GetOptions,
): Promise<{ found: Found[]; errors: unknown[] }> {
  const found: Found[] = [];
  const errors: unknown[] = [];
  for (const { resource, names } of requests) {
    if (names.length === 0) {
      const list = await client.list(resource, ns, {
        ...(opts.selector ? { labelSelector: opts.selector } : {}),
        ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
      });
      for (const object of list.items) found.push({ resource, object });
      continue;
    }
    for (const name of names) {
      try {
        found.push({ resource, object: await client.get(resource, ns ?? client.namespace, name) });
      } catch (err) {
        if (!(err instanceof KubeApiError)) throw err;
        errors.push(err);
      }
    }
  }
  return { found, errors };
}

/** kubectl's human-readable get: one table per resource type, a blank line between them. */
export function printTables(found: Found[], opts: GetOptions, now: number): string {
  const withKind = new Set(found.map((f) => f.resource)).size > 1;
  let out = '';
  let i = 0;
  while (i < found.length) {
    const resource = found[i]!.resource;
    const group: KubeObject[] = [];
    for (; i < found.length && found[i]!.resource === resource; i++) group.push(found[i]!.object);
    const table = tablePrinterFor(resource.kind)(group, now);
    const text = new TableRenderer().render(table, {
      wide: opts.output === 'wide',
      withNamespace: !!opts.allNamespaces && resource.namespaced,
      ...(opts.noHeaders ? { noHeaders: true } : {}),
      ...(opts.showLabels ? { showLabels: true } : {}),
      ...(opts.labelColumns?.length ? { columnLabels: opts.labelColumns } : {}),
      ...(withKind ? { withKind: kindName(resource) } : {}),
    });
    if (out !== '' && text !== '' && !opts.noHeaders) out += '\n';
    out += text;
  }
  return out;
}

function kindName(r: ResourceInfo): string {
  return r.group === '' ? r.kind : `${r.kind}.${r.group}`;
}

function printObjects(found: Found[], opts: GetOptions, single: boolean): string {
  if (opts.output === 'name') return found.map((f) => formatName(f.resource, f.object)).join('');
  const value = listOrObject(
    found.map((f) => typed(f.resource, f.object, opts.showManagedFields)),
    single,
  );
  return opts.output === 'json' ? formatJson(value) : formatYaml(value);
}

async function watch(
  client: KubeClient,
  request: ResourceRequest,
  ns: string | undefined,
  opts: GetOptions,
): Promise<void> {
  const { resource, names } = request;
  if (names.length > 1)
    throw new UsageError(
      'watch is only supported on individual resources and resource collections, but 2 resources were found',
    );
  const fieldSelector = [
    ...(names[0] ? [`metadata.name=${names[0]}`] : []),
    ...(opts.fieldSelector ? [opts.fieldSelector] : []),
  ].join(',');
  const selectors = {
    ...(opts.selector ? { labelSelector: opts.selector } : {}),
    ...(fieldSelector ? { fieldSelector } : {}),
  };
  const list = await client.list(resource, ns, selectors);
  const renderer = new TableRenderer();
  const human = opts.output === undefined || opts.output === 'wide';
  const print = (objects: KubeObject[], event?: string) => {
    if (objects.length === 0) return;
    if (!human) {
      for (const o of objects) {
        const t = typed(resource, o, opts.showManagedFields);
        process.stdout.write(
          opts.output === 'name'
            ? formatName(resource, t)
            : opts.output === 'json'
              ? formatJson(t)
              : `${formatYaml(t)}---\n`,
        );
      }
      return;
    }
    const table = tablePrinterFor(resource.kind)(objects, Date.now());
    process.stdout.write(
      renderer.render(table, {
        wide: opts.output === 'wide',
        withNamespace: !!opts.allNamespaces && resource.namespaced,
        ...(opts.noHeaders ? { noHeaders: true } : {}),
        ...(opts.showLabels ? { showLabels: true } : {}),
        ...(opts.labelColumns?.length ? { columnLabels: opts.labelColumns } : {}),
        ...(opts.outputWatchEvents && event ? { watchEvent: event } : {}),
      }),
    );
  };
  if (!opts.watchOnly) {
    if (list.items.length === 0 && human) process.stderr.write(noResources(ns, resource));
    if (opts.outputWatchEvents) for (const o of list.items) print([o], 'ADDED');
    else print(list.items);
  }
  await new Promise<void>((resolve, reject) => {
    client
      .watch(
        resource,
        ns,
        { ...selectors, resourceVersion: list.metadata?.resourceVersion ?? '0' },
        (ev: WatchEvent) => {
          if (ev.type === 'BOOKMARK') return;
          if (ev.type === 'ERROR') {
            reject(new Error((ev.object as { message?: string }).message ?? 'watch error'));
            return;
          }
          print([ev.object], ev.type);
        },
        (err) => (err ? reject(err) : resolve()),
      )
      .catch(reject);
  });
}

function noResources(ns: string | undefined, r?: ResourceInfo): string {
  return ns !== undefined && (r === undefined || r.namespaced)
    ? `No resources found in ${ns} namespace.\n`
    : 'No resources found\n';
}

export async function runGet(
  args: string[],
  opts: GetOptions & KubeconfigChoice & { stateDir: string },
): Promise<void> {
  let requests: ResourceRequest[];
  try {
    requests = parseResourceArgs(args);
  } catch (err) {
    kubectlFail(err);
  }
  const client = await connect(opts);
  const ns = opts.allNamespaces ? undefined : (opts.namespace ?? client.namespace);
  if (opts.watch || opts.watchOnly) {
    if (requests.length !== 1) kubectlFail(new UsageError('you may only specify a single resource type'));
    await watch(client, requests[0]!, ns, opts).catch(kubectlFail);
    return;
  }
  const { found, errors } = await fetchAll(client, requests, ns, opts).catch(kubectlFail);
  let text: string;
  if (opts.output === undefined || opts.output === 'wide') {
    text = printTables(found, opts, Date.now());
  } else {
    const single = requests.length === 1 && requests[0]!.names.length === 1;
    text = found.length === 0 && !single && opts.output === 'name' ? '' : printObjects(found, opts, single);
  }
  process.stdout.write(text);
  if (text === '' && errors.length === 0) {
    const allNamespaced = requests.every((r) => r.resource.namespaced);
    process.stderr.write(noResources(allNamespaced ? ns : undefined));
  }
  for (const err of errors) process.stderr.write(`${kubectlErrorText(err)}\n`);
  if (errors.length > 0) process.exit(1);
}

export function getCommand() {
  return new Command('get')
    .description(
      'Display one or many resources of the `podrun serve` of --state-dir, as kubectl get prints them',
    )
    .argument('<resources...>', 'TYPE[,TYPE…] [NAME…] or TYPE/NAME…; `all` for pods, services and workloads')
    .addOption(namespaceOption())
    .option('-A, --all-namespaces', 'list across all namespaces (adds a NAMESPACE column)')
    .option('-l, --selector <selector>', 'label selector (-l app=web, -l "tier in (db,cache)")')
    .option('--field-selector <selector>', 'field selector (--field-selector status.phase=Running)')
    .addOption(new Option('-o, --output <format>', 'wide, json, yaml or name').argParser(parseOutput))
    .option('--no-headers', 'no header line in the table')
    .option('--show-labels', 'a LABELS column last')
    .option(
      '-L, --label-columns <key>',
      'a column with the value of this label (repeatable, or comma-separated)',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), ...v.split(',').filter(Boolean)],
    )
    .option('-w, --watch', 'after the list, print a row for every change')
    .option('--watch-only', 'print only the changes, not the list first')
    .option('--output-watch-events', 'with --watch, an EVENT column (ADDED, MODIFIED, DELETED)')
    .option(
      '--show-managed-fields',
      'keep metadata.managedFields in -o json|yaml (hidden by default, as kubectl)',
    )
    .addOption(stateDirOption())
    .addOption(clusterOptions()[0])
    .addOption(clusterOptions()[1])
    .addHelpText(
      'after',
      examples([
        ['List all pods in the default namespace', 'podrun get pods'],
        ['List pods with their IP and node', 'podrun get pods -o wide'],
        ['One pod as YAML', 'podrun get pod/web -o yaml'],
        ['Pods, services and workloads of every namespace', 'podrun get all -A'],
        ['Watch pods of a label start', 'podrun get pods -l app=web -w'],
        ['Names only, for scripts', 'podrun get deploy -o name'],
      ]),
    )
    .action(async (args, opts) => {
      await runGet(args, {
        ...opts,
        ...(opts.headers === false ? { noHeaders: true } : {}),
      } as GetOptions & { stateDir: string });
    });
}
