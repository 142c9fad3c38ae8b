// Picks the runtime by name. Only this file knows which runtimes exist.
import { createHostRuntime } from '../runtime/host/index.js';
import type { RuntimeService } from '../runtime/types.js';
import type { Clock } from '../util/clock.js';

export type RuntimeName = 'host' | 'docker';
export const RUNTIME_NAMES: readonly RuntimeName[] = ['host', 'docker'];

/** Where containers' root filesystems come from: pulled images (as a cluster) or the host's filesystem. */
export type ImagesMode = 'pull' | 'host';
export const IMAGES_MODES: readonly ImagesMode[] = ['pull', 'host'];

/** containers-registries.conf(5)'s system-wide file, as podman and CRI-O read it. */
export const DEFAULT_REGISTRIES_CONF = '/etc/containers/registries.conf';

/** What a runtime that keeps images on this machine needs to pull them. */
export interface RuntimeImageOptions {
  /** containers-registries.conf(5) for unqualified names, mirrors and insecure registries. */
  registriesConf?: string;
  /** Where the runtime keeps images (`<state dir>/images`); without it the runtime runs host binaries only. */
  imagesDir?: string;
  /** Flush each unpacked layer to disk before committing it (containerd's image_pull_with_sync_fs). */
  imagePullSyncFs?: boolean;
}

export class RuntimeUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeUnavailableError';
  }
}

export async function openRuntime(
  name: RuntimeName,
  stateDir: string,
  clock: Clock,
  log: (message: string) => void,
  images: RuntimeImageOptions = {},
): Promise<RuntimeService> {
  switch (name) {
    case 'host':
      return createHostRuntime({
        stateDir,
        clock,
        log: (m) => log(`host runtime: ${m}`),
        ...(images.imagesDir !== undefined
          ? {
              imageStore: {
                dir: images.imagesDir,
                ...(images.registriesConf !== undefined ? { registriesConf: images.registriesConf } : {}),
                ...(images.imagePullSyncFs ? { syncFs: true } : {}),
              },
            }
          : {}),
      });
    case 'docker':
      throw new RuntimeUnavailableError(
        'the docker runtime is not part of this version of podrun yet; use --runtime host (the default)',
      );
  }
}
