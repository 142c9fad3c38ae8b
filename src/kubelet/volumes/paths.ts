// Where a pod's volumes live on the host (the kubelet's layout: `<root>/pods/<uid>/volumes/<plugin>/<name>`,
// plugin names escaped with `~` as EscapeQualifiedNameForDisk does) and the path rules projected files obey.
import { join, posix } from 'node:path';

export type PluginKind = 'emptyDir' | 'configMap' | 'secret' | 'downwardAPI' | 'projected';

export const PLUGIN_DIR: Record<PluginKind, string> = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
};

export function podDir(rootDir: string, podUid: string): string {
  return join(rootDir, 'pods', podUid);
}

export function podVolumesDir(rootDir: string, podUid: string): string {
  return join(podDir(rootDir, podUid), 'volumes');
}

export function volumeDir(rootDir: string, podUid: string, kind: PluginKind, name: string): string {
  return join(podVolumesDir(rootDir, podUid), PLUGIN_DIR[kind], name);
}

const MAX_FILE_NAME_LENGTH = 255;
const MAX_PATH_LENGTH = 4096;

/**
 * The AtomicWriter's validatePath: a projected file's path must be relative, contain no `..` element, not
 * start with `..` (reserved for the writer's own entries) and respect Linux name limits. Returns the error
 * text, or undefined when the path is valid.
 */
export function validateProjectedPath(targetPath: string): string | undefined {
  if (targetPath === '') return 'invalid path: must not be empty: ""';
  if (posix.isAbsolute(targetPath)) return `invalid path: must be relative path: ${targetPath}`;
  if (targetPath.length > MAX_PATH_LENGTH) {
    return `invalid path: must be less than or equal to ${MAX_PATH_LENGTH} characters`;
  }
  const items = targetPath.split('/');
  for (const item of items) {
    if (item === '..') return `invalid path: must not contain '..': ${targetPath}`;
    if (item.length > MAX_FILE_NAME_LENGTH) {
      return `invalid path: filenames must be less than or equal to ${MAX_FILE_NAME_LENGTH} characters`;
    }
  }
  const first = items[0] as string;
  if (first.startsWith('..') && first.length > 2)
    return `invalid path: must not start with '..': ${targetPath}`;
  return undefined;
}

/** volume/validation.ValidatePathNoBacksteps: returns `must not contain '..'` for a path with a `..` element. */
export function validatePathNoBacksteps(targetPath: string): string | undefined {
  return targetPath.split('/').includes('..') ? "must not contain '..'" : undefined;
}
