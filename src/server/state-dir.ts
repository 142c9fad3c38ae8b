// Where podrun keeps things under its state directory. One place, so that `serve`, `up`, `kubeconfig` and
// the tests agree.
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface StateLayout {
  dir: string;
  /** SQLite database of the object store. */
  storeFile: string;
  kubeconfig: string;
  /** The kubelet's root: pods/<uid>/volumes and logs/. */
  kubeletDir: string;
  /** The runtime's own records (host runtime: sandboxes, containers, exit codes). */
  runtimeDir: string;
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
    serveInfo: join(dir, 'serve.json'),
  };
}
