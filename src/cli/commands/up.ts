// `podrun up -f FILE|DIR`: apply manifests, print every status change of every pod and container as it
// happens, and (with --wait) exit 0 once everything is up, or non-zero with the reason as soon as something
// fails. Uses the `podrun serve` of the state dir when one runs, otherwise starts podrun in this process.
import { existsSync } from 'node:fs';
import { Command, Option } from '@commander-js/extra-typings';
import { formatManifestError, loadManifests } from '../../api/manifests.js';
import { resourceForKind } from '../../api/resources.js';
import type { KubeObject, Pod } from '../../api/types.js';
import { runningServer, startPodrun } from '../../server/podrun.js';
import { type ImagesMode, RUNTIME_NAMES } from '../../server/runtimes.js';
import { defaultStateDir, stateLayout } from '../../server/state-dir.js';
import { httpClient, readKubeconfig } from '../client/http.js';
import { inProcessClient } from '../client/in-process.js';
import type { UpClient } from '../client/types.js';
import {
  backoffInitialOption,
  backoffMaxOption,
  collect,
  imagePullSyncFsOption,
  imagesOption,
  parseDuration,
  registriesConfOption,
  serviceCidrOption,
} from '../options.js';
import { liveOutput } from '../progress/live.js';
import { formatTransition, podTransitions, subjectsOf } from '../progress/transitions.js';
import { fail } from '../report.js';
import { applyOrder } from '../up/apply-order.js';
import { PullFollower } from '../up/pulls.js';
import { evaluate } from '../up/readiness.js';
import {
  failingLogTails,
  failureLines,
  parseRetries,
  parseWaitMode,
  timeoutLines,
  writeJunit,
} from '../up/wait.js';

const WORKLOAD_KINDS = new Set(['Pod', 'Deployment', 'ReplicaSet', 'Job']);

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
        'auto (redrawn on a terminal) or plain (timestamped lines, as without a terminal or with CI set)',
      )
        .choices(['auto', 'plain'] as const)
        .default('auto' as const),
    )
    .option(
      '--state-dir <dir>',
      'state directory (a running `podrun serve` there is used)',
      defaultStateDir(),
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
      const client = await connect(opts).catch((err: unknown) => fail(err, 'could not start podrun'));
      const started = Date.now();
      const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;
      process.stderr.write(`podrun: using ${client.description}\n`);

      const applied: KubeObject[] = [];
      try {
        for (const doc of applyOrder(load.documents.map((d) => d.object))) {
          const r = resourceForKind(doc.apiVersion, doc.kind)!;
          const ns = doc.metadata.namespace ?? 'default';
          const before = await client.get(r, ns, doc.metadata.name ?? '');
          const obj = await client.apply(r, {
            ...doc,
            metadata: { ...doc.metadata, ...(r.namespaced ? { namespace: ns } : {}) },
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

      const tracker = new Tracker(client, applied);
      const namespaces = [
        ...new Set(applied.filter((o) => o.metadata.namespace).map((o) => o.metadata.namespace!)),
      ];
      const widths = columnWidths(applied);
      const stops: (() => void)[] = [];
      let finishing = false;
      const out = liveOutput(process.stdout, { plain: opts.output === 'plain' || !!process.env.CI });
      const pulls = new PullFollower(client, out, elapsed);
      stops.push(() => pulls.stop());
      const onPod = async (type: string, pod: Pod) => {
        if (!(await tracker.owns(pod))) return;
        const uid = pod.metadata?.uid ?? '';
        const before = tracker.pods.get(uid);
        if (type === 'DELETED') {
          tracker.pods.delete(uid);
          out.line(
            `${elapsed()}  ${formatTransition({ pod: pod.metadata?.name ?? '', subject: 'pod', from: 'Terminating', to: 'deleted' }, widths)}`,
          );
          return;
        }
        tracker.pods.set(uid, pod);
        // A pull that ended before this change is told first, so the lines keep the order things happened in.
        await pulls.refresh();
        for (const t of podTransitions(before, pod)) {
          widths.pod = Math.max(widths.pod, t.pod.length);
          widths.subject = Math.max(widths.subject, t.subject.length);
          out.line(`${elapsed()}  ${formatTransition(t, widths)}`);
        }
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
              if (!finishing) process.stderr.write(`podrun: watch of pods in ${ns} ended: ${err.message}\n`);
            },
          ),
        );
      }

      const teardown = async (reason: string) => {
        finishing = true;
        pulls.stop();
        if (remote(client) && reason === 'wait') {
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
      };

      if (!opts.wait) {
        process.stderr.write('podrun: watching; press Ctrl-C to stop the pods and exit\n');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await teardown('interrupt').catch((err: unknown) => fail(err, 'stopping the pods failed'));
        process.exit(0);
      }

      const deadline = started + opts.timeout;
      const waitOptions = {
        mode: opts.wait ?? 'ready',
        retries: opts.waitRetries,
      };
      for (;;) {
        await chain;
        const workloads = await tracker.refreshWorkloads();
        const verdict = evaluate(workloads, (w) => tracker.podsOf(w), waitOptions);
        const timedOut = verdict.state === 'waiting' && Date.now() > deadline;
        if (verdict.state === 'waiting' && !timedOut) {
          await new Promise((r) => setTimeout(r, 250));
          continue;
        }
        await pulls.refresh();
        pulls.stop();
        // Everything that needs the pods (their logs, their last status) is read before the teardown.
        const pods = [...tracker.pods.values()];
        const failure = verdict.state === 'failed' ? verdict.failure : undefined;
        const tails = await failingLogTails(client, pods, failure, opts.waitRetries);
        const outcome = verdict.state === 'up' ? 'up' : verdict.state === 'failed' ? 'failed' : 'timeout';
        if (opts.junit)
          await writeJunit(opts.junit, pods, tails, outcome, opts.waitRetries).catch((err: unknown) =>
            fail(err, `writing the JUnit report ${opts.junit} failed`),
          );
        const warnings = outcome === 'timeout' ? await warningLines(client, tracker) : [];
        await teardown(outcome === 'up' ? 'wait' : outcome).catch((err: unknown) =>
          fail(err, 'stopping the pods failed'),
        );
        if (verdict.state === 'up') {
          process.stdout.write(`podrun: all up in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
          process.exit(0);
        }
        const lines =
          verdict.state === 'failed'
            ? failureLines(verdict.failure, pods, tails, Date.now())
            : [...timeoutLines(opts.timeout, verdict.pending, pods, Date.now()), ...warnings];
        if (opts.junit) lines.push(`podrun: JUnit report written to ${opts.junit}`);
        process.stderr.write(`${lines.join('\n')}\n`);
        process.exit(1);
      }
    });
}

/** Column widths from what was applied, so lines line up from the first one (generated names add 17). */
function columnWidths(applied: KubeObject[]): { pod: number; subject: number } {
  const widths = { pod: 3, subject: 3 };
  for (const o of applied) {
    const spec = (
      o.kind === 'Pod' ? o.spec : (o.spec as { template?: { spec?: unknown } } | undefined)?.template?.spec
    ) as Pod['spec'];
    if (!spec) continue;
    const generated = o.kind === 'Deployment' ? 17 : o.kind === 'Pod' ? 0 : 6;
    widths.pod = Math.max(widths.pod, (o.metadata.name ?? '').length + generated);
    for (const s of subjectsOf(spec)) widths.subject = Math.max(widths.subject, s.length);
  }
  return widths;
}

function remote(client: UpClient): boolean {
  return client.description.startsWith('podrun serve');
}

async function connect(opts: {
  stateDir: string;
  runtime: 'host' | 'docker';
  images: ImagesMode;
  registriesConf: string;
  imagePullSyncFs: boolean;
  backoffInitial: number;
  backoffMax: number;
  serviceCidr: string;
}): Promise<UpClient> {
  const layout = stateLayout(opts.stateDir);
  if ((await runningServer(layout.serveInfo)) && existsSync(layout.kubeconfig)) {
    return httpClient(await readKubeconfig(layout.kubeconfig));
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
  });
  return inProcessClient(podrun, opts.stateDir);
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

/** Which pods belong to what was applied, through owner references (Deployment → ReplicaSet → Pod). */
class Tracker {
  readonly pods = new Map<string, Pod>();
  readonly #client: UpClient;
  #workloads: KubeObject[];
  readonly #uids: Set<string>;
  readonly #rsOwner = new Map<string, string | undefined>();

  constructor(client: UpClient, applied: KubeObject[]) {
    this.#client = client;
    this.#workloads = applied.filter((o) => WORKLOAD_KINDS.has(o.kind));
    this.#uids = new Set(this.#workloads.map((o) => o.metadata.uid ?? ''));
  }

  async owns(pod: Pod): Promise<boolean> {
    if (this.#uids.has(pod.metadata?.uid ?? '')) return true;
    const ref = pod.metadata?.ownerReferences?.find((r) => r.controller);
    if (!ref) return false;
    if (this.#uids.has(ref.uid)) return true;
    if (ref.kind !== 'ReplicaSet') return false;
    if (!this.#rsOwner.has(ref.uid)) {
      const rs = await this.#client.get(
        resourceForKind('apps/v1', 'ReplicaSet')!,
        pod.metadata?.namespace ?? '',
        ref.name,
      );
      this.#rsOwner.set(ref.uid, rs?.metadata.ownerReferences?.find((r) => r.controller)?.uid);
    }
    return this.#uids.has(this.#rsOwner.get(ref.uid) ?? '');
  }

  podsOf(w: KubeObject): Pod[] {
    const uid = w.metadata.uid;
    return [...this.pods.values()].filter((p) => {
      if (p.metadata?.uid === uid) return true;
      const owner = p.metadata?.ownerReferences?.find((r) => r.controller)?.uid ?? '';
      return owner === uid || this.#rsOwner.get(owner) === uid;
    });
  }

  async refreshWorkloads(): Promise<KubeObject[]> {
    this.#workloads = await Promise.all(
      this.#workloads.map(async (w) => {
        const r = resourceForKind(w.apiVersion, w.kind)!;
        return (await this.#client.get(r, w.metadata.namespace ?? '', w.metadata.name ?? '')) ?? w;
      }),
    );
    return this.#workloads;
  }
}
