// The host runtime: podrun's embedded default. Pods are Linux processes in per-pod namespaces on the host's
// filesystem, started by a small per-container Perl shim; no daemon. See docs/host-runtime.md.

import { ImageService, type ImageServiceApi } from '../../images/service.js';
import type { Clock } from '../../util/clock.js';
import { RuntimeError, type RuntimeService } from '../types.js';
import { HostRuntime, type HostRuntimeOptions } from './runtime.js';
import { checkHostRuntimeSupport } from './support.js';

export type { HostRuntimeOptions } from './runtime.js';
export { checkHostRuntimeSupport, type SupportResult } from './support.js';

/**
 * Creates the host runtime over `stateDir`. Re-reads the state a previous podrun left there: containers still
 * running are found again, and those that exited meanwhile report their real exit status.
 */
export async function createHostRuntime(
  options: { stateDir: string; podCidr?: string; clock?: Clock } & Partial<HostRuntimeOptions> & {
      /** Opens an image store there (and pulls into it) when no `images` service is given. */
      imageStore?: HostImageStoreOptions;
    },
): Promise<RuntimeService> {
  const support = await checkHostRuntimeSupport(options.perlPath);
  if (!support.ok) throw new RuntimeError('Unsupported', `${support.problem}: ${support.hint}`);
  let runtime: HostRuntime | undefined;
  let images: ImageServiceApi | undefined = options.images;
  if (!images && options.imageStore) {
    const { dir, registriesConf, dockerConfig, syncFs } = options.imageStore;
    images = await ImageService.open({
      root: dir,
      ...(registriesConf !== undefined ? { registriesConf } : {}),
      ...(dockerConfig !== undefined ? { dockerConfig } : {}),
      ...(syncFs ? { storeOptions: { syncFs } } : {}),
      // Bound late: the runtime is made with the service, and its containers keep their images.
      inUse: () => runtime?.imagesInUse() ?? new Set(),
    });
  }
  runtime = new HostRuntime({ ...options, ...(images ? { images } : {}) });
  try {
    await runtime.init();
  } catch (err) {
    await images?.close();
    throw err;
  }
  return runtime;
}

export interface HostImageStoreOptions {
  /** The store's directory, `<state dir>/images`. */
  dir: string;
  /** containers-registries.conf(5); default /etc/containers/registries.conf (missing: empty). */
  registriesConf?: string;
  /** Docker config for credentials; default `$HOME/.docker/config.json`. */
  dockerConfig?: string;
  /** Flush each unpacked layer (syncfs) before committing it; off by default, as containerd 2. */
  syncFs?: boolean;
}
