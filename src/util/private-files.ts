// Secrets live in podrun's state directory (the store, the token, the CA and serving keys, the kubeconfig):
// the directory is 0700 and those files 0600 whatever an earlier run, another tool or the umask left them as.
// etcd refuses a data directory that is not 0700 for the same reason. A mode given to mkdir or open is
// masked by the umask and ignored for what already exists, hence the explicit chmod after each.
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

function explain(path: string, mode: number, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code ?? String(err);
  return new Error(
    `cannot make ${path} private (mode ${mode.toString(8).padStart(4, '0')}): ${code}; ` +
      'use a state directory that belongs to the user running podrun',
    { cause: err },
  );
}

/** Creates `dir` if needed and makes it 0700. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  try {
    await chmod(dir, PRIVATE_DIR_MODE);
  } catch (err) {
    throw explain(dir, PRIVATE_DIR_MODE, err);
  }
}

/** Makes each existing file 0600; a missing one is skipped. */
export async function makeFilesPrivate(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    try {
      await chmod(path, PRIVATE_FILE_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw explain(path, PRIVATE_FILE_MODE, err);
    }
  }
}

/**
 * Creates the directories leading to a file, 0700 for those it creates (existing ones are left alone: the
 * file may be put anywhere, /tmp included).
 */
export function ensureParentDirsSync(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (first === undefined) return;
  // Every directory from `first` down to `dir` is new.
  for (let d = dir; ; d = d.slice(0, d.lastIndexOf('/'))) {
    chmodSync(d, PRIVATE_DIR_MODE);
    if (d === first || !d.includes('/')) break;
  }
}

/** Creates `path` empty when it does not exist, then makes it 0600 either way. */
export function ensurePrivateFileSync(path: string): void {
  try {
    closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  } catch (err) {
    throw explain(path, PRIVATE_FILE_MODE, err);
  }
  makeFilesPrivateSync([path]);
}

/** Makes each existing file 0600; a missing one is skipped. */
export function makeFilesPrivateSync(paths: readonly string[]): void {
  for (const path of paths) {
    try {
      chmodSync(path, PRIVATE_FILE_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw explain(path, PRIVATE_FILE_MODE, err);
    }
  }
}
