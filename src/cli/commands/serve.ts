// `podrun serve`: the API server, controllers and node in one process, until SIGINT or SIGTERM.
import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { startPodrun } from '../../server/podrun.js';
import { RUNTIME_NAMES } from '../../server/runtimes.js';
import { defaultStateDir } from '../../server/state-dir.js';
import { examples } from '../kubectl/common.js';
import {
  backoffInitialOption,
  backoffMaxOption,
  imageGcOptions,
  imagePullSyncFsOption,
  imagesOption,
  parseDuration,
  parsePort,
  registriesConfOption,
  serviceCidrOption,
} from '../options.js';
import { fail } from '../report.js';

function parseMaxPods(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a whole number of pods of at least 1, got "${text}"`);
  return n;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description(
      'Run the Kubernetes API, the controllers and the node until interrupted; kubectl works against it',
    )
    .option('--port <n>', 'port of the API server (0 picks a free one)', parsePort, 6443)
    .option('--address <ip>', 'address to listen on (loopback unless you choose otherwise)', '127.0.0.1')
    .option(
      '--state-dir <dir>',
      'where podrun keeps its objects, certificates and pod files',
      defaultStateDir(),
    )
    .addOption(
      new Option('--runtime <name>', 'container runtime').choices(RUNTIME_NAMES).default('host' as const),
    )
    .addOption(backoffInitialOption())
    .addOption(backoffMaxOption())
    .addOption(serviceCidrOption())
    .addOption(imagesOption())
    .addOption(registriesConfOption())
    .addOption(imagePullSyncFsOption())
    .addOption(imageGcOptions()[0])
    .addOption(imageGcOptions()[1])
    .addOption(imageGcOptions()[2])
    .addOption(imageGcOptions()[3])
    .option('--max-pods <n>', "pods the node admits (the kubelet's maxPods)", parseMaxPods, 110)
    .addOption(
      new Option(
        '--metric-resolution <duration>',
        'how often metrics.k8s.io readings are taken (metrics-server: 15s)',
      )
        .argParser(parseDuration)
        .default(15_000, '15s'),
    )
    .addOption(
      new Option(
        '--horizontal-pod-autoscaler-sync-period <duration>',
        'how often HorizontalPodAutoscalers are evaluated (kube-controller-manager: 15s)',
      )
        .argParser(parseDuration)
        .default(15_000, '15s'),
    )
    .addHelpText(
      'after',
      examples([
        [
          'Serve on kubectl’s usual port, then point kubectl at it',
          `podrun serve --port 6443
  export KUBECONFIG=$(podrun kubeconfig)`,
        ],
        ['Fast crash-loop retries for local work', 'podrun serve --backoff-initial 1s --backoff-max 10s'],
        ['Run containers on the host’s filesystem instead of pulling images', 'podrun serve --images host'],
      ]),
    )
    .action(async (opts) => {
      if (opts.imageGcLowThreshold > opts.imageGcHighThreshold) {
        // The kubelet's own validation words (pkg/kubelet/apis/config/validation).
        fail(
          new Error(
            `imageGCLowThresholdPercent (--image-gc-low-threshold) ${opts.imageGcLowThreshold} must be less than imageGCHighThresholdPercent (--image-gc-high-threshold) ${opts.imageGcHighThreshold}`,
          ),
          'invalid configuration',
        );
      }
      // The handlers go in before anything starts: a signal that came between "podrun serving" and their
      // registration took the default action (the process died at once, its pods left running and serve.json
      // stale), which a supervisor or a test stopping the server as soon as it serves hit under load.
      let podrun: Awaited<ReturnType<typeof startPodrun>> | undefined;
      let stopping = false;
      const shutdown = (server: NonNullable<typeof podrun>) =>
        server.shutdown().then(
          () => process.exit(0),
          (err: unknown) => fail(err, 'podrun serve did not stop cleanly'),
        );
      const stop = (signal: string) => {
        if (stopping) {
          process.stderr.write('podrun: second signal, exiting without waiting for pods\n');
          process.exit(130);
        }
        stopping = true;
        process.stderr.write(
          podrun
            ? `podrun: ${signal}: stopping pods gracefully…\n`
            : `podrun: ${signal} while starting: stopping pods gracefully once started (again to exit at once)…\n`,
        );
        if (podrun) void shutdown(podrun);
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      try {
        podrun = await startPodrun({
          stateDir: opts.stateDir,
          address: opts.address,
          port: opts.port,
          runtime: opts.runtime,
          backoffInitialMs: opts.backoffInitial,
          backoffMaxMs: opts.backoffMax,
          serviceCIDR: opts.serviceCidr,
          images: opts.images,
          registriesConf: opts.registriesConf,
          imagePullSyncFs: opts.imagePullSyncFs,
          imageGC: {
            highThresholdPercent: opts.imageGcHighThreshold,
            lowThresholdPercent: opts.imageGcLowThreshold,
            minAgeMs: opts.minimumImageTtlDuration,
            maxAgeMs: opts.imageMaximumGcAge,
          },
          maxPods: opts.maxPods,
          metricResolutionMs: opts.metricResolution,
          hpaSyncPeriodMs: opts.horizontalPodAutoscalerSyncPeriod,
        });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          fail(
            err,
            `port ${opts.port} on ${opts.address} is taken; choose another with --port N (0 picks a free one)`,
          );
        }
        fail(err, `podrun serve could not start (state dir ${opts.stateDir})`);
      }
      // Interrupted while starting: what started (and the pods it adopted) stops now, in the kubelet's order.
      if (stopping) {
        void shutdown(podrun);
        return;
      }
      process.stderr.write(
        `podrun serving ${podrun.url} (runtime ${opts.runtime}, images ${opts.images})\n` +
          `  export KUBECONFIG=${podrun.kubeconfigPath}\n`,
      );
    });
}
