// Unpacking layers while the rest of the image downloads: as soon as the config and a layer's blob (and
// every layer below it) are stored, that layer is unpacked, so a pull ends about one layer's unpack after
// its last download instead of after unpacking them all. Best effort: a failure here is left for
// addImage, which unpacks whatever is missing and reports errors in its own words.
import type { ImageManifest } from '../registry/manifest.js';
import type { ImageStore } from '../store/index.js';
import { parseConfig } from '../store/types.js';

const maxConfigBytes = 16 * 1024 * 1024;

/** Who waits for which blob to be stored. */
export class BlobArrivals {
  private readonly waiters = new Map<string, Set<() => void>>();

  stored(digest: string): void {
    const set = this.waiters.get(digest);
    if (set === undefined) return;
    this.waiters.delete(digest);
    for (const w of set) w();
  }

  /** Resolves true once `digest` is in the store, false if `stop` settles first. */
  async wait(store: ImageStore, digest: string, stop: Promise<unknown>): Promise<boolean> {
    let waiter: (() => void) | undefined;
    const arrived = new Promise<boolean>((resolve) => {
      waiter = () => resolve(true);
      let set = this.waiters.get(digest);
      if (set === undefined) {
        set = new Set();
        this.waiters.set(digest, set);
      }
      set.add(waiter);
    });
    // Registered before looking, so a blob stored in between is not missed.
    if (await store.blobs.has(digest)) this.drop(digest, waiter);
    const stopped = stop.then(
      () => false,
      () => false,
    );
    const got = (await store.blobs.has(digest)) || (await Promise.race([arrived, stopped]));
    this.drop(digest, waiter);
    return got;
  }

  private drop(digest: string, waiter: (() => void) | undefined): void {
    const set = this.waiters.get(digest);
    if (set === undefined || waiter === undefined) return;
    set.delete(waiter);
    if (set.size === 0) this.waiters.delete(digest);
  }
}

export async function unpackEarly(
  store: ImageStore,
  arrivals: BlobArrivals,
  manifest: ImageManifest,
  stop: Promise<unknown>,
): Promise<void> {
  if (!(await arrivals.wait(store, manifest.config.digest, stop))) return;
  const config = parseConfig(
    await store.blobs.read(manifest.config.digest, maxConfigBytes),
    `image config ${manifest.config.digest}`,
  );
  const diffIDs = config.rootfs.diff_ids;
  if (diffIDs.length !== manifest.layers.length) return;
  const sources: { blob: string; diffID: string }[] = [];
  for (const [i, layer] of manifest.layers.entries()) {
    if (!(await arrivals.wait(store, layer.digest, stop))) return;
    sources.push({ blob: layer.digest, diffID: diffIDs[i] ?? '' });
    await store.layers.ensure(sources);
  }
}
