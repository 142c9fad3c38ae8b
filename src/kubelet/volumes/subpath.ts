// volumeMount.subPath: the file or directory inside a volume to mount instead of the whole volume. The kubelet
// refuses absolute paths and `..`, creates a missing directory without leaving the volume, and refuses a path
// that resolves (through symlinks) outside the volume. Synchronous because mountsFor is.
//
// Upstream then bind-mounts the checked path to a private place (volume-subpaths/) so that a container cannot
// swap a component for a symlink between the check and the mount; podrun hands the runtime the resolved real
// path instead, which closes the symlink case but not a rename race inside a shared volume.
import { chmodSync, lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { validatePathNoBacksteps } from './paths.js';

function within(root: string, path: string): boolean {
  if (path === root) return true;
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/**
 * Returns the real host path of `subPath` inside `volumePath`. Errors carry the kubelet's texts and become the
 * container's CreateContainerConfigError.
 */
export function resolveSubPath(
  volumePath: string,
  subPath: string,
  volumeMountName: string,
  containerName: string,
): string {
  if (isAbsolute(subPath)) throw new Error(`error SubPath \`${subPath}\` must not be an absolute path`);
  const backsteps = validatePathNoBacksteps(subPath);
  if (backsteps) throw new Error(`unable to provision SubPath \`${subPath}\`: ${backsteps}`);

  const root = realpathSync(volumePath);
  const prepareFailed = new Error(
    `failed to prepare subPath for volumeMount "${volumeMountName}" of container "${containerName}"`,
  );

  // Walk component by component, creating missing directories, never following a symlink out of the volume.
  const parts = subPath.split('/').filter((p) => p !== '' && p !== '.');
  let current = root;
  const perm = statSync(root).mode & 0o7777;
  for (const part of parts) {
    const next = join(current, part);
    let st: ReturnType<typeof lstatSync> | undefined;
    try {
      st = lstatSync(next);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw prepareFailed;
    }
    if (st === undefined) {
      try {
        mkdirSync(next, { mode: perm });
        chmodSync(next, perm);
      } catch {
        throw new Error(
          `failed to create subPath directory for volumeMount "${volumeMountName}" of container "${containerName}"`,
        );
      }
      current = next;
      continue;
    }
    let resolved: string;
    try {
      resolved = st.isSymbolicLink() ? realpathSync(next) : next;
    } catch {
      throw prepareFailed;
    }
    if (!within(root, resolved)) throw prepareFailed;
    current = resolved;
  }
  if (!within(root, realpathSync(current))) throw prepareFailed;
  return current;
}
