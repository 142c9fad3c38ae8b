// Unpacked layers, one directory per chain ID: `<root>/layers/<chainID hex>/fs` is one overlayfs lowerdir and
// `layer.json` beside it records what it came from. Keyed by chain ID (as containerd's snapshots are) rather
// than diff ID because the unpacked directory depends on the layers below it: a directory the tar implies
// without listing copies its owner and mode from them. Identical stacks are still unpacked once and shared by
// every image that has them. A layer is unpacked into `<root>/tmp`, checked against its diff ID, flushed
// (`sync -f`, when asked) and renamed into place, so a half-unpacked layer is never found under `layers/`.
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import type { BlobStore } from './blobs.js';
import { chainIDs, hexOf, StoreError } from './digest.js';
import { errnoCode, fsyncDir, tempName, writeFileAtomic } from './fsutil.js';
import { defaultUnpackLimits, type LowerLayers, type UnpackLimits, type UnpackResult } from './unpack.js';
import { UnpackFailure, type UnpackInput, UnpackPool } from './unpack-pool.js';

function syncFs(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sync', ['-f', path], { encoding: 'utf8' }, (err, _stdout, stderr) => {
      if (err) reject(new StoreError(`sync -f ${path} failed: ${stderr || err.message}`));
      else resolve();
    });
  });
}

export interface LayerRecord {
  chainID: string;
  diffID: string;
  parent: string | null;
  /** The blob it was unpacked from (compressed or not). */
  blob: string;
  tarBytes: number;
  entries: number;
  /** Directories the layer makes opaque, relative to its root (absent in records written before it was kept). */
  opaqueDirs?: string[];
}

export interface LayerSource {
  /** Digest of the layer blob, already in the blob store. */
  blob: string;
  /** The config's rootfs.diff_ids entry for it. */
  diffID: string;
}

export class LayerStore {
  readonly dir: string;
  private readonly tmpDir: string;
  private readonly inflight = new Map<string, Promise<void>>();
  /** Layers being unpacked as their blobs download; these promises never reject. */
  private readonly streaming = new Map<string, Promise<void>>();
  private readonly pool: UnpackPool;

  constructor(
    root: string,
    private readonly blobs: BlobStore,
    private readonly limits: UnpackLimits = defaultUnpackLimits,
    private readonly syncFs = false,
    unpackWorker = true,
  ) {
    this.pool = new UnpackPool({ worker: unpackWorker });
    this.dir = join(root, 'layers');
    this.tmpDir = join(root, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.pool.warm();
  }

  /** The directory to use as this layer's lowerdir. */
  fsDir(chainID: string): string {
    return join(this.dir, hexOf(chainID), 'fs');
  }

  /** has(), synchronously (one stat): for the container-create path, where a thread-pool hop costs more. */
  hasSync(chainID: string): boolean {
    return (
      statSync(join(this.dir, hexOf(chainID), 'layer.json'), { throwIfNoEntry: false })?.isFile() ?? false
    );
  }

  async has(chainID: string): Promise<boolean> {
    try {
      return (await stat(join(this.dir, hexOf(chainID), 'layer.json'))).isFile();
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  async record(chainID: string): Promise<LayerRecord> {
    return JSON.parse(await readFile(join(this.dir, hexOf(chainID), 'layer.json'), 'utf8')) as LayerRecord;
  }

  async list(): Promise<string[]> {
    const names = await readdir(this.dir);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  async delete(chainID: string): Promise<void> {
    // Renamed out of `layers/` first so a crash mid-removal never leaves a partial layer under its name.
    const doomed = join(this.tmpDir, tempName('rm-layer'));
    try {
      await rename(join(this.dir, hexOf(chainID)), doomed);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    await rm(doomed, { recursive: true, force: true });
  }

  /** Unpacks whichever of the image's layers are missing, bottom first; returns their chain IDs. */
  async ensure(layers: readonly LayerSource[]): Promise<string[]> {
    const ids = chainIDs(layers.map((l) => l.diffID));
    for (let i = 0; i < layers.length; i++) {
      const chainID = ids[i]!;
      if (await this.has(chainID)) continue;
      // A layer unpacked as it downloaded is waited for; if that failed, it is unpacked from its blob.
      const streamed = this.streaming.get(chainID);
      if (streamed !== undefined) {
        await streamed;
        if (await this.has(chainID)) continue;
      }
      let job = this.inflight.get(chainID);
      if (job === undefined) {
        job = this.unpack(layers[i]!, i, chainID, ids.slice(0, i).reverse()).finally(() =>
          this.inflight.delete(chainID),
        );
        this.inflight.set(chainID, job);
      }
      await job;
    }
    return ids;
  }

  /**
   * A writable for layer `index`'s blob as it downloads: the layer is unpacked from it at once, beside the
   * download, and committed like any other once its diff ID checks out and the layers below it are in.
   * Undefined when the layer is already there or on its way. Best effort: whatever goes wrong (a download
   * that restarts, an unpack error) leaves the layer to `ensure`, which unpacks it from the stored blob and
   * reports errors in its own words.
   */
  streamUnpack(
    src: LayerSource,
    index: number,
    chainID: string,
    lowerIDs: readonly string[],
  ): Writable | undefined {
    if (this.streaming.has(chainID) || this.inflight.has(chainID)) return undefined;
    const input = new PassThrough({ highWaterMark: 1024 * 1024 });
    // A writer that gives up (a cut download) destroys it with its reason; the unpack fails on it, quietly.
    input.on('error', () => {});
    const lowersReady = async (): Promise<readonly string[]> => {
      for (const id of lowerIDs) {
        await (this.streaming.get(id) ?? this.inflight.get(id)?.catch(() => {}));
        if (!(await this.has(id))) throw new StoreError(`layer ${id} below it could not be unpacked`);
      }
      return lowerIDs.map((id) => this.fsDir(id));
    };
    const job = (async () => {
      if (await this.has(chainID)) return;
      await this.unpackAndCommit(
        src,
        index,
        chainID,
        [...lowerIDs],
        { kind: 'stream', stream: input },
        lowersReady,
      );
    })()
      .catch(() => {})
      .finally(() => {
        // Done or failed, it takes no more bytes: the download goes on without it.
        input.destroy();
        this.streaming.delete(chainID);
      });
    this.streaming.set(chainID, job);
    return input;
  }

  private async unpack(src: LayerSource, index: number, chainID: string, lowerIDs: string[]): Promise<void> {
    const what = `layer ${index} (blob ${src.blob})`;
    if (!(await this.blobs.has(src.blob))) throw new StoreError(`${what} is not in the blob store`);
    const lowers = lowerIDs.map((id) => this.fsDir(id));
    await this.unpackAndCommit(
      src,
      index,
      chainID,
      lowerIDs,
      { kind: 'file', path: this.blobs.path(src.blob) },
      lowers,
    );
  }

  /** Unpacks the decompressed layer into a temp directory, checks its diff ID, and renames it into place. */
  private async unpackAndCommit(
    src: LayerSource,
    index: number,
    chainID: string,
    lowerIDs: string[],
    input: UnpackInput,
    lowers: LowerLayers,
  ): Promise<void> {
    const what = `layer ${index} (blob ${src.blob})`;
    const tmp = join(this.tmpDir, tempName('layer'));
    await mkdir(join(tmp, 'fs'), { recursive: true });
    try {
      let result: UnpackResult;
      try {
        result = await this.pool.unpack({ root: join(tmp, 'fs'), what, input, lowers, limits: this.limits });
      } catch (err) {
        if (err instanceof UnpackFailure && err.phase === 'decompress') {
          throw err.causeName === 'StoreError' ? new StoreError(err.message) : new Error(err.message);
        }
        throw new StoreError(`failed to extract layer ${src.diffID}: ${(err as Error).message}`);
      }
      if (result.diffID !== src.diffID) {
        // containerd's words (core/unpack/unpacker.go), then what was found.
        throw new StoreError(
          `wrong diff id calculated on extraction "${src.diffID}": ${what} unpacks to ${result.diffID}, which is not rootfs.diff_ids[${index}] of the image config; the image is corrupt, rebuild or re-push it`,
        );
      }
      const record: LayerRecord = {
        chainID,
        diffID: src.diffID,
        parent: lowerIDs[0] ?? null,
        blob: src.blob,
        tarBytes: result.tarBytes,
        entries: result.entries,
        ...(result.opaqueDirs.length > 0 ? { opaqueDirs: result.opaqueDirs } : {}),
      };
      const recordText = `${JSON.stringify(record, null, 2)}\n`;
      // Without syncFs the layer's files are not flushed, so flushing its record alone would buy nothing.
      if (this.syncFs) await writeFileAtomic(join(tmp, 'layer.json'), recordText);
      else await writeFile(join(tmp, 'layer.json'), recordText);
      if (this.syncFs) {
        // syncfs(2) through coreutils: node has no syncfs, and fsyncing every unpacked file is slower. Run
        // asynchronously: a flush takes long on a slow disk, and the process (downloads, the API server)
        // must go on meanwhile.
        await syncFs(tmp);
      }
      try {
        await rename(tmp, join(this.dir, hexOf(chainID)));
      } catch (err) {
        // Another unpack of the same chain got there first: theirs is as good as ours.
        if (errnoCode(err) !== 'EEXIST' && errnoCode(err) !== 'ENOTEMPTY') throw err;
      }
      if (this.syncFs) await fsyncDir(this.dir);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}
