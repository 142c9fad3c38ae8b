// The local image store: blobs, unpacked layers and the image index under one root directory.
//   <root>/blobs/sha256/<hex>     content by digest (manifests, configs, layer blobs)
//   <root>/layers/<chain hex>/fs  one unpacked layer = one overlayfs lowerdir
//   <root>/images.json            the index: every image by ID with its tags and repo digests
//   <root>/containers/<id>/       container rootfs mounts (rootfs.ts); their layers are kept by gc()
//   <root>/mountpoints/<image hex>-<key>/  an image's mount-point layers (the host runtime's init layers),
//                                 removed by gc() with their image once no container uses them
//   <root>/tmp/                   temp files and half-unpacked layers, removed at open
import type { Stats } from 'node:fs';
import { lstat, readdir, readFile, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from './blobs.js';
import { checkDigest, StoreError } from './digest.js';
import { errnoCode, fsyncDir, Mutex, writeFileAtomic } from './fsutil.js';
import { LayerStore } from './layers.js';
import { type Normalizer, type ParsedRef, parseRef } from './names.js';
import { readRootfsRecord } from './rootfs-record.js';
import { type ImageConfig, type Manifest, parseConfig, parseManifest } from './types.js';
import { defaultUnpackLimits, type UnpackLimits } from './unpack.js';

export const maxManifestBytes = 4 * 1048 * 1048; // containerd's MaxManifestSize
const maxConfigBytes = 16 * 1024 * 1024;

export interface ImageRecord {
  /** `sha256:<config digest>`: the CRI image id. */
  id: string;
  /** Normalised `repo:tag`s. */
  repoTags: string[];
  /** Normalised `repo@sha256:…`s (the manifest's, or the index's it was pulled through). */
  repoDigests: string[];
  manifestDigest: string;
  manifest: Manifest;
  config: ImageConfig;
  /** Bottom layer first. */
  chainIDs: string[];
  /** Config plus layer blobs, in bytes, as containerd counts an image's size. */
  size: number;
  /** ISO time the image was added; the kubelet's GC skips young images. */
  created: string;
}

export interface AddImageOptions {
  /** The manifest blob's digest; the manifest, config and layer blobs must already be in `blobs`. */
  manifestDigest: string;
  /** Names to tag it with (normalised here; a bare name gets `:latest`; `name@digest` adds a repo digest). */
  names?: string[];
  /** Digest to record as the repo digest instead of the manifest's, e.g. the index it was chosen from. */
  repoDigest?: string;
}

export interface RemoveResult {
  untagged: string[];
  /** The image ID when the image itself went. */
  deleted?: string;
}

export interface GcResult {
  blobs: string[];
  layers: string[];
  /** Mount-point layers removed (their directory names). */
  mountpoints: string[];
}

export interface Usage {
  blobBytes: number;
  layerBytes: number;
  usedBytes: number;
  /** Of the filesystem holding the store (for the kubelet's image GC thresholds). */
  capacityBytes: number;
  availableBytes: number;
  images: number;
}

export interface StoreOptions {
  normalize?: Normalizer;
  limits?: UnpackLimits;
  /**
   * Flush each blob (fsync) and each unpacked layer (syncfs) to disk before it is committed, as containerd's
   * content store and its `image_pull_with_sync_fs` do, so that a power cut never leaves a committed blob or
   * layer with missing data. Off by default: a process crash loses nothing either way (the page cache
   * survives it), and a power cut during or soon after a pull can leave a damaged image to remove and pull
   * again. The index is always written atomically and flushed.
   */
  syncFs?: boolean;
  /** gc() leaves content younger than this, so a pull between ingest and addImage is not collected. */
  gcGraceMs?: number;
  /** Unpack layers on a worker thread (the default) or, when false, on the calling thread. */
  unpackWorker?: boolean;
}

interface IndexFile {
  version: 1;
  images: ImageRecord[];
}

function isLiveTemp(name: string): boolean {
  const pid = Number(/-(\d+)-[a-f0-9]+/.exec(name)?.[1]);
  if (!Number.isInteger(pid) || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function duBytes(path: string, seen: Set<string>): Promise<number> {
  let total = 0;
  let st: Stats;
  try {
    st = await lstat(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return 0;
    throw err;
  }
  const key = `${st.dev}:${st.ino}`;
  if (seen.has(key)) return 0;
  seen.add(key);
  total += st.blocks * 512;
  if (st.isDirectory()) {
    for (const n of await readdir(path)) total += await duBytes(join(path, n), seen);
  }
  return total;
}

async function readdirIfAny(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
}

export class ImageStore {
  readonly blobs: BlobStore;
  readonly layers: LayerStore;
  readonly containersDir: string;
  readonly mountpointsDir: string;
  private readonly indexPath: string;
  private readonly mutex = new Mutex();
  private images: ImageRecord[] = [];
  private readonly normalize: Normalizer;
  private readonly gcGraceMs: number;

  private constructor(
    readonly root: string,
    opts: StoreOptions,
  ) {
    this.blobs = new BlobStore(root, opts.syncFs ?? false);
    this.layers = new LayerStore(
      root,
      this.blobs,
      opts.limits ?? defaultUnpackLimits,
      opts.syncFs ?? false,
      opts.unpackWorker ?? true,
    );
    this.containersDir = join(root, 'containers');
    this.mountpointsDir = join(root, 'mountpoints');
    this.indexPath = join(root, 'images.json');
    this.normalize = opts.normalize ?? parseRef;
    this.gcGraceMs = opts.gcGraceMs ?? 10 * 60_000;
  }

  /** Opens (creating) the store at `root`, removing temp files left by a crashed process. */
  static async open(root: string, opts: StoreOptions = {}): Promise<ImageStore> {
    const s = new ImageStore(root, opts);
    await s.blobs.init();
    await s.layers.init();
    for (const name of await readdir(s.blobs.tmpDir)) {
      if (!isLiveTemp(name)) await rm(join(s.blobs.tmpDir, name), { recursive: true, force: true });
    }
    // writeFileAtomic's temp files for images.json live beside it.
    for (const name of await readdir(root)) {
      if (name.startsWith('.images.json-') && name.endsWith('.tmp') && !isLiveTemp(name)) {
        await rm(join(root, name), { force: true });
      }
    }
    try {
      const idx = JSON.parse(await readFile(s.indexPath, 'utf8')) as IndexFile;
      s.images = idx.images;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT')
        throw new StoreError(`${s.indexPath}: cannot read the image index: ${(err as Error).message}`);
    }
    return s;
  }

  list(): ImageRecord[] {
    return this.images.map((i) => structuredClone(i));
  }

  private tagOf(ref: string): { parsed: ParsedRef; name: string } {
    const parsed = this.normalize(ref);
    if (parsed.digest !== undefined) return { parsed, name: `${parsed.repo}@${parsed.digest}` };
    return { parsed, name: `${parsed.repo}:${parsed.tag ?? 'latest'}` };
  }

  private find(ref: string): ImageRecord | undefined {
    if (/^sha256:[a-f0-9]{64}$/.test(ref)) return this.images.find((i) => i.id === ref);
    let named: ImageRecord | undefined;
    try {
      const { parsed, name } = this.tagOf(ref);
      named = this.images.find((i) =>
        (parsed.digest !== undefined ? i.repoDigests : i.repoTags).includes(name),
      );
    } catch (err) {
      if (!/^[a-f0-9]{12,64}$/.test(ref)) throw err;
    }
    if (named !== undefined || !/^[a-f0-9]{12,64}$/.test(ref)) return named;
    const byPrefix = this.images.filter((i) => i.id.startsWith(`sha256:${ref}`));
    if (byPrefix.length > 1) throw new StoreError(`image ID prefix ${ref} is ambiguous: give more digits`);
    return byPrefix[0];
  }

  /**
   * get() without the copy, for the paths every container start takes (a status per pod sync, the record at
   * each create): the store's own record, which the caller must not change and must not keep across a pull,
   * a tag or a removal.
   */
  peek(ref: string): Readonly<ImageRecord> | undefined {
    return this.find(ref);
  }

  /** The image `ref` names (ID, ID prefix, name[:tag] or name@digest), or undefined. */
  get(ref: string): ImageRecord | undefined {
    const r = this.find(ref);
    return r === undefined ? undefined : structuredClone(r);
  }

  private async save(): Promise<void> {
    const file: IndexFile = { version: 1, images: this.images };
    await writeFileAtomic(this.indexPath, `${JSON.stringify(file, null, 1)}\n`);
  }

  /**
   * Records an image whose blobs are in the store: unpacks its layers (checking each against the config's
   * diff_ids), then tags it. A name moved here from another image is taken off that one.
   */
  async addImage(opts: AddImageOptions): Promise<ImageRecord> {
    const manifestDigest = checkDigest(opts.manifestDigest, 'manifest digest');
    const manifest = parseManifest(
      await this.blobs.read(manifestDigest, maxManifestBytes),
      `manifest ${manifestDigest}`,
    );
    const configDigest = manifest.config.digest;
    const config = parseConfig(
      await this.blobs.read(configDigest, maxConfigBytes),
      `image config ${configDigest}`,
    );
    const diffIDs = config.rootfs.diff_ids;
    if (diffIDs.length !== manifest.layers.length) {
      throw new StoreError(
        `image config ${configDigest}: rootfs.diff_ids has ${diffIDs.length} entries but manifest ${manifestDigest} has ${manifest.layers.length} layers`,
      );
    }
    for (const [i, l] of manifest.layers.entries()) {
      if (!(await this.blobs.has(l.digest))) {
        throw new StoreError(`manifest ${manifestDigest}: layers[${i}] ${l.digest} is not in the blob store`);
      }
    }
    const sources = manifest.layers.map((l, i) => ({ blob: l.digest, diffID: diffIDs[i]! }));
    const chainIDs = await this.layers.ensure(sources);
    // A name with a digest (a pull by digest) is recorded as a repo digest only, never as a tag: containerd's
    // CRI keeps no tag for `busybox@sha256:…` (ParseDockerRef drops the tag of `name:tag@digest`).
    const parsedNames = (opts.names ?? []).map((n) => this.tagOf(n).parsed);
    const tags = parsedNames
      .filter((p) => p.digest === undefined)
      .map((p) => `${p.repo}:${p.tag ?? 'latest'}`);
    const repoDigest = opts.repoDigest ?? manifestDigest;
    const digests = [
      ...new Set([
        ...tags.map((t) => `${t.slice(0, t.lastIndexOf(':'))}@${repoDigest}`),
        ...parsedNames.filter((p) => p.digest !== undefined).map((p) => `${p.repo}@${p.digest}`),
      ]),
    ];
    const id = `sha256:${configDigest.slice('sha256:'.length)}`;
    return this.mutex.run(async () => {
      // gc() may have taken an unreferenced layer this image reuses between ensure() and here; gc runs under
      // this mutex, so once ensured again inside it the layers stay until the index refers to them.
      await this.layers.ensure(sources);
      for (const other of this.images) {
        if (other.id === id) continue;
        other.repoTags = other.repoTags.filter((t) => !tags.includes(t));
      }
      let rec = this.images.find((i) => i.id === id);
      if (rec === undefined) {
        rec = {
          id,
          repoTags: [],
          repoDigests: [],
          manifestDigest,
          manifest,
          config,
          chainIDs,
          size: manifest.config.size + manifest.layers.reduce((a, l) => a + l.size, 0),
          created: new Date().toISOString(),
        };
        this.images.push(rec);
      } else {
        rec.manifestDigest = manifestDigest;
        rec.manifest = manifest;
        rec.chainIDs = chainIDs;
      }
      rec.repoTags = [...new Set([...rec.repoTags, ...tags])];
      rec.repoDigests = [...new Set([...rec.repoDigests, ...digests])];
      // Blobs and layers are renamed into place without a directory flush each (containerd's content store
      // flushes none): one flush of each directory here makes them durable before the index names them.
      if (this.blobs.syncFs) {
        await fsyncDir(this.blobs.dir);
        await fsyncDir(this.layers.dir);
      }
      await this.save();
      return structuredClone(rec);
    });
  }

  /**
   * `docker rmi`: a tag or repo digest is taken off its image, an ID removes the image with all its names.
   * The image goes when no name is left. Unknown references remove nothing (CRI RemoveImage is idempotent).
   */
  async remove(ref: string): Promise<RemoveResult> {
    return this.mutex.run(async () => {
      const rec = this.find(ref);
      if (rec === undefined) return { untagged: [] };
      const byId =
        /^(sha256:)?[a-f0-9]{12,64}$/.test(ref) &&
        rec.id.startsWith(ref.startsWith('sha256:') ? ref : `sha256:${ref}`);
      let untagged: string[];
      if (byId) {
        untagged = [...rec.repoTags, ...rec.repoDigests];
        rec.repoTags = [];
        rec.repoDigests = [];
      } else {
        const { parsed, name } = this.tagOf(ref);
        untagged = [name];
        rec.repoTags = rec.repoTags.filter((t) => t !== name);
        rec.repoDigests = rec.repoDigests.filter((d) => d !== name);
        // The last tag of a repository takes that repository's digest references with it.
        if (parsed.digest === undefined && !rec.repoTags.some((t) => t.startsWith(`${parsed.repo}:`))) {
          const gone = rec.repoDigests.filter((d) => d.startsWith(`${parsed.repo}@`));
          untagged.push(...gone);
          rec.repoDigests = rec.repoDigests.filter((d) => !gone.includes(d));
        }
      }
      const result: RemoveResult = { untagged };
      if (rec.repoTags.length === 0 && rec.repoDigests.length === 0) {
        this.images = this.images.filter((i) => i !== rec);
        result.deleted = rec.id;
      }
      await this.save();
      return result;
    });
  }

  /** CRI RemoveImage: the image `ref` names goes, with every tag and digest. */
  async removeImage(ref: string): Promise<RemoveResult> {
    const rec = this.find(ref);
    return rec === undefined ? { untagged: [] } : this.remove(rec.id);
  }

  /** Chain IDs in use by container rootfs mounts (see rootfs.ts). */
  /** The layers (chain IDs) and lower directories the containers' rootfs records name. */
  private async layersInUse(): Promise<{ chainIDs: Set<string>; lowerDirs: Set<string> }> {
    const chainIDs = new Set<string>();
    const lowerDirs = new Set<string>();
    for (const id of await readdirIfAny(this.containersDir)) {
      const r = await readRootfsRecord(join(this.containersDir, id));
      for (const c of r?.chainIDs ?? []) chainIDs.add(c);
      for (const d of r?.lowerDirs ?? []) lowerDirs.add(d);
    }
    return { chainIDs, lowerDirs };
  }

  /** Removes blobs and layers no image (and no container rootfs) refers to. */
  async gc(): Promise<GcResult> {
    return this.mutex.run(async () => {
      const keepBlobs = new Set<string>();
      const inUse = await this.layersInUse();
      const keepLayers = inUse.chainIDs;
      for (const i of this.images) {
        keepBlobs.add(i.manifestDigest);
        keepBlobs.add(i.manifest.config.digest);
        for (const l of i.manifest.layers) keepBlobs.add(l.digest);
        for (const c of i.chainIDs) keepLayers.add(c);
      }
      const young = async (p: string) => Date.now() - (await stat(p)).mtimeMs < this.gcGraceMs;
      const result: GcResult = { blobs: [], layers: [], mountpoints: [] };
      for (const d of await this.blobs.list()) {
        if (keepBlobs.has(d) || (await young(this.blobs.path(d)))) continue;
        await this.blobs.delete(d);
        result.blobs.push(d);
      }
      for (const c of await this.layers.list()) {
        if (keepLayers.has(c) || (await young(join(this.layers.dir, c.slice(7))))) continue;
        await this.layers.delete(c);
        result.layers.push(c);
      }
      // A mount-point layer goes with its image, once no container's rootfs has it among its lowers.
      const images = new Set(this.images.map((i) => i.id.slice('sha256:'.length)));
      for (const name of await readdirIfAny(this.mountpointsDir)) {
        const dir = join(this.mountpointsDir, name);
        if (images.has(name.split('-')[0]!) || inUse.lowerDirs.has(dir) || (await young(dir))) continue;
        await rm(dir, { recursive: true, force: true });
        result.mountpoints.push(name);
      }
      return result;
    });
  }

  /** Bytes used by blobs and unpacked layers (allocated blocks, hardlinks once), and the filesystem's size. */
  async usage(): Promise<Usage> {
    const seen = new Set<string>();
    const blobBytes = await duBytes(this.blobs.dir, seen);
    const layerBytes = await duBytes(this.layers.dir, seen);
    const fs = await statfs(this.root);
    return {
      blobBytes,
      layerBytes,
      usedBytes: blobBytes + layerBytes,
      capacityBytes: fs.blocks * fs.bsize,
      availableBytes: fs.bavail * fs.bsize,
      images: this.images.length,
    };
  }
}
