// The host runtime's ImageManager: the image service's (src/images/service.ts), which keeps images in the
// state directory; a host runtime made without one runs only rootfs "host" containers.
import type { ImageServiceApi } from '../../images/service.js';
import {
  type ContainerConfig,
  type ImageFsInfo,
  type ImageManager,
  type ImageSpec,
  type ImageStatus,
  type PullImageOptions,
  type PullProgress,
  RuntimeError,
} from '../types.js';

export abstract class HostImages implements ImageManager {
  constructor(protected readonly images: ImageServiceApi | undefined) {}

  get #service(): ImageServiceApi {
    if (!this.images) {
      throw new RuntimeError(
        'Unsupported',
        'this host runtime was made without an image store: it runs containers with rootfs "host" only',
      );
    }
    return this.images;
  }

  /** The image service for a container made from an image; CreateContainerError without one. */
  protected imagesFor(config: ContainerConfig): ImageServiceApi {
    if (this.images) return this.images;
    throw new RuntimeError(
      'CreateContainerError',
      `container "${config.metadata.name}" wants rootfs "image", but this host runtime has no image store: run it with one, or with --images host`,
    );
  }

  async imageStatus(image: ImageSpec): Promise<ImageStatus | null> {
    // Without an image store every container runs host binaries: each image counts as present (and a pull
    // as done), as before images were supported, so that a kubelet that still asks does not fail its pods.
    if (!this.images) return { id: `host://${image.image}`, repoTags: [], repoDigests: [], size: 0 };
    return this.#service.imageStatus(image);
  }

  async pullImage(image: ImageSpec, options?: PullImageOptions): Promise<string> {
    if (!this.images) return `host://${image.image}`;
    return this.#service.pullImage(image, options);
  }

  async listImages(): Promise<ImageStatus[]> {
    return this.#service.listImages();
  }

  async removeImage(image: ImageSpec): Promise<void> {
    return this.#service.removeImage(image);
  }

  async imageFsInfo(): Promise<ImageFsInfo> {
    return this.#service.imageFsInfo();
  }

  async loadImage(path: string): Promise<ImageStatus[]> {
    return this.#service.loadImage(path);
  }

  pullsInProgress(): PullProgress[] {
    return this.images?.pullsInProgress() ?? [];
  }
}
