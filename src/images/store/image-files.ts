// Reading one small file of an image without mounting it (its /etc/passwd and /etc/group, to resolve a user
// at container creation as containerd does from the snapshot). The layers are read as overlayfs would merge
// them: the topmost layer that has a path wins; a whiteout (a 0/0 character device, as unpack.ts writes it)
// or a non-directory hides everything below it; a directory made opaque hides the same directory in lower
// layers; symlinks are followed inside the image, never out of it.
import type { Stats } from 'node:fs';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from './fsutil.js';
import type { ImageRecord, ImageStore } from './store.js';

/** As Linux's MAXSYMLINKS: more links than this on one path is a loop. */
const maxSymlinks = 40;

interface LayerView {
  dir: string;
  opaque: ReadonlySet<string>;
}

/** The file's content, or undefined when the image has no such regular file. */
export async function readImageFile(
  store: ImageStore,
  image: ImageRecord,
  path: string,
  maxBytes = 4 * 1024 * 1024,
): Promise<Buffer | undefined> {
  const layers: LayerView[] = [];
  for (const chainID of [...image.chainIDs].reverse()) {
    const record = await store.layers.record(chainID).catch(() => undefined);
    layers.push({ dir: store.layers.fsDir(chainID), opaque: new Set(record?.opaqueDirs ?? []) });
  }
  const found = await resolve(layers, path);
  if (found === undefined || !found.st.isFile() || found.st.size > maxBytes) return undefined;
  return readFile(found.path);
}

/** The merged view's entry at `path`, symlinks followed (within the image root). */
async function resolve(layers: LayerView[], path: string): Promise<{ path: string; st: Stats } | undefined> {
  let todo = components(path);
  let done: string[] = [];
  let links = 0;
  for (;;) {
    const part = todo.shift();
    if (part === undefined) break;
    if (part === '..') {
      done.pop();
      continue;
    }
    const candidate = [...done, part];
    const entry = await mergedLstat(layers, candidate);
    if (entry === undefined) return undefined;
    if (entry.st.isSymbolicLink()) {
      if (++links > maxSymlinks) return undefined;
      const target = await readlink(entry.path);
      if (target.startsWith('/')) done = [];
      todo = [...components(target), ...todo];
      continue;
    }
    if (todo.length > 0 && !entry.st.isDirectory()) return undefined;
    done = candidate;
  }
  return mergedLstat(layers, done);
}

function components(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}

/** The topmost layer's entry for `parts` (whose parents are directories in the merged view), if visible. */
async function mergedLstat(
  layers: LayerView[],
  parts: string[],
): Promise<{ path: string; st: Stats } | undefined> {
  if (parts.length === 0) return undefined;
  for (const layer of layers) {
    // A parent this layer replaces with something else (a whiteout, a file, a link) hides the path below.
    for (let i = 1; i < parts.length; i++) {
      const st = await lstatOrUndefined(join(layer.dir, ...parts.slice(0, i)));
      if (st && !st.isDirectory()) return undefined;
    }
    const path = join(layer.dir, ...parts);
    const st = await lstatOrUndefined(path);
    if (st !== undefined) {
      if (st.isCharacterDevice() && st.rdev === 0) return undefined;
      return { path, st };
    }
    for (let i = 1; i < parts.length; i++) {
      if (layer.opaque.has(parts.slice(0, i).join('/'))) return undefined;
    }
  }
  return undefined;
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}
