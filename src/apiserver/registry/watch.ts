// Watches over the store, as the API server's watch cache serves them: selectors applied per event (an
// object that starts matching arrives as ADDED, one that stops as DELETED), a start from a resourceVersion,
// and the wait-for-other-objects loop that namespace and foreground deletion use.
import { groupResource, RESOURCES, type ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { type Store, StoreError } from '../../store/types.js';
import { tooOldResourceVersion } from '../errors.js';
import { parseResourceVersion, withTypeMeta } from './decoding.js';
import type { RegistryWatch, RegistryWatchEvent, RegistryWatchOptions } from './types.js';

export async function watchResource(
  store: Store,
  r: ResourceInfo,
  matches: (o: KubeObject) => boolean,
  namespace: string | undefined,
  options: RegistryWatchOptions,
  listener: (event: RegistryWatchEvent) => void,
): Promise<RegistryWatch> {
  const rv = parseResourceVersion(options.resourceVersion);
  const ns = r.namespaced ? namespace || undefined : undefined;
  const gr = groupResource(r);
  const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const visible = new Set<string>();
  const { items, revision } = await store.list(gr, ns);
  let from = revision;
  for (const item of items) {
    if (!matches(item)) continue;
    visible.add(keyOf(item));
    if (rv === 0) listener({ type: 'ADDED', object: withTypeMeta(r, item) });
  }
  if (rv > 0) {
    from = rv;
    // Without the previous version of each object, what matched at `rv` is approximated by what matches now.
  }
  const state = { revision: from, stopped: false };
  const selects = Boolean(options.labelSelector || options.fieldSelector);
  // With selectors, a change the listener below would drop is refused before the store copies it: a
  // change that neither matches nor ends a match.
  const accept = (_type: string, o: Readonly<KubeObject>, revision: number): boolean => {
    if (state.stopped) return false;
    state.revision = revision;
    return matches(o as KubeObject) || visible.has(keyOf(o as KubeObject));
  };
  let storeWatch: { stop(): void };
  try {
    const watchOptions = { groupResource: gr, namespace: ns, afterRevision: from, shared: options.shared };
    storeWatch = store.watch(selects ? { ...watchOptions, accept } : watchOptions, (ev) => {
      if (state.stopped) return;
      state.revision = ev.revision;
      const key = keyOf(ev.object);
      const object = withTypeMeta(r, ev.object);
      const now = matches(ev.object);
      if (ev.type === 'DELETED') {
        if (visible.delete(key) || now) listener({ type: 'DELETED', object });
      } else if (now) {
        const was = visible.has(key);
        visible.add(key);
        listener({ type: was && ev.type === 'MODIFIED' ? 'MODIFIED' : 'ADDED', object });
      } else if (visible.delete(key)) {
        listener({ type: 'DELETED', object });
      }
    });
  } catch (e) {
    if (e instanceof StoreError && e.reason === 'Expired') {
      throw tooOldResourceVersion(rv, e.oldestRevision ?? store.revision());
    }
    throw e;
  }
  return {
    stop() {
      state.stopped = true;
      storeWatch.stop();
    },
    get revision() {
      return state.revision;
    },
  };
}

/**
 * Runs `check` now and after every later change to any resource until it returns true. Errors of `check`
 * are reported and it runs again on the next change (a conflict, a store hiccup).
 */
export async function waitForChange(
  store: Store,
  check: () => Promise<boolean>,
  reportError: (e: unknown) => void,
): Promise<void> {
  await new Promise<void>((resolve) => {
    let running = false;
    let again = false;
    const watches: Array<{ stop(): void }> = [];
    const stopAll = () => {
      for (const w of watches) w.stop();
    };
    const run = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          let done = false;
          try {
            done = await check();
          } catch (e) {
            reportError(e);
          }
          if (done) {
            stopAll();
            resolve();
            return;
          }
        } while (again);
      } finally {
        running = false;
      }
    };
    const after = store.revision();
    for (const res of RESOURCES) {
      watches.push(
        store.watch({ groupResource: groupResource(res), afterRevision: after }, () => void run()),
      );
    }
    void run();
  });
}
