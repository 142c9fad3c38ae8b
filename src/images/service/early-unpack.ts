// Unpacking layers while the image downloads. Each layer blob that downloads from its first byte is
// unpacked from the bytes as they arrive (StreamedLayers, all layers at once), so a pull ends about when its
// last download does; a layer whose blob was already stored, or whose streamed unpack failed, is unpacked
// as soon as it and every layer below it are stored (unpackEarly). Best effort: a failure here is left for
// addImage, which unpacks whatever is missing and reports errors in its own words.
import type { Writable } from 'node:stream';
import type { Descriptor, ImageManifest } from '../registry/manifest.js';
import { chainIDs } from '../store/digest.js';
import type { ImageStore, LayerSource } from '../store/index.js';
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

interface LayerPlan {
  source: LayerSource;
  index: number;
  chainID: string;
  /** Chain IDs of the layers below, topmost first. */
  lowerIDs: string[];
}

/** The layers of pulls in progress, by blob digest, unpacked from their downloads as the bytes arrive. */
export class StreamedLayers {
  private readonly plans = new Map<string, LayerPlan>();

  constructor(private readonly store: ImageStore) {}

  /** Plans the manifest's layers from its (verified) config; returns the undo for when the pull ends. */
  plan(manifest: ImageManifest, configBytes: Buffer): () => void {
    let diffIDs: string[];
    try {
      diffIDs = parseConfig(configBytes, `image config ${manifest.config.digest}`).rootfs.diff_ids;
    } catch {
      return () => {};
    }
    if (diffIDs.length !== manifest.layers.length) return () => {};
    const ids = chainIDs(diffIDs);
    const mine: LayerPlan[] = [];
    for (const [index, layer] of manifest.layers.entries()) {
      if (this.plans.has(layer.digest)) continue;
      const plan = {
        source: { blob: layer.digest, diffID: diffIDs[index] ?? '' },
        index,
        chainID: ids[index] ?? '',
        lowerIDs: ids.slice(0, index).reverse(),
      };
      this.plans.set(layer.digest, plan);
      mine.push(plan);
    }
    return () => {
      for (const p of mine) if (this.plans.get(p.source.blob) === p) this.plans.delete(p.source.blob);
    };
  }

  /** Where a download of `desc` also goes, when it is a planned layer not yet unpacked. */
  tee(desc: Descriptor): Writable | undefined {
    const plan = this.plans.get(desc.digest);
    if (plan === undefined) return undefined;
    return this.store.layers.streamUnpack(plan.source, plan.index, plan.chainID, plan.lowerIDs);
  }
}
