// The image service: the CRI ImageService over the local store (store/) and the pull client (registry/).
// Runtimes that keep images on this machine (the host runtime) delegate their ImageManager to it; the
// rootfs of a container is made from what `image()` returns.
//
// CONTRACT (filled in by the image-service work; keep these signatures):
//   open()          the store under `root`, registries.conf and ~/.docker/config.json read once.
//   pullImage()     concurrent pulls of one image share one download (100 pods, one pull); credentials are
//                   tried in order (given ones, else the keyring's, else anonymous); errors are
//                   RuntimeError ErrImagePull / ImageNotFound / InvalidImageName worded as containerd's.
//   imageStatus()   null when absent; uid/username from the config's User (the user part of `u:g`).
//   removeImage()   ImageInUse while `inUse()` names the image id.
//   loadImage()     docker save (old and new layouts), OCI layout directory or archive.
//   gc()            the kubelet's thresholds (high 85 %, low 80 %, min age 2 min), LRU, unused and unpinned.
import type { ImageRecord, ImageStore } from './store/index.js';
import type {
  ImageFsInfo,
  ImageManager,
  ImageSpec,
  ImageStatus,
  PullImageOptions,
  PullProgress,
} from '../runtime/types.js';

export interface ImageServiceOptions {
  /** The store's directory, `<state dir>/images`. */
  root: string;
  /** containers-registries.conf(5); a missing file is an empty configuration. Default /etc/containers/registries.conf. */
  registriesConf?: string;
  /** The user's docker config for credentials. Default `$HOME/.docker/config.json` (missing: none). */
  dockerConfig?: string;
  /** Image ids some container uses: they are neither removed nor collected. */
  inUse?: () => Set<string>;
  now?: () => number;
}

export interface GcPolicy {
  highThresholdPercent: number;
  lowThresholdPercent: number;
  minAgeMs: number;
}

export interface ImageServiceApi extends ImageManager {
  readonly store: ImageStore;
  /** The stored image a reference or id names, for building a rootfs. */
  image(ref: string): ImageRecord | undefined;
  loadImage(path: string): Promise<ImageStatus[]>;
  gc(policy?: Partial<GcPolicy>): Promise<{ removedImages: string[]; freedBytes: number }>;
  close(): Promise<void>;
}

export type {
  ImageFsInfo,
  ImageSpec,
  ImageStatus,
  PullImageOptions,
  PullProgress,
};
