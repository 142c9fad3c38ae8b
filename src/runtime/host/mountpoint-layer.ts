// Mount-point layers, Docker's "init layer" for containers made from images: a container's start makes, in its
// fresh writable layer, every mount point it binds something onto (/etc/hosts, /etc/resolv.conf,
// /etc/hostname, /var/run/secrets/…, volume paths), copying up their directories: ~10 entries on disk per
// start, each tens of microseconds on a journalled filesystem and far more while it commits. The first container
// of an image with a given set of mount points makes them once instead, through an overlay of the image as a
// start would (so symlinks, ownership and copied-up directories are the same), and keeps that upper directory
// as a read-only layer above the image's; the starts that follow find their mount points made. The start still
// makes what is missing, so a layer that could not be made only costs what it saved.

import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageRecord, ImageStore } from '../../images/store/index.js';
import { prepareRootfs, unmountRootfs } from '../../images/store/rootfs.js';
import type { SpecEntry } from './spec.js';

/** Asks the shim (mode `mountpoints`); resolves with its report (`ok` or `err <why>`). */
export type MountpointRequest = (entries: SpecEntry[]) => Promise<string>;

/** What decides a layer's content: the start's mounts (kind, target, whether a bind's source is a directory). */
export interface MountPoints {
  /** `mount` entries as the start gets them (kind, source, target, ro|rw). */
  mounts: readonly SpecEntry[];
  /** The image's volumes the pod does not mount: container paths. */
  volumes: readonly string[];
  cwd: string;
}

function layerKey(image: Readonly<ImageRecord>, points: MountPoints): string {
  const binds = points.mounts.map(([, kind = '', source = '', target = '']) => [
    kind,
    target,
    kind !== 'tmpfs' && isDirectory(source),
  ]);
  const text = JSON.stringify([image.id, binds, points.volumes, points.cwd]);
  return `${image.id.slice('sha256:'.length)}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

export class MountpointLayers {
  readonly #store: ImageStore;
  readonly #request: MountpointRequest;
  readonly #log: (message: string) => void;
  /** Layers being made, and those that could not be (not tried again while this runtime lives). */
  readonly #making = new Map<string, Promise<string | undefined>>();
  readonly #failed = new Set<string>();
  #serial = 0;

  constructor(store: ImageStore, request: MountpointRequest, log: (message: string) => void) {
    this.#store = store;
    this.#request = request;
    this.#log = log;
  }

  /**
   * The layer directory for `image` with these mount points, made on first use; undefined when it cannot be
   * made (the container then makes its own mount points, and any error shows at its start, as before).
   */
  async layerFor(image: Readonly<ImageRecord>, points: MountPoints): Promise<string | undefined> {
    const key = layerKey(image, points);
    if (this.#failed.has(key)) return undefined;
    const dir = join(this.#store.mountpointsDir, key);
    if (isDirectory(dir)) return dir;
    let making = this.#making.get(key);
    if (!making) {
      making = this.#make(image, points, key, dir).finally(() => this.#making.delete(key));
      this.#making.set(key, making);
    }
    return making;
  }

  async #make(
    image: Readonly<ImageRecord>,
    points: MountPoints,
    key: string,
    dir: string,
  ): Promise<string | undefined> {
    // A container rootfs of its own (its record keeps the image's layers while it is made), never started.
    const id = `mountpoints-${process.pid}-${++this.#serial}`;
    try {
      const p = await prepareRootfs(this.#store, image.id, id);
      const report = await this.#request([
        ['rootfs', p.target],
        ['overlay', p.options],
        ...(p.cwd ? [['overlaycwd', p.cwd] as const] : []),
        ...points.volumes.map((v) => ['imgvolume', '', v] as const),
        ...points.mounts,
        ['cwd', points.cwd],
      ]);
      if (report !== 'ok') throw new Error(report.replace(/^err /, ''));
      mkdirSync(this.#store.mountpointsDir, { recursive: true });
      try {
        renameSync(p.upperDir, dir);
      } catch (e) {
        // Made meanwhile by another runtime sharing the store: theirs is as good.
        if (!isDirectory(dir)) throw e;
      }
      return dir;
    } catch (e) {
      this.#failed.add(key);
      this.#log(
        `the mount-point layer ${key} of image ${image.id} could not be made (${(e as Error).message}); its containers make their own mount points`,
      );
      return undefined;
    } finally {
      await unmountRootfs(this.#store, id).catch(() => {});
    }
  }
}
