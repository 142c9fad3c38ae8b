// The fake runtime's image store: images with an image config, found as containerd's CRI finds them (a
// reference normalised by ParseDockerRef — `busybox` is `docker.io/library/busybox:latest` — or the image id),
// reported as CRI ImageStatus. No content: a fake image is its config and its names.
import { createHash } from 'node:crypto';
import { parseDockerRef, referenceName, referenceString } from '../../images/reference.js';
import { type ImageProcessConfig, imageUser } from '../image-process.js';
import { type ImageStatus, RuntimeError } from '../types.js';

export interface FakeImageOptions {
  /** The image config's `config`: what a container with rootfs `image` runs (Entrypoint, Cmd, Env, …). */
  config?: ImageProcessConfig;
  /**
   * The manifest digest the image was pulled by (`sha256:…`), reported as `<repository>@<digest>` in
   * repoDigests and as the imageRef of its containers.
   */
  repoDigest?: string;
  /** Bytes; default 1024. */
  size?: number;
  /** The image id (`sha256:<config digest>`); default: one derived from the reference and config. */
  id?: string;
  /** Reported `pinned` (never garbage collected), as containerd pins the sandbox image. */
  pinned?: boolean;
}

export interface FakeImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  config: ImageProcessConfig | undefined;
  pinned: boolean;
}

const ID = /^(?:sha256:)?([a-f0-9]{64})$/;

/** A reference as the CRI normalises it, or the id it names; InvalidImageName when it is neither. */
function parse(ref: string): { id: string } | { name: string; repo: string; digest?: string } {
  const id = ID.exec(ref);
  if (id) return { id: `sha256:${id[1]}` };
  try {
    const named = parseDockerRef(ref);
    return {
      name: referenceString(named),
      repo: referenceName(named),
      ...(named.digest !== undefined ? { digest: named.digest } : {}),
    };
  } catch (e) {
    throw new RuntimeError(
      'InvalidImageName',
      `failed to parse image reference ${JSON.stringify(ref)}: ${(e as Error).message}`,
    );
  }
}

export class FakeImages {
  #byId = new Map<string, FakeImage>();
  /** Normalised tag and digest references → image id. */
  #names = new Map<string, string>();

  /**
   * Makes an image present under `ref`, as a pull or `image load` would. A reference already naming another
   * image moves to this one (containerd retags); an image left with no name is gone.
   */
  add(ref: string, options: FakeImageOptions = {}): FakeImage {
    const parsed = parse(ref);
    if ('id' in parsed) throw new RuntimeError('InvalidImageName', `cannot name an image by an id (${ref})`);
    const id =
      options.id ??
      `sha256:${createHash('sha256')
        .update(`${parsed.name}\n${JSON.stringify(options.config ?? null)}`)
        .digest('hex')}`;
    if (!ID.test(id))
      throw new RuntimeError('InvalidImageName', `image id ${JSON.stringify(id)} is not sha256:<64 hex>`);
    const digests = [parsed.digest, options.repoDigest]
      .filter((d): d is string => d !== undefined)
      .map((d) => `${parsed.repo}@${d}`);
    const names = parsed.digest === undefined ? [parsed.name] : [];
    let image = this.#byId.get(id);
    if (!image) {
      image = {
        id,
        repoTags: [],
        repoDigests: [],
        size: options.size ?? 1024,
        config: options.config,
        pinned: options.pinned ?? false,
      };
      this.#byId.set(id, image);
    } else {
      if (options.config !== undefined) image.config = options.config;
      if (options.size !== undefined) image.size = options.size;
      if (options.pinned !== undefined) image.pinned = options.pinned;
    }
    for (const name of [...names, ...digests]) {
      const previous = this.#names.get(name);
      if (previous !== undefined && previous !== id) this.#unname(previous, name);
      this.#names.set(name, id);
    }
    image.repoTags = [...new Set([...image.repoTags, ...names])];
    image.repoDigests = [...new Set([...image.repoDigests, ...digests])];
    return image;
  }

  /** The image a reference or id names, or undefined; InvalidImageName for a reference that does not parse. */
  resolve(ref: string): FakeImage | undefined {
    const parsed = parse(ref);
    const id = 'id' in parsed ? parsed.id : this.#names.get(parsed.name);
    return id === undefined ? undefined : this.#byId.get(id);
  }

  status(image: FakeImage): ImageStatus {
    return {
      id: image.id,
      repoTags: [...image.repoTags],
      repoDigests: [...image.repoDigests],
      size: image.size,
      ...imageUser(image.config?.User),
      ...(image.pinned ? { pinned: true } : {}),
    };
  }

  list(): FakeImage[] {
    return [...this.#byId.values()];
  }

  /** Removes the image and every name of it (CRI RemoveImage). */
  remove(image: FakeImage): void {
    for (const name of [...image.repoTags, ...image.repoDigests]) this.#names.delete(name);
    this.#byId.delete(image.id);
  }

  #unname(id: string, name: string): void {
    const image = this.#byId.get(id);
    if (!image) return;
    image.repoTags = image.repoTags.filter((n) => n !== name);
    image.repoDigests = image.repoDigests.filter((n) => n !== name);
    if (image.repoTags.length === 0 && image.repoDigests.length === 0) this.#byId.delete(id);
  }
}
