// The kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go): projects a set of files into a directory so
// that a reader sees either the old set or the new one, never a mix or a half-written file.
//
// Layout of the target directory:
//   ..2026_01_01_12_00_00.Ab3xYz/   the real files of one version (a "timestamped dir")
//   ..data -> ..2026_01_01_12_00_00.Ab3xYz
//   key    -> ..data/key            one symlink per top-level entry of the payload
//   dir    -> ..data/dir
// An update writes a new timestamped dir, points `..data_tmp` at it and renames that over `..data` (rename(2)
// is atomic), then drops visible links that are gone and deletes the old timestamped dir.
import { dirname, join, posix } from 'node:path';
import { validateProjectedPath } from './paths.js';
import { diskFs, type VolumeFs } from './volume-fs.js';

export interface FileProjection {
  data: Buffer;
  /** Permission bits, e.g. 0o644. */
  mode: number;
}

export const DATA_DIR_NAME = '..data';
const NEW_DATA_DIR_NAME = '..data_tmp';

export interface AtomicWriteResult {
  /** false when the directory already held exactly this payload. */
  written: boolean;
  /** The timestamped directory `..data` points to afterwards. */
  dataDir: string;
}

/**
 * Writes `payload` (relative path → content) into `targetDir`, which must exist. `now` names the new
 * timestamped dir. `setPerms` runs after the files are written and before they become visible (fsGroup).
 * `fs`: memoryFs when `targetDir` is on tmpfs (volume-fs.ts).
 * Throws on an invalid path (`invalid path: must not contain '..': ../x`) before touching the disk.
 */
export async function atomicWrite(
  targetDir: string,
  payload: Map<string, FileProjection>,
  now: number,
  setPerms?: (tsDir: string) => Promise<void>,
  fs: VolumeFs = diskFs,
): Promise<AtomicWriteResult> {
  // (1) Validate and clean every path first.
  const clean = new Map<string, FileProjection>();
  for (const [p, content] of payload) {
    const problem = validateProjectedPath(p);
    if (problem) throw new Error(problem);
    clean.set(posix.normalize(p).replace(/\/$/, ''), content);
  }

  // (2) Which version is current?
  const dataDirPath = join(targetDir, DATA_DIR_NAME);
  let oldTsDir = await fs.readlink(dataDirPath).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw e;
  });
  const oldTsPath = oldTsDir ? join(targetDir, oldTsDir) : '';

  let pathsToRemove = new Set<string>();
  let shouldWrite = true;
  if (oldTsDir) {
    // (3) Paths of the old version that the new payload no longer has.
    pathsToRemove = await removedPaths(clean, oldTsPath, fs);
    // (4) Unchanged payload: nothing to write, but the visible links must still exist.
    if (pathsToRemove.size === 0 && !(await payloadDiffers(clean, oldTsPath, fs))) {
      shouldWrite = false;
      oldTsDir = '';
    }
  }

  let currentTsDir = oldTsPath;
  if (shouldWrite) {
    // (5) A new timestamped dir; 0755 so that group and other can traverse whatever the umask.
    const tsDir = await fs.mkdtemp(join(targetDir, timestampPrefix(now)));
    await fs.chmod(tsDir, 0o755);
    try {
      // (6) The payload, with exact modes regardless of umask.
      for (const [p, content] of clean) {
        const full = join(tsDir, p);
        await fs.mkdir(dirname(full), { recursive: true, mode: 0o777 });
        await fs.writeFile(full, content.data, { mode: content.mode });
        await fs.chmod(full, content.mode);
      }
      // (7) Ownership before publication.
      if (setPerms) await setPerms(tsDir);
      // (8) + (9) Publish: a new symlink renamed over the old one.
      const newDataDirPath = join(targetDir, NEW_DATA_DIR_NAME);
      await fs.rm(newDataDirPath, { force: true });
      await fs.symlink(posix.basename(tsDir), newDataDirPath);
      await fs.rename(newDataDirPath, dataDirPath);
    } catch (e) {
      await fs.rm(join(targetDir, NEW_DATA_DIR_NAME), { force: true }).catch(() => {});
      await fs.rm(tsDir, { recursive: true, force: true }).catch(() => {});
      throw e;
    }
    currentTsDir = tsDir;
  }

  // (10) Visible links for new top-level entries.
  for (const p of clean.keys()) {
    const top = p.split('/')[0] as string;
    const visible = join(targetDir, top);
    const exists = await fs.lstat(visible).then(
      () => true,
      (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return false;
        throw e;
      },
    );
    if (!exists) await fs.symlink(posix.join(DATA_DIR_NAME, top), visible);
  }

  // (11) Visible links of entries that are gone (only top-level names are links).
  for (const p of pathsToRemove) {
    if (p.includes('/')) continue;
    await fs.unlink(join(targetDir, p)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }

  // (12) The previous version.
  if (oldTsDir) await fs.rm(join(targetDir, oldTsDir), { recursive: true, force: true });

  return { written: shouldWrite, dataDir: currentTsDir };
}

/** `..2006_01_02_15_04_05.` in UTC, as the kubelet names timestamped dirs (mkdtemp adds a random suffix). */
function timestampPrefix(now: number): string {
  const d = new Date(now);
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}.`;
}

async function payloadDiffers(
  payload: Map<string, FileProjection>,
  oldTsPath: string,
  fs: VolumeFs,
): Promise<boolean> {
  for (const [p, content] of payload) {
    const onDisk = await fs.readFile(join(oldTsPath, p)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw e;
    });
    if (onDisk === undefined || !onDisk.equals(content.data)) return true;
  }
  return false;
}

/** Every path (files and dirs) of the old version that is neither in the payload nor a parent of one. */
async function removedPaths(
  payload: Map<string, FileProjection>,
  oldTsPath: string,
  fs: VolumeFs,
): Promise<Set<string>> {
  const current = new Set<string>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await fs.readdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [];
      throw e;
    });
    for (const entry of entries) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      current.add(r);
      if (entry.isDirectory()) await walk(join(dir, entry.name), r);
    }
  };
  await walk(oldTsPath, '');
  const wanted = new Set<string>();
  for (const p of payload.keys()) {
    for (let sub = p; sub !== '' && sub !== '.'; sub = posix.dirname(sub)) wanted.add(sub);
  }
  return new Set([...current].filter((p) => !wanted.has(p)));
}
