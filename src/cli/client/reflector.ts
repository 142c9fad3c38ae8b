// client-go's Reflector, reduced to what the CLI needs: list, then watch from the list's resourceVersion with
// bookmarks; a watch the server ends (its timeout) or the network drops is resumed from the last
// resourceVersion seen (an event's or a bookmark's), and one that is too old (410 Gone, as a status or an
// ERROR event) is replaced by a new list, whose differences from what was known come out as events (the
// informer's Replace). So a command following pods sees every change once, on any API server.
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { KubeApiError } from './errors.js';
import type { KubeClient, ListOptions, WatchEvent } from './kube.js';

export interface ReflectedEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

export interface ReflectorOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Told of each reconnection and failure, for a note to the user; the reflector keeps trying. */
  onNote?: (message: string) => void;
  /** First delay before retrying a failed list or watch; doubles up to 5s. */
  retryDelayMs?: number;
}

export interface Reflector {
  /** Resolves once the first list has been handed over as ADDED events. */
  readonly synced: Promise<void>;
  /** The last resourceVersion seen (the list's, an event's or a bookmark's). */
  readonly resourceVersion: string;
  stop(): void;
}

const MAX_DELAY_MS = 5000;

function key(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

class Gone extends Error {}

export function reflect(
  client: KubeClient,
  r: ResourceInfo,
  namespace: string | undefined,
  options: ReflectorOptions,
  onEvent: (e: ReflectedEvent) => void,
): Reflector {
  const known = new Map<string, KubeObject>();
  const selectors: ListOptions = {
    ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
    ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
  };
  const firstDelay = options.retryDelayMs ?? 250;
  let rv = '';
  let stopped = false;
  let stopWatch: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let delay = firstDelay;
  let markSynced = () => {};
  const synced = new Promise<void>((resolve) => {
    markSynced = resolve;
  });
  const note = (m: string) => options.onNote?.(m);

  const relist = async () => {
    const list = await client.list(r, namespace, selectors);
    const seen = new Set<string>();
    for (const o of list.items) {
      const k = key(o);
      seen.add(k);
      const before = known.get(k);
      known.set(k, o);
      if (!before) onEvent({ type: 'ADDED', object: o });
      else if (before.metadata.resourceVersion !== o.metadata.resourceVersion)
        onEvent({ type: 'MODIFIED', object: o });
    }
    for (const [k, o] of known) {
      if (seen.has(k)) continue;
      known.delete(k);
      onEvent({ type: 'DELETED', object: o });
    }
    rv = list.metadata?.resourceVersion ?? '';
    markSynced();
  };

  const handle = (ev: WatchEvent) => {
    if (ev.type === 'ERROR') {
      const status = ev.object as unknown as { code?: number; message?: string };
      if (status.code === 410) throw new Gone(status.message ?? 'resourceVersion too old');
      throw new Error(status.message ?? 'watch error');
    }
    const newRv = ev.object.metadata?.resourceVersion;
    if (newRv) rv = newRv;
    if (ev.type === 'BOOKMARK') return;
    const k = key(ev.object);
    if (ev.type === 'DELETED') known.delete(k);
    else known.set(k, ev.object);
    onEvent({ type: ev.type, object: ev.object });
  };

  const schedule = (fn: () => void, wait: number) => {
    if (stopped) return;
    timer = setTimeout(fn, wait);
  };

  const watch = async (needList: boolean): Promise<void> => {
    if (stopped) return;
    try {
      if (needList) await relist();
      if (stopped) return;
      let gone = false;
      const ended = new Promise<Error | undefined>((resolve) => {
        client
          .watch(
            r,
            namespace,
            { ...selectors, resourceVersion: rv },
            (ev) => {
              if (stopped || gone) return;
              try {
                handle(ev);
                delay = firstDelay;
              } catch (err) {
                gone = true;
                stopWatch?.();
                resolve(err as Error);
              }
            },
            (err) => resolve(err),
          )
          .then((stop) => {
            stopWatch = stop;
            if (stopped) stop();
          })
          .catch((err: unknown) => resolve(err as Error));
      });
      const err = await ended;
      stopWatch = undefined;
      if (stopped) return;
      if (err instanceof Gone || (err instanceof KubeApiError && err.code === 410)) {
        note(`watch of ${r.resource}: resourceVersion ${rv} is too old (${err.message}); listing again`);
        schedule(() => void watch(true), 0);
      } else if (err) {
        note(`watch of ${r.resource} dropped (${err.message}); resuming from resourceVersion ${rv}`);
        schedule(() => void watch(false), delay);
        delay = Math.min(delay * 2, MAX_DELAY_MS);
      } else {
        // The server ended the watch (its timeout): resume at once from where it stopped.
        schedule(() => void watch(false), 0);
      }
    } catch (err) {
      if (stopped) return;
      note(`${needList ? 'list' : 'watch'} of ${r.resource} failed (${(err as Error).message}); retrying`);
      schedule(() => void watch(needList || rv === ''), delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  };

  void watch(true);
  return {
    synced,
    get resourceVersion() {
      return rv;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      stopWatch?.();
    },
  };
}
