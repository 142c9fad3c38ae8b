// The record of a container's rootfs (`<root>/containers/<id>/rootfs.json`, written by prepareRootfs in
// rootfs.ts): its mount and the layers gc() must keep while the container exists. Apart from rootfs.ts so that
// the store's gc reads it without importing rootfs.ts, which imports the store.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from './fsutil.js';

export interface RootfsMount {
  containerId: string;
  /** The merged view: the container's root. */
  target: string;
  upperDir: string;
  workDir: string;
  /** Topmost first. */
  lowerDirs: string[];
  chainIDs: string[];
}

/**
 * The record of a container's rootfs, or undefined when it has none, or one a crash of the machine left empty
 * or cut (it is written without fsync; see prepareRootfs). Other errors (EACCES, EIO) are thrown.
 */
export async function readRootfsRecord(dir: string): Promise<RootfsMount | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'rootfs.json'), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as RootfsMount;
  } catch {
    return undefined;
  }
}
