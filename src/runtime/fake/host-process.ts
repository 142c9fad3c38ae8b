// What the fake says a host-binaries container (rootfs `host`) runs, as the host runtime would run it.

import { processArgs, processEnv } from '../image-process.js';
import type { ContainerConfig } from '../types.js';
import type { FakeProcess } from './fake-types.js';

/**
 * A host container's process: its command line as given (nothing to merge it with), containerd's PATH and
 * HOSTNAME before its env, and the user the host runtime resolves from runAsUser and runAsGroup.
 */
export function hostProcess(config: ContainerConfig, hostname: string): FakeProcess {
  const sec = config.linux?.security;
  const uid = sec?.runAsUser;
  const gid = sec?.runAsGroup;
  return {
    argv: processArgs(config.command, config.args, undefined),
    env: processEnv(hostname, undefined, config.envs),
    cwd: config.workingDir || '/',
    user: uid === undefined && gid === undefined ? '' : `${uid ?? 0}${gid === undefined ? '' : `:${gid}`}`,
    imageVolumes: [],
  };
}
