// A container's root filesystem: an overlay of the image's layer directories (topmost first, as containerd's
// overlay snapshotter orders them: the manifest's last layer is the first lowerdir) under a fresh upperdir and
// workdir in `<root>/containers/<id>/`. `rootfs.json` there names the layers, so gc() keeps them while the
// container exists.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { mkdir, readFile, rm, rmdir } from 'node:fs/promises';
import { release } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { StoreError } from './digest.js';
import { replaceFileSync } from './fsutil.js';
import { type RootfsMount, readRootfsRecord } from './rootfs-record.js';
import type { ImageRecord, ImageStore } from './store.js';

export type { RootfsMount } from './rootfs-record.js';

const run = promisify(execFile);

const idRe = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
// mount(2) takes one page of options; containerd shortens lowerdirs past pagesize-512.
const maxOptionBytes = 4096 - 512;

/**
 * `,volatile` where the kernel has it (Linux 5.10): the overlay then never syncs its upper filesystem. Without
 * it, the end of the overlay (at the container's exit, when its mount namespace goes) runs syncfs on the whole
 * filesystem under the state directory, before the shim hears of the exit: ~9 ms for each init container
 * here, more with other writers on the disk. A container's writable layer does not outlive a crash of the
 * machine anyway (a restarted container gets a new one), and the overlay is never mounted again (volatile's
 * one restriction). containers/storage mounts the overlays of podman's `--rm` containers so.
 */
export function volatileOption(kernelRelease = release()): string {
  const [major = 0, minor = 0] = kernelRelease.split('.').map((n) => Number.parseInt(n, 10));
  return major > 5 || (major === 5 && minor >= 10) ? ',volatile' : '';
}

let extraOptions: string | undefined;
/** Options every overlay gets: `index=off` where the module has the feature, and volatile (both fixed for a boot). */
function overlayExtraOptions(): string {
  extraOptions ??= `${existsSync('/sys/module/overlay/parameters/index') ? ',index=off' : ''}${volatileOption()}`;
  return extraOptions;
}

/** The image's layer directories as overlayfs lowerdirs, topmost first. */
export function lowerDirs(store: ImageStore, image: ImageRecord): string[] {
  return [...image.chainIDs].reverse().map((c) => store.layers.fsDir(c));
}

function containerDir(store: ImageStore, id: string): string {
  if (!idRe.test(id)) {
    throw new StoreError(
      `container id ${JSON.stringify(id)}: want letters, digits, "_", "." or "-" (at most 128)`,
    );
  }
  return join(store.containersDir, id);
}

async function isMountPoint(path: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const esc = path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return info.split('\n').some((l) => l.split(' ')[4] === esc);
}

/** A rootfs ready to mount: its directories exist and its layers are recorded; `mount(2)`'s arguments. */
export interface PreparedRootfs extends RootfsMount {
  /** The container's directory in the store (upper, work, merged, and anything else of the container's). */
  dir: string;
  /** overlayfs options for mount(2) (`lowerdir=…,upperdir=…,workdir=…`). */
  options: string;
  /** Directory to mount from when the lowerdirs are relative (containerd's compactLowerdirOption). */
  cwd?: string;
}

// Spare container directories (`spare-<hex>` with upper, work and merged), made in the background: a create
// then renames one into place, where four mkdirs took ~0.25 ms of each container's start on this project's
// disks. They hold no record, so gc() ignores them; a runtime starting removes them with other orphans.
const SPARE_DIRS = 2;
const spares = new WeakMap<ImageStore, { ready: string[]; making: number }>();

function sparePool(store: ImageStore): { ready: string[]; making: number } {
  let pool = spares.get(store);
  if (!pool) {
    pool = { ready: [], making: 0 };
    spares.set(store, pool);
  }
  return pool;
}

function takeSpareDir(store: ImageStore, dir: string): void {
  const pool = sparePool(store);
  for (let spare = pool.ready.pop(); spare !== undefined; spare = pool.ready.pop()) {
    try {
      renameSync(spare, dir);
      return;
    } catch {
      // Removed under us (a runtime's orphan sweep): make the directories instead.
      rmSync(spare, { recursive: true, force: true });
    }
  }
}

function refillSpareDirs(store: ImageStore): void {
  const pool = sparePool(store);
  while (pool.ready.length + pool.making < SPARE_DIRS) {
    pool.making++;
    const dir = join(store.containersDir, `spare-${randomBytes(8).toString('hex')}`);
    Promise.all(['upper', 'work', 'merged'].map((d) => mkdir(join(dir, d), { recursive: true })))
      .then(
        () => pool.ready.push(dir),
        () => rm(dir, { recursive: true, force: true }).catch(() => {}),
      )
      .finally(() => pool.making--);
  }
}

/**
 * Makes the directories of a fresh overlay for container `containerId` from the image `ref` names and records
 * its layers (so gc() keeps them), without mounting: a runtime mounts it where the container will see it (in
 * the container's own mount namespace, so that the mount ends with it). Refuses a container that has one.
 */
export async function prepareRootfs(
  store: ImageStore,
  ref: string,
  containerId: string,
  opts: {
    target?: string;
    /** A directory to stack above the image's layers (read only): the host runtime's mount-point layer. */
    topLower?: string;
  } = {},
): Promise<PreparedRootfs> {
  const image = store.peek(ref);
  if (image === undefined)
    throw new StoreError(`image ${JSON.stringify(ref)} is not in the store; pull or load it first`);
  const dir = containerDir(store, containerId);
  if (existsSync(dir))
    throw new StoreError(`container ${containerId} already has a rootfs in ${dir}; unmount it first`);
  // Synchronous from here on: a few metadata calls that, as promises, each waited for a thread-pool round
  // trip and a turn of a busy event loop (~1 ms per container on the pod's start path).
  for (const c of image.chainIDs) {
    if (!store.layers.hasSync(c))
      throw new StoreError(`image ${image.id}: layer ${c} is missing from the store`);
  }
  const m: RootfsMount = {
    containerId,
    target: opts.target ?? join(dir, 'merged'),
    upperDir: join(dir, 'upper'),
    workDir: join(dir, 'work'),
    lowerDirs: [...(opts.topLower ? [opts.topLower] : []), ...lowerDirs(store, image)],
    chainIDs: [...image.chainIDs],
  };
  // A spare has them all; the mkdirs then only find them (EEXIST, no write), in case a sweep took one.
  if (!opts.target) takeSpareDir(store, dir);
  for (const d of [dir, m.upperDir, m.workDir, m.target]) mkdirSync(d, { recursive: true });
  refillSpareDirs(store);
  // Recorded before anything is mounted, so gc() sees the layers as used from the first moment. Not fsynced:
  // the two fsyncs (file and directory) were most of a container's create (~4 ms each on this project's
  // machines, for every init container in turn), and the record only matters while the container may run,
  // which a crash of the machine ends; a record a crash left empty is skipped (layersInUse, unmountRootfs).
  replaceFileSync(join(dir, 'rootfs.json'), `${JSON.stringify(m, null, 2)}\n`);
  let lowers = m.lowerDirs;
  if (lowers.length === 0) {
    // overlayfs needs a lowerdir; an image without layers gets an empty one.
    lowers = [join(dir, 'empty')];
    mkdirSync(lowers[0]!);
  }
  if (lowers.length > 500)
    throw new StoreError(`image ${image.id} has ${lowers.length} layers; overlayfs takes at most 500`);
  const extra = overlayExtraOptions();
  const options = (l: string[]) =>
    `lowerdir=${l.join(':')},upperdir=${m.upperDir},workdir=${m.workDir}${extra}`;
  let cwd: string | undefined;
  if (options(lowers).length > maxOptionBytes && m.lowerDirs.length > 0) {
    // containerd's compactLowerdirOption: lowerdirs relative to their common parent, mounted from there.
    cwd = store.layers.dir;
    lowers = [
      ...(opts.topLower ? [relative(cwd, opts.topLower)] : []),
      ...[...m.chainIDs].reverse().map((c) => `${c.slice('sha256:'.length)}/fs`),
    ];
    if (options(lowers).length > maxOptionBytes) {
      throw new StoreError(
        `image ${image.id}: ${lowers.length} layers make overlay options longer than mount(2) takes`,
      );
    }
  }
  return { ...m, dir, options: options(lowers), ...(cwd ? { cwd } : {}) };
}

/**
 * Mounts a fresh overlay for container `containerId` from the image `ref` names, at `target` (default
 * `<root>/containers/<id>/merged`), in this process's mount namespace. Refuses a container that has one.
 */
export async function mountRootfs(
  store: ImageStore,
  ref: string,
  containerId: string,
  opts: { target?: string } = {},
): Promise<RootfsMount> {
  const p = await prepareRootfs(store, ref, containerId, opts);
  try {
    await run('mount', ['-t', 'overlay', 'overlay', '-o', p.options, p.target], p.cwd ? { cwd: p.cwd } : {});
  } catch (err) {
    await rm(p.dir, { recursive: true, force: true });
    const e = err as { stderr?: string; message: string };
    throw new StoreError(
      `mounting the rootfs of container ${containerId}: ${(e.stderr || e.message).trim()}`,
    );
  }
  return {
    containerId: p.containerId,
    target: p.target,
    upperDir: p.upperDir,
    workDir: p.workDir,
    lowerDirs: p.lowerDirs,
    chainIDs: p.chainIDs,
  };
}

/**
 * Unmounts container `containerId`'s rootfs where this process sees it mounted, and removes its directory
 * (upper, work and the rest). Idempotent; also for a prepared rootfs that was never mounted here.
 */
export async function unmountRootfs(store: ImageStore, containerId: string): Promise<void> {
  const dir = containerDir(store, containerId);
  const m = await readRootfsRecord(dir);
  const target = m?.target ?? join(dir, 'merged');
  if (await isMountPoint(target)) {
    try {
      await run('umount', [target]);
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new StoreError(
        `unmounting the rootfs of container ${containerId}: ${(e.stderr || e.message).trim()}`,
      );
    }
  }
  // A target outside the container dir is only removed if empty: it was the caller's to give.
  if (m !== undefined && m.target !== join(dir, 'merged')) await rmdir(m.target).catch(() => {});
  await rm(dir, { recursive: true, force: true });
}
