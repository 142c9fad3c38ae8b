// `podrun events`: kubectl events against the `podrun serve` of --state-dir: the namespace's events oldest
// first, `--for pod/web` for one object's, `--types Warning`, `-w` to print them as they come.
import { Command, Option } from '@commander-js/extra-typings';
import { apiVersionOf, resourceForKind } from '../../api/resources.js';
import type { Event } from '../../api/types.js';
import {
  clusterOptions,
  connect,
  examples,
  kubectlFail,
  namespaceOption,
  stateDirOption,
} from '../kubectl/common.js';
import { EventPrinter, sortEvents } from '../kubectl/events-printer.js';
import { formatJson, formatYaml } from '../kubectl/output.js';
import { resolveResource, UsageError } from '../kubectl/resources.js';

const EVENT = resourceForKind('v1', 'Event')!;

/** `--for TYPE/NAME` as kubectl's decodeResourceTypeName reads it: the involvedObject field selector. */
export function forSelector(text: string): string {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) {
    throw new UsageError(`--for must be in resource/name form`);
  }
  const r = resolveResource(text.slice(0, slash));
  return [
    `involvedObject.kind=${r.kind}`,
    `involvedObject.apiVersion=${apiVersionOf(r)}`,
    `involvedObject.name=${text.slice(slash + 1)}`,
  ].join(',');
}

export function eventsCommand() {
  return new Command('events')
    .description(
      'List events (LAST SEEN, TYPE, REASON, OBJECT, MESSAGE), oldest first, as kubectl events does',
    )
    .addOption(namespaceOption())
    .option('-A, --all-namespaces', 'events of every namespace (adds a NAMESPACE column)')
    .option('--for <type/name>', 'only the events about this object (pod/web, deploy/web)')
    .option(
      '--types <types>',
      'only these types, comma-separated (Normal, Warning)',
      (v: string, p: string[] | undefined) => [...(p ?? []), ...v.split(',').filter(Boolean)],
    )
    .option('-w, --watch', 'print events as they come (after the ones there are)')
    .option('--no-headers', 'no header line')
    .addOption(
      new Option('-o, --output <format>', 'json or yaml (an EventList)').choices(['json', 'yaml'] as const),
    )
    .addOption(stateDirOption())
    .addOption(clusterOptions()[0])
    .addOption(clusterOptions()[1])
    .addHelpText(
      'after',
      examples([
        ['Events of the default namespace, oldest first', 'podrun events'],
        ['Events of pod web', 'podrun events --for pod/web'],
        ['Warnings of every namespace, as they come', 'podrun events -A --types Warning -w'],
      ]),
    )
    .action(async (opts) => {
      let fieldSelector: string | undefined;
      try {
        fieldSelector = opts.for ? forSelector(opts.for) : undefined;
      } catch (err) {
        kubectlFail(err);
      }
      const types = opts.types?.map((t) => t.toLowerCase());
      const wanted = (e: Event) => !types || types.includes((e.type ?? '').toLowerCase());
      const client = await connect(opts);
      const ns = opts.allNamespaces ? undefined : (opts.namespace ?? client.namespace);
      const printer = new EventPrinter({
        ...(opts.headers === false ? { noHeaders: true } : {}),
        ...(opts.allNamespaces ? { allNamespaces: true } : {}),
      });
      const selector = fieldSelector ? { fieldSelector } : {};
      if (opts.watch) {
        // As kubectl: a watch from no resourceVersion, whose first events are the ones there are.
        await new Promise<void>((resolve, reject) => {
          client
            .watch(
              EVENT,
              ns,
              selector,
              (ev) => {
                if (ev.type === 'DELETED' || ev.type === 'BOOKMARK') return;
                if (ev.type === 'ERROR') {
                  reject(new Error((ev.object as { message?: string }).message ?? 'watch error'));
                  return;
                }
                const e = ev.object as unknown as Event;
                if (!wanted(e)) return;
                if (opts.output === 'json')
                  process.stdout.write(formatJson({ ...e, apiVersion: 'v1', kind: 'Event' }));
                else if (opts.output === 'yaml')
                  process.stdout.write(`${formatYaml({ ...e, apiVersion: 'v1', kind: 'Event' })}---\n`);
                else process.stdout.write(printer.print([e], Date.now()));
              },
              (err) => (err ? reject(err) : resolve()),
            )
            .catch(reject);
        }).catch(kubectlFail);
        return;
      }
      const list = await client.list(EVENT, ns, selector).catch(kubectlFail);
      const events = sortEvents((list.items as unknown as Event[]).filter(wanted));
      if (opts.output) {
        const value = {
          apiVersion: 'v1',
          items: events.map((e) => ({ ...e, apiVersion: 'v1', kind: 'Event' })),
          kind: 'EventList',
          metadata: { resourceVersion: list.metadata?.resourceVersion ?? '' },
        };
        process.stdout.write(opts.output === 'json' ? formatJson(value) : formatYaml(value));
        return;
      }
      if (events.length === 0) {
        process.stderr.write(
          ns === undefined ? 'No events found.\n' : `No events found in ${ns} namespace.\n`,
        );
        return;
      }
      process.stdout.write(printer.print(events, Date.now()));
    });
}
