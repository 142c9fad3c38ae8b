// How a container's process comes from its config and its image's config, as containerd's CRI plugin decides
// (internal/cri/opts/spec_opts.go WithProcessArgs, container_create.go buildLinuxSpec, pkg/oci/spec_opts.go
// replaceOrAppendEnvValues and GenerateUserString). Pure, so that every runtime that runs images (the host
// runtime, the fake) applies the same rules, and each rule has a table test.

import type { ContainerConfig, KeyValue } from './types.js';
import { RuntimeError } from './types.js';

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
  /**
   * `NAME=value`, one per name: default PATH, HOSTNAME, the image's Env, the container's env, as containerd
   * and runc merge them (processEnv). HOME is not in it: runc adds it from the resolved user.
   */
  env: string[];
  /** The pod's workingDir, else the image's, else `/`. */
  cwd: string;
  /**
   * What to resolve against the rootfs's /etc/passwd and /etc/group (oci.WithUser): `runAsUsername` or
   * `runAsUser`, with `:runAsGroup` when set, else the image's User; '' means root.
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
 * The environment the process gets: containerd's replaceOrAppendEnvValues, then runc's prepareEnv.
 *
 * containerd starts from `PATH=<default>` and `HOSTNAME=<hostname>` and applies the image's Env then the
 * container's env in one call, which indexes only those two defaults: an entry for either replaces it in
 * place (an image's PATH replaces the default), an entry without `=` for either unsets it (a later entry for
 * it takes the slot back), and any other entry is appended, repeats included. runc then keeps the last
 * occurrence of each name, in the order of those last occurrences. An entry without `=` for another name is
 * left in the list by containerd and refused by runc at start (`invalid environment variable: missing '='`);
 * here it is refused at once. runc's HOME (from the user's passwd entry when the list has none) is added by
 * whoever resolves the user.
 */
export function processEnv(
  hostname: string | undefined,
  imageEnv: readonly string[] | null | undefined,
  envs: readonly KeyValue[],
): string[] {
  const list: string[] = [`PATH=${DEFAULT_PATH}`];
  const defaults = new Map<string, number>([['PATH', 0]]);
  if (hostname) {
    defaults.set('HOSTNAME', list.length);
    list.push(`HOSTNAME=${hostname}`);
  }
  const overrides = [...(imageEnv ?? []), ...envs.map((e) => `${e.name}=${e.value}`)];
  for (const entry of overrides) {
    const eq = entry.indexOf('=');
    const name = eq < 0 ? entry : entry.slice(0, eq);
    const at = defaults.get(name);
    if (eq < 0) {
      if (at !== undefined) list[at] = '';
      else {
        throw new RuntimeError(
          'CreateContainerError',
          `invalid environment variable ${JSON.stringify(entry)} in the image's Env: missing '=' (only PATH and HOSTNAME can be unset this way); fix the image's config`,
        );
      }
    } else if (at !== undefined) list[at] = entry;
    else list.push(entry);
  }
  // runc: the last occurrence of each name wins, in the order of the last occurrences.
  const last = new Map<string, number>();
  list.forEach((entry, i) => {
    if (entry !== '') last.set(entry.slice(0, entry.indexOf('=')), i);
  });
  return list.filter((entry, i) => entry !== '' && last.get(entry.slice(0, entry.indexOf('='))) === i);
}

/**
 * GenerateUserString (`runAsUsername`, else `runAsUser`, each with `:runAsGroup` when set; a group without a
 * user is an error), then the image's User when the pod asks for no user.
 */
export function processUser(config: ContainerConfig, image: ImageProcessConfig | undefined): string {
  const sec = config.linux?.security;
  let user = sec?.runAsUser !== undefined ? String(sec.runAsUser) : '';
  if (sec?.runAsUsername) user = sec.runAsUsername;
  const group = sec?.runAsGroup !== undefined ? String(sec.runAsGroup) : '';
  if (user === '') {
    if (group !== '') {
      throw new RuntimeError(
        'CreateContainerError',
        `failed to generate user string: user group "${group}" is specified without user: set runAsUser (or the image's user) together with runAsGroup`,
      );
    }
    return image?.User ?? '';
  }
  return group === '' ? user : `${user}:${group}`;
}

/** Everything about the process a runtime that runs images needs, from the container and image configs. */
export function imageProcess(
  config: ContainerConfig,
  image: ImageProcessConfig | undefined,
  hostname: string | undefined,
): ImageProcess {
  const mounted = new Set(config.mounts.map((m) => cleanPath(m.containerPath)));
  // containerd would mount two volumes for `/data` and `/data/`; one directory is the same to the process.
  const imageVolumes = [...new Set(Object.keys(image?.Volumes ?? {}).map(cleanPath))]
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
  // strconv.ParseInt(u, 10, 64): a sign is allowed; what does not parse (or overflows) is a name.
  if (/^[+-]?\d+$/.test(u)) {
    const n = BigInt(u);
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return { uid: Number(n) };
  }
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
