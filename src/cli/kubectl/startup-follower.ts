// `podrun logs -f POD`: the whole startup of a pod, not one container. It watches the pod, and reads the log of
// every run of every container it sees (init containers in order, then sidecars and app containers, and every
// restart), following the run that is still going, so the lines come as they are written. Runs are told
// apart by container ID, so a run that started and ended between two looks at the pod (a quick init container,
// a failed run restarted at once) is still read, as the current run's predecessor (`previous`). The regular
// init containers' logs are read one after the other, each to its end, and a sidecar's or app container's after
// those of the init containers that ran before it, so a finished startup reads in the order it ran. It ends
// when the pod has finished (Succeeded or Failed, or deleted) and every log has been read to its end. Where
// kubectl refuses a container that has not started (`is waiting to start: PodInitializing`), this waits for it.
import { CONTAINER_ID_HEADER } from '../../api/log-headers.js';
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

function statusOf(pod: Pod, container: string): ContainerStatus | undefined {
  return [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ].find((s) => s.name === container);
}

/**
 * The runs of a container the status shows, by container ID: the current one (running or terminated) and the
 * one before it (lastState; while the container waits out a back-off, that is its newest run). A run that has
 * no ID never started and has no log.
 */
function runsOf(status: ContainerStatus | undefined): { current?: string; last?: string } {
  const current = status?.state?.running ? status.containerID : status?.state?.terminated?.containerID;
  const last = status?.lastState?.terminated?.containerID;
  return { ...(current ? { current } : {}), ...(last ? { last } : {}) };
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
  /** Every run queued to be read, by container ID: each is read once. */
  const queued = new Set<string>();
  /** Containers whose log was read before: --since and --tail choose where the first read starts only. */
  const readBefore = new Set<string>();
  /** Each container's last queued read: its runs are read one after the other. */
  const tails = new Map<string, Promise<void>>();
  /** The regular init containers' last queued read: they run one at a time, so they are read one at a time. */
  let initTail: Promise<void> = Promise.resolve();
  const pending = new Set<Promise<void>>();
  let failure: unknown;
  let latest: Pod;

  /**
   * Reads one run's log; which request reaches it is decided from the newest status, when its turn comes.
   * `retry`: the server said the run was restarted after that status; it is read again as the previous run,
   * with --since and --tail as the first attempt had them.
   */
  const read = async (container: string, id: string, retry?: { first: boolean }): Promise<void> => {
    if (abort.signal.aborted) return;
    const { current, last } = runsOf(statusOf(latest, container));
    const q = new URLSearchParams({ container });
    if (retry) q.set('previous', 'true');
    else if (id === current) q.set('follow', 'true');
    // The run before the current one is the `previous` log; with no current run (a back-off), the newest run
    // is what the plain log request reads.
    else if (id === last && current) q.set('previous', 'true');
    else if (id !== last) return; // two runs newer than this one have started since: its log is gone
    if (options.timestamps) q.set('timestamps', 'true');
    const first = retry ? retry.first : !readBefore.has(container);
    if (first) {
      if (options.sinceSeconds !== undefined) q.set('sinceSeconds', String(options.sinceSeconds));
      if (options.tailLines !== undefined && options.tailLines >= 0)
        q.set('tailLines', String(options.tailLines));
    }
    readBefore.add(container);
    const podName = latest.metadata?.name ?? name;
    const prefix = options.prefixOf?.(podName, container) ?? `[pod/${podName}/${container}] `;
    const lines = new LineWriter(options.prefix ? prefix : '', write);
    // The run the server chose (podrun says; another server does not): the status this chose by may be
    // behind the kubelet's, and the run asked for as the current one may have been restarted since.
    let served: string | undefined;
    try {
      await client.stream(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/log?${q}`,
        (chunk) => lines.push(chunk),
        abort.signal,
        (headers) => {
          const header = headers[CONTAINER_ID_HEADER.toLowerCase()];
          served = typeof header === 'string' ? header : undefined;
          return served === undefined || served === id;
        },
      );
    } catch (err) {
      // A run that went before its log could be read (restarted again, the pod deleted) is a 400 or 404 of
      // the log endpoint. Anything else ends the command.
      if (!(abort.signal.aborted || (err instanceof KubeApiError && (err.code === 400 || err.code === 404))))
        failure ??= err;
    } finally {
      lines.end();
    }
    // Asked for as the newest run, it has been restarted since: it is the previous run now.
    if (served !== undefined && served !== id && !q.has('previous')) await read(container, id, { first });
  };

  const enqueue = (container: string, id: string, after: Promise<void>[]) => {
    queued.add(id);
    const p = Promise.all([tails.get(container), ...after]).then(() => read(container, id));
    tails.set(container, p);
    pending.add(p);
    void p.finally(() => pending.delete(p));
    return p;
  };

  const wanted = (c: string) => !options.containers || options.containers.includes(c);
  let firstLook = true;
  const hasTail = options.tailLines !== undefined && options.tailLines >= 0;
  const consider = (pod: Pod) => {
    latest = pod;
    const inits = pod.spec?.initContainers ?? [];
    const regular = inits.filter((c) => c.restartPolicy !== 'Always').map((c) => c.name);
    const containers = [
      ...inits.map((c, index) => ({
        name: c.name,
        regularInit: c.restartPolicy !== 'Always',
        before: index,
      })),
      ...(pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        regularInit: false,
        before: inits.length,
      })),
      ...(pod.spec?.ephemeralContainers ?? []).map((c) => ({ name: c.name, regularInit: false, before: 0 })),
    ];
    // Startup order: init containers (sidecars among them) in the spec's order, then app containers.
    for (const { name: container, regularInit, before } of containers) {
      if (!wanted(container)) continue;
      const { current, last } = runsOf(statusOf(pod, container));
      // A run seen only as the one before the current run (it started and ended between two looks) is read
      // first. On the first look that is the run before the newest, which the node still has: the startup
      // began before the command did. With --since or --tail, which ask for the newest lines, it is left out.
      const skipLast = firstLook && current && (options.sinceSeconds !== undefined || hasTail);
      const runs = skipLast ? [current] : [last, current];
      if (skipLast && last) queued.add(last);
      for (const id of runs) {
        if (!id || queued.has(id)) continue;
        if (regularInit) {
          initTail = enqueue(container, id, [initTail]);
        } else {
          // A sidecar starts once the regular init containers before it have ended, an app container once all
          // of them have: their lines come after those init containers' lines.
          const earlier = regular.filter((r) => inits.findIndex((c) => c.name === r) < before);
          enqueue(
            container,
            id,
            earlier.map((r) => tails.get(r) ?? Promise.resolve()),
          );
        }
      }
    }
    firstLook = false;
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
  while (pending.size > 0) await Promise.all([...pending]);
  abort.abort();
  if (failure) throw failure;
}
