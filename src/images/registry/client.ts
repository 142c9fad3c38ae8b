// The pull client: resolve a reference to a manifest (HEAD, then GET by digest), pick the platform from
// an index, fetch the config and every layer into a BlobSink. Follows containerd's resolver and fetcher
// (core/remotes/docker/resolver.go, fetcher.go) and words its errors the same way.
import type { Writable } from 'node:stream';
import { digestOf, digestProblem } from '../digest.js';
import { type ImageReference, parseDockerRef, referenceName, referenceString } from '../reference.js';
import { AuthCache, type Credentials, parseChallenges } from './auth.js';
import { downloadBlob } from './blob-download.js';
import { RegistryError, unexpectedStatus } from './errors.js';
import { type HttpResponse, isLoopbackHost, readBody, send } from './http.js';
import type { DockerKeyring } from './keyring.js';
import {
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  MediaType,
  manifestAccept,
  maxManifestSize,
  parseManifest,
} from './manifest.js';
import { hostPlatform, type PlatformSpec, platformRank } from './platform.js';
import { emptyRegistriesConf, type PullSource, pullSources, type RegistriesConf } from './registries-conf.js';
import type { BlobSink } from './sink.js';

export interface RegistryClientOptions {
  sink: BlobSink;
  registries?: RegistriesConf;
  keyring?: DockerKeyring;
  /** Defaults to the host's (`linux/amd64` on x86_64). */
  platform?: PlatformSpec;
  /** Layer downloads at once per pull, bottom layer first (containerd's max_concurrent_downloads, default 3). */
  maxConcurrentDownloads?: number;
  /** Attempts per blob download, each resuming the last (default 3). */
  blobAttempts?: number;
  /**
   * A connection that brings no byte for this long is dropped (and a blob download resumed), like
   * containerd's image_pull_progress_timeout (default 5 minutes).
   */
  progressTimeoutMs?: number;
  now?: () => number;
  /** Bytes of `digest` on disk so far, as a download goes (shared downloads report once, for all pulls). */
  onBlobProgress?: (digest: string, bytes: number) => void;
  /** Where else a blob's bytes go while it downloads from its first byte (see DownloadOptions.tee). */
  blobTee?: (desc: Descriptor) => Writable | undefined;
}

export interface PullOptions {
  /** Credentials to try in order (the CRI's auth); when absent, the keyring's matches, else anonymous. */
  credentials?: Credentials[];
  signal?: AbortSignal;
  /** Called once the platform manifest is known, before any blob is fetched (for progress lines). */
  onManifest?: (manifest: ImageManifest) => void;
  /** Called with the verified config once it is fetched, before any layer is. */
  onConfig?: (manifest: ImageManifest, config: Buffer) => void;
}

export interface ResolvedManifest {
  descriptor: Descriptor;
  body: Buffer;
  document: ImageIndex | ImageManifest;
}

export interface PullResult {
  /** The normalised reference pulled: `docker.io/library/busybox:1.36` (or `…@sha256:…`). */
  reference: string;
  /** `docker.io/library/busybox@sha256:<digest of what the tag names: index or manifest>`. */
  repoDigest: string;
  /** The top-level digest (index or manifest) and its media type. */
  digest: string;
  mediaType: string;
  /** The platform manifest, its digest, the config (bytes as stored) and the layers in order. */
  manifestDigest: string;
  manifest: ImageManifest;
  config: Descriptor;
  configBytes: Buffer;
  layers: Descriptor[];
  /** Which registry served it (a mirror's host, or the image's own). */
  source: PullSource;
}

export interface ResolvedImage {
  reference: string;
  repoDigest: string;
  digest: string;
  mediaType: string;
  source: PullSource;
}

/** Where to connect for one repository, and as whom. */
interface Repo {
  source: PullSource;
  baseUrl: string;
  creds: Credentials | undefined;
  scope: string;
  signal: AbortSignal | undefined;
}

/** `docker.io` is served by `registry-1.docker.io` (containerd `DefaultHost`). */
export function connectHost(registry: string): string {
  return registry === 'docker.io' ? 'registry-1.docker.io' : registry;
}

export class RegistryClient {
  private readonly auth: AuthCache;
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly inflightSmall = new Map<string, Promise<Buffer>>();
  private readonly platform: PlatformSpec;
  private readonly blobAttempts: number;
  private readonly maxDownloads: number;
  private readonly idleTimeoutMs: number;
  /** Counts blob downloads actually started, for the sharing guarantee's tests and metrics. */
  downloadsStarted = 0;

  constructor(private readonly opts: RegistryClientOptions) {
    this.auth = new AuthCache(opts.now);
    this.platform = opts.platform ?? hostPlatform();
    this.blobAttempts = opts.blobAttempts ?? 3;
    this.maxDownloads = Math.max(1, opts.maxConcurrentDownloads ?? 3);
    this.idleTimeoutMs = opts.progressTimeoutMs ?? 5 * 60_000;
  }

  /**
   * Pulls `image` (any reference form; normalised like containerd's PullImage) into the sink: every
   * source from registries.conf in order, and for each source every credential in order (the kubelet
   * tries them all), first success wins. The error is the last source's; with several credentials, the
   * kubelet's aggregate `[e1, e2]`.
   */
  async pull(image: string, opts: PullOptions = {}): Promise<PullResult> {
    return this.eachSource(image, opts, (ref, repo) => this.pullFrom(ref, repo, opts));
  }

  /**
   * Resolves `image` to the digest its tag names now, without fetching more than the top manifest
   * (what a pull policy of Always compares with the stored repo digest).
   */
  async resolve(image: string, opts: PullOptions = {}): Promise<ResolvedImage> {
    return this.eachSource(image, opts, async (ref, repo) => {
      const top = await this.resolveIn(ref, repo).catch((err: unknown) => {
        throw resolveError(err, ref);
      });
      return {
        reference: referenceString(ref),
        repoDigest: `${referenceName(ref)}@${top.descriptor.digest}`,
        digest: top.descriptor.digest,
        mediaType: top.descriptor.mediaType,
        source: repo.source,
      };
    });
  }

  private async eachSource<T>(
    image: string,
    opts: PullOptions,
    fn: (ref: ImageReference, repo: Repo) => Promise<T>,
  ): Promise<T> {
    const ref = parseDockerRef(image);
    let sources: PullSource[];
    try {
      sources = pullSources(this.opts.registries ?? emptyRegistriesConf, referenceName(ref));
    } catch (err) {
      throw new RegistryError('Blocked', `${referenceString(ref)}: ${(err as Error).message}`);
    }
    let lastError: Error | undefined;
    for (const source of sources) {
      const credList =
        opts.credentials ?? this.opts.keyring?.lookup(`${source.registry}/${source.repository}`) ?? [];
      const tries: (Credentials | undefined)[] = credList.length > 0 ? credList : [undefined];
      const errors: Error[] = [];
      for (const creds of tries) {
        try {
          return await fn(ref, this.repo(source, creds, opts.signal));
        } catch (err) {
          errors.push(err as Error);
        }
      }
      lastError = errors.length === 1 ? errors[0] : aggregate(errors);
    }
    throw lastError ?? new RegistryError('NotFound', `${referenceString(ref)}: no source to pull from`);
  }

  private repo(source: PullSource, creds: Credentials | undefined, signal: AbortSignal | undefined): Repo {
    const host = connectHost(source.registry);
    const scheme = isLoopbackHost(host) || source.insecure ? 'http' : 'https';
    return {
      source,
      baseUrl: `${scheme}://${host}`,
      creds,
      scope: `repository:${source.repository}:pull`,
      signal,
    };
  }

  private async pullFrom(
    ref: ImageReference,
    repo: Repo,
    { onManifest, onConfig }: Pick<PullOptions, 'onManifest' | 'onConfig'>,
  ): Promise<PullResult> {
    const refString = referenceString(ref);
    const top = await this.resolveIn(ref, repo).catch((err: unknown) => {
      throw resolveError(err, ref);
    });
    let current = top;
    for (let depth = 0; current.document.kind === 'index'; depth++) {
      if (depth > 4) throw new RegistryError('InvalidManifest', `${refString}: indexes nested too deep`);
      const child = this.selectPlatform(current.document, refString);
      current = await this.fetchManifest(repo, child);
    }
    const manifest = current.document as ImageManifest;
    if (
      manifest.config.mediaType !== MediaType.dockerConfig &&
      manifest.config.mediaType !== MediaType.ociConfig
    ) {
      throw new RegistryError(
        'UnsupportedMediaType',
        `${refString}: unsupported config media type ${JSON.stringify(manifest.config.mediaType)}`,
      );
    }
    onManifest?.(manifest);
    const configBytes = await this.fetchSmallBlob(repo, manifest.config);
    onConfig?.(manifest, configBytes);
    // Bottom layer first, a few at a time (containerd's max_concurrent_downloads, default 3): the lower
    // layers land early and can be unpacked while the upper ones are still downloading.
    const queue = [...manifest.layers];
    const worker = async () => {
      for (let l = queue.shift(); l !== undefined; l = queue.shift()) await this.fetchBlob(repo, l);
    };
    await Promise.all(Array.from({ length: Math.min(this.maxDownloads, queue.length) }, worker));
    const name = referenceName(ref);
    return {
      reference: refString,
      repoDigest: `${name}@${top.descriptor.digest}`,
      digest: top.descriptor.digest,
      mediaType: top.descriptor.mediaType,
      manifestDigest: current.descriptor.digest,
      manifest,
      config: manifest.config,
      configBytes,
      layers: manifest.layers,
      source: repo.source,
    };
  }

  /** One request to the repository, answering 401 challenges (at most twice) on the way. */
  private async request(
    repo: Repo,
    method: 'GET' | 'HEAD',
    path: string,
    headers: Record<string, string>,
  ): Promise<HttpResponse> {
    const url = `${repo.baseUrl}/v2/${repo.source.repository}/${path}`;
    const host = new URL(repo.baseUrl).host;
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.auth.header(host, repo.scope, repo.creds, repo.source.insecure);
      const res = await send({
        method,
        url,
        headers,
        ...(authorization ? { hostHeaders: { Authorization: authorization } } : {}),
        insecureSkipVerify: repo.source.insecure,
        idleTimeoutMs: this.idleTimeoutMs,
        ...(repo.signal ? { signal: repo.signal } : {}),
      });
      if (res.status !== 401 || attempt >= 2) return res;
      res.body.resume();
      const challenges = parseChallenges(res.headers['www-authenticate']);
      const retry = await this.auth.challenged(
        host,
        repo.scope,
        challenges,
        repo.creds,
        authorization,
        repo.source.insecure,
      );
      if (!retry) {
        // A Bearer token refused again with an error (Docker Hub's insufficient_scope for a repository
        // that does not exist or is private): containerd's ErrInvalidAuthorization, as CRI words it.
        const error = challenges.find((c) => c.scheme === 'bearer')?.params.error;
        if (error && authorization?.startsWith('Bearer ')) {
          throw new RegistryError(
            'Unauthorized',
            `pull access denied, repository does not exist or may require authorization: server message: ${error}: authorization failed`,
            401,
          );
        }
        return res;
      }
    }
  }

  /** `GET /v2/`: 200, or 401 with the challenge we then answer. Anything else means no registry there. */
  private async ping(repo: Repo): Promise<void> {
    const url = `${repo.baseUrl}/v2/`;
    let res: HttpResponse;
    try {
      res = await send({
        method: 'GET',
        url,
        insecureSkipVerify: repo.source.insecure,
        idleTimeoutMs: this.idleTimeoutMs,
        ...(repo.signal ? { signal: repo.signal } : {}),
      });
    } catch (err) {
      // containerd does not ping: let the manifest HEAD fail, so the message names that request.
      if (err instanceof RegistryError && err.reason === 'Unavailable') return;
      throw err;
    }
    res.body.resume();
    if (res.status === 401) {
      await this.auth.challenged(
        new URL(url).host,
        repo.scope,
        parseChallenges(res.headers['www-authenticate']),
        repo.creds,
        undefined,
        repo.source.insecure,
      );
      return;
    }
    if (res.status !== 200) throw unexpectedStatus('GET', url, res.status, res.statusMessage);
  }

  /** HEAD the tag or digest (GET when HEAD is refused), then GET the manifest by digest and check it. */
  private async resolveIn(ref: ImageReference, repo: Repo): Promise<ResolvedManifest> {
    const refString = referenceString(ref);
    await this.ping(repo);
    const target = ref.digest ?? ref.tag ?? 'latest';
    const path = `manifests/${target}`;
    let res = await this.request(repo, 'HEAD', path, { Accept: manifestAccept });
    let method: 'HEAD' | 'GET' = 'HEAD';
    if (res.status === 405 || res.status === 400) {
      method = 'GET';
      res = await this.request(repo, 'GET', path, { Accept: manifestAccept });
    }
    if (res.status === 404) {
      res.body.resume();
      throw new RegistryError('NotFound', `${refString}: not found`, 404);
    }
    if (res.status !== 200) {
      res.body.resume();
      throw unexpectedStatus(method, res.url, res.status, res.statusMessage);
    }
    const length = Number(res.headers['content-length'] ?? -1);
    if (length > maxManifestSize) {
      res.body.resume();
      throw new RegistryError(
        'ManifestTooLarge',
        `${refString}: manifest too large: ${length} > ${maxManifestSize} bytes`,
      );
    }
    const sent = String(res.headers['docker-content-digest'] ?? '');
    // A malformed header is ignored (the body is hashed instead), never used as a file name or hash.
    const headerDigest = digestProblem(sent) === undefined ? sent : '';
    const contentType = String(res.headers['content-type'] ?? '');
    if (method === 'GET' || headerDigest === '') {
      const body =
        method === 'GET'
          ? await readBody(res, maxManifestSize)
          : await this.getManifestBody(repo, target, refString);
      const digest = ref.digest ?? (headerDigest || digestOf('sha256:', body));
      return this.checkedManifest(
        body,
        { mediaType: contentType, digest, size: body.length },
        contentType,
        refString,
      );
    }
    res.body.resume();
    return this.fetchManifest(
      repo,
      { mediaType: contentType, digest: ref.digest ?? headerDigest, size: length },
      refString,
    );
  }

  private async getManifestBody(repo: Repo, target: string, what: string): Promise<Buffer> {
    const res = await this.request(repo, 'GET', `manifests/${target}`, { Accept: manifestAccept });
    if (res.status === 404) {
      res.body.resume();
      throw new RegistryError('NotFound', `${what}: not found`, 404);
    }
    if (res.status !== 200) {
      res.body.resume();
      throw unexpectedStatus('GET', res.url, res.status, res.statusMessage);
    }
    return readBody(res, maxManifestSize);
  }

  /** Fetches a manifest or index by digest, verifies it and stores it in the sink. */
  private async fetchManifest(
    repo: Repo,
    desc: Descriptor,
    what = `${repo.source.registry}/${repo.source.repository}@${desc.digest}`,
  ): Promise<ResolvedManifest> {
    if (desc.size > maxManifestSize) {
      throw new RegistryError(
        'ManifestTooLarge',
        `${what}: manifest too large: ${desc.size} > ${maxManifestSize} bytes`,
      );
    }
    const res = await this.request(repo, 'GET', `manifests/${desc.digest}`, { Accept: manifestAccept });
    if (res.status === 404) {
      res.body.resume();
      throw new RegistryError('NotFound', `${what}: not found`, 404);
    }
    if (res.status !== 200) {
      res.body.resume();
      throw unexpectedStatus('GET', res.url, res.status, res.statusMessage);
    }
    const body = await readBody(res, maxManifestSize);
    return this.checkedManifest(body, desc, String(res.headers['content-type'] ?? desc.mediaType), what);
  }

  private async checkedManifest(
    body: Buffer,
    desc: Descriptor,
    contentType: string,
    what: string,
  ): Promise<ResolvedManifest> {
    const got = digestOf(desc.digest, body);
    if (got !== desc.digest) {
      throw new RegistryError(
        'DigestMismatch',
        `${what}: manifest digest mismatch: got ${got}, expected ${desc.digest}`,
      );
    }
    const document = parseManifest(body, contentType || desc.mediaType, what);
    await this.opts.sink.writeBlob(desc.digest, body);
    return { descriptor: { ...desc, mediaType: document.mediaType, size: body.length }, body, document };
  }

  /** containerd's platform choice: the best-ranked child for this host; `unknown/unknown` never matches. */
  private selectPlatform(index: ImageIndex, what: string): Descriptor {
    const ranked = index.manifests
      .map((d, i) => ({ d, i, rank: platformRank(this.platform, d.platform) }))
      .filter((x): x is { d: Descriptor; i: number; rank: number } => x.rank !== undefined)
      .sort((a, b) => a.rank - b.rank || a.i - b.i);
    const best = ranked[0];
    if (best === undefined)
      throw new RegistryError('NotFound', `${what}: no match for platform in manifest: not found`);
    return best.d;
  }

  private async openBlob(repo: Repo, desc: Descriptor, offset: number): Promise<HttpResponse> {
    const res = await this.request(
      repo,
      'GET',
      `blobs/${desc.digest}`,
      offset > 0 ? { Range: `bytes=${offset}-` } : {},
    );
    if (res.status === 404) {
      res.body.resume();
      throw new RegistryError(
        'NotFound',
        `failed to copy: httpReadSeeker: failed open: content at ${res.url} not found: not found`,
        404,
      );
    }
    if (res.status === 401 || res.status === 403) {
      res.body.resume();
      throw unexpectedStatus('GET', res.url, res.status, res.statusMessage);
    }
    return res;
  }

  /**
   * Config blobs are small and needed in memory: taken from the sink when it has them, else fetched whole
   * (once for concurrent callers), verified, stored.
   */
  private async fetchSmallBlob(repo: Repo, desc: Descriptor): Promise<Buffer> {
    const running = this.inflightSmall.get(desc.digest);
    if (running) return running;
    const p = (async () => {
      const stored = await this.opts.sink.readBlob?.(desc.digest, maxManifestSize);
      if (stored !== undefined && digestOf(desc.digest, stored) === desc.digest) return stored;
      return this.downloadSmallBlob(repo, desc);
    })().finally(() => this.inflightSmall.delete(desc.digest));
    this.inflightSmall.set(desc.digest, p);
    return p;
  }

  private async downloadSmallBlob(repo: Repo, desc: Descriptor): Promise<Buffer> {
    const res = await this.openBlob(repo, desc, 0);
    if (res.status !== 200) {
      res.body.resume();
      throw unexpectedStatus('GET', res.url, res.status, res.statusMessage);
    }
    const body = await readBody(res, maxManifestSize);
    const got = digestOf(desc.digest, body);
    if (got !== desc.digest || body.length !== desc.size) {
      throw new RegistryError(
        'DigestMismatch',
        `failed commit on ref "config-${desc.digest}": unexpected commit digest ${got}, expected ${desc.digest}: failed precondition`,
      );
    }
    await this.opts.sink.writeBlob(desc.digest, body);
    return body;
  }

  /**
   * Downloads a blob into the sink unless it is there already; a second caller for the same digest
   * waits for the first download instead of starting another.
   */
  private async fetchBlob(repo: Repo, desc: Descriptor): Promise<void> {
    const running = this.inflight.get(desc.digest);
    if (running) return running;
    const p = (async () => {
      if (await this.opts.sink.hasBlob(desc.digest)) return;
      this.downloadsStarted++;
      await downloadBlob(this.opts.sink, desc, (offset) => this.openBlob(repo, desc, offset), {
        maxAttempts: this.blobAttempts,
        ...(this.opts.onBlobProgress
          ? { onProgress: (bytes: number) => this.opts.onBlobProgress?.(desc.digest, bytes) }
          : {}),
        ...(this.opts.blobTee ? { tee: () => this.opts.blobTee?.(desc) } : {}),
      });
    })().finally(() => this.inflight.delete(desc.digest));
    this.inflight.set(desc.digest, p);
    return p;
  }
}

function resolveError(err: unknown, ref: ImageReference): unknown {
  return err instanceof RegistryError
    ? err.wrap(`failed to resolve reference ${JSON.stringify(referenceString(ref))}`)
    : err;
}

/** k8s.io/apimachinery's aggregate error text. */
function aggregate(errors: Error[]): RegistryError {
  const first = errors[0];
  const reason = first instanceof RegistryError ? first.reason : 'UnexpectedStatus';
  return new RegistryError(reason, `[${errors.map((e) => e.message).join(', ')}]`);
}
