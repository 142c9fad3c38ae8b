// Containers made from an image (ContainerConfig.rootfs `image`): what containerd decides at creation (the
// process from the image config, the user from the image's /etc/passwd, a fresh overlay snapshot) and what the
// shim is asked to mount at start (the overlay, a minimal /dev, the pod's files and volumes, then pivot_root).

import { mkdir, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { ImageServiceApi } from '../../images/service.js';
import { readImageFile } from '../../images/store/image-files.js';
import type { ImageRecord } from '../../images/store/index.js';
import { prepareRootfs, unmountRootfs } from '../../images/store/rootfs.js';
import { imageProcess } from '../image-process.js';
import { type ContainerConfig, RuntimeError } from '../types.js';
import type { MountpointLayers } from './mountpoint-layer.js';
import { mountSource, sortMounts } from './mounts.js';
import type { ContainerRecord, ImageRun } from './records.js';
import type { SpecEntry } from './spec.js';
import { type Identity, resolveUserString } from './users.js';

/** containerd's wording for a container whose image is not there (the kubelet shows it as CreateContainerError). */
export function imageNotFound(image: string): RuntimeError {
  return new RuntimeError(
    'CreateContainerError',
    `failed to resolve image ${JSON.stringify(image)}: not found`,
  );
}

/**
 * An image's /etc/passwd and /etc/group, read from its layers once per image id: an id names fixed content,
 * and every container of a pod (and every restart) asks again. A few recent images are kept.
 */
const userFileCache = new Map<string, Promise<{ passwd?: string; group?: string }>>();
const USER_FILE_CACHE_SIZE = 32;

function userFiles(
  images: ImageServiceApi,
  image: ImageRecord,
): Promise<{ passwd?: string; group?: string }> {
  let files = userFileCache.get(image.id);
  if (!files) {
    const text = async (path: string) => (await readImageFile(images.store, image, path))?.toString('utf8');
    files = Promise.all([text('etc/passwd'), text('etc/group')]).then(([passwd, group]) => ({
      ...(passwd !== undefined ? { passwd } : {}),
      ...(group !== undefined ? { group } : {}),
    }));
    // A failed read is not kept: the next container tries again.
    files.catch(() => userFileCache.delete(image.id));
    userFileCache.set(image.id, files);
    if (userFileCache.size > USER_FILE_CACHE_SIZE) {
      const oldest = userFileCache.keys().next().value;
      if (oldest !== undefined) userFileCache.delete(oldest);
    }
  }
  return files;
}

/**
 * Resolves the image, the process and the user, and prepares the container's snapshot (directories and the
 * layers it pins). Throws CreateContainerError, having prepared nothing, when any of it fails.
 */
export async function createImageRun(
  images: ImageServiceApi,
  containerId: string,
  config: ContainerConfig,
  sandbox: { hostname: string | undefined; podFilesDir: string },
  mountpoints?: MountpointLayers,
): Promise<{ run: ImageRun; identity: Identity }> {
  const hostname = sandbox.hostname;
  const image = images.image(config.image);
  if (!image) throw imageNotFound(config.image);
  const proc = imageProcess(config, image.config.config, hostname);
  let identity: Identity;
  try {
    const { passwd, group } = await userFiles(images, image);
    identity = resolveUserString(proc.user, passwd, group, config.linux?.security?.supplementalGroups);
  } catch (e) {
    throw new RuntimeError(
      'CreateContainerError',
      `failed to create container "${config.metadata.name}": ${(e as Error).message}`,
    );
  }
  let prepared: Awaited<ReturnType<typeof prepareRootfs>>;
  try {
    const topLower = await mountpoints?.layerFor(image, {
      mounts: mountEntries(config, sandbox.podFilesDir),
      volumes: proc.imageVolumes,
      cwd: proc.cwd,
    });
    prepared = await prepareRootfs(images.store, image.id, containerId, topLower ? { topLower } : {});
    if (proc.imageVolumes.length > 0) {
      await Promise.all(
        proc.imageVolumes.map((_, i) => mkdir(join(prepared.dir, 'volumes', String(i)), { recursive: true })),
      );
    }
  } catch (e) {
    await unmountRootfs(images.store, containerId).catch(() => {});
    throw new RuntimeError(
      'CreateContainerError',
      `failed to prepare the root filesystem of container "${config.metadata.name}" from image ${image.id}: ${(e as Error).message}`,
    );
  }
  return {
    identity,
    run: {
      id: image.id,
      name: image.repoTags[0] ?? config.image,
      ref: image.repoDigests[0] ?? image.id,
      argv: proc.argv,
      // runc's prepareEnv: HOME from the user's passwd entry when neither the image nor the pod sets it.
      env: proc.env.some((e) => e.startsWith('HOME='))
        ? proc.env
        : [...proc.env, `HOME=${identity.home ?? '/'}`],
      cwd: proc.cwd,
      volumes: proc.imageVolumes,
      dir: prepared.dir,
      rootfs: prepared.target,
      overlayOptions: prepared.options,
      ...(prepared.cwd ? { overlayCwd: prepared.cwd } : {}),
    },
  };
}

/** Removes the container's snapshot (its writable layer and volumes). Idempotent. */
export async function removeImageRun(
  images: ImageServiceApi | undefined,
  rec: ContainerRecord,
): Promise<void> {
  if (!rec.image || !images) return;
  await unmountRootfs(images.store, rec.id);
}

/**
 * The mount part of a `start` request for a container made from an image: the overlay, the image's volumes,
 * the pod's /etc files (from `podFilesDir`, the sandbox's directory) (containerd binds the sandbox's resolv.conf and hostname, and its hosts file unless the
 * kubelet mounts one), then the container's mounts; paths are the container's, resolved by the shim inside
 * the root.
 */
export function imageMountEntries(rec: ContainerRecord, podFilesDir: string): SpecEntry[] {
  const run = rec.image;
  if (!run) return [];
  const config = rec.config;
  const entries: SpecEntry[] = [
    ['rootfs', run.rootfs],
    ['overlay', run.overlayOptions],
    ...(run.overlayCwd ? [['overlaycwd', run.overlayCwd] as const] : []),
  ];
  run.volumes.forEach((path, i) => {
    entries.push(['imgvolume', join(run.dir, 'volumes', String(i)), path]);
  });
  entries.push(...mountEntries(config, podFilesDir));
  if (config.linux?.security?.readOnlyRootfs === true) entries.push(['rootro', '1']);
  return entries;
}

/** The `mount` entries of an image container's start: the pod's /etc files, then the container's mounts. */
function mountEntries(config: ContainerConfig, podFilesDir: string): SpecEntry[] {
  const ro = config.linux?.security?.readOnlyRootfs === true;
  const entries: SpecEntry[] = [];
  const own = new Set(config.mounts.map((m) => posix.normalize(m.containerPath)));
  const podFiles: [string, string][] = [
    ['hosts', '/etc/hosts'],
    ['resolv.conf', '/etc/resolv.conf'],
    ['hostname', '/etc/hostname'],
  ];
  for (const [file, path] of podFiles) {
    if (own.has(path)) continue;
    entries.push(['mount', 'bind', join(podFilesDir, file), path, ro && path !== '/etc/hosts' ? 'ro' : 'rw']);
  }
  for (const m of sortMounts(config.mounts))
    entries.push([
      'mount',
      'bind',
      mountSource(m),
      posix.normalize(m.containerPath),
      m.readOnly ? 'ro' : 'rw',
    ]);
  return entries;
}

/** The process part (identity, environment, argv) of a start or exec in a container made from an image. */
export function imageProcessEntries(
  rec: ContainerRecord,
  argv: readonly string[],
  cwd?: string,
): SpecEntry[] {
  const run = rec.image;
  if (!run) return [];
  const entries: SpecEntry[] = [
    ['cwd', cwd ?? run.cwd],
    ['uid', String(rec.identity.uid)],
    ['gid', String(rec.identity.gid)],
    ['groups', rec.identity.groups.join(',')],
  ];
  for (const e of run.env) entries.push(['env', e]);
  for (const a of argv) entries.push(['argv', a]);
  for (const p of rec.cgroups.procs) entries.push(['cgroup', p]);
  return entries;
}

/**
 * Removes the snapshots of containers this runtime has no record of (created, never started, when podrun
 * stopped): their writable layers would otherwise pin their image's layers for ever.
 */
export async function removeOrphanSnapshots(images: ImageServiceApi, known: Set<string>): Promise<string[]> {
  const ids = await readdir(images.store.containersDir).catch(() => [] as string[]);
  const orphans = ids.filter((id) => !known.has(id));
  for (const id of orphans) await unmountRootfs(images.store, id).catch(() => {});
  return orphans;
}
