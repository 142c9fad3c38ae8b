// Reading one small file of an image without mounting it (its /etc/passwd and /etc/group, to resolve a user
// at container creation as containerd does from the snapshot): the topmost layer that has the path wins, a
// whiteout (a 0/0 character device, as unpack.ts writes it) hides it in every layer below.
//
// Not followed: symlinks (an /etc/passwd that is a link reads as absent) and opaque directories (Node has no
// xattr call; a layer that makes /etc opaque and drops passwd would let a lower passwd show). Both are rare in
// images and only change which user a name resolves to, never what the container can reach.
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from './fsutil.js';
import { lowerDirs } from './rootfs.js';
import type { ImageRecord, ImageStore } from './store.js';

/** The file's content, or undefined when the image has no such regular file. */
export async function readImageFile(
  store: ImageStore,
  image: ImageRecord,
  path: string,
  maxBytes = 4 * 1024 * 1024,
): Promise<Buffer | undefined> {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`readImageFile: ${JSON.stringify(path)} must not contain ".."`);
  for (const layer of lowerDirs(store, image)) {
    // A parent that this layer replaces (whiteout, file, link) hides the path in the layers below.
    for (let i = 1; i < parts.length; i++) {
      const st = await lstatOrUndefined(join(layer, ...parts.slice(0, i)));
      if (st && !st.isDirectory()) return undefined;
    }
    const st = await lstatOrUndefined(join(layer, ...parts));
    if (st === undefined) continue;
    if (!st.isFile() || st.size > maxBytes) return undefined;
    return readFile(join(layer, ...parts));
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
