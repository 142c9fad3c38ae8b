// `podrun logs -f POD`: the whole startup of a pod, not one container. It watches the pod, and as each
// container starts (init containers in order, then sidecars and app containers, and every restart) it
// follows that run's log, so the lines come as they are written, a line at a time per container. It ends when
// the pod has finished (Succeeded or Failed, or deleted) and every log has been read to its end. Where kubectl
// refuses a container that has not started (`is waiting to start: PodInitializing`), this waits for it.
import { resourceForKind } from '../../api/resources.js';
import type { ContainerStatus, Pod } from '../../api/types.js';
import { KubeApiError, type KubeClient } from '../client/kube.js';
import { reflect } from '../client/reflector.js';

export interface FollowOptions {
  /** `[pod/NAME/CONTAINER] ` before each line. */
  prefix: boolean;
  timestamps: boolean;
  /** Only these containers (`-c`); all of the pod's otherwise. */
  containers?: string[];
  sinceSeconds?: number;
  tailLines?: number;
  /** Another prefix than kubectl's (`podrun up --logs`: `[pod/container] `); used when `prefix` is set. */
  prefixOf?: (pod: string, container: string) => string;
  /** Stops following (the logs read so far are written); the promise then resolves. */
  signal?: AbortSignal;
}

const POD = resourceForKind('v1', 'Pod')!;

/** A container's current run: its restart count once it has started (running or terminated), else undefined. */
function startedRun(status: ContainerStatus | undefined): number | undefined {
  if (!status) return undefined;
  if (status.state?.running || status.state?.terminated) return status.restartCount ?? 0;
  return undefined;
}

function finished(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** Writes whole lines only, so that lines of containers followed at once never mix. */
class LineWriter {
  private rest = '';
  constructor(
    private readonly prefix: string,
    private readonly write: (text: string) => void,
  ) {}
  push(chunk: string): void {
    const text = this.rest + chunk;
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      this.rest = text;
      return;
    }
    this.rest = text.slice(end + 1);
    const lines = text.slice(0, end).split('\n');
    this.write(lines.map((l) => `${this.prefix}${l}\n`).join(''));
  }
  end(): void {
    if (this.rest !== '') this.write(`${this.prefix}${this.rest}\n`);
    this.rest = '';
  }
}

export async function followStartup(
  client: KubeClient,
  namespace: string,
  name: string,
  options: FollowOptions,
  write: (text: string) => void,
): Promise<void> {
  const abort = new AbortController();
  const followed = new Map<string, number>();
  const running = new Set<Promise<void>>();
  let failure: unknown;

  const followRun = (pod: Pod, container: string, run: number) => {
    followed.set(container, run);
    const q = new URLSearchParams({ container, follow: 'true' });
    if (options.timestamps) q.set('timestamps', 'true');
    // --since and --tail choose where the first run's log starts; later runs are read whole.
    if (!followedBefore.has(container)) {
      if (options.sinceSeconds !== undefined) q.set('sinceSeconds', String(options.sinceSeconds));
      if (options.tailLines !== undefined && options.tailLines >= 0)
        q.set('tailLines', String(options.tailLines));
    }
    followedBefore.add(container);
    const podName = pod.metadata?.name ?? '';
    const prefix = options.prefixOf?.(podName, container) ?? `[pod/${podName}/${container}] `;
    const lines = new LineWriter(options.prefix ? prefix : '', write);
    const p = client
      .stream(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/log?${q}`,
        (chunk) => lines.push(chunk),
        abort.signal,
      )
      .catch((err: unknown) => {
        // A run that went before its log could be read (restarted again, the pod deleted) is a 400 or 404 of
        // the log endpoint; the next status names the run that replaced it. Anything else ends the command.
        if (abort.signal.aborted || (err instanceof KubeApiError && (err.code === 400 || err.code === 404)))
          return;
        failure ??= err;
      })
      .finally(() => {
        lines.end();
        running.delete(p);
      });
    running.add(p);
  };
  const followedBefore = new Set<string>();

  const wanted = (c: string) => !options.containers || options.containers.includes(c);
  const consider = (pod: Pod) => {
    // Startup order: init containers (sidecars among them) in the spec's order, then app containers.
    const statuses = [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
      ...(pod.status?.ephemeralContainerStatuses ?? []),
    ];
    const names = [
      ...(pod.spec?.initContainers ?? []).map((c) => c.name),
      ...(pod.spec?.containers ?? []).map((c) => c.name),
      ...(pod.spec?.ephemeralContainers ?? []).map((c) => c.name),
    ];
    for (const container of names) {
      if (!wanted(container)) continue;
      const run = startedRun(statuses.find((s) => s.name === container));
      if (run === undefined) continue;
      const seen = followed.get(container);
      if (seen === undefined || run > seen) followRun(pod, container, run);
    }
  };

  options.signal?.addEventListener('abort', () => abort.abort());
  let pod = (await client.get(POD, namespace, name)) as Pod;
  consider(pod);
  if (!finished(pod) && !abort.signal.aborted) {
    // Through the reflector: a watch the server ends (its timeout) or the network drops is resumed, so a long
    // startup on a cluster is followed to its end.
    await new Promise<void>((resolve) => {
      let closed = false;
      const done = () => {
        if (closed) return;
        closed = true;
        reflector.stop();
        resolve();
      };
      const reflector = reflect(client, POD, namespace, { fieldSelector: `metadata.name=${name}` }, (ev) => {
        if (closed) return;
        pod = ev.object as Pod;
        if (ev.type === 'DELETED') {
          done();
          return;
        }
        consider(pod);
        if (finished(pod)) done();
      });
      abort.signal.addEventListener('abort', done);
    });
  }
  // The logs of the last runs are read to their end: their containers have stopped, so the server ends them.
  while (running.size > 0) await Promise.all([...running]);
  abort.abort();
  if (failure) throw failure;
}
