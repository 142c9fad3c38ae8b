// `podrun timeline POD [-n NS]`: how a pod's startup went, phase by phase, from its status and events (so any
// pod the server knows, running or finished), as a text Gantt chart, Chrome trace JSON or SVG.
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { resourceForKind } from '../../api/resources.js';
import type { Pod } from '../../api/types.js';
import { defaultStateDir } from '../../server/state-dir.js';
import { KubeApiError } from '../client/kube.js';
import { clusterOptions, connectTo } from '../kubectl/common.js';
import { fail } from '../report.js';
import { buildTimeline } from '../timeline/phases.js';
import { renderSvg, renderText, renderTrace } from '../timeline/render.js';

function parseWidth(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 40)
    throw new InvalidArgumentError(`expected a width of 40 columns or more, got "${text}"`);
  return n;
}

export function timelineCommand() {
  return new Command('timeline')
    .description(
      'Show every phase of a pod’s startup with its offset and duration (from its status and events)',
    )
    .argument('<pod>', 'name of the pod')
    .option('-n, --namespace <ns>', 'namespace of the pod (default: the context’s, else default)')
    .addOption(
      new Option(
        '--format <format>',
        'text (a Gantt chart), trace (Chrome trace-event JSON for Perfetto) or svg',
      )
        .choices(['text', 'trace', 'svg'] as const)
        .default('text' as const),
    )
    .option('-o, --output-file <file>', 'write to this file instead of stdout')
    .option('--width <columns>', 'width of the text chart (default: the terminal’s, else 100)', parseWidth)
    .option('--state-dir <dir>', 'state directory of the `podrun serve` to ask', defaultStateDir())
    .addOption(clusterOptions()[0])
    .addOption(clusterOptions()[1])
    .addHelpText(
      'after',
      '\nExamples:\n  podrun timeline web\n  podrun timeline web -n shop --format trace -o web.trace.json   # open in ui.perfetto.dev\n  podrun timeline web --format svg > web.svg',
    )
    .action(async (name, opts) => {
      const client = await connectTo(opts).catch((err: unknown) =>
        fail(err, 'timeline asks an API server, and none could be reached'),
      );
      const ns = opts.namespace ?? client.namespace;
      const pod = (await client.get(resourceForKind('v1', 'Pod')!, ns, name).catch((err: unknown) => {
        if (err instanceof KubeApiError && err.code === 404)
          fail(new Error('NotFound'), `pod ${name} not found in namespace ${ns} (give -n NAMESPACE)`);
        return fail(err, `reading pod ${ns}/${name} failed`);
      })) as Pod;
      const events = (
        await client
          .list(resourceForKind('v1', 'Event')!, ns, { fieldSelector: `involvedObject.name=${name}` })
          .catch((err: unknown) => fail(err, 'listing the pod’s events failed'))
      ).items.filter((e) => {
        const o = (e as { involvedObject?: { kind?: string; uid?: string } }).involvedObject;
        // Events of an earlier pod of the same name (or of another kind) are not this pod's.
        return o?.kind === 'Pod' && (!o.uid || o.uid === pod.metadata?.uid);
      });
      const timeline = buildTimeline(pod, events, Date.now());
      const text =
        opts.format === 'trace'
          ? renderTrace(timeline)
          : opts.format === 'svg'
            ? renderSvg(timeline)
            : renderText(timeline, opts.width ?? (process.stdout.isTTY ? process.stdout.columns : 100));
      if (opts.outputFile) {
        await writeFile(opts.outputFile, text).catch((err: unknown) =>
          fail(err, `writing ${opts.outputFile} failed`),
        );
        process.stderr.write(
          `podrun: ${opts.format} timeline of pod ${ns}/${name} written to ${opts.outputFile}\n`,
        );
      } else {
        process.stdout.write(text);
      }
    });
}
