// How a container's process comes from its config and its image's config, as containerd's CRI plugin decides
// (internal/cri/opts/spec_opts.go WithProcessArgs, container_create.go buildLinuxSpec, pkg/oci/spec_opts.go
// replaceOrAppendEnvValues and GenerateUserString). Pure, so that every runtime that runs images (the host
// runtime, the fake) applies the same rules, and each rule has a table test.

import { RuntimeError } from './types.js';
import type { ContainerConfig, KeyValue } from './types.js';

/** containerd's default PATH (pkg/oci/spec.go defaultUnixEnv). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The parts of an image config (`config` in the OCI image config) that shape the process. */
export interface ImageProcessConfig {
  User?: string;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Volumes?: Record<string, object> | null;
  StopSignal?: string;
}

export interface ImageProcess {
  /** argv; argv[0] is looked up in the container's PATH when it has no `/`. */
  argv: string[];
  /** `NAME=value`, in order: default PATH, HOSTNAME, the image's Env, the container's env. */
  env: string[];
  /** The pod's workingDir, else the image's, else `/`. */
  cwd: string;
  /**
   * What to resolve against the rootfs's /etc/passwd and /etc/group (oci.WithUser): `runAsUsername`, else
   * `runAsUser[:runAsGroup]`, else the image's User; '' means root.
   */
  user: string;
  /** The image's volumes the container does not mount itself (each gets a directory of its own). */
  imageVolumes: string[];
}

/** WithProcessArgs: the four command/args cases. `[]` counts as not set, as the kubelet passes nil. */
export function processArgs(
  command: readonly string[],
  args: readonly string[],
  image: ImageProcessConfig | undefined,
): string[] {
  let cmd = [...command];
  let arg = [...args];
  if (cmd.length === 0) {
    if (arg.length === 0) arg = [...(image?.Cmd ?? [])];
    const entrypoint = image?.Entrypoint ?? [];
    // An Entrypoint of [""] means none (docker's way of clearing a base image's).
    if (entrypoint.length !== 1 || entrypoint[0] !== '') cmd = [...entrypoint];
  }
  if (cmd.length === 0 && arg.length === 0) {
    throw new RuntimeError('CreateContainerError', 'no command specified');
  }
  return [...cmd, ...arg];
}

/**
 * replaceOrAppendEnvValues over containerd's order. A repeated name replaces the earlier value in place (an
 * image's PATH replaces the default); an image entry without `=` unsets the name.
 */
export function processEnv(
  hostname: string | undefined,
  imageEnv: readonly string[] | null | undefined,
  envs: readonly KeyValue[],
): string[] {
  const out: string[] = [];
  const index = new Map<string, number>();
  const put = (entry: string) => {
    const eq = entry.indexOf('=');
    const name = eq < 0 ? entry : entry.slice(0, eq);
    const at = index.get(name);
    if (eq < 0) {
      if (at !== undefined) out[at] = '';
      index.delete(name);
      return;
    }
    if (at !== undefined) out[at] = entry;
    else {
      index.set(name, out.length);
      out.push(entry);
    }
  };
  put(`PATH=${DEFAULT_PATH}`);
  if (hostname) put(`HOSTNAME=${hostname}`);
  for (const e of imageEnv ?? []) put(e);
  for (const e of envs) put(`${e.name}=${e.value}`);
  return out.filter((e) => e !== '');
}

/** GenerateUserString, then the image's User when the pod asks for no user. */
export function processUser(config: ContainerConfig, image: ImageProcessConfig | undefined): string {
  const sec = config.linux?.security;
  if (sec?.runAsUsername) return sec.runAsUsername;
  if (sec?.runAsUser !== undefined) {
    return sec.runAsGroup !== undefined ? `${sec.runAsUser}:${sec.runAsGroup}` : String(sec.runAsUser);
  }
  if (sec?.runAsGroup !== undefined) {
    throw new RuntimeError(
      'CreateContainerError',
      'user group is specified without user: set runAsUser together with runAsGroup',
    );
  }
  return image?.User ?? '';
}

/** Everything about the process a runtime that runs images needs, from the container and image configs. */
export function imageProcess(
  config: ContainerConfig,
  image: ImageProcessConfig | undefined,
  hostname: string | undefined,
): ImageProcess {
  const mounted = new Set(config.mounts.map((m) => cleanPath(m.containerPath)));
  const imageVolumes = Object.keys(image?.Volumes ?? {})
    .map(cleanPath)
    .filter((p) => !mounted.has(p))
    .sort();
  return {
    argv: processArgs(config.command, config.args, image),
    env: processEnv(hostname, image?.Env, config.envs),
    cwd: config.workingDir || image?.WorkingDir || '/',
    user: processUser(config, image),
    imageVolumes,
  };
}

/** The user part of an image's User, as the CRI's ImageStatus reports it (uid when numeric, else username). */
export function imageUser(user: string | undefined): { uid?: number; username?: string } {
  const u = (user ?? '').split(':')[0] ?? '';
  if (u === '') return {};
  if (/^\d+$/.test(u)) return { uid: Number(u) };
  return { username: u };
}

function cleanPath(p: string): string {
  const parts: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}
