// Where podrun keeps things under its state directory. One place, so that `serve`, `up`, `kubeconfig` and
// the tests agree.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDir, makeFilesPrivate } from '../util/private-files.js';

export interface StateLayout {
  dir: string;
  /** SQLite database of the object store. */
  storeFile: string;
  kubeconfig: string;
  /** The kubelet's root: pods/<uid>/volumes and logs/. */
  kubeletDir: string;
  /** The runtime's own records (host runtime: sandboxes, containers, exit codes). */
  runtimeDir: string;
  /** The image store: blobs, unpacked layers, container snapshots. */
  imagesDir: string;
  /** Written while a server runs: its pid and URL, so `podrun up` can use it instead of starting one. */
  serveInfo: string;
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_DATA_HOME && env.XDG_DATA_HOME !== '' ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return join(base, 'podrun');
}

export function stateLayout(dir: string): StateLayout {
  return {
    dir,
    storeFile: join(dir, 'store.db'),
    kubeconfig: join(dir, 'kubeconfig'),
    kubeletDir: join(dir, 'kubelet'),
    runtimeDir: join(dir, 'runtime'),
    imagesDir: join(dir, 'images'),
    serveInfo: join(dir, 'serve.json'),
  };
}

/**
 * Makes the state directory 0700 (creating it if needed) and the secrets podrun keeps at its top level 0600,
 * whatever modes an earlier run or the umask gave them. The store and the serving credentials also see to
 * their own files when they open them; this covers the directory and the kubeconfig.
 */
export async function ensureStateDir(dir: string): Promise<StateLayout> {
  const layout = stateLayout(dir);
  await ensurePrivateDir(dir);
  await makeFilesPrivate([
    layout.storeFile,
    `${layout.storeFile}-wal`,
    `${layout.storeFile}-shm`,
    layout.kubeconfig,
    join(dir, 'token'),
  ]);
  return layout;
}
