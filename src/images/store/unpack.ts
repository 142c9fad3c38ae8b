// Unpacks one layer tar into its own empty directory, the way containerd's overlay snapshotter applies a diff
// (pkg/archive/tar.go applyNaive/createTarFile with OverlayConvertWhiteout): whiteouts become 0:0 character
// devices, opaque markers become `trusted.overlay.opaque=y`, so the directory works as one overlayfs lowerdir.
// Entries never leave the directory: names climbing above it are refused, absolute names are taken relative to
// it, and symlinks met while resolving a parent are followed inside it (containerd's fs.RootPath).
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import {
  chmodSync,
  closeSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { SyscallError, Syscalls } from './syscalls.js';
import { readTar, type TarEntry, TarError } from './tar-reader.js';

export interface UnpackLimits {
  /** Largest uncompressed tar accepted (a decompression bomb stops here). */
  maxBytes: number;
  /** Most entries accepted. */
  maxEntries: number;
}

export const defaultUnpackLimits: UnpackLimits = { maxBytes: 64 * 2 ** 30, maxEntries: 2_000_000 };

export interface UnpackResult {
  /** sha256 of the uncompressed tar stream: the layer's diffID. */
  diffID: string;
  tarBytes: number;
  entries: number;
  /** Directories this layer makes opaque (`.wh..wh..opq`), relative to its root: lower layers do not show. */
  opaqueDirs: string[];
}

const whiteoutPrefix = '.wh.';
/** Files at least this large are written asynchronously; smaller ones at once (fewer hops per file). */
const asyncWriteBytes = 256 * 1024;
const opaqueMarker = '.wh..wh..opq';

export class LayerError extends Error {
  override name = 'LayerError';
}

/** Cleans a tar name into components below the root; refuses one that climbs out of it. */
export function cleanEntryPath(name: string, what: string): string[] {
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) {
        throw new LayerError(
          `${what} ${JSON.stringify(name)} climbs out of the layer with ".."; the layer is refused`,
        );
      }
      out.pop();
    } else out.push(part);
  }
  return out;
}

function lstatOrNull(p: string): Stats | null {
  return lstatSync(p, { throwIfNoEntry: false }) ?? null;
}

/**
 * Resolves `parts` under `root`, following symlinks as if `root` were `/` (never above it). Components that do
 * not exist yet are kept as they are. Returns the resolved components.
 */
function resolveInRoot(root: string, parts: string[], knownDirs: Set<string>): string[] {
  const todo = [...parts];
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const rel = [...done, part].join('/');
    if (knownDirs.has(rel)) {
      done.push(part);
      continue;
    }
    const st = lstatOrNull(join(root, rel));
    if (st === null) return [...done, part, ...todo.filter((p) => p !== '' && p !== '.')];
    if (st.isSymbolicLink()) {
      if (++links > 255)
        throw new LayerError(`too many levels of symbolic links resolving ${parts.join('/')}`);
      const target = readlinkSync(join(root, ...done, part));
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/'));
      continue;
    }
    if (st.isDirectory()) knownDirs.add(rel);
    done.push(part);
  }
  return done;
}

function applyOwnerAndTimes(path: string, st: Stats): void {
  lchownSync(path, st.uid, st.gid);
  chmodSync(path, st.mode & 0o7777);
  lutimesSync(path, st.atime, st.mtime);
}

/**
 * The layers below one being unpacked, topmost first: given, or asked for once the tar is read, so that a
 * layer can be unpacked while the ones below it still are (their directories are only read at the end).
 */
export type LowerLayers = readonly string[] | (() => Promise<readonly string[]>);

/**
 * Unpacks the tar stream `src` into the empty directory `root`. `parents` are the layers below, topmost first;
 * a directory the tar implies without listing takes its attributes from the first of them that has it
 * (containerd's mkparent), else 0755 root:root.
 */
export async function unpackLayer(
  src: AsyncIterable<Buffer>,
  root: string,
  parents: LowerLayers,
  limits: UnpackLimits = defaultUnpackLimits,
): Promise<UnpackResult> {
  const hash = createHash('sha256');
  let tarBytes = 0;
  const hashed = (async function* () {
    for await (const chunk of src) {
      tarBytes += chunk.length;
      if (tarBytes > limits.maxBytes) {
        throw new LayerError(
          `the layer unpacks to more than ${limits.maxBytes} bytes; refused as a tar bomb`,
        );
      }
      hash.update(chunk);
      yield chunk as Buffer;
    }
  })();

  const sys = new Syscalls();
  const dirTimes: Array<{ path: string; mtime: number }> = [];
  const opaqueDirs = new Set<string>();
  let entries = 0;

  // Relative paths known to be real directories in this layer, sparing an lstat per path component per entry
  // (this unpack is the directory's only writer; removals forget what they remove).
  const knownDirs = new Set<string>();
  /** Directories made for entries below them that the tar did not list (yet), by relative path. */
  const implied = new Map<string, string>();
  const forget = (relPath: string) => {
    for (const d of knownDirs) if (d === relPath || d.startsWith(`${relPath}/`)) knownDirs.delete(d);
  };

  const mkparent = (parts: string[]) => {
    for (let i = 1; i <= parts.length; i++) {
      const rel = parts.slice(0, i);
      const relPath = rel.join('/');
      if (knownDirs.has(relPath)) continue;
      const p = join(root, relPath);
      const st = lstatOrNull(p);
      if (st !== null) {
        if (!st.isDirectory())
          throw new LayerError(`${relPath} is not a directory but the layer puts entries in it`);
        knownDirs.add(relPath);
        continue;
      }
      mkdirSync(p, 0o755);
      knownDirs.add(relPath);
      implied.set(relPath, p);
    }
  };

  // Implied directories take their attributes from the layers below once the tar is read; a directory the
  // tar lists later is its own, and one removed later is gone.
  const inheritAttributes = async () => {
    if (implied.size === 0) return;
    const lowers = typeof parents === 'function' ? await parents() : parents;
    for (const [relPath, p] of implied) {
      if (!lstatOrNull(p)?.isDirectory()) continue;
      for (const parent of lowers) {
        const pst = lstatOrNull(join(parent, relPath));
        if (pst === null) continue;
        if (pst.isDirectory()) {
          applyOwnerAndTimes(p, pst);
          dirTimes.push({ path: p, mtime: pst.mtimeMs / 1000 });
        }
        break;
      }
    }
  };

  const removeExisting = (relPath: string, entry: TarEntry) => {
    const st = lstatOrNull(join(root, relPath));
    if (st === null) return;
    if (st.isDirectory() && entry.type === 'dir') return;
    forget(relPath);
    rmSync(join(root, relPath), { recursive: true, force: true });
  };

  const apply = async (entry: TarEntry) => {
    const parts = cleanEntryPath(entry.name, 'tar entry');
    if (parts.length === 0) return; // the root itself (umoci writes "/"): containerd ignores it
    const base = parts[parts.length - 1]!;
    const parent = resolveInRoot(root, parts.slice(0, -1), knownDirs);
    mkparent(parent);
    const dir = join(root, ...parent);

    if (base.startsWith(whiteoutPrefix)) {
      if (base === opaqueMarker) {
        await sys.lsetxattr(dir, 'trusted.overlay.opaque', Buffer.from('y'));
        opaqueDirs.add(parent.join('/'));
        return;
      }
      const hidden = base.slice(whiteoutPrefix.length);
      if (hidden === '' || hidden === '.' || hidden === '..') {
        throw new LayerError(
          `tar entry ${JSON.stringify(entry.name)} is not a valid whiteout (it names no file)`,
        );
      }
      const target = join(dir, hidden);
      forget([...parent, hidden].join('/'));
      rmSync(target, { recursive: true, force: true });
      await sys.mknod(target, 'c', 0, 0, 0);
      lchownSync(target, entry.uid, entry.gid);
      return;
    }

    const path = join(dir, base);
    const relPath = [...parent, base].join('/');
    removeExisting(relPath, entry);
    switch (entry.type) {
      case 'file': {
        if (entry.size >= asyncWriteBytes) {
          // Large files are written by the thread pool, so the downloads this unpack runs beside go on.
          const fh = await open(path, 'wx', 0o600);
          try {
            for await (const chunk of entry.body) {
              for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off)).bytesWritten;
            }
          } finally {
            await fh.close();
          }
          break;
        }
        const fd = openSync(path, 'wx', 0o600);
        try {
          for await (const chunk of entry.body) {
            for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
          }
        } finally {
          closeSync(fd);
        }
        break;
      }
      case 'dir':
        if (lstatOrNull(path) === null) mkdirSync(path, 0o700);
        knownDirs.add(relPath);
        implied.delete(relPath);
        break;
      case 'symlink':
        symlinkSync(entry.linkname, path);
        break;
      case 'hardlink': {
        const tparts = cleanEntryPath(entry.linkname, `hardlink target of ${JSON.stringify(entry.name)}`);
        const tparent = resolveInRoot(root, tparts.slice(0, -1), knownDirs);
        const target = join(root, ...tparent, tparts[tparts.length - 1] ?? '');
        const tst = lstatOrNull(target);
        if (tst === null || tst.isDirectory()) {
          throw new LayerError(
            `tar entry ${JSON.stringify(entry.name)} is a hardlink to ${JSON.stringify(entry.linkname)}, which is not a file earlier in this layer`,
          );
        }
        linkSync(target, path);
        break;
      }
      case 'chardev':
      case 'blockdev':
      case 'fifo':
        await sys.mknod(
          path,
          entry.type === 'chardev' ? 'c' : entry.type === 'blockdev' ? 'b' : 'p',
          0o600,
          entry.devmajor,
          entry.devminor,
        );
        break;
    }
    // A hardlink's inode was set up by its first entry; chown-ing it again would drop its
    // security.capability (the kernel clears it on chown) with nothing in this entry to restore it.
    if (entry.type === 'hardlink') return;
    // containerd's order: lchown, xattrs, then chmod (chown clears setuid bits), then times.
    lchownSync(path, entry.uid, entry.gid);
    for (const [name, value] of entry.xattrs) {
      try {
        await sys.lsetxattr(path, name, value);
      } catch (err) {
        if (!(err instanceof SyscallError && (err.code === 'ENOTSUP' || err.code === 'EOPNOTSUPP')))
          throw err;
      }
    }
    if (entry.type !== 'symlink') chmodSync(path, entry.mode);
    if (entry.type === 'dir') dirTimes.push({ path, mtime: entry.mtime });
    else lutimesSync(path, entry.mtime, entry.mtime);
  };

  try {
    for await (const entry of readTar(hashed)) {
      if (++entries > limits.maxEntries) {
        throw new LayerError(`the layer has more than ${limits.maxEntries} entries; refused as a tar bomb`);
      }
      try {
        await apply(entry);
      } catch (err) {
        if (err instanceof LayerError || err instanceof TarError) throw err;
        const msg = err instanceof Error ? err.message : String(err);
        throw new LayerError(`tar entry ${JSON.stringify(entry.name)}: ${msg}`);
      }
    }
    await inheritAttributes();
    // Directory times last, since creating their children changed them.
    // A directory a later entry replaced or whited out is gone (or is no longer a directory): skip it.
    for (const { path, mtime } of dirTimes.reverse()) {
      if (lstatOrNull(path)?.isDirectory()) lutimesSync(path, mtime, mtime);
    }
  } finally {
    sys.close();
  }
  return { diffID: `sha256:${hash.digest('hex')}`, tarBytes, entries, opaqueDirs: [...opaqueDirs] };
}
