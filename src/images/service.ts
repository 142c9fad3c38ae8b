// The image service: the CRI ImageService over the local store (store/) and the pull client (registry/).
// Runtimes that keep images on this machine (the host runtime) delegate their ImageManager to it; the
// rootfs of a container is made from what `image()` returns.
//
// CONTRACT (filled in by the image-service work; keep these signatures):
//   open()          the store under `root`, registries.conf and ~/.docker/config.json read once.
//   pullImage()     concurrent pulls of one image share one download (100 pods, one pull); credentials are
//                   tried in order (given ones, else the keyring's, else anonymous); errors are
//                   RuntimeError ErrImagePull / ImageNotFound / InvalidImageName worded as containerd's.
//   imageStatus()   null when absent; uid/username from the config's User (the user part of `u:g`).
//   removeImage()   ImageInUse while `inUse()` names the image id.
//   loadImage()     docker save (old and new layouts), OCI layout directory or archive.
//   gc()            the kubelet's thresholds (high 85 %, low 80 %, min age 2 min), LRU, unused and unpinned.
//
// Sharing: pulls are merged by normalised reference (and credentials): one registry pull serves every
// caller, and it is cancelled only when every caller's signal has fired. Pulls of different references
// share blob downloads inside the one RegistryClient (per digest).
import { homedir } from 'node:os';
import { join } from 'node:path';
import { imageUser } from '../runtime/image-process.js';
import {
  type ImageFsInfo,
  type ImageManager,
  type ImageSpec,
  type ImageStatus,
  type PullImageOptions,
  type PullProgress,
  RuntimeError,
} from '../runtime/types.js';
import { InvalidReferenceError, parseDockerRef, referenceName, referenceString } from './reference.js';
import type { Credentials } from './registry/auth.js';
import { RegistryClient } from './registry/client.js';
import { DockerKeyring } from './registry/keyring.js';
import type { PlatformSpec } from './registry/platform.js';
import { defaultRegistriesConfPath, loadRegistriesConf } from './registry/registries-conf.js';
import { AuthConfigError, credentialsFromAuth, credentialsKey } from './service/credentials.js';
import { BlobArrivals, StreamedLayers, unpackEarly } from './service/early-unpack.js';
import { defaultGcPolicy, type GcCandidate, type GcPolicy, planGc } from './service/gc-plan.js';
import { PullTracker } from './service/progress.js';
import { type CredentialSource, invalidImageName, pullError } from './service/pull-errors.js';
import { StoreBlobSink } from './service/store-sink.js';
import { type ImageRecord, ImageStore, loadArchive, StoreError, type StoreOptions } from './store/index.js';

export interface ImageServiceOptions {
  /** The store's directory, `<state dir>/images`. */
  root: string;
  /** containers-registries.conf(5); a missing file is an empty configuration. Default /etc/containers/registries.conf. */
  registriesConf?: string;
  /** The user's docker config for credentials. Default `$HOME/.docker/config.json` (missing: none). */
  dockerConfig?: string;
  /** Image ids some container uses: they are neither removed nor collected. */
  inUse?: () => Set<string>;
  now?: () => number;
  /** References (or ids) of images never collected, reported `pinned` (containerd pins the sandbox image). */
  pinnedImages?: string[];
  /** The image filesystem's figures for gc(); default the store's usage(). Tests inject a full disk here. */
  fsUsage?: () => Promise<ImageFsInfo>;
  /** Platform to pick from an index; default this machine's. */
  platform?: PlatformSpec;
  /** Passed to ImageStore.open. */
  storeOptions?: StoreOptions;
}

export type { GcPolicy };

export interface ImageServiceApi extends ImageManager {
  readonly store: ImageStore;
  /** The stored image a reference or id names, for building a rootfs (the store's record: read only). */
  image(ref: string): Readonly<ImageRecord> | undefined;
  loadImage(path: string): Promise<ImageStatus[]>;
  gc(policy?: Partial<GcPolicy>): Promise<{ removedImages: string[]; freedBytes: number }>;
  close(): Promise<void>;
}

export type { ImageFsInfo, ImageSpec, ImageStatus, PullImageOptions, PullProgress };

/** One registry pull and the callers waiting on it. */
interface SharedPull {
  promise: Promise<string>;
  controller: AbortController;
  waiters: number;
}

const sha256Id = /^sha256:[a-f0-9]{64}$/;

export class ImageService implements ImageServiceApi {
  private readonly pulls = new Map<string, SharedPull>();
  private readonly tracker = new PullTracker();
  private readonly arrivals = new BlobArrivals();
  private readonly streamed: StreamedLayers;
  /** Image id -> ms of last use (pull, image(), in use at a gc); the kubelet keeps this in memory too. */
  private readonly lastUsed = new Map<string, number>();
  private readonly openedAt: number;
  private readonly now: () => number;
  private closed = false;

  private constructor(
    readonly store: ImageStore,
    private readonly client: RegistryClient,
    private readonly keyring: DockerKeyring,
    private readonly dockerConfig: string,
    private readonly opts: ImageServiceOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.openedAt = this.now();
    this.streamed = new StreamedLayers(store);
  }

  static async open(opts: ImageServiceOptions): Promise<ImageService> {
    const registries = await loadRegistriesConf(opts.registriesConf ?? defaultRegistriesConfPath).catch(
      (err: unknown) => {
        throw new Error(`image service: registries.conf: ${(err as Error).message}`, { cause: err });
      },
    );
    const dockerConfig = opts.dockerConfig ?? join(process.env.HOME || homedir(), '.docker', 'config.json');
    const keyring = new DockerKeyring();
    await keyring.addDockerConfigFile(dockerConfig).catch((err: unknown) => {
      throw new Error(`image service: docker config: ${(err as Error).message}`, { cause: err });
    });
    const store = await ImageStore.open(opts.root, opts.storeOptions);
    // The tracker is created before the client so both callbacks can reach it.
    let svc: ImageService | undefined;
    const sink = new StoreBlobSink(store.blobs, (d, size) => {
      svc?.tracker.progress(d, size);
      svc?.arrivals.stored(d);
    });
    const client = new RegistryClient({
      sink,
      registries,
      keyring,
      ...(opts.platform ? { platform: opts.platform } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      onBlobProgress: (d, bytes) => svc?.tracker.progress(d, bytes),
      blobTee: (desc) => svc?.streamed.tee(desc),
    });
    svc = new ImageService(store, client, keyring, dockerConfig, opts);
    return svc;
  }

  /** Blob downloads the pull client has started since open (each digest once while shared). */
  get blobDownloads(): number {
    return this.client.downloadsStarted;
  }

  async pullImage(spec: ImageSpec, options: PullImageOptions = {}): Promise<string> {
    if (this.closed) throw new RuntimeError('ErrImagePull', 'the image service is closed');
    const asked = spec.image;
    let refString: string;
    try {
      refString = referenceString(parseDockerRef(asked));
    } catch (err) {
      if (err instanceof InvalidReferenceError) throw invalidImageName(asked, err);
      throw err;
    }
    let credentials: Credentials[] | undefined;
    try {
      credentials = credentialsFromAuth(options.auth);
    } catch (err) {
      if (!(err instanceof AuthConfigError)) throw err;
      throw new RuntimeError(
        'ErrImagePull',
        `failed to pull and unpack image ${JSON.stringify(refString)}: ${err.message}`,
      );
    }
    const key = `${refString}\u0000${credentialsKey(credentials)}`;
    let shared = this.pulls.get(key);
    if (shared === undefined) {
      const controller = new AbortController();
      shared = {
        controller,
        waiters: 0,
        promise: this.registryPull(asked, refString, credentials, controller.signal),
      };
      const mine = shared;
      this.pulls.set(key, mine);
      mine.promise.then(
        () => this.forget(key, mine),
        () => this.forget(key, mine),
      );
    }
    return this.wait(key, shared, options.signal);
  }

  private forget(key: string, p: SharedPull): void {
    if (this.pulls.get(key) === p) this.pulls.delete(key);
  }

  /** Waits for a shared pull; a caller whose signal fires leaves it, and the last one to leave cancels it. */
  private async wait(key: string, shared: SharedPull, signal: AbortSignal | undefined): Promise<string> {
    shared.waiters++;
    if (signal === undefined) return shared.promise;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        shared.waiters--;
        if (shared.waiters === 0) {
          // Nobody wants it any more: a later caller starts afresh instead of joining a cancelled pull.
          this.forget(key, shared);
          shared.controller.abort();
        }
        reject(
          new RuntimeError(
            'ErrImagePull',
            `failed to pull and unpack image ${JSON.stringify(key.split('\u0000')[0])}: context canceled`,
          ),
        );
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([shared.promise, aborted]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  private credentialSource(refString: string, given: Credentials[] | undefined): CredentialSource {
    if (given !== undefined) return { kind: 'given', users: given.map((c) => c.username) };
    const fromKeyring = this.keyring.lookup(referenceName(parseDockerRef(refString)));
    if (fromKeyring.length > 0)
      return { kind: 'keyring', users: fromKeyring.map((c) => c.username), file: this.dockerConfig };
    return { kind: 'anonymous', file: this.dockerConfig };
  }

  private async registryPull(
    asked: string,
    refString: string,
    credentials: Credentials[] | undefined,
    signal: AbortSignal,
  ): Promise<string> {
    const entry = this.tracker.start(asked, this.now());
    let early: Promise<void> | undefined;
    let unplan = () => {};
    let settle!: () => void;
    const settled = new Promise<void>((r) => {
      settle = r;
    });
    try {
      let pulled: Awaited<ReturnType<RegistryClient['pull']>>;
      try {
        pulled = await this.client.pull(refString, {
          ...(credentials ? { credentials } : {}),
          signal,
          onConfig: (m, config) => {
            unplan = this.streamed.plan(m, config);
          },
          onManifest: (m) => {
            entry.setManifest(m.config, m.layers);
            early = unpackEarly(this.store, this.arrivals, m, settled).catch(() => {});
            for (const b of entry.blobs) {
              // Blobs already stored count as done at once.
              void this.store.blobs.has(b.digest).then(
                (has) => has && this.tracker.progress(b.digest, b.size),
                () => {},
              );
            }
          },
        });
      } catch (err) {
        throw pullError(refString, err, {
          aborted: signal.aborted,
          credentials: this.credentialSource(refString, credentials),
        });
      }
      if (signal.aborted)
        throw pullError(refString, undefined, { aborted: true, credentials: { kind: 'given', users: [] } });
      let rec: ImageRecord;
      try {
        rec = await this.store.addImage({
          manifestDigest: pulled.manifestDigest,
          names: [pulled.reference],
          repoDigest: pulled.digest,
        });
      } catch (err) {
        throw new RuntimeError(
          'ErrImagePull',
          `failed to pull and unpack image ${JSON.stringify(refString)}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      this.lastUsed.set(rec.id, this.now());
      return rec.id;
    } finally {
      unplan();
      settle();
      // Nothing of this pull runs on once it has answered.
      await early;
      this.tracker.finish(entry);
    }
  }

  pullsInProgress(): PullProgress[] {
    return this.tracker.snapshot();
  }

  /** The record `ref` names (reference, id or id prefix); InvalidImageName for a reference that cannot be. */
  private lookup(ref: string): Readonly<ImageRecord> | undefined {
    try {
      return this.store.peek(ref);
    } catch (err) {
      if (err instanceof StoreError && !sha256Id.test(ref)) {
        if (/ambiguous/.test(err.message)) throw new RuntimeError('NotFound', err.message, { cause: err });
        throw invalidImageName(ref, err);
      }
      throw err;
    }
  }

  private pinnedIds(): Set<string> {
    const ids = new Set<string>();
    for (const ref of this.opts.pinnedImages ?? []) {
      try {
        const rec = this.store.peek(ref);
        if (rec) ids.add(rec.id);
      } catch {
        // A pinned name that is not a valid reference pins nothing; open() does not validate it.
      }
    }
    return ids;
  }

  private status(rec: Readonly<ImageRecord>, pinned: Set<string>): ImageStatus {
    return {
      id: rec.id,
      repoTags: [...rec.repoTags],
      repoDigests: [...rec.repoDigests],
      size: rec.size,
      ...imageUser(rec.config.config?.User),
      pinned: pinned.has(rec.id),
    };
  }

  async imageStatus(spec: ImageSpec): Promise<ImageStatus | null> {
    const rec = this.lookup(spec.image);
    return rec === undefined ? null : this.status(rec, this.pinnedIds());
  }

  async listImages(): Promise<ImageStatus[]> {
    const pinned = this.pinnedIds();
    return this.store.list().map((r) => this.status(r, pinned));
  }

  image(ref: string): Readonly<ImageRecord> | undefined {
    const rec = this.lookup(ref);
    if (rec !== undefined) this.lastUsed.set(rec.id, this.now());
    return rec;
  }

  async removeImage(spec: ImageSpec): Promise<void> {
    const rec = this.lookup(spec.image);
    if (rec === undefined) return;
    if (this.opts.inUse?.().has(rec.id)) {
      throw new RuntimeError(
        'ImageInUse',
        `image ${JSON.stringify(spec.image)} (${rec.id}) is in use by a container: remove the container first`,
      );
    }
    const result = await this.store.remove(spec.image);
    if (result.deleted !== undefined) {
      this.lastUsed.delete(result.deleted);
      // containerd's CRI deletes synchronously: the content goes with the image (what a running pull
      // stored but has not yet recorded is young, and the store's gc keeps it).
      await this.store.gc();
    }
  }

  async imageFsInfo(): Promise<ImageFsInfo> {
    const u = await this.store.usage();
    return { usedBytes: u.usedBytes, capacityBytes: u.capacityBytes, availableBytes: u.availableBytes };
  }

  async loadImage(path: string): Promise<ImageStatus[]> {
    const records = await loadArchive(this.store, path);
    const pinned = this.pinnedIds();
    // The last record of an id is the fullest (a later manifest item may have added tags to it).
    const byId = new Map<string, ImageRecord>();
    for (const r of records) byId.set(r.id, r);
    return [...byId.values()].map((r) => this.status(this.store.get(r.id) ?? r, pinned));
  }

  async gc(policy: Partial<GcPolicy> = {}): Promise<{ removedImages: string[]; freedBytes: number }> {
    const p: GcPolicy = { ...defaultGcPolicy, ...policy };
    const fs = await (this.opts.fsUsage ?? (() => this.imageFsInfo()))();
    const now = this.now();
    const inUse = this.opts.inUse?.() ?? new Set<string>();
    const pinned = this.pinnedIds();
    const candidates: GcCandidate[] = this.store.list().map((r) => {
      if (inUse.has(r.id)) this.lastUsed.set(r.id, now);
      return {
        id: r.id,
        size: r.size,
        lastUsed: this.lastUsed.get(r.id) ?? 0,
        // The kubelet detects images when it starts: an image older than this process counts from then.
        firstDetected: Math.max(Date.parse(r.created) || 0, this.openedAt),
        inUse: inUse.has(r.id),
        pinned: pinned.has(r.id),
      };
    });
    const plan = planGc(fs, candidates, p, now);
    const removedImages: string[] = [];
    let freedBytes = 0;
    for (const c of plan.remove) {
      // Checked again: a container may have started on it while we planned.
      if (this.opts.inUse?.().has(c.id)) continue;
      const r = await this.store.remove(c.id);
      if (r.deleted === undefined) continue;
      this.lastUsed.delete(c.id);
      removedImages.push(c.id);
      freedBytes += c.size;
    }
    if (removedImages.length > 0) await this.store.gc();
    return { removedImages, freedBytes };
  }

  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.pulls.values()];
    for (const p of running) p.controller.abort();
    await Promise.allSettled(running.map((p) => p.promise));
  }
}
