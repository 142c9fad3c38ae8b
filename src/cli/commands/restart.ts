// `podrun restart POD | TYPE/NAME`: run a pod's startup again from its first init container. Kubernetes never
// re-runs the init containers of a live pod (only a new pod, or a new sandbox, starts them again), so this
// makes a new pod the way Kubernetes would:
// - a pod with no controller is deleted (waiting until the kubelet has stopped it, since the new one has the
//   same name) and created again from its own spec, metadata and spec kept, status and server fields dropped;
// - a pod a controller owns (ReplicaSet, StatefulSet, Job, …) is deleted, and its controller makes the
//   replacement, which is then named;
// - `deploy/NAME`, `sts/NAME` and `ds/NAME` restart every pod as `kubectl rollout restart` does: the template
//   gets the annotation kubectl.kubernetes.io/restartedAt, and the rollout replaces the pods.
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { resourceForKind } from '../../api/resources.js';
import type { KubeObject, Pod } from '../../api/types.js';
import { KubeApiError, type KubeClient } from '../client/kube.js';
import {
  clusterOptions,
  connect,
  examples,
  kubectlFail,
  namespaceOption,
  stateDirOption,
} from '../kubectl/common.js';
import { kindPrefix, resolveResource, UsageError } from '../kubectl/resources.js';
import { formatDuration, parseDuration } from '../options.js';

const POD = resourceForKind('v1', 'Pod')!;
const ROLLOUT_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function parseGrace(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < -1)
    throw new InvalidArgumentError(`expected whole seconds (-1: the pod's own), got "${text}"`);
  return n;
}

/** Go's time.Now().Format(time.RFC3339) in UTC: `2026-12-06T03:43:52Z`. */
function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The pod to create again: what the user wrote and what defaulting and admission added, nothing the server owns. */
export function recreatedPod(pod: Pod): Pod {
  const meta = pod.metadata ?? {};
  const spec = { ...(pod.spec ?? { containers: [] }) };
  // Ephemeral containers cannot be set on create (only through the ephemeralcontainers subresource).
  delete spec.ephemeralContainers;
  // Scheduled again, as a new pod is.
  delete spec.nodeName;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      ...(meta.labels ? { labels: meta.labels } : {}),
      ...(meta.annotations ? { annotations: meta.annotations } : {}),
      ...(meta.finalizers ? { finalizers: meta.finalizers } : {}),
    },
    spec,
  };
}

async function waitGone(
  client: KubeClient,
  ns: string,
  name: string,
  uid: string | undefined,
  deadline: number,
) {
  for (;;) {
    try {
      const now = await client.get(POD, ns, name);
      if (uid && now.metadata?.uid !== uid) return;
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return;
      throw err;
    }
    if (Date.now() > deadline) throw new UsageError(`timed out waiting for pod ${name} to stop`);
    await sleep(200);
  }
}

/** A pod the same controller made after `before`: the replacement of a deleted one. */
async function waitReplacement(
  client: KubeClient,
  ns: string,
  ownerUid: string,
  before: ReadonlySet<string>,
  deadline: number,
): Promise<Pod | undefined> {
  while (Date.now() <= deadline) {
    const pods = (await client.list(POD, ns)).items as unknown as Pod[];
    const fresh = pods.find(
      (p) =>
        !before.has(p.metadata?.uid ?? '') &&
        !p.metadata?.deletionTimestamp &&
        p.metadata?.ownerReferences?.some((r) => r.controller && r.uid === ownerUid),
    );
    if (fresh) return fresh;
    await sleep(200);
  }
  return undefined;
}

async function restartPod(
  client: KubeClient,
  ns: string,
  name: string,
  grace: number,
  timeoutMs: number,
  out: (line: string) => void,
): Promise<void> {
  const pod = (await client.get(POD, ns, name)) as Pod;
  const controller = pod.metadata?.ownerReferences?.find((r) => r.controller);
  const deadline = Date.now() + timeoutMs;
  const body = {
    kind: 'DeleteOptions',
    apiVersion: 'v1',
    ...(grace >= 0 ? { gracePeriodSeconds: grace } : {}),
  };
  if (controller) {
    const before = new Set(
      ((await client.list(POD, ns)).items as KubeObject[]).map((p) => p.metadata?.uid ?? ''),
    );
    await client.delete(POD, ns, name, body);
    out(`pod "${name}" deleted; its controller ${controller.kind}/${controller.name} replaces it\n`);
    const next = await waitReplacement(client, ns, controller.uid, before, deadline);
    if (!next) {
      throw new UsageError(
        `${controller.kind}/${controller.name} made no new pod in ${formatDuration(timeoutMs)}: see \`podrun describe ${controller.kind.toLowerCase()} ${controller.name}\``,
      );
    }
    out(`pod/${next.metadata?.name} restarted (replaces pod/${name})\n`);
    return;
  }
  await client.delete(POD, ns, name, body);
  await waitGone(client, ns, name, pod.metadata?.uid, deadline);
  await client.create(POD, ns, recreatedPod(pod));
  out(`pod/${name} restarted\n`);
}

export function restartCommand() {
  return new Command('restart')
    .description(
      'Run a pod’s startup again from its first init container: the pod is deleted and made again (by its controller if it has one); TYPE/NAME of a deployment, statefulset or daemonset restarts all its pods as kubectl rollout restart does',
    )
    .argument('<pod>', 'POD, pod/POD, or deploy/NAME, sts/NAME, ds/NAME')
    .addOption(namespaceOption())
    .option('--grace-period <seconds>', 'seconds the old pod gets to stop (-1: its own)', parseGrace, -1)
    .option(
      '--timeout <duration>',
      'give up waiting for the old pod to stop or the new one to appear',
      parseDuration,
      120_000,
    )
    .addOption(stateDirOption())
    .addOption(clusterOptions()[0])
    .addOption(clusterOptions()[1])
    .addHelpText(
      'after',
      examples([
        [
          'Run pod web’s init containers again (a bare pod: deleted and created again from its spec)',
          'podrun restart web',
        ],
        ['The same, without waiting for the old pod’s grace period', 'podrun restart web --grace-period 1'],
        [
          'One pod of a deployment: deleted, its ReplicaSet makes a new one',
          'podrun restart web-7d9c6b5f4-x2x8q',
        ],
        ['Every pod of a deployment, one rollout (kubectl rollout restart)', 'podrun restart deploy/web'],
      ]),
    )
    .action(async (arg, opts) => {
      const slash = arg.indexOf('/');
      let resource = POD;
      try {
        if (slash >= 0) resource = resolveResource(arg.slice(0, slash));
        if (resource.kind !== 'Pod' && !ROLLOUT_KINDS.has(resource.kind)) {
          throw new UsageError(
            `podrun restart takes a pod, a deployment, a statefulset or a daemonset, not ${resource.resource}`,
          );
        }
      } catch (err) {
        kubectlFail(err);
      }
      const name = slash >= 0 ? arg.slice(slash + 1) : arg;
      const client = await connect(opts);
      const ns = opts.namespace ?? client.namespace;
      const write = (line: string) => process.stdout.write(line);
      if (resource.kind === 'Pod') {
        await restartPod(client, ns, name, opts.gracePeriod, opts.timeout, write).catch(kubectlFail);
        return;
      }
      await client
        .patch(resource, ns, name, {
          spec: {
            template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: rfc3339(Date.now()) } } },
          },
        })
        .catch(kubectlFail);
      write(`${kindPrefix(resource)}/${name} restarted\n`);
    });
}
