// `podrun logs`: kubectl logs against the `podrun serve` of --state-dir. Without -f it is kubectl's: one
// container (the default one, named on stderr, or -c) or --all-containers in the spec's order. With -f and no
// -c it follows the pod's whole startup (startup-follower.ts) and ends when the pod has finished.
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import type { Pod } from '../../api/types.js';
import {
  clusterOptions,
  connect,
  examples,
  kubectlFail,
  namespaceOption,
  stateDirOption,
} from '../kubectl/common.js';
import { logTarget } from '../kubectl/log-target.js';
import { UsageError } from '../kubectl/resources.js';
import { followStartup } from '../kubectl/startup-follower.js';
import { parseDuration } from '../options.js';

const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/** podcmd.AllContainerNames: `app, debugger (ephem), init-a (init)`. */
export function allContainerNames(pod: Pod): string {
  return [
    ...(pod.spec?.containers ?? []).map((c) => c.name),
    ...(pod.spec?.ephemeralContainers ?? []).map((c) => `${c.name} (ephem)`),
    ...(pod.spec?.initContainers ?? []).map((c) => `${c.name} (init)`),
  ].join(', ');
}

/** podcmd.FindOrDefaultContainerByName: -c, else the annotation's, else the first app container (said on stderr). */
export function defaultContainer(pod: Pod, warn: (line: string) => void): string {
  const containers = pod.spec?.containers ?? [];
  if (containers.length === 0) {
    throw new UsageError(`pod ${pod.metadata?.namespace}/${pod.metadata?.name} does not have any containers`);
  }
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated) {
    const all = [
      ...containers,
      ...(pod.spec?.initContainers ?? []),
      ...(pod.spec?.ephemeralContainers ?? []),
    ];
    if (!all.some((c) => c.name === annotated)) {
      throw new UsageError(
        `container ${annotated} is not valid for pod ${pod.metadata?.name} out of: ${allContainerNames(pod)}`,
      );
    }
    return annotated;
  }
  const first = containers[0]!.name;
  if (
    containers.length > 1 ||
    (pod.spec?.initContainers?.length ?? 0) > 0 ||
    (pod.spec?.ephemeralContainers?.length ?? 0) > 0
  ) {
    warn(`Defaulted container "${first}" out of: ${allContainerNames(pod)}\n`);
  }
  return first;
}

function parseTail(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < -1)
    throw new InvalidArgumentError(`expected a line count (-1: all), got "${text}"`);
  return n;
}

export function logsCommand() {
  return new Command('logs')
    .description(
      'Print the logs of a pod’s containers; with -f, follow its whole startup, init containers first, until the pod finishes',
    )
    .argument(
      '<pod>',
      'POD, pod/POD, or TYPE/NAME of a workload or service (one of its pods, as kubectl picks it)',
    )
    .argument('[container]', 'the container (as -c)')
    .addOption(namespaceOption())
    .option('-c, --container <name>', 'the container (default: the annotated default, else the first)')
    .option('--all-containers', 'every container: init containers, then app containers, then ephemeral ones')
    .option(
      '-f, --follow',
      'follow; without -c, every container of the pod as it starts, until the pod finishes',
    )
    .option('-p, --previous', 'the previous run of the container (the one before its last restart)')
    .option('--prefix', 'begin each line with [pod/NAME/CONTAINER]')
    .option('--tail <lines>', 'only the last lines of each log (-1: all)', parseTail, -1)
    .option('--since <duration>', 'only lines newer than this (5s, 2m, 1h)', parseDuration)
    .option('--timestamps', 'begin each line with its RFC 3339 time')
    .addOption(stateDirOption())
    .addOption(clusterOptions()[0])
    .addOption(clusterOptions()[1])
    .addHelpText(
      'after',
      examples([
        ['The default container of pod web', 'podrun logs web'],
        [
          'A pod of deployment web (kubectl’s choice: running, ready longest, most restarts, oldest)',
          'podrun logs deploy/web',
        ],
        ['One container, the run before its last restart', 'podrun logs web -c migrate -p'],
        ['Every container, each line prefixed', 'podrun logs web --all-containers --prefix'],
        [
          'The whole startup as it happens: init containers, sidecars, app; ends when the pod ends',
          'podrun logs -f web',
        ],
        [
          'The last 20 lines of the last 10 minutes, with times',
          'podrun logs web --tail 20 --since 10m --timestamps',
        ],
      ]),
    )
    .action(async (podArg, containerArg, opts) => {
      const client = await connect(opts);
      const ns = opts.namespace ?? client.namespace;
      const pod = await logTarget(client, ns, podArg, (line) => process.stderr.write(line)).catch(
        kubectlFail,
      );
      const name = pod.metadata?.name ?? podArg;
      const container = opts.container ?? containerArg;
      const known = [
        ...(pod.spec?.containers ?? []),
        ...(pod.spec?.initContainers ?? []),
        ...(pod.spec?.ephemeralContainers ?? []),
      ].map((c) => c.name);
      if (container && !known.includes(container)) {
        kubectlFail(new UsageError(`container ${container} is not valid for pod ${name}`));
      }
      if (opts.previous && opts.follow)
        kubectlFail(new UsageError('only one of follow (-f) or previous (-p) is allowed'));
      const sinceSeconds = opts.since !== undefined ? Math.max(1, Math.ceil(opts.since / 1000)) : undefined;
      const write = (text: string) => process.stdout.write(text);

      if (opts.follow && (!container || opts.allContainers)) {
        const podContainers =
          (pod.spec?.initContainers?.length ?? 0) +
          (pod.spec?.containers?.length ?? 0) +
          (pod.spec?.ephemeralContainers?.length ?? 0);
        await followStartup(
          client,
          ns,
          name,
          {
            prefix: !!opts.prefix || podContainers > 1,
            timestamps: !!opts.timestamps,
            ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
            ...(opts.tail >= 0 ? { tailLines: opts.tail } : {}),
          },
          write,
        ).catch(kubectlFail);
        return;
      }
      if (opts.follow && container) {
        // kubectl fails on a container still waiting to start; this waits for its first run and follows it.
        await followStartup(
          client,
          ns,
          name,
          {
            prefix: !!opts.prefix,
            timestamps: !!opts.timestamps,
            containers: [container],
            ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
            ...(opts.tail >= 0 ? { tailLines: opts.tail } : {}),
          },
          write,
        ).catch(kubectlFail);
        return;
      }

      let containers: string[];
      try {
        containers = opts.allContainers
          ? [
              ...(pod.spec?.initContainers ?? []),
              ...(pod.spec?.containers ?? []),
              ...(pod.spec?.ephemeralContainers ?? []),
            ].map((c) => c.name)
          : [container ?? defaultContainer(pod, (line) => process.stderr.write(line))];
      } catch (err) {
        kubectlFail(err);
      }
      for (const c of containers) {
        const q = new URLSearchParams({ container: c });
        if (opts.previous) q.set('previous', 'true');
        if (opts.timestamps) q.set('timestamps', 'true');
        if (opts.tail >= 0) q.set('tailLines', String(opts.tail));
        if (sinceSeconds !== undefined) q.set('sinceSeconds', String(sinceSeconds));
        let text = '';
        await client
          .stream(
            `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}/log?${q}`,
            (chunk) => {
              text += chunk;
            },
          )
          .catch(kubectlFail);
        if (opts.prefix) {
          const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
          text = text === '' ? '' : lines.map((l) => `[pod/${name}/${c}] ${l}\n`).join('');
        }
        write(text);
      }
    });
}
