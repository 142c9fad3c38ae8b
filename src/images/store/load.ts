// `podrun image load`: images from a `docker save` tarball (Docker ≤24's manifest.json + <id>/layer.tar, or
// Docker ≥25's OCI layout inside), an OCI image layout directory, or an OCI archive (a tar of a layout), as
// containerd's importer reads them (core/images/archive/importer.go): with `oci-layout` present index.json is
// used, otherwise manifest.json, whose items become schema2 manifests. The tarball may be gzip or zstd.
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { decompressStream, sniffCompression } from './decompress.js';
import { checkDigest, StoreError, sha256Of } from './digest.js';
import { errnoCode } from './fsutil.js';
import type { ImageRecord, ImageStore } from './store.js';
import { maxManifestBytes } from './store.js';
import { readTar } from './tar-reader.js';
import { type Descriptor, type Index, mediaTypes, parseConfig, parseIndex, parseJSON } from './types.js';
import { cleanEntryPath } from './unpack.js';

export interface LoadOptions {
  /** For layouts whose ref.name is a bare tag (`1.36`): the repository to put it in (`busybox`). */
  baseName?: string;
  /** Platform to pick from a multi-platform index; default linux and this machine's architecture. */
  platform?: { os: string; architecture: string };
}

/** Where the archive's files are: blobs go to the store as met, small files are kept for reading. */
interface Source {
  what: string;
  exists(path: string): Promise<boolean>;
  readSmall(path: string, max: number): Promise<Buffer>;
  /** Puts the file at `path` in the blob store (checking it against `expected`), returning its digest. */
  blob(path: string, expected?: string): Promise<string>;
}

const smallFileBytes = 4 * 1024 * 1024;
// Past this much held in memory, even small files go to the blob store (an archive of many small files).
const maxHeldBytes = 64 * 1024 * 1024;

function goArch(): string {
  const m: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    ia32: '386',
    arm: 'arm',
    ppc64: 'ppc64le',
    s390x: 's390x',
  };
  return m[process.arch] ?? process.arch;
}

function dirSource(store: ImageStore, dir: string): Source {
  return {
    what: dir,
    async exists(p) {
      try {
        await stat(join(dir, p));
        return true;
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') return false;
        throw err;
      }
    },
    async readSmall(p, max) {
      const st = await stat(join(dir, p));
      if (st.size > max)
        throw new StoreError(`${dir}: ${p} is ${st.size} bytes, more than the ${max} allowed`);
      return readFile(join(dir, p));
    },
    async blob(p, expected) {
      try {
        return await store.blobs.putStream(createReadStream(join(dir, p)), expected);
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') throw new StoreError(`${dir}: ${p} is missing`);
        throw err;
      }
    },
  };
}

/** Reads the whole tarball once: blobs larger than smallFileBytes go straight to the store. */
async function tarSource(store: ImageStore, file: string): Promise<Source> {
  const small = new Map<string, Buffer>();
  const big = new Map<string, string>();
  const links = new Map<string, string>();
  let heldBytes = 0;
  const { stream } = await decompressStream(createReadStream(file), file);
  for await (const e of readTar(stream)) {
    const parts = cleanEntryPath(e.name, `${file}: entry`);
    const p = parts.join('/');
    if (e.type === 'symlink' || e.type === 'hardlink') {
      // Symlinks are relative to their directory (docker save's <id>/layer.tar -> ../<diffid>.tar),
      // hardlinks to the archive root.
      const base =
        e.type === 'symlink' && !e.linkname.startsWith('/')
          ? [...parts.slice(0, -1), e.linkname]
          : [e.linkname];
      links.set(p, cleanEntryPath(base.join('/'), `${file}: link target of ${e.name}`).join('/'));
    } else if (e.type === 'file') {
      if (e.size <= smallFileBytes && heldBytes + e.size <= maxHeldBytes) {
        const chunks: Buffer[] = [];
        for await (const c of e.body) chunks.push(c);
        small.set(p, Buffer.concat(chunks));
        heldBytes += e.size;
      } else {
        const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(p);
        big.set(p, await store.blobs.putStream(e.body, m ? `sha256:${m[1]}` : undefined, e.size));
      }
    }
  }
  const resolve = (p: string) => {
    let cur = p;
    for (let i = 0; i < 40 && links.has(cur); i++) cur = links.get(cur)!;
    return cur;
  };
  return {
    what: file,
    async exists(p) {
      const r = resolve(p);
      return small.has(r) || big.has(r);
    },
    async readSmall(p, max) {
      const data = small.get(resolve(p));
      if (data === undefined) {
        const d = big.get(resolve(p));
        if (d !== undefined) return store.blobs.read(d, max);
        throw new StoreError(`${file}: the archive has no ${p}`);
      }
      if (data.length > max)
        throw new StoreError(`${file}: ${p} is ${data.length} bytes, more than the ${max} allowed`);
      return data;
    },
    async blob(p, expected) {
      const r = resolve(p);
      const d = big.get(r);
      if (d !== undefined) {
        if (expected !== undefined && d !== expected) {
          throw new StoreError(`${file}: ${p} has digest ${d}, not ${expected}`);
        }
        return d;
      }
      const data = small.get(r);
      if (data === undefined) throw new StoreError(`${file}: the archive has no ${p}`);
      return store.blobs.put(data, expected);
    },
  };
}

function blobPath(d: string, where: string): string {
  return `blobs/sha256/${checkDigest(d, where).slice('sha256:'.length)}`;
}

function nameFor(desc: Descriptor, opts: LoadOptions): string | undefined {
  const full = desc.annotations?.['io.containerd.image.name'];
  if (full) return full;
  const ref = desc.annotations?.['org.opencontainers.image.ref.name'];
  if (!ref) return undefined;
  if (ref.includes('/') || ref.includes(':') || ref.includes('@')) return ref;
  return opts.baseName !== undefined ? `${opts.baseName}:${ref}` : undefined;
}

async function pickManifest(
  src: Source,
  desc: Descriptor,
  opts: LoadOptions,
  depth = 0,
): Promise<Descriptor> {
  const isIndex = desc.mediaType === mediaTypes.ociIndex || desc.mediaType === mediaTypes.dockerList;
  if (!isIndex) return desc;
  if (depth > 4) throw new StoreError(`${src.what}: image indexes nested too deep`);
  const index: Index = parseIndex(
    await src.readSmall(blobPath(desc.digest, 'index'), maxManifestBytes),
    `index ${desc.digest}`,
  );
  const want = opts.platform ?? { os: 'linux', architecture: goArch() };
  const archs = want.architecture === 'amd64' ? ['amd64', '386'] : [want.architecture];
  for (const arch of archs) {
    for (const m of index.manifests) {
      const p = m.platform;
      if (p === undefined || (p.os === want.os && p.architecture === arch)) {
        return pickManifest(src, m, opts, depth + 1);
      }
    }
  }
  throw new StoreError(`${src.what}: index ${desc.digest}: no match for platform in manifest: not found`);
}

async function ingestManifest(src: Source, digest: string): Promise<void> {
  const raw = await src.readSmall(blobPath(digest, 'manifest digest'), maxManifestBytes);
  await src.blob(blobPath(digest, 'manifest digest'), digest);
  const m = parseJSON(raw, `manifest ${digest}`) as { config?: Descriptor; layers?: Descriptor[] };
  if (m.config !== undefined) await src.blob(blobPath(m.config.digest, 'config digest'), m.config.digest);
  for (const l of m.layers ?? []) await src.blob(blobPath(l.digest, 'layer digest'), l.digest);
}

async function loadLayout(store: ImageStore, src: Source, opts: LoadOptions): Promise<ImageRecord[]> {
  const index = parseIndex(await src.readSmall('index.json', maxManifestBytes), `${src.what}: index.json`);
  const out: ImageRecord[] = [];
  const want = opts.platform ?? { os: 'linux', architecture: goArch() };
  const foreign = (d: Descriptor) =>
    d.platform !== undefined && (d.platform.os !== want.os || d.platform.architecture !== want.architecture);
  // Manifests for other platforms listed side by side in index.json are left out, as ctr import does
  // without --all-platforms; if nothing else is there, the error says so.
  const tops = index.manifests.filter((d) => !foreign(d));
  if (tops.length === 0 && index.manifests.length > 0) {
    throw new StoreError(`${src.what}: index.json: no match for platform in manifest: not found`);
  }
  for (const top of tops) {
    const desc = await pickManifest(src, top, opts);
    await ingestManifest(src, desc.digest);
    const name = nameFor(top, opts);
    const isIndex = top.digest !== desc.digest;
    out.push(
      await store.addImage({
        manifestDigest: desc.digest,
        names: name !== undefined ? [name] : [],
        ...(isIndex ? { repoDigest: top.digest } : {}),
      }),
    );
  }
  return out;
}

interface DockerSaveItem {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

async function loadDockerSave(store: ImageStore, src: Source): Promise<ImageRecord[]> {
  const items = parseJSON(
    await src.readSmall('manifest.json', maxManifestBytes),
    `${src.what}: manifest.json`,
  );
  if (!Array.isArray(items)) throw new StoreError(`${src.what}: manifest.json is not a list`);
  const out: ImageRecord[] = [];
  for (const [i, raw] of items.entries()) {
    const item = raw as DockerSaveItem;
    const where = `${src.what}: manifest.json[${i}]`;
    if (typeof item?.Config !== 'string' || !Array.isArray(item.Layers)) {
      throw new StoreError(`${where}: want {"Config": "<file>", "Layers": ["<file>", ...]}`);
    }
    const configData = await src.readSmall(item.Config, 16 * 1024 * 1024);
    parseConfig(configData, `${where}.Config (${item.Config})`);
    const configDigest = await src.blob(item.Config);
    const layers: Descriptor[] = [];
    for (const [j, path] of item.Layers.entries()) {
      if (typeof path !== 'string') throw new StoreError(`${where}.Layers[${j}]: not a file name`);
      const digest = await src.blob(path);
      const fh = await open(store.blobs.path(digest), 'r');
      const head = Buffer.alloc(4);
      await fh.read(head, 0, 4, 0);
      await fh.close();
      const c = sniffCompression(head);
      layers.push({
        mediaType:
          c === 'gzip'
            ? mediaTypes.dockerLayerGzip
            : c === 'zstd'
              ? mediaTypes.dockerLayerZstd
              : mediaTypes.dockerLayer,
        digest,
        size: await store.blobs.size(digest),
      });
    }
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.dockerManifest,
        config: { mediaType: mediaTypes.dockerConfig, digest: configDigest, size: configData.length },
        layers,
      }),
    );
    const manifestDigest = await store.blobs.put(manifest, sha256Of(manifest));
    out.push(await store.addImage({ manifestDigest, names: item.RepoTags ?? [] }));
  }
  return out;
}

/** Loads every image in the archive or layout at `path` into `store`; returns the images added. */
export async function loadArchive(
  store: ImageStore,
  path: string,
  opts: LoadOptions = {},
): Promise<ImageRecord[]> {
  const st = await stat(path).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT') throw new StoreError(`${path}: no such file or directory`);
    throw err;
  });
  const src = st.isDirectory() ? dirSource(store, path) : await tarSource(store, path);
  if ((await src.exists('oci-layout')) && (await src.exists('index.json')))
    return loadLayout(store, src, opts);
  if (await src.exists('manifest.json')) return loadDockerSave(store, src);
  if (await src.exists('index.json')) return loadLayout(store, src, opts);
  throw new StoreError(
    `${path}: not an image archive: it has neither an OCI layout (oci-layout, index.json) nor docker save's manifest.json`,
  );
}
