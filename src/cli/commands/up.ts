// `podrun up -f FILE|DIR`: apply manifests, print every status change of every pod and container as it
// happens, and (with --wait) exit 0 once everything is up, or non-zero with the reason as soon as something
// fails. Uses the `podrun serve` of the state dir when one runs, otherwise starts podrun in this process.
import { existsSync } from 'node:fs';
import { Command, Option } from '@commander-js/extra-typings';
import { formatManifestError, loadManifests } from '../../api/manifests.js';
import { resourceForKind } from '../../api/resources.js';
import type { KubeObject, Pod } from '../../api/types.js';
import { runningServer, startPodrun } from '../../server/podrun.js';
import { RUNTIME_NAMES } from '../../server/runtimes.js';
import { defaultStateDir, stateLayout } from '../../server/state-dir.js';
import { httpClient } from '../client/http.js';
import { inProcessClient } from '../client/in-process.js';
import { KubeApiError, type KubeClient, kubeClient } from '../client/kube.js';
import { type KubeconfigChoice, kubeconfigTransport, podrunTransport } from '../client/transport.js';
import type { UpClient } from '../client/types.js';
import { clusterOptions, examples, namespaceOption, wantsCluster } from '../kubectl/common.js';
import { followStartup } from '../kubectl/startup-follower.js';
import {
  backoffInitialOption,
  backoffMaxOption,
  collect,
  formatDuration,
  imagePullSyncFsOption,
  imagesOption,
  parseDuration,
  registriesConfOption,
  serviceCidrOption,
} from '../options.js';
import { fail } from '../report.js';
import { applyOrder } from '../up/apply-order.js';
import {
  type ServeSettings,
  serveLog,
  startDetachedServe,
  startedDetached,
  stopServe,
} from '../up/detach.js';
import { FIELD_MANAGER, PROJECT_LABEL, projectName } from '../up/project.js';
import { PullFollower } from '../up/pulls.js';
import { evaluate } from '../up/readiness.js';
import { Tracker, WORKLOAD_KINDS } from '../up/tracker.js';
import { plainOutput, type UpView, upView, useColor } from '../up/view.js';
import {
  failingLogTails,
  failureLines,
  parseRetries,
  parseWaitMode,
  timeoutLines,
  writeJunit,
} from '../up/wait.js';

export function upCommand(): Command {
  return new Command('up')
    .description('Apply manifests and show every pod and container starting; --wait exits when all is up')
    .requiredOption('-f, --filename <path>', 'manifest file, directory, or - for stdin (repeatable)', collect)
    .addOption(
      new Option(
        '--wait [mode]',
        'exit 0 once all is up (ready: every pod Ready or Succeeded; complete: every Job and bare pod done), non-zero with the reason as soon as a step fails',
      )
        .argParser(parseWaitMode)
        .preset('ready' as const),
    )
    .addOption(
      new Option('--timeout <duration>', 'with --wait: how long to wait before giving up')
        .argParser(parseDuration)
        .default(300_000, '5m'),
    )
    .addOption(
      new Option(
        '--wait-retries <n>',
        'with --wait: failed runs (restarts) of a step to tolerate before failing',
      )
        .argParser(parseRetries)
        .default(0),
    )
    .option('--junit <file>', 'with --wait: write a JUnit XML report, one test case per container step')
    .addOption(
      new Option(
        '--output <mode>',
        'auto (a live board on a terminal) or plain (timestamped lines, as without a terminal or with CI set)',
      )
        .choices(['auto', 'plain'] as const)
        .default('auto' as const),
    )
    .option('--logs', "interleave every container's output, each line prefixed [pod/container]")
    .option(
      '--detach',
      'leave the pods running in the background (after the wait, with --wait), served by a podrun serve that `podrun down` stops',
    )
    .option(
      '--state-dir <dir>',
      'state directory (a running `podrun serve` there is used)',
      defaultStateDir(),
    )
    .addOption(clusterOptions()[0])
    .addOption(clusterOptions()[1])
    .addOption(namespaceOption())
    .option(
      '--project <name>',
      'with --kubeconfig/--context: the name objects are labelled with (podrun.dev/project) for `podrun down` (default: the first -f path’s base name)',
    )
    .addOption(
      new Option('--runtime <name>', 'container runtime for an in-process podrun')
        .choices(RUNTIME_NAMES)
        .default('host' as const),
    )
    .addOption(backoffInitialOption())
    .addOption(backoffMaxOption())
    .addOption(serviceCidrOption())
    .addOption(imagesOption())
    .addOption(registriesConfOption())
    .addOption(imagePullSyncFsOption())
    .addHelpText(
      'after',
      examples([
        [
          'Start a manifest and watch it come up (a live board on a terminal); Ctrl-C stops it',
          'podrun up -f examples/ordered-startup.yaml',
        ],
        [
          'In CI: wait until all is Ready, fail fast on a failing step, write a JUnit report',
          'podrun up --wait --timeout 5m --junit report.xml -f k8s/',
        ],
        [
          'Pods that run to completion, tolerating one failed run of each step',
          'podrun up --wait=complete --wait-retries 1 -f jobs.yaml',
        ],
        [
          'Every container’s output above the board, prefixed [pod/container]',
          'podrun up --logs -f app.yaml',
        ],
        [
          'Leave the pods running in the background; stop them later with podrun down',
          'podrun up --detach --wait -f app.yaml',
        ],
      ]),
    )
    .action(async (opts) => {
      if (opts.junit && !opts.wait)
        fail(new Error('--junit needs --wait'), 'the JUnit report is written when the wait ends; add --wait');
      const load = await loadManifests(opts.filename);
      if (load.errors.length > 0) {
        for (const e of load.errors) process.stderr.write(`${formatManifestError(e)}\n`);
        // A file's "and N more errors" line stands for N errors.
        const count = load.errors.reduce((n, e) => n + (e.omitted ?? 1), 0);
        process.stderr.write(`podrun: nothing applied: ${count} error(s) in ${opts.filename.join(', ')}\n`);
        process.exit(1);
      }
      if (load.documents.length === 0)
        fail(new Error('no objects found'), `nothing to apply in ${opts.filename.join(', ')}`);
      let project = '';
      try {
        project = projectName(opts.project, opts.filename);
      } catch (err) {
        fail(err, 'nothing applied');
      }
      // Ctrl-C (or SIGTERM) once: stop gracefully; twice: leave at once. In place before podrun starts (or
      // anything is applied): a Ctrl-C then took the default action, which left an in-process server's pods
      // (adopted ones too) running. Interrupted before the watch, nothing more is applied and what was is
      // stopped as at any other time.
      let interrupted = false;
      let shown: UpView | undefined;
      let onInterrupt = () => {};
      const interruptedP = new Promise<void>((resolve) => {
        onInterrupt = resolve;
      });
      const onSignal = () => {
        if (interrupted) {
          shown?.close('podrun up: interrupted twice');
          process.stderr.write('podrun: interrupted again: exiting without waiting for the pods to stop\n');
          process.exit(130);
        }
        interrupted = true;
        onInterrupt();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const { client, detachedPid, startedServe, kube, cluster } = await connect(opts).catch((err: unknown) =>
        fail(err, wantsCluster(opts) ? 'could not reach the cluster' : 'could not start podrun'),
      );
      const defaultNs = opts.namespace ?? kube?.namespace ?? 'default';
      const started = Date.now();
      process.stderr.write(`podrun: using ${client.description}\n`);
      if (cluster)
        process.stderr.write(
          `podrun: applying as field manager podrun, labelled ${PROJECT_LABEL}=${project}; image pull progress is podrun's own and not shown here (the kubelets' Pulling/Pulled events are)\n`,
        );
      if (detachedPid !== undefined && !startedServe)
        process.stderr.write(
          `podrun: that server was left running by \`podrun up --detach\` (pid ${detachedPid}); \`podrun down --state-dir ${opts.stateDir}\` stops it and its pods\n`,
        );

      const applied: KubeObject[] = [];
      try {
        for (const doc of applyOrder(load.documents.map((d) => d.object))) {
          if (interrupted) break;
          const r = resourceForKind(doc.apiVersion, doc.kind)!;
          const ns = doc.metadata.namespace ?? defaultNs;
          const before = await client.get(r, ns, doc.metadata.name ?? '');
          const labels = cluster ? { ...doc.metadata.labels, [PROJECT_LABEL]: project } : doc.metadata.labels;
          const obj = await client.apply(r, {
            ...doc,
            metadata: {
              ...doc.metadata,
              ...(labels ? { labels } : {}),
              ...(r.namespaced ? { namespace: ns } : {}),
            },
          });
          applied.push(obj);
          const verb = !before
            ? 'created'
            : before.metadata.resourceVersion === obj.metadata.resourceVersion
              ? 'unchanged'
              : 'configured';
          process.stdout.write(`${r.singular}/${obj.metadata.name} ${verb}\n`);
        }
      } catch (err) {
        await client.close({ stopPods: false }).catch(() => {});
        fail(err, 'apply failed');
      }

      if (opts.detach && !opts.wait && !interrupted) {
        process.stderr.write(detachedLines(opts, client, cluster, project).join('\n') + '\n');
        process.exit(0);
      }

      const tracker = new Tracker(client, applied);
      const namespaces = [
        ...new Set(applied.filter((o) => o.metadata.namespace).map((o) => o.metadata.namespace!)),
      ];
      const stops: (() => void)[] = [];
      let finishing = false;
      const elapsedS = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;
      let pulls: PullFollower | undefined;
      const readyCount = () => {
        const pods = [...tracker.pods.values()];
        const ready = pods.filter(
          (p) =>
            p.status?.phase === 'Succeeded' ||
            p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        ).length;
        return `${ready}/${pods.length} pods ready`;
      };
      const hint = opts.wait
        ? `waiting for ${opts.wait} (timeout ${formatDuration(opts.timeout)})`
        : 'Ctrl-C stops the pods';
      const title = (what: string) => (now: number) =>
        `podrun up · ${((now - started) / 1000).toFixed(1)}s · ${readyCount()} · ${what}`;
      const view: UpView = upView({
        plain: plainOutput(opts.output, process.env, process.stdout),
        color: useColor(process.env, process.stdout),
        applied,
        started,
        pods: () => [...tracker.pods.values()],
        pullsNow: () => pulls?.current ?? [],
        client,
        title: title(hint),
      });
      shown = view;
      logSink = (m) => view.note(m);
      pulls = new PullFollower(client, view.pulls, elapsedS);
      stops.push(() => pulls?.stop());

      // --logs: every container's output, through the follower of `podrun logs -f`, one per pod.
      const logs = new AbortController();
      const followed = new Set<string>();
      const logsClient = opts.logs
        ? (kube ?? kubeClient(await podrunTransport(stateLayout(opts.stateDir).kubeconfig)))
        : undefined;
      const followLogs = (pod: Pod) => {
        const key = pod.metadata?.uid ?? '';
        if (!logsClient || followed.has(key)) return;
        followed.add(key);
        followStartup(
          logsClient,
          pod.metadata?.namespace ?? 'default',
          pod.metadata?.name ?? '',
          {
            prefix: true,
            prefixOf: (p, c) => `[${p}/${c}] `,
            timestamps: false,
            signal: logs.signal,
          },
          (text) => view.log(text),
        ).catch((err: unknown) => {
          // A pod deleted before its logs were asked for (a scale-down, a replaced pod) has nothing to follow.
          if (err instanceof KubeApiError && err.code === 404) return;
          if (!finishing) view.note(`podrun: logs of pod ${pod.metadata?.name}: ${(err as Error).message}`);
        });
      };

      const onPod = async (type: string, pod: Pod) => {
        if (!(await tracker.owns(pod))) return;
        const uid = pod.metadata?.uid ?? '';
        const before = tracker.pods.get(uid);
        if (type === 'DELETED') {
          tracker.pods.delete(uid);
          view.deleted(pod);
          return;
        }
        tracker.pods.set(uid, pod);
        // A pull that ended before this change is told first, so the lines keep the order things happened in.
        await pulls?.refresh();
        view.pod(before, pod);
        followLogs(pod);
      };
      let chain = Promise.resolve();
      for (const ns of namespaces) {
        stops.push(
          await client.watchPods(
            ns,
            (e) => {
              chain = chain.then(() => onPod(e.type, e.object as unknown as Pod));
            },
            (err) => {
              if (!finishing) view.note(`podrun: watch of pods in ${ns} ended: ${err.message}`);
            },
          ),
        );
      }

      // Leaves what runs running when the server is someone else's (or --detach keeps it); otherwise stops it.
      const teardown = async (reason: 'wait' | 'failed' | 'timeout' | 'interrupt') => {
        finishing = true;
        pulls?.stop();
        logs.abort();
        const keep = remote(client) && (reason === 'wait' || (opts.detach && reason !== 'interrupt'));
        if (keep) {
          for (const s of stops) s();
          await client.close({ stopPods: false });
          return;
        }
        process.stderr.write('podrun: stopping pods gracefully…\n');
        for (const obj of [...applied].reverse()) {
          const r = resourceForKind(obj.apiVersion, obj.kind)!;
          if (WORKLOAD_KINDS.has(obj.kind) || obj.kind === 'Service')
            await client.delete(r, obj.metadata.namespace ?? '', obj.metadata.name ?? '');
        }
        const deadline = Date.now() + 60_000;
        while (tracker.pods.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
        for (const s of stops) s();
        await client.close({ stopPods: !remote(client) });
        // A server this command started in the background goes with what it ran when the user stops it.
        if (startedServe) {
          const pid = await stopServe(opts.stateDir, 120_000);
          if (pid !== undefined)
            process.stderr.write(`podrun: stopped the background podrun serve (pid ${pid})\n`);
        }
      };

      if (!opts.wait) {
        if (!view.board) process.stderr.write('podrun: watching; press Ctrl-C to stop the pods and exit\n');
        await interruptedP;
        await chain;
        view.close(title('interrupted: stopping the pods')(Date.now()));
        await teardown('interrupt').catch((err: unknown) => fail(err, 'stopping the pods failed'));
        process.stderr.write('podrun: stopped\n');
        process.exit(0);
      }

      const deadline = started + opts.timeout;
      const waitOptions = {
        mode: opts.wait ?? 'ready',
        retries: opts.waitRetries,
      };
      for (;;) {
        await chain;
        if (interrupted) {
          view.close(title('interrupted: stopping the pods')(Date.now()));
          await teardown('interrupt').catch((err: unknown) => fail(err, 'stopping the pods failed'));
          process.stderr.write('podrun: stopped before all was up\n');
          process.exit(130);
        }
        const workloads = await tracker.refreshWorkloads();
        const verdict = evaluate(workloads, (w) => tracker.podsOf(w), waitOptions);
        const timedOut = verdict.state === 'waiting' && Date.now() > deadline;
        if (verdict.state === 'waiting' && !timedOut) {
          await Promise.race([new Promise((r) => setTimeout(r, 250)), interruptedP]);
          continue;
        }
        await pulls.refresh();
        pulls.stop();
        // Everything that needs the pods (their logs, their last status) is read before the teardown.
        const pods = [...tracker.pods.values()];
        const failure = verdict.state === 'failed' ? verdict.failure : undefined;
        const tails = await failingLogTails(client, pods, failure, opts.waitRetries);
        const outcome = verdict.state === 'up' ? 'up' : verdict.state === 'failed' ? 'failed' : 'timeout';
        view.close(
          title(outcome === 'up' ? 'all up' : outcome === 'failed' ? 'failed' : 'timed out')(Date.now()),
        );
        if (opts.junit)
          await writeJunit(opts.junit, pods, tails, outcome, opts.waitRetries).catch((err: unknown) =>
            fail(err, `writing the JUnit report ${opts.junit} failed`),
          );
        const warnings = outcome === 'timeout' ? await warningLines(client, tracker) : [];
        await teardown(outcome === 'up' ? 'wait' : outcome).catch((err: unknown) =>
          fail(err, 'stopping the pods failed'),
        );
        const detached = opts.detach ? detachedLines(opts, client, cluster, project) : [];
        if (verdict.state === 'up') {
          process.stdout.write(`podrun: all up in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
          if (detached.length > 0) process.stderr.write(`${detached.join('\n')}\n`);
          process.exit(0);
        }
        const lines =
          verdict.state === 'failed'
            ? failureLines(verdict.failure, pods, tails, Date.now())
            : [...timeoutLines(opts.timeout, verdict.pending, pods, Date.now()), ...warnings];
        if (opts.junit) lines.push(`podrun: JUnit report written to ${opts.junit}`);
        lines.push(...detached);
        process.stderr.write(`${lines.join('\n')}\n`);
        process.exit(1);
      }
    });
}

/** What a user needs once `up --detach` returns: where the pods run and how to see and stop them. */
function detachedLines(
  opts: KubeconfigChoice & { stateDir: string },
  client: UpClient,
  cluster: boolean,
  project: string,
): string[] {
  if (cluster) {
    const where = `${opts.kubeconfig ? ` --kubeconfig ${opts.kubeconfig}` : ''}${opts.context ? ` --context ${opts.context}` : ''}`;
    return [
      `podrun: what was applied keeps running on ${client.description}`,
      `  podrun get pods${where}      # see it`,
      `  podrun down${where} --project ${project}          # delete what podrun up applied there (label ${PROJECT_LABEL}=${project})`,
    ];
  }
  const stateDir = opts.stateDir;
  const dir = stateDir === defaultStateDir() ? '' : ` --state-dir ${stateDir}`;
  return [
    `podrun: the pods keep running in the background (${client.description}; its log: ${serveLog(stateDir)})`,
    `  podrun get pods${dir}      # see them`,
    `  podrun down${dir}          # stop them and the server`,
  ];
}

let logSink = (m: string) => {
  process.stderr.write(`${m}\n`);
};

function remote(client: UpClient): boolean {
  return !client.description.startsWith('in-process');
}

async function connect(
  opts: KubeconfigChoice & ServeSettings & { runtime: 'host' | 'docker'; detach?: boolean },
): Promise<{
  client: UpClient;
  detachedPid?: number;
  startedServe: boolean;
  kube?: KubeClient;
  cluster: boolean;
}> {
  if (wantsCluster(opts)) {
    const transport = await kubeconfigTransport({
      ...(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}),
      ...(opts.context !== undefined ? { context: opts.context } : {}),
    });
    const kube = kubeClient(transport);
    const client = httpClient(transport, kube, { fieldManager: FIELD_MANAGER, podrunServer: false });
    return { client, startedServe: false, kube, cluster: true };
  }
  const layout = stateLayout(opts.stateDir);
  const running = await runningServer(layout.serveInfo);
  if (running && existsSync(layout.kubeconfig)) {
    // A server already runs there (by hand or left by --detach): it is used as it is, with its own settings.
    const transport = await podrunTransport(layout.kubeconfig);
    const kube = kubeClient(transport);
    const client = httpClient(transport, kube);
    const detached = startedDetached(opts.stateDir, running.pid);
    return {
      client,
      ...(detached ? { detachedPid: running.pid } : {}),
      startedServe: false,
      kube,
      cluster: false,
    };
  }
  if (opts.detach) {
    const pid = await startDetachedServe(opts);
    const transport = await podrunTransport(layout.kubeconfig);
    const kube = kubeClient(transport);
    return {
      client: httpClient(transport, kube),
      detachedPid: pid,
      startedServe: true,
      kube,
      cluster: false,
    };
  }
  const podrun = await startPodrun({
    stateDir: opts.stateDir,
    runtime: opts.runtime,
    backoffInitialMs: opts.backoffInitial,
    backoffMaxMs: opts.backoffMax,
    serviceCIDR: opts.serviceCidr,
    images: opts.images,
    registriesConf: opts.registriesConf,
    imagePullSyncFs: opts.imagePullSyncFs,
    port: 0,
    // The in-process server's messages go where the command's own go: above the board, not through it.
    log: (m) => logSink(m),
  });
  return { client: inProcessClient(podrun, opts.stateDir), startedServe: false, cluster: false };
}

/** At a timeout, the last Warning events of the pods still waiting: often the reason (a sandbox that failed). */
async function warningLines(client: UpClient, tracker: Tracker): Promise<string[]> {
  const out: string[] = [];
  for (const pod of tracker.pods.values()) {
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (ready || pod.status?.phase === 'Succeeded') continue;
    const lines = await client
      .warnings(pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '')
      .catch(() => []);
    for (const line of [...new Set(lines)].slice(-5)) out.push(`  pod ${pod.metadata?.name}: ${line}`);
  }
  return out;
}
